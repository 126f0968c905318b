/**
 * Rate-limit cost: the gateway with no limit against a limit kept in memory and in Redis, for one
 * key (every request counts against the same counter) and for 100,000 keys (a client id header,
 * bench/support/distinct-clients.lua), in interleaved rounds. The limits are high enough that
 * nothing is refused: what is measured is deciding. Redis is a redis-server of the bench's own,
 * pinned with wrk and the nginx upstream on core 1; the gateway runs alone on core 0.
 * Usage: node --import tsx bench/rate-limit.ts [--rounds 3] [--seconds 8] [--warmup 6] [--connections 50] [--only redis]
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatSummaries, parseBenchArgs, selectContenders, freePort, measureInterleaved, nginxConfig, startPinned, waitForHttp, writeGatewayConfig, type Contender } from './harness.js'

const args = parseBenchArgs()
const PROXY_CORE = 0
const LOAD_CORE = 1
const PATH = '/api/items/42'
const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-rl-'))
const root = join(import.meta.dirname, '..')
const gateway = join(root, 'bin/portcullis.js')

const upstreamPort = await freePort()
const redisPort = await freePort()
const upstream = startPinned('upstream-nginx', LOAD_CORE, 'nginx', ['-c', nginxConfig(dir, 'upstream', upstreamPort, null)])
const redis = startPinned('redis', LOAD_CORE, 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'])
await waitForHttp(`http://127.0.0.1:${upstreamPort}/`)
for (let i = 0; i < 100 && !spawnSync('redis-cli', ['-p', String(redisPort), 'PING'], { encoding: 'utf8' }).stdout.includes('PONG'); i++) await new Promise((r) => setTimeout(r, 100))

function contender(name: string, counters: string | null, per: string, script?: string): Contender {
  const slug = name.replace(/[^a-z0-9]+/gi, '-')
  return {
    name,
    ...(script === undefined ? {} : { script }),
    start: (port) => {
      const policies = counters === null ? {} : { 'rate-limit': { limits: [{ name: 'rate', per, rate: '1000000/s', burst: 1000000 }] } }
      const api = { name: 'bench', basePath: '/api', upstream: { url: `http://127.0.0.1:${upstreamPort}` }, routes: { 'GET /items/{id}': {} }, policies }
      const stores = { counters: counters ?? 'memory', data: `sqlite:${join(dir, `${slug}.db`)}` }
      const file = writeGatewayConfig(dir, slug, port, api, true, { stores })
      return startPinned(slug, PROXY_CORE, gateway, ['start', '-c', file])
    },
  }
}

const redisUrl = `redis://127.0.0.1:${redisPort}`
const distinct = join(root, 'bench/support/distinct-clients.lua')
const contenders: Contender[] = [
  contender('no limit', null, 'api'),
  contender('memory store, one key', 'memory', 'api'),
  contender('memory store, 100k keys', 'memory', 'header:x-client', distinct),
  contender('Redis store, one key', redisUrl, 'api'),
  contender('Redis store, 100k keys', redisUrl, 'header:x-client', distinct),
]
const selected = selectContenders(contenders, args.only, (c) => c.name === 'no limit')
const options = { ...args, path: PATH, loadCore: LOAD_CORE }

process.stderr.write(`bench rate-limit: ${options.rounds} rounds × ${selected.length} configs × ${options.seconds}s, ${options.connections} connections, gateway on core ${PROXY_CORE}\n`)
try {
  const summary = await measureInterleaved(selected, options)
  const table = formatSummaries(summary, [{ label: 'no limit', cpuUsPerRequest: summary[0]?.cpuUsPerRequest ?? Number.NaN }])
  process.stdout.write(`\nmedians of ${options.rounds} interleaved rounds, ${options.seconds}s each, ${options.connections} connections, GET ${PATH}\n\n${table}\n`)
} finally {
  await redis.stop()
  await upstream.stop()
}
