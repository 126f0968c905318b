/**
 * The cost of tracing (issue 25: off, no cost; on at 1 % sampling, ≤ 5 % CPU per request). The
 * same gateway config (one route, the four built-in header policies, so requests have an
 * `onRequest` phase span) runs with tracing off, on at 1 % and on at 100 %, and optionally as
 * another checkout runs it (`--before DIR`: a `git worktree` of the commit before tracing, for
 * "off costs nothing"). Spans are exported to a collector stand-in: the upstream nginx answering
 * `POST /v1/traces` with 200, on the load core with wrk, so the gateway's core measures the
 * gateway alone.
 *
 * Differences of a few per cent drown in this machine's window-to-window noise (±30 %), so this
 * follows `bench/ab.ts`: every contender is started once and warmed, then measured windows take
 * turns (the order rotating each cycle), and the figure to read is the paired ratio — the median
 * over cycles of a contender's CPU per request divided by the reference's in the same cycle.
 * Usage: node --import tsx bench/tracing.ts [--cycles 10] [--seconds 4] [--warmup 6] [--connections 50] [--only 1%] [--before DIR]
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { cpuTimes, freePort, median, startPinned, startStaticUpstream, waitForHttp, wrk, writeGatewayConfig, type Started } from './harness.js'

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

interface Contender {
  name: string
  start(port: number): Started
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

const running: { name: string; url: string; process: Started; total: number[]; user: number[]; rps: number[] }[] = []
process.stderr.write(`bench tracing: ${cycles} cycles × ${chosen.length} gateways × ${seconds}s, ${connections} connections, gateway on core ${PROXY_CORE}\n`)
try {
  for (const contender of chosen) {
    const port = await freePort()
    const started = contender.start(port)
    const url = `http://127.0.0.1:${port}${PATH}`
    running.push({ name: contender.name, url, process: started, total: [], user: [], rps: [] })
    await waitForHttp(url)
  }
  // The JIT takes seconds here; warm-up is not measured.
  for (const r of running) await wrk(r.url, { seconds: warmup, connections, core: LOAD_CORE })
  for (let cycle = 0; cycle < cycles; cycle++) {
    for (let k = 0; k < running.length; k++) {
      const r = running[(k + cycle) % running.length] as (typeof running)[number]
      const before = cpuTimes(r.process.pid)
      const result = await wrk(r.url, { seconds, connections, core: LOAD_CORE })
      const after = cpuTimes(r.process.pid)
      if (result.errors > 0) process.stderr.write(`${r.name}: ${result.errors} errors\n`)
      r.total.push(((after.user + after.system - before.user - before.system) * 1e6) / result.requests)
      r.user.push(((after.user - before.user) * 1e6) / result.requests)
      r.rps.push(result.rps)
    }
    process.stderr.write(`cycle ${cycle + 1}: ${running.map((r) => `${r.name} ${(r.total.at(-1) ?? 0).toFixed(1)}`).join('  ')}\n`)
  }
  const reference = running.find((r) => r.name === REFERENCE)
  const rows = running.map((r) => {
    const paired = r.total.map((value, i) => value / (reference?.total[i] ?? Number.NaN))
    const pairedUser = r.user.map((value, i) => value / (reference?.user[i] ?? Number.NaN))
    return `| ${r.name} | ${Math.round(median(r.rps))} | ${median(r.total).toFixed(1)} | ${Math.min(...r.total).toFixed(1)} | ${median(paired).toFixed(3)} | ${median(pairedUser).toFixed(3)} |`
  })
  process.stdout.write(
    `\n${cycles} cycles of ${seconds}s windows taking turns, ${connections} connections, GET ${PATH}; paired ratio: median over cycles of CPU per request ÷ ${REFERENCE}'s in the same cycle\n\n` +
      `| gateway | req/s | CPU µs/req (median) | best | paired ratio | user-space paired ratio |\n| --- | --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`,
  )
} finally {
  for (const r of running) await r.process.stop()
  await upstream.process.stop()
}
