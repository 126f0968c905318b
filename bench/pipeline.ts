/**
 * The cost of the whole security pipeline (issue 27): the bare gateway against the same API with
 * every protection on — API key (cached), authorization from the OpenAPI document, rate limit
 * (memory, or Redis shared as across nodes), request validation, the built-in WAF or CRS PL1,
 * security headers, request limits — and each policy alone for the breakdown, in interleaved
 * rounds (bench/harness.ts). Every contender gets the same request with the same API key.
 * The gateway runs alone on core 0; wrk, the upstream nginx (and Redis, wherever it runs) on core 1.
 *
 * `--paired` runs every selected contender at once instead, windows taking turns, and prints
 * each one's CPU per request as a paired ratio to the bare gateway (for A/B of small changes).
 * `--latency` then measures p99 at half the full pipeline's saturation throughput, for the full
 * pipeline and the bare gateway at that same rate (wrk paced by a per-connection delay).
 * `--workers 1,2` measures the full pipeline's throughput (Redis counters) with N workers, gateway
 * and wrk sharing both cores.
 *
 * Usage: node --import tsx bench/pipeline.ts [--rounds 3] [--seconds 8] [--warmup 6] [--connections 50]
 *          [--only full] [--latency] [--paired [--cycles 8]] [--workers 1,2] [--redis redis://127.0.0.1:6379] [--crs ../shared/crs/v4.28.0]
 *        node --import tsx bench/pipeline.ts --paired --only "full pipeline (memory,other" --other /tmp/before   # A/B against another built checkout
 *        node --import tsx bench/pipeline.ts --configs DIR   # writes every contender's config and exits (for profiling)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Management } from '../src/admin/management.js'
import { openDataStore } from '../src/stores/open-data-store.js'
import { runPaired } from './paired-cpu.js'
import { cpuSeconds, formatSummaries, freePort, measureInterleaved, median, parseBenchOptions, selectContenders, startPinned, startStaticUpstream, waitForHttp, wrk, writeGatewayConfig, type Contender, type Summary } from './harness.js'

const { args, values } = parseBenchOptions({
  latency: { type: 'boolean', default: false },
  paired: { type: 'boolean', default: false },
  cycles: { type: 'string', default: '8' },
  workers: { type: 'string', default: '' },
  redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  crs: { type: 'string', default: join(import.meta.dirname, '../../shared/crs/v4.28.0') },
  configs: { type: 'string' },
  other: { type: 'string', default: '' },
})
const { rounds, seconds, warmup, connections, only } = args
const option = (name: string): string => String(values[name] ?? '')
const flag = (name: string): boolean => values[name] === true
const PROXY_CORE = 0
const LOAD_CORE = 1
const PATH = '/api/items/42'
const BARE = 'bare gateway'
const FULL = 'full pipeline (memory counters, built-in WAF)'

const dir = values.configs === undefined ? mkdtempSync(join(tmpdir(), 'portcullis-bench-pipeline-')) : resolve(option('configs'))
mkdirSync(dir, { recursive: true })
const root = join(import.meta.dirname, '..')
const gateway = join(root, 'bin/portcullis.js')

// One consumer and its key in a SQLite data store every contender shares (read once, then cached).
const storeUrl = `sqlite:${join(dir, 'data.db')}`
const store = await openDataStore(storeUrl, dir)
const management = new Management(store)
const by = { actor: 'bench', source: 'bench' }
const consumerId = `bench-${Date.now()}`
await management.createConsumer(by, { id: consumerId, name: 'Bench', scopes: ['items:read'] })
const { key: apiKey } = await management.createKey(by, consumerId, { label: 'bench' })
await store.close()
const headers = { 'x-api-key': apiKey }

// The document: one secured operation with a typed path parameter and a response schema.
const documentPath = join(dir, 'items.json')
writeFileSync(
  documentPath,
  JSON.stringify({
    openapi: '3.1.0',
    info: { title: 'items', version: '1.0.0' },
    components: {
      securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      schemas: {
        Item: {
          type: 'object',
          required: ['id', 'item'],
          properties: { id: { type: 'integer' }, item: { type: 'string', maxLength: 100 }, quantity: { type: 'integer', minimum: 0 }, ownerId: { type: 'string' }, status: { enum: ['pending', 'shipped'] } },
        },
      },
    },
    security: [{ key: ['items:read'] }],
    paths: {
      '/items/{id}': {
        get: {
          operationId: 'getItem',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: 1000000 } }],
          responses: { '200': { description: 'The item', content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } } },
        },
      },
    },
  }),
)

const policies = {
  auth: { methods: ['apiKey'] },
  authz: {},
  'rate-limit': { limits: [{ per: 'consumer', rate: '1000000/s' }] },
  'openapi-validation': {},
  waf: {},
  'security-headers': {},
  'request-limits': {},
} as const
type PolicyName = keyof typeof policies
const crsWaf = { ruleSet: resolve(option('crs')), paranoia: 1 }

const upstream = values.configs === undefined ? await startStaticUpstream(dir, LOAD_CORE, `location / { default_type application/json; return 200 '{"id":42,"item":"keyboard","quantity":1,"ownerId":"alice","status":"shipped"}'; }`, '/') : { port: 1, process: undefined }
const upstreamUrl = `http://127.0.0.1:${upstream.port}`

/** A config with `chosen` policies (the API key's `identity` and `stores` only when auth is on). */
function writeConfig(slug: string, port: number, chosen: Partial<Record<PolicyName, unknown>>, extra: Record<string, unknown> = {}): string {
  const api = { name: 'bench', basePath: '/api', openapi: documentPath, upstream: { url: upstreamUrl }, policies: chosen }
  return writeGatewayConfig(dir, slug, port, api, true, { identity: { apiKeys: { cacheSec: 60 } }, stores: { data: storeUrl }, ...extra })
}

function contender(name: string, chosen: Partial<Record<PolicyName, unknown>>, extra: Record<string, unknown> = {}, core: number | string = PROXY_CORE, bin = gateway): Contender & { slug: string; config: (port: number) => string } {
  const slug = name.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '')
  const config = (port: number) => writeConfig(slug, port, chosen, extra)
  return { name, slug, headers, config, start: (port) => startPinned(slug, core, bin, ['start', '-c', config(port)]) }
}

const alone = (name: PolicyName, extraPolicies: Partial<Record<PolicyName, unknown>> = {}) => contender(`${name} alone`, { ...extraPolicies, [name]: policies[name] })
const contenders = [
  contender(BARE, {}),
  alone('auth'),
  // authz reads the principal; without auth every request would be refused.
  contender('auth + authz', { auth: policies.auth, authz: policies.authz }),
  alone('rate-limit'),
  alone('openapi-validation'),
  alone('waf'),
  alone('security-headers'),
  alone('request-limits'),
  contender(FULL, policies),
  contender('full pipeline, Redis counters', policies, { stores: { data: storeUrl, counters: option('redis') } }),
  contender('full pipeline, CRS PL1', { ...policies, waf: crsWaf }),
  // `--other DIR`: the bare gateway and the full pipeline as another checkout (built) runs them, for A/B of a change.
  ...(option('other') === ''
    ? []
    : [
        contender('bare gateway, other checkout', {}, {}, PROXY_CORE, join(resolve(option('other')), 'bin/portcullis.js')),
        contender('full pipeline, other checkout', policies, {}, PROXY_CORE, join(resolve(option('other')), 'bin/portcullis.js')),
        contender('full pipeline, Redis counters, other checkout', policies, { stores: { data: storeUrl, counters: option('redis') } }, PROXY_CORE, join(resolve(option('other')), 'bin/portcullis.js')),
        contender('full pipeline, CRS PL1, other checkout', { ...policies, waf: crsWaf }, {}, PROXY_CORE, join(resolve(option('other')), 'bin/portcullis.js')),
      ]),
]

if (values.configs !== undefined) {
  const port = 8080
  for (const c of contenders) process.stdout.write(`${c.name}: ${c.config(port)}\n`)
  process.stdout.write(`(port ${port}; upstream expected at ${upstreamUrl} — edit the configs; API key header: x-api-key: ${apiKey})\n`)
  process.exit(0)
}
if (!existsSync(join(resolve(option('crs')), 'rules'))) process.stderr.write(`no CRS at ${option('crs')}: the CRS row will fail (--crs DIR)\n`)

const selected = selectContenders(contenders, only, (c) => c.name === BARE)
const options = { rounds, seconds, warmup, connections, path: PATH, loadCore: LOAD_CORE }
process.stderr.write(`bench pipeline: ${rounds} rounds × ${selected.length} configs × ${seconds}s, ${connections} connections, gateway on core ${PROXY_CORE}\n`)

/** p99 of each contender at `rate` requests per second, wrk pacing each connection with `delay()`. */
async function latencyAt(rate: number, names: readonly string[]): Promise<{ name: string; rps: number; p50Ms: number; p99Ms: number; errors: number }[]> {
  const delayMs = (1000 * connections) / rate
  const script = join(dir, 'paced.lua')
  writeFileSync(script, `-- wrk: each connection waits ${delayMs.toFixed(3)} ms before its next request\ndelay = function() return ${delayMs.toFixed(3)} end\n`)
  const results: { name: string; rps: number; p50Ms: number; p99Ms: number; errors: number }[] = []
  for (const name of names) {
    const c = contenders.find((x) => x.name === name)
    if (c === undefined) continue
    const port = await freePort()
    const proxy = c.start(port)
    const url = `http://127.0.0.1:${port}${PATH}`
    try {
      await waitForHttp(url, 20000, headers)
      await wrk(url, { seconds: warmup, connections, core: LOAD_CORE, headers })
      const samples = []
      for (let round = 0; round < rounds; round++) samples.push(await wrk(url, { seconds, connections, core: LOAD_CORE, headers, script }))
      results.push({ name, rps: median(samples.map((s) => s.rps)), p50Ms: median(samples.map((s) => s.p50Ms)), p99Ms: median(samples.map((s) => s.p99Ms)), errors: samples.reduce((n, s) => n + s.errors, 0) })
      process.stderr.write(`latency ${name}: ${samples.map((s) => `${Math.round(s.rps)} req/s p99 ${s.p99Ms.toFixed(2)} ms`).join(', ')}\n`)
    } finally {
      await proxy.stop()
    }
  }
  return results
}

/** The full pipeline with `workers: N` (the primary and its workers on every core; wrk shares them). */
async function throughputWithWorkers(counts: readonly number[]): Promise<string[]> {
  const lines: string[] = []
  const onBothCores = { connections: connections * 2, core: '0-1', threads: 2, headers }
  for (const count of counts) {
    // Memory counters would count per worker (validation refuses them with workers > 1): Redis for every count.
    const c = contender(`full pipeline, Redis counters, ${count} worker${count === 1 ? '' : 's'}`, policies, { workers: count, stores: { data: storeUrl, counters: option('redis') } }, '0-1')
    const samples: { rps: number; cpuUs: number; p99Ms: number }[] = []
    for (let round = 0; round < rounds; round++) {
      const port = await freePort()
      const proxy = c.start(port)
      const url = `http://127.0.0.1:${port}${PATH}`
      try {
        await waitForHttp(url, 30000, headers)
        // wrk on both cores too, with a thread per core: the generator competes with the gateway.
        await wrk(url, { ...onBothCores, seconds: warmup })
        const before = processTreeCpu(proxy.pid)
        const result = await wrk(url, { ...onBothCores, seconds })
        samples.push({ rps: result.rps, cpuUs: ((processTreeCpu(proxy.pid) - before) * 1e6) / result.requests, p99Ms: result.p99Ms })
      } finally {
        await proxy.stop()
      }
    }
    lines.push(`| ${c.name} | ${Math.round(median(samples.map((s) => s.rps)))} | ${median(samples.map((s) => s.p99Ms)).toFixed(2)} | ${median(samples.map((s) => s.cpuUs)).toFixed(1)} |`)
    process.stderr.write(`${lines.at(-1)}\n`)
  }
  return lines
}

/** CPU seconds of a process and its children (the primary and its workers). */
function processTreeCpu(pid: number): number {
  let total = cpuSeconds(pid)
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) total += processTreeCpu(Number(child))
  } catch {
    // exited
  }
  return total
}

let summary: Summary[] = []
try {
  if (flag('paired')) {
    // Every contender up at once, windows taking turns: the paired ratio to the bare gateway (bench/paired-cpu.ts).
    await runPaired({ label: 'pipeline', contenders: selected, reference: BARE, path: PATH, cycles: Number(option('cycles')), seconds, warmup, connections, loadCore: LOAD_CORE })
  }
  // `--workers` alone measures only the workers' throughput.
  if (!flag('paired') && (option('workers') === '' || flag('latency') || only.length > 0)) summary = await measureInterleaved(selected, options)
  const bareCpu = summary.find((s) => s.name === BARE)?.cpuUsPerRequest ?? Number.NaN
  const bareRps = summary.find((s) => s.name === BARE)?.rps ?? Number.NaN
  if (summary.length > 0) {
    const table = formatSummaries(summary, [{ label: 'bare', cpuUsPerRequest: bareCpu }])
    const shares = summary.map((s) => `| ${s.name} | ${(s.rps / bareRps).toFixed(2)} |`).join('\n')
    process.stdout.write(`\nmedians of ${rounds} interleaved rounds, ${seconds}s each, ${connections} connections, GET ${PATH} with an API key\n\n${table}\n\n| configuration | share of bare throughput |\n| --- | --- |\n${shares}\n`)
  }
  if (flag('latency')) {
    const full = summary.find((s) => s.name === FULL)
    if (full === undefined) throw new Error('--latency needs the full pipeline row (do not leave it out with --only)')
    const rate = full.rps / 2
    const results = await latencyAt(rate, [BARE, FULL])
    process.stdout.write(
      `\np99 at ${Math.round(rate)} req/s (half the full pipeline's saturation), ${connections} paced connections, medians of ${rounds} runs of ${seconds}s\n\n| gateway | req/s | p50 ms | p99 ms | errors |\n| --- | --- | --- | --- | --- |\n${results.map((r) => `| ${r.name} | ${Math.round(r.rps)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.errors} |`).join('\n')}\n`,
    )
  }
  if (option('workers') !== '') {
    const counts = option('workers').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0)
    const lines = await throughputWithWorkers(counts)
    process.stdout.write(`\nfull pipeline with workers, gateway and wrk (2 threads, ${connections * 2} connections) sharing cores 0-1, medians of ${rounds} runs of ${seconds}s\n\n| configuration | req/s | p99 ms | CPU µs/req (primary + workers) |\n| --- | --- | --- | --- |\n${lines.join('\n')}\n`)
  }
} finally {
  await upstream.process?.stop()
}
