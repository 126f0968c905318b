/**
 * Proxy benchmark: the gateway (no policies; built-in policies on) against the floors (bare
 * node:http + undici `pool.stream()`, and the same on `pool.dispatch()`), @fastify/http-proxy,
 * fast-gateway and nginx, in interleaved rounds.
 * Each proxy runs pinned to core 0; wrk and the upstream (nginx serving static JSON) share core 1.
 * Usage: node --import tsx bench/run.ts [--rounds 3] [--seconds 8] [--warmup 6] [--connections 50] [--only floor,portcullis]
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatSummaries, parseBenchArgs, selectContenders, freePort, measureInterleaved, nginxConfig, startPinned, waitForHttp, writeGatewayConfig, type Contender, type Summary } from './harness.js'

const args = parseBenchArgs()
const { rounds, seconds, connections, warmup } = args
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

const contenders: Contender[] = [
  { name: 'floor (node:http + undici)', start: (port) => startPinned('floor', PROXY_CORE, node, [...tsx, join(root, 'bench/peers/bare-proxy.ts'), String(port), upstreamUrl]) },
  {
    name: 'floor, young generation as the gateway',
    start: (port) => startPinned('floor-semi', PROXY_CORE, node, [YOUNG_GENERATION, ...tsx, join(root, 'bench/peers/bare-proxy.ts'), String(port), upstreamUrl]),
  },
  { name: 'floor, undici dispatch', start: (port) => startPinned('floor-dispatch', PROXY_CORE, node, [...tsx, join(root, 'bench/peers/bare-dispatch-proxy.ts'), String(port), upstreamUrl]) },
  { name: 'portcullis (no policies)', start: (port) => startPinned('portcullis', PROXY_CORE, gateway, ['start', '-c', portcullisConfig('plain', port, {})]) },
  { name: 'portcullis (no policies, no access log)', start: (port) => startPinned('portcullis-nolog', PROXY_CORE, gateway, ['start', '-c', portcullisConfig('nolog', port, {}, false)]) },
  { name: 'portcullis (built-in policies)', start: (port) => startPinned('portcullis-policies', PROXY_CORE, gateway, ['start', '-c', portcullisConfig('policies', port, builtin)]) },
  { name: '@fastify/http-proxy', start: (port) => startPinned('fastify', PROXY_CORE, node, [...tsx, join(root, 'bench/peers/fastify-proxy.ts'), String(port), upstreamUrl]) },
  { name: 'fast-gateway', start: (port) => startPinned('fast-gateway', PROXY_CORE, node, [...tsx, join(root, 'bench/peers/fast-gateway.ts'), String(port), upstreamUrl]) },
  { name: 'nginx (proxy)', start: (port) => startPinned('nginx-proxy', PROXY_CORE, 'nginx', ['-c', nginxConfig(dir, `proxy-${port}`, port, upstreamPort)]) },
]

const selected = selectContenders(contenders, args.only)

process.stderr.write(`bench: ${rounds} rounds × ${selected.length} proxies × ${seconds}s, ${connections} connections, proxy on core ${PROXY_CORE}\n`)
let summary: Summary[]
try {
  summary = await measureInterleaved(selected, { rounds, seconds, warmup, connections, path: PATH, loadCore: LOAD_CORE })
} finally {
  await upstream.stop()
}

const cpuOf = (name: string): number => summary.find((s) => s.name === name)?.cpuUsPerRequest ?? Number.NaN
const table = formatSummaries(summary, [
  { label: 'floor', cpuUsPerRequest: cpuOf('floor (node:http + undici)') },
  { label: 'dispatch floor', cpuUsPerRequest: cpuOf('floor, undici dispatch') },
  { label: 'nginx', cpuUsPerRequest: cpuOf('nginx (proxy)') },
])
process.stdout.write(`\nmedians of ${rounds} interleaved rounds, ${seconds}s each, ${connections} connections, GET ${PATH}\n\n${table}\n`)
