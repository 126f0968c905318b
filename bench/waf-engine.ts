/**
 * The WAF engine alone, in process: time per transaction (phases 1–2) of the OWASP CRS at a
 * paranoia level on a typical GET and a 1 KB JSON POST — the number to watch when changing the
 * engine (the gateway bench adds the proxy around it).
 * Usage: node --import tsx bench/waf-engine.ts [--paranoia 1] [--count 5000] [--rounds 5] [--crs DIR]
 * (DIR: a CRS release, or Debian's /usr/share/modsecurity-crs)
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { crsSettings } from '../src/policies/waf/index.js'
import { WafTransaction, type ArgumentInspection } from '../src/waf/engine.js'
import { isHighConfidence } from '../src/policies/waf/argument-sources.js'
import { loadRuleSet } from '../src/waf/rule-set.js'
import { findCrs } from '../src/policies/waf/crs-layout.js'

const { values } = parseArgs({
  options: { paranoia: { type: 'string', default: '1' }, count: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '5' }, crs: { type: 'string', default: resolve(import.meta.dirname, '../../shared/crs/v4.28.0') } },
})
const settings = { paranoia: Number(values.paranoia), anomalyThreshold: 5, allowedMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], allowedContentTypes: ['application/json', 'application/x-www-form-urlencoded'] }
// A CRS release directory or Debian's package (/usr/share/modsecurity-crs: CRS 3.3), as the policy finds them.
const crs = findCrs(values.crs)
const ruleSet = loadRuleSet([...crs.setup.map((file) => ({ file })), { text: crsSettings(settings, crs.major), name: 'settings' }, ...crs.rules.map((file) => ({ file }))], { pcre: crs.major === 3 })
const headers: [string, string][] = [['Host', 'api.example.com'], ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36'], ['Accept', 'application/json'], ['Connection', 'keep-alive']]
const order = { customer: 'c-123', items: Array.from({ length: 8 }, (_, i) => ({ sku: `SKU-${1000 + i}`, qty: i + 1, price: 19.99, note: 'gift wrap please' })), shipping: { street: '1 Main Street', city: 'Lyon', postcode: '69001', country: 'FR' }, notes: 'leave at the door' }
const body = Buffer.from(JSON.stringify(order))
const API_KEY = 'pcl_odcakrfccpp7_K7tWTYpgZgOS6hVhpsnp-A3uei3wQJlcgwDFDEm0GgY'
const TYPED_ID: ArgumentInspection = { levelOf: (collection, key) => (collection === 'ARGS_PATH' && key === 'id' ? 'skip' : 'all'), isHighConfidence }
// The engine remembers misses by value across transactions (src/waf/known-misses.ts): requests
// repeating every value show its cost on repeated values; the "new values" cases change every
// value of the path, query and body per request, and show the cost of checking them all.
let serial = 0
const newOrder = () => {
  serial++
  return Buffer.from(JSON.stringify({ ...order, customer: `c-${serial}`, items: order.items.map((item, i) => ({ ...item, sku: `SKU-${serial}-${i}`, note: `gift wrap please, order ${serial}` })), notes: `leave at the door ${serial}` }))
}
const cases: [string, () => void][] = [
  ['GET /api/items/42?expand=owner', () => run('GET', '/api/items/42?expand=owner', headers, null)],
  ['  the same, new values', () => run('GET', `/api/items/${++serial}?expand=owner${serial}`, headers, null)],
  // What wrk sends in bench/waf.ts: the WAF's fixed cost per request, with almost nothing to inspect.
  ['GET /api/items/42, Host only', () => run('GET', '/api/items/42', [['Host', '127.0.0.1:8080']], null)],
  // bench/pipeline.ts's request as the gateway's policy hands it over: an API key, the path
  // parameter, and the document holding `id` to an integer (schema-aware mode: no rule reads it).
  ['GET /api/items/42, API key, typed id', () => run('GET', '/api/items/42', [['Host', '127.0.0.1:8080'], ['x-api-key', API_KEY]], null, TYPED_ID)],
  ['POST 1 KB JSON', () => run('POST', '/api/orders', [...headers, ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]], body)],
  ['  the same, new values', () => {
    const fresh = newOrder()
    run('POST', '/api/orders', [...headers, ['Content-Type', 'application/json'], ['Content-Length', String(fresh.length)]], fresh)
  }],
]

function run(method: string, uri: string, requestHeaders: [string, string][], requestBody: Buffer | null, inspection?: ArgumentInspection): void {
  const pathArguments: [string, string][] = inspection === undefined ? [] : [['id', '42']]
  const transaction = new WafTransaction(ruleSet, { method, uri, protocol: 'HTTP/1.1', headers: requestHeaders, remoteAddress: '127.0.0.1', pathArguments }, inspection === undefined ? {} : { inspection })
  transaction.processRequestHeaders()
  transaction.processRequestBody(requestBody)
  if (transaction.interruption !== null) throw new Error(`${method} ${uri} was blocked by ${transaction.interruption.ruleId}: the bench must measure passing traffic`)
}

const count = Number(values.count)
const rounds = Number(values.rounds)
for (const [name, fn] of cases) {
  for (let i = 0; i < Math.min(count, 2000); i++) fn()
  // CPU time of this thread, best of the rounds: the figure least disturbed by other work on a shared machine.
  const perRound: number[] = []
  for (let round = 0; round < rounds; round++) {
    const started = process.cpuUsage()
    for (let i = 0; i < count; i++) fn()
    const used = process.cpuUsage(started)
    perRound.push((used.user + used.system) / count)
  }
  perRound.sort((a, b) => a - b)
  process.stdout.write(`${name.padEnd(32)} ${(perRound[0] ?? 0).toFixed(1)} µs CPU per transaction (best of ${rounds}; median ${(perRound[Math.floor(rounds / 2)] ?? 0).toFixed(1)}; CRS ${crs.release} paranoia ${values.paranoia})\n`)
}
