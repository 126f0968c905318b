/**
 * How a client puts a value into each part of a request (scripts/waf-attack-corpus.ts): path and
 * query values percent-encoded with encodeURIComponent, form bodies as
 * application/x-www-form-urlencoded, JSON with JSON.stringify, multipart bodies with a boundary
 * in the client's own style, cookies as `name=value` (URL-encoded when the value holds what a
 * cookie cannot), and headers only with what an HTTP client can send (no CR, LF or other control
 * character: those are percent-encoded, as a client must). And the headers real clients send:
 * their User-Agent, Accept, a bearer token, a request id.
 */
import type { Rng } from './waf-attack-random.js'

/** What goes in: a string, or a NoSQL operator (see Payload.operator). */
export type Placed = { kind: 'string'; text: string; urlText?: string } | { kind: 'operator'; json: unknown; suffix: string; value: string }

export interface Client {
  userAgent: string
  accept: string
  acceptEncoding?: string
  jsonType: string
  boundary(rng: Rng): string
}

const digits = (rng: Rng, n: number) => rng.digits(n)

/** Real clients as they identify themselves, with their multipart boundaries. */
export const CLIENTS: readonly Client[] = [
  { userAgent: 'curl/8.5.0', accept: '*/*', jsonType: 'application/json', boundary: (rng) => `------------------------${rng.hex(16)}` },
  { userAgent: 'python-requests/2.31.0', accept: '*/*', acceptEncoding: 'gzip, deflate', jsonType: 'application/json', boundary: (rng) => rng.hex(32) },
  { userAgent: 'okhttp/4.12.0', accept: 'application/json', acceptEncoding: 'gzip', jsonType: 'application/json; charset=utf-8', boundary: (rng) => rng.uuid() },
  { userAgent: 'axios/1.6.8', accept: 'application/json, text/plain, */*', acceptEncoding: 'gzip, compress, deflate, br', jsonType: 'application/json', boundary: (rng) => `--------------------------${digits(rng, 24)}` },
  { userAgent: 'Go-http-client/1.1', accept: 'application/json', acceptEncoding: 'gzip', jsonType: 'application/json', boundary: (rng) => rng.hex(60) },
  { userAgent: 'PostmanRuntime/7.37.0', accept: '*/*', acceptEncoding: 'gzip, deflate, br', jsonType: 'application/json', boundary: (rng) => `--------------------------${digits(rng, 24)}` },
  { userAgent: 'Java-http-client/17.0.10', accept: 'application/json', jsonType: 'application/json', boundary: (rng) => rng.uuid() },
  { userAgent: 'node', accept: '*/*', acceptEncoding: 'gzip, deflate', jsonType: 'application/json', boundary: (rng) => `----formdata-undici-0${digits(rng, 11)}` },
  {
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    accept: 'application/json, text/plain, */*',
    acceptEncoding: 'gzip, deflate, br, zstd',
    jsonType: 'application/json',
    boundary: (rng) => `----WebKitFormBoundary${rng.alnum(16)}`,
  },
  { userAgent: 'Dart/3.3 (dart:io)', accept: 'application/json', acceptEncoding: 'gzip', jsonType: 'application/json; charset=utf-8', boundary: (rng) => `dart-http-boundary-${rng.alnum(49)}` },
]

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')

/** A token shaped like an RS256 JWT from an identity provider (its signature random: the gateway under test verifies none). */
export function bearerToken(rng: Rng, audience: string): string {
  const now = 1_767_225_600 + rng.int(30_000_000)
  const header = { alg: 'RS256', typ: 'JWT', kid: rng.hex(16) }
  const claims = { iss: 'https://auth.example.com/', sub: rng.uuid(), aud: audience, iat: now, exp: now + 3600, scope: rng.pick(['read', 'read write', 'openid profile email', 'api:read api:write']), azp: rng.alnum(20) }
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.${base64url(Buffer.from(Array.from({ length: 256 }, () => rng.int(256))))}`
}

/** The headers every request of a client carries (the placement may replace the User-Agent). */
export function clientHeaders(client: Client, rng: Rng, audience: string): [string, string][] {
  const headers: [string, string][] = [
    ['user-agent', client.userAgent],
    ['accept', client.accept],
  ]
  if (client.acceptEncoding !== undefined) headers.push(['accept-encoding', client.acceptEncoding])
  headers.push(['authorization', `Bearer ${bearerToken(rng, audience)}`], ['x-request-id', rng.uuid()])
  return headers
}

/** A value in a path segment or query string, as encodeURIComponent writes it (text meant for a URL as it is stays so, with `/?#&` encoded). */
export function urlComponent(placed: Placed & { kind: 'string' }): string {
  if (placed.urlText !== undefined) return placed.urlText.replace(/[/?#&\s]/g, (c) => encodeURIComponent(c))
  return encodeURIComponent(placed.text)
}

/** application/x-www-form-urlencoded, as URLSearchParams and browsers write it. */
export function formComponent(text: string): string {
  return new URLSearchParams([['', text]]).toString().slice(1)
}

/** A header value a client can send: control characters and non-ASCII percent-encoded. */
export function headerValue(text: string): string {
  return text.replace(/[^\x20-\x7e\t]+/g, (run) => encodeURIComponent(run))
}

/** A cookie value as browsers and clients write one: URL-encoded when it holds `;`, `,`, spaces, quotes or non-ASCII. */
export function cookieValue(text: string): string {
  return /[;,\s"\\]|[^\x21-\x7e]/.test(text) ? encodeURIComponent(text) : text
}

/** A multipart field name as HTML's form encoding writes it: `"` as %22, CR and LF as %0D and %0A. */
function multipartName(name: string): string {
  return name.replaceAll('"', '%22').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
}

export interface MultipartPart {
  name: string
  value: string
  file?: { filename: string; type: string }
}

export function multipartBody(parts: readonly MultipartPart[], boundary: string): string {
  const out: string[] = []
  for (const part of parts) {
    const disposition = `Content-Disposition: form-data; name="${multipartName(part.name)}"${part.file === undefined ? '' : `; filename="${multipartName(part.file.filename)}"`}`
    out.push(`--${boundary}\r\n${disposition}\r\n${part.file === undefined ? '' : `Content-Type: ${part.file.type}\r\n`}\r\n${part.value}\r\n`)
  }
  return `${out.join('')}--${boundary}--\r\n`
}

/** Header names a client sets itself or the attack must not take over. */
export const RESERVED_HEADERS = new Set(['host', 'content-type', 'content-length', 'accept', 'authorization', 'cookie', 'connection', 'transfer-encoding', 'expect', 'te', 'upgrade', 'keep-alive', 'proxy-authorization', 'x-request-id'])

/** Where attacks in headers go when the operation declares none: what scanners and exploits use. */
export const FALLBACK_HEADERS = ['user-agent', 'user-agent', 'referer', 'referer', 'x-forwarded-for', 'x-forwarded-host', 'x-api-version', 'x-correlation-id', 'accept-language', 'origin', 'x-client-version']

/** Cookies an API client plausibly carries, for an attack when the operation declares none. */
export const FALLBACK_COOKIES = ['session', 'lang', 'theme', 'prefs', 'cart', 'tracking_id', 'remember_me', 'redirect_to', 'last_search', 'user', 'locale', 'ab_test']
