/**
 * OpenAPI validation and masking cost: the plain gateway against `openapi-validation` on a typical
 * 1 KB JSON request (POST, bench/support/post-order.lua) and on a 10 KB JSON response (GET), in
 * `block` and `strip` modes, and `masking` (fields and detectors) on the same response, in
 * interleaved rounds. Validators are compiled when the config loads, never per request.
 * Usage: node --import tsx bench/validation.ts [--rounds 3] [--seconds 8] [--warmup 6] [--connections 50] [--only strip]
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatSummaries, parseBenchArgs, selectContenders, measureInterleaved, startPinned, writeGatewayConfig, startStaticUpstream, type Contender } from './harness.js'

const args = parseBenchArgs()
const PROXY_CORE = 0
const LOAD_CORE = 1
const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-validation-'))
const root = join(import.meta.dirname, '..')
const gateway = join(root, 'bin/portcullis.js')

const address = { street: '1 Main Street', city: 'Lyon', postcode: '69001', country: 'FR' }
const users = Array.from({ length: 40 }, (_, i) => ({ id: i + 1, name: `User ${i}`, email: `user${i}@example.org`, address, tags: ['a', 'b'], internalScore: i * 3.5 }))
writeFileSync(join(dir, 'users.json'), JSON.stringify(users))
const order = { customer: 'c-123', items: Array.from({ length: 8 }, (_, i) => ({ sku: `SKU-${1000 + i}`, qty: i + 1, price: 19.99, note: 'gift wrap please' })), shipping: address, notes: 'leave at the door' }
writeFileSync(join(dir, 'post-order.lua'), `wrk.method = "POST"\nwrk.path = "/api/orders"\nwrk.body = ${JSON.stringify(JSON.stringify(order))}\nwrk.headers["Content-Type"] = "application/json"\n`)
const Address = { type: 'object', required: ['city'], properties: { street: { type: 'string' }, city: { type: 'string' }, postcode: { type: 'string', maxLength: 10 }, country: { type: 'string', minLength: 2, maxLength: 2 } } }
writeFileSync(
  join(dir, 'api.json'),
  JSON.stringify({
    openapi: '3.1.0',
    info: { title: 'bench', version: '1' },
    components: {
      schemas: {
        Address,
        User: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, email: { type: 'string', format: 'email' }, address: { $ref: '#/components/schemas/Address' }, tags: { type: 'array', items: { type: 'string' } } } },
        Order: {
          type: 'object',
          required: ['customer', 'items'],
          properties: {
            customer: { type: 'string' },
            items: { type: 'array', maxItems: 100, items: { type: 'object', required: ['sku', 'qty'], properties: { sku: { type: 'string', pattern: '^SKU-[0-9]+$' }, qty: { type: 'integer', minimum: 1 }, price: { type: 'number' }, note: { type: 'string' } } } },
            shipping: { $ref: '#/components/schemas/Address' },
            notes: { type: 'string' },
          },
        },
      },
    },
    paths: {
      '/users': { get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/User' } } } } } } } },
      '/orders': { post: { requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } }, responses: { '200': { description: 'ok' } } } },
    },
  }),
)
const { port: upstreamPort, process: upstream } = await startStaticUpstream(
  dir,
  LOAD_CORE,
  `location = /users { default_type application/json; alias ${dir}/users.json; }
    location = /orders { default_type application/json; return 200 ''; }`,
  '/users',
)

function contender(name: string, policies: Record<string, unknown>, post: boolean): Contender {
  const slug = name.replace(/[^a-z0-9]+/gi, '-')
  return {
    name,
    ...(post ? { script: join(dir, 'post-order.lua') } : {}),
    start: (port) => {
      const api = { name: 'bench', basePath: '/api', stripBasePath: true, openapi: join(dir, 'api.json'), upstream: { url: `http://127.0.0.1:${upstreamPort}` }, policies }
      return startPinned(slug, PROXY_CORE, gateway, ['start', '-c', writeGatewayConfig(dir, slug, port, api, true, { stores: { data: `sqlite:${join(dir, `${slug}.db`)}` } })])
    },
  }
}
const masking = { fields: [{ name: 'internalScore', strategy: 'drop' }], detect: [{ detector: 'email', strategy: 'partial' }, { detector: 'pan', strategy: 'partial' }] }
const contenders: Contender[] = [
  contender('POST 1 KB, no policies', {}, true),
  contender('POST 1 KB, request validated', { 'openapi-validation': {} }, true),
  contender('GET 10 KB, no policies', {}, false),
  contender('GET 10 KB, response: block', { 'openapi-validation': { response: 'block' } }, false),
  contender('GET 10 KB, response: strip', { 'openapi-validation': { response: 'strip' } }, false),
  contender('GET 10 KB, masking', { masking }, false),
]
const selected = selectContenders(contenders, args.only, (c) => c.name.includes('no policies'))
const options = { ...args, path: '/api/users', loadCore: LOAD_CORE }
process.stderr.write(`bench validation: ${options.rounds} rounds × ${selected.length} configs × ${options.seconds}s, gateway on core ${PROXY_CORE}\n`)
try {
  const summary = await measureInterleaved(selected, options)
  const post = summary.find((s) => s.name === 'POST 1 KB, no policies')?.cpuUsPerRequest ?? Number.NaN
  const get = summary.find((s) => s.name === 'GET 10 KB, no policies')?.cpuUsPerRequest ?? Number.NaN
  process.stdout.write(`\nmedians of ${options.rounds} interleaved rounds, ${options.seconds}s each\n\n${formatSummaries(summary, [{ label: 'POST plain', cpuUsPerRequest: post }, { label: 'GET plain', cpuUsPerRequest: get }])}\n`)
} finally {
  await upstream.stop()
}
