/**
 * Proxy benchmark: the gateway (no policies; built-in policies on) against the floor (bare
 * node:http + undici), @fastify/http-proxy, fast-gateway and nginx, in interleaved rounds.
 * Each proxy runs pinned to core 0; wrk and the upstream (nginx serving static JSON) share core 1.
 * Usage: node --import tsx bench/run.ts [--rounds 3] [--seconds 8] [--warmup 6] [--connections 50] [--only floor,portcullis]
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { cpuSeconds, freePort, median, nginxConfig, startPinned, waitForHttp, wrk, writeGatewayConfig, type Started } from './harness.js'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '6' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string', default: '' },
  },
})
const rounds = Number(values.rounds)
const seconds = Number(values.seconds)
const connections = Number(values.connections)
const warmup = Number(values.warmup)
const PROXY_CORE = 0
const LOAD_CORE = 1
const PATH = '/api/items/42'

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'))
const root = join(import.meta.dirname, '..')
const upstreamPort = await freePort()
const upstream = startPinned('upstream-nginx', LOAD_CORE, 'nginx', ['-c', nginxConfig(dir, 'upstream', upstreamPort, null)])
await waitForHttp(`http://127.0.0.1:${upstreamPort}/`)
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`

function portcullisConfig(name: string, port: number, policies: Record<string, unknown>, access = true): string {
  const api = { name: 'bench', basePath: '/api', upstream: { url: upstreamUrl }, routes: { 'GET /items/{id}': {}, 'POST /items': {} }, policies }
  return writeGatewayConfig(dir, name, port, api, access)
}

const node = process.execPath
const tsx = ['--import', 'tsx']
// The gateway runs as users run it: the bin itself, whose shebang sets V8's young generation.
const gateway = join(root, 'bin/portcullis.js')
const YOUNG_GENERATION = '--max-semi-space-size=64'
const builtin = {
  'request-limits': {},
  'ip-filter': { allow: ['127.0.0.0/8', '::1'] },
  cors: { origins: ['https://app.example'] },
  'security-headers': {},
}

interface Contender {
  name: string
  start(port: number): Started
}
const contenders: Contender[] = [
  { name: 'floor (node:http + undici)', start: (port) => startPinned('floor', PROXY_CORE, node, [...tsx, join(root, 'bench/peers/bare-proxy.ts'), String(port), upstreamUrl]) },
  {
    name: 'floor, young generation as the gateway',
    start: (port) => startPinned('floor-semi', PROXY_CORE, node, [YOUNG_GENERATION, ...tsx, join(root, 'bench/peers/bare-proxy.ts'), String(port), upstreamUrl]),
  },
  { name: 'portcullis (no policies)', start: (port) => startPinned('portcullis', PROXY_CORE, gateway, ['start', '-c', portcullisConfig('plain', port, {})]) },
  { name: 'portcullis (no policies, no access log)', start: (port) => startPinned('portcullis-nolog', PROXY_CORE, gateway, ['start', '-c', portcullisConfig('nolog', port, {}, false)]) },
  { name: 'portcullis (built-in policies)', start: (port) => startPinned('portcullis-policies', PROXY_CORE, gateway, ['start', '-c', portcullisConfig('policies', port, builtin)]) },
  { name: '@fastify/http-proxy', start: (port) => startPinned('fastify', PROXY_CORE, node, [...tsx, join(root, 'bench/peers/fastify-proxy.ts'), String(port), upstreamUrl]) },
  { name: 'fast-gateway', start: (port) => startPinned('fast-gateway', PROXY_CORE, node, [...tsx, join(root, 'bench/peers/fast-gateway.ts'), String(port), upstreamUrl]) },
  { name: 'nginx (proxy)', start: (port) => startPinned('nginx-proxy', PROXY_CORE, 'nginx', ['-c', nginxConfig(dir, `proxy-${port}`, port, upstreamPort)]) },
]

const selected = values.only === '' ? contenders : contenders.filter((c) => values.only.split(',').some((o) => c.name.includes(o)))

interface Sample {
  rps: number
  p50Ms: number
  p99Ms: number
  cpuUsPerRequest: number
  errors: number
}
const samples = new Map<string, Sample[]>(selected.map((c) => [c.name, []]))

process.stderr.write(`bench: ${rounds} rounds × ${selected.length} proxies × ${seconds}s, ${connections} connections, proxy on core ${PROXY_CORE}\n`)
try {
  for (let round = 1; round <= rounds; round++) {
    // Rotate the order each round so no proxy always runs first (or last) on a warming machine.
    const order = selected.map((_, i) => selected[(i + round) % selected.length] as Contender)
    for (const contender of order) {
      const port = await freePort()
      const proxy = contender.start(port)
      const url = `http://127.0.0.1:${port}${PATH}`
      try {
        await waitForHttp(url)
        // JIT warm-up on these machines takes several seconds; it is not measured.
        await wrk(url, { seconds: warmup, connections, core: LOAD_CORE })
        const before = cpuSeconds(proxy.pid)
        const result = await wrk(url, { seconds, connections, core: LOAD_CORE })
        const cpu = cpuSeconds(proxy.pid) - before
        const sample = { rps: result.rps, p50Ms: result.p50Ms, p99Ms: result.p99Ms, cpuUsPerRequest: (cpu * 1e6) / result.requests, errors: result.errors }
        samples.get(contender.name)?.push(sample)
        process.stderr.write(`round ${round} ${contender.name}: ${Math.round(sample.rps)} req/s, ${sample.cpuUsPerRequest.toFixed(1)} µs CPU/req, p99 ${sample.p99Ms.toFixed(2)} ms${sample.errors > 0 ? `, ${sample.errors} errors` : ''}\n`)
      } finally {
        await proxy.stop()
      }
    }
  }
} finally {
  await upstream.stop()
}

const summary = selected.map((c) => {
  const list = samples.get(c.name) ?? []
  return {
    name: c.name,
    rps: median(list.map((s) => s.rps)),
    p50Ms: median(list.map((s) => s.p50Ms)),
    p99Ms: median(list.map((s) => s.p99Ms)),
    cpuUsPerRequest: median(list.map((s) => s.cpuUsPerRequest)),
    errors: list.reduce((n, s) => n + s.errors, 0),
  }
})
const floor = summary[0]?.cpuUsPerRequest ?? Number.NaN
const nginx = summary.find((s) => s.name.startsWith('nginx'))?.cpuUsPerRequest ?? Number.NaN
const lines = [
  `| proxy | req/s | p50 ms | p99 ms | CPU µs/req | × floor | × nginx | errors |`,
  `|---|---|---|---|---|---|---|---|`,
  ...summary.map(
    (s) =>
      `| ${s.name} | ${Math.round(s.rps)} | ${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(2)} | ${s.cpuUsPerRequest.toFixed(1)} | ${(s.cpuUsPerRequest / floor).toFixed(2)} | ${(s.cpuUsPerRequest / nginx).toFixed(2)} | ${s.errors} |`,
  ),
]
process.stdout.write(`\nmedians of ${rounds} interleaved rounds, ${seconds}s each, ${connections} connections, GET ${PATH}\n\n${lines.join('\n')}\n`)
