/**
 * The cost of tracing (issue 25: off, no cost; on at 1 % sampling, ≤ 5 % CPU per request). The
 * same gateway config (one route, the four built-in header policies, so requests have an
 * `onRequest` phase span) runs with tracing off, on at 1 % and on at 100 %, and optionally as
 * another checkout runs it (`--before DIR`: a `git worktree` of the commit before tracing, for
 * "off costs nothing"). Spans are exported to a collector stand-in: the upstream nginx answering
 * `POST /v1/traces` with 200, on the load core with wrk, so the gateway's core measures the
 * gateway alone.
 *
 * Measured side by side, windows taking turns, read as paired ratios (bench/paired-cpu.ts).
 * Usage: node --import tsx bench/tracing.ts [--cycles 10] [--seconds 4] [--warmup 6] [--connections 50] [--only 1%] [--before DIR]
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startPinned, startStaticUpstream, writeGatewayConfig, type Contender } from './harness.js'
import { runPaired } from './paired-cpu.js'

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '6' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string', default: '' },
    before: { type: 'string', default: '' },
  },
})
const cycles = Number(values.cycles)
const seconds = Number(values.seconds)
const warmup = Number(values.warmup)
const connections = Number(values.connections)
const only = values.only.split(',').map((o) => o.trim().toLowerCase()).filter((o) => o !== '')
const PROXY_CORE = 0
const LOAD_CORE = 1
const PATH = '/api/items/42'
const REFERENCE = 'tracing off'

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-tracing-'))
const root = join(import.meta.dirname, '..')
const upstream = await startStaticUpstream(
  dir,
  LOAD_CORE,
  `location / { default_type application/json; return 200 '{"id":42,"item":"keyboard","quantity":1,"ownerId":"alice","status":"shipped"}'; }
    location = /v1/traces { default_type application/json; return 200 '{}'; }`,
  '/',
)
const upstreamUrl = `http://127.0.0.1:${upstream.port}`
const builtin = {
  'request-limits': {},
  'ip-filter': { allow: ['127.0.0.0/8', '::1'] },
  cors: { origins: ['https://app.example'] },
  'security-headers': {},
}

function gatewayConfig(name: string, port: number, sampleRatio: number | null): string {
  const api = { name: 'bench', basePath: '/api', upstream: { url: upstreamUrl }, routes: { 'GET /items/{id}': {} }, policies: builtin }
  // `before` runs a checkout that may not know the `telemetry` section: tracing off writes none.
  const telemetry = sampleRatio === null ? {} : { telemetry: { tracing: { enabled: true, endpoint: `${upstreamUrl}/v1/traces`, sampleRatio, exportIntervalMs: 1000 } } }
  return writeGatewayConfig(dir, name, port, api, true, telemetry)
}

const gateway = (checkout: string, name: string, sampleRatio: number | null): Contender => ({
  name,
  start: (port) => startPinned(name.replace(/[^a-z0-9]+/gi, '-'), PROXY_CORE, join(checkout, 'bin/portcullis.js'), ['start', '-c', gatewayConfig(name.replace(/[^a-z0-9]+/gi, '-'), port, sampleRatio)]),
})

const contenders: Contender[] = [
  gateway(root, REFERENCE, null),
  gateway(root, 'tracing on, 1 % sampled', 0.01),
  gateway(root, 'tracing on, 100 % sampled', 1),
  ...(values.before === '' ? [] : [gateway(values.before, `before tracing (${values.before})`, null)]),
]
const chosen = contenders.filter((c) => c.name === REFERENCE || only.length === 0 || only.some((o) => c.name.toLowerCase().includes(o)))

try {
  await runPaired({ label: 'tracing', contenders: chosen, reference: REFERENCE, path: PATH, cycles, seconds, warmup, connections, loadCore: LOAD_CORE })
} finally {
  await upstream.process.stop()
}
