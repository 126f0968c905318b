/**
 * What real clients put around a request: a browser's or an SDK's User-Agent, Accept and
 * Accept-Language, a bearer token shaped like a JWT, a request id, and — from browsers — the
 * cookies web apps set (analytics, consent managers, session frameworks). The shapes are our own
 * templates of public formats; the values are random.
 */
import type { Faker } from './waf-benign-text.js'

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
]

const SDKS = [
  'python-requests/2.32.3',
  'python-httpx/0.27.2',
  'axios/1.7.9',
  'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
  'undici',
  'okhttp/4.12.0',
  'Go-http-client/2.0',
  'curl/8.11.0',
  'PostmanRuntime/7.43.0',
  'insomnia/10.2.0',
  'Dart/3.5 (dart:io)',
  'Apache-HttpClient/5.3.1 (Java/21.0.5)',
  'Java-http-client/17.0.13',
  'aws-sdk-js/3.700.0 ua/2.1 os/linux#6.8.0 lang/js md/nodejs#20.18.1 api/s3#3.700.0',
  'Boto3/1.35.76 md/Botocore#1.35.76 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.76',
  'octokit-rest.js/21.0.2 octokit-core.js/6.1.2 Node.js/20',
  'Stripe/v1 NodeBindings/17.4.0',
  'google-api-go-client/0.5',
  'Microsoft Graph .NET SDK/5.64.0 (featureUsage=0f)',
  'Ruby/3.3.6 Faraday v2.12.2',
  'Guzzle/7 curl/8.5.0 PHP/8.3.14',
  'Apollo-iOS/1.15.3',
  'CFNetwork/1568.200.51 Darwin/24.1.0',
  'Terraform/1.10.1 terraform-provider-azurerm/4.13.0',
  'kubectl/v1.31.3 (linux/amd64) kubernetes/c83cbee',
]

const LOCALES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES', 'pt-BR', 'it-IT', 'nl-NL', 'pl-PL', 'ja-JP', 'zh-CN', 'zh-TW', 'ko-KR', 'ru-RU', 'uk-UA', 'tr-TR', 'ar-SA', 'he-IL', 'hi-IN', 'th-TH', 'vi-VN', 'cs-CZ', 'sv-SE', 'el-GR', 'id-ID', 'fa-IR']

export type ClientKind = 'browser' | 'sdk'

/** Options a family passes: the text's language (Accept-Language leads with it), what the client accepts. */
export interface ClientOptions {
  kind?: ClientKind
  language?: string
  accept?: string
}

/** The headers of a client's request, Host first, in the order clients send them. */
export function clientHeaders(random: Faker, options: ClientOptions = {}): [string, string][] {
  const kind = options.kind ?? (random.datatype.boolean(0.45) ? 'browser' : 'sdk')
  const headers: [string, string][] = [
    ['host', 'api.example.com'],
    ['user-agent', random.helpers.arrayElement(kind === 'browser' ? BROWSERS : SDKS)],
    ['accept', options.accept ?? (kind === 'browser' ? 'application/json, text/plain, */*' : random.helpers.arrayElement(['application/json', '*/*', 'application/json; charset=utf-8']))],
  ]
  if (kind === 'browser' || options.language !== undefined || random.datatype.boolean(0.3)) headers.push(['accept-language', acceptLanguage(random, options.language)])
  if (kind === 'browser') headers.push(['accept-encoding', 'gzip, deflate, br, zstd'])
  if (random.datatype.boolean(0.85)) headers.push(['authorization', `Bearer ${jwt(random)}`])
  else headers.push(['x-api-key', random.string.alphanumeric(40)])
  if (random.datatype.boolean(0.7)) headers.push([random.helpers.arrayElement(['x-request-id', 'x-correlation-id', 'request-id']), random.string.uuid()])
  if (random.datatype.boolean(0.2)) headers.push(['traceparent', `00-${random.string.hexadecimal({ length: 32, casing: 'lower', prefix: '' })}-${random.string.hexadecimal({ length: 16, casing: 'lower', prefix: '' })}-01`])
  if (kind === 'browser') {
    headers.push(['origin', 'https://app.example.com'], ['referer', `https://app.example.com/${random.helpers.arrayElement(['dashboard', 'settings/profile', 'orders', 'search', 'projects/overview'])}`])
    headers.push(['cookie', browserCookies(random)])
  }
  return headers
}

/** `ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7` and the like, led by `language` when given. */
export function acceptLanguage(random: Faker, language?: string): string {
  const first = language ?? random.helpers.arrayElement(LOCALES)
  const others = random.helpers.arrayElements(LOCALES.filter((locale) => locale !== first), { min: 0, max: 3 })
  const tags = [first, first.split('-')[0] as string, ...others]
  return tags.map((tag, index) => (index === 0 ? tag : `${tag};q=${(1 - index / 10).toFixed(1)}`)).join(',')
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url')
}

/** A JWT-shaped bearer token: a real header and claims, a random RS256-sized signature. */
export function jwt(random: Faker): string {
  const iat = 1_764_000_000 + random.number.int({ min: 0, max: 9_000_000 })
  const header = { alg: random.helpers.arrayElement(['RS256', 'ES256', 'HS256']), typ: 'JWT', kid: random.string.alphanumeric(16) }
  const claims = {
    iss: random.helpers.arrayElement(['https://auth.example.com/', 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0', 'https://accounts.google.com', 'https://example.eu.auth0.com/']),
    sub: random.helpers.arrayElement([random.string.uuid(), `auth0|${random.string.hexadecimal({ length: 24, casing: 'lower', prefix: '' })}`, random.string.numeric(21)]),
    aud: random.helpers.arrayElement(['https://api.example.com', 'api://portcullis', ['https://api.example.com', 'https://example.eu.auth0.com/userinfo']]),
    iat,
    exp: iat + 3600,
    scope: random.helpers.arrayElements(['openid', 'profile', 'email', 'read:orders', 'write:orders', 'offline_access', 'repo', 'user:email'], { min: 1, max: 4 }).join(' '),
    ...(random.datatype.boolean() ? { email: random.internet.email().toLowerCase(), name: random.person.fullName() } : {}),
  }
  const signature = random.string.fromCharacters('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', header.alg === 'ES256' ? 86 : header.alg === 'HS256' ? 43 : 342)
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.${signature}`
}

/** Two to six cookies of the kinds web apps set, as the browser sends them. */
export function browserCookies(random: Faker): string {
  const cookies = random.helpers.arrayElements(COOKIES, { min: 2, max: 6 }).map((cookie) => cookie(random))
  return cookies.join('; ')
}

const digits = (random: Faker, n: number) => random.string.numeric(n)
const hex = (random: Faker, n: number) => random.string.hexadecimal({ length: n, casing: 'lower', prefix: '' })
const b64 = (random: Faker, n: number) => random.string.fromCharacters('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', n)

const COOKIES: readonly ((random: Faker) => string)[] = [
  (r) => `_ga=GA1.1.${digits(r, 10)}.${digits(r, 10)}`,
  (r) => `_ga_${r.string.alphanumeric({ length: 10, casing: 'upper' })}=GS2.1.s${digits(r, 10)}$o${r.number.int({ min: 1, max: 40 })}$g1$t${digits(r, 10)}$j60$l0$h0`,
  (r) => `_gid=GA1.2.${digits(r, 9)}.${digits(r, 10)}`,
  (r) => `_gcl_au=1.1.${digits(r, 10)}.${digits(r, 10)}`,
  (r) => `_fbp=fb.1.${digits(r, 13)}.${digits(r, 18)}`,
  (r) => `ajs_anonymous_id=%22${r.string.uuid()}%22`,
  (r) => `_hjSessionUser_${digits(r, 7)}=${base64url(JSON.stringify({ id: hex(r, 16), created: Number(digits(r, 13)), existing: true }))}`,
  (r) => `intercom-id-${r.string.alphanumeric(8).toLowerCase()}=${r.string.uuid()}`,
  (r) => `__stripe_mid=${r.string.uuid()}${hex(r, 6)}`,
  (r) => `AMCV_${hex(r, 24).toUpperCase()}%40AdobeOrg=179643557%7CMCIDTS%7C20${digits(r, 3)}%7CMCMID%7C${digits(r, 38)}%7CvVersion%7C5.5.0`,
  (r) => `OptanonAlertBoxClosed=2026-1${r.number.int({ min: 0, max: 1 })}-0${r.number.int({ min: 1, max: 9 })}T09:${r.number.int({ min: 10, max: 59 })}:44.123Z`,
  (r) =>
    `OptanonConsent=isGpcEnabled=0&datestamp=Mon+Dec+07+2026+10%3A12%3A01+GMT%2B0100+(Central+European+Standard+Time)&version=202409.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=${r.string.uuid()}&interactionCount=1&isAnonUser=1&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A${r.number.int({ min: 0, max: 1 })}%2CC0003%3A1%2CC0004%3A0&AwaitingReconsent=false`,
  (r) => `CookieConsent={stamp:%27${b64(r, 56)}==%27%2Cnecessary:true%2Cpreferences:${String(r.datatype.boolean())}%2Cstatistics:true%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:${digits(r, 13)}%2Cregion:%27de%27}`,
  (r) => `euconsent-v2=CQ${r.string.fromCharacters('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 120)}.YAAAAAAAAAAA`,
  (r) => `connect.sid=s%3A${r.string.fromCharacters('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 32)}.${b64(r, 43)}`,
  (r) => `JSESSIONID=${hex(r, 32).toUpperCase()}`,
  (r) => `PHPSESSID=${r.string.alphanumeric(26).toLowerCase()}`,
  (r) => `sessionid=${r.string.alphanumeric(32).toLowerCase()}; csrftoken=${r.string.alphanumeric(32)}`,
  (r) => `laravel_session=${base64url(JSON.stringify({ iv: b64(r, 24), value: b64(r, 96), mac: hex(r, 64), tag: '' }))}`,
  (r) => `XSRF-TOKEN=${encodeURIComponent(b64(r, 40))}`,
  (r) => `AWSALB=${b64(r, 120)}; AWSALBCORS=${b64(r, 120)}`,
  (r) => `__cf_bm=${r.string.fromCharacters('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-', 43)}-${digits(r, 10)}-1.0.1.1-${b64(r, 80)}`,
  (r) => `theme=${r.helpers.arrayElement(['dark', 'light', 'system'])}`,
  (r) => `locale=${r.helpers.arrayElement(LOCALES)}`,
  (r) => `tz=${encodeURIComponent(r.helpers.arrayElement(['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'America/Sao_Paulo', 'Asia/Kolkata']))}`,
]
