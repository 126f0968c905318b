/**
 * Scale of config: load time with 10,000 routes, how long a reload blocks the event loop,
 * per-request cost with 10,000 routes against 10, and latency while reloading under load.
 * Usage: node --import tsx bench/scale.ts [--routes 10000] [--rounds 3] [--seconds 8] [--only load,reload,cpu,latency]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createConfigLoader } from '../src/config/load-config.js'
import { startGateway } from '../src/gateway.js'
import { builtinPolicies } from '../src/policies/index.js'
import { buildRuntime, compileOnlyDeps } from '../src/server/runtime.js'
import { cpuSeconds, freePort, median, nginxConfig, startPinned, waitForHttp, wrk, writeGatewayConfig, type WrkResult } from './harness.js'

const { values } = parseArgs({
  options: { routes: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '8' }, only: { type: 'string', default: '' } },
})
const want = (phase: string) => values.only === '' || values.only.split(',').includes(phase)
const ROUTES = Number(values.routes)
const rounds = Number(values.rounds)
const seconds = Number(values.seconds)
const dir = mkdtempSync(join(tmpdir(), 'portcullis-scale-'))
const root = join(import.meta.dirname, '..')

/** An OpenAPI document with `count` operations: GET /r{i}/items/{id}. */
function writeSpec(count: number): string {
  const paths: Record<string, unknown> = {}
  for (let i = 0; i < count; i++) paths[`/r${i}/items/{id}`] = { get: { operationId: `get${i}`, responses: { '200': { description: 'ok' } } } }
  const file = join(dir, `spec-${count}.json`)
  writeFileSync(file, JSON.stringify({ openapi: '3.1.0', info: { title: 'scale', version: '1' }, paths }))
  return file
}

/** The large API, and with `revision` a small second API whose config differs per revision. */
function writeConfig(name: string, port: number, upstream: string, spec: string, revision?: number): string {
  const api = { name: 'scale', basePath: '/api', openapi: spec, upstream: { url: upstream }, policies: { 'security-headers': {} } }
  const side = { name: 'side', basePath: '/side', upstream: { url: upstream }, policies: { cors: { origins: [`https://app${revision ?? 0}.example`] } } }
  return writeGatewayConfig(dir, name, port, api, true, revision === undefined ? {} : { apis: [api, side] })
}

const small = writeSpec(10)
const large = writeSpec(ROUTES)

// 1. Load and compile time, in process (what a reload costs), median of 5.
const loadTimes: number[] = []
for (let i = 0; i < (want('load') ? 5 : 0); i++) {
  const file = writeConfig('load', 1, 'http://127.0.0.1:9', large)
  const started = performance.now()
  const loaded = createConfigLoader(builtinPolicies).load(file)
  const runtime = buildRuntime(loaded, compileOnlyDeps(builtinPolicies, pino({ level: 'silent' })), null)
  loadTimes.push(performance.now() - started)
  for (const upstream of runtime.upstreams.values()) await upstream.destroy()
}
if (want('load')) process.stdout.write(`load + validate + compile, ${ROUTES} routes: median ${median(loadTimes).toFixed(0)} ms (of ${loadTimes.map((t) => t.toFixed(0)).join(', ')})\n`)

// 2. How long a reload blocks the event loop (parsing runs on the worker thread), in process.
if (want('reload')) {
  const gateway = await startGateway({ configFile: writeConfig('reload', 0, 'http://127.0.0.1:9', large) })
  await sleep(2000)
  const stalls: number[] = []
  const durations: number[] = []
  for (let i = 0; i < 5; i++) {
    const delay = monitorEventLoopDelay({ resolution: 1 })
    delay.enable()
    const started = performance.now()
    await gateway.reload()
    durations.push(performance.now() - started)
    delay.disable()
    stalls.push(delay.max / 1e6)
  }
  await gateway.stop()
  process.stdout.write(`reload, ${ROUTES} routes: median ${median(durations).toFixed(0)} ms end to end, longest event-loop stall median ${median(stalls).toFixed(0)} ms (max ${Math.max(...stalls).toFixed(0)} ms)\n`)
}

// 3. Per-request cost, 10 routes against ROUTES routes, interleaved.
const upstreamPort = await freePort()
const upstream = startPinned('upstream-nginx', 1, 'nginx', ['-c', nginxConfig(dir, 'upstream', upstreamPort, null)])
await waitForHttp(`http://127.0.0.1:${upstreamPort}/`)
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`

async function measure(spec: string, path: string, during?: (pid: number, configFile: string) => Promise<void>): Promise<WrkResult & { cpuUs: number; reloadsApplied: number }> {
  const port = await freePort()
  const configFile = writeConfig(`gw-${port}`, port, upstreamUrl, spec)
  const gateway = startPinned('portcullis', 0, join(root, 'bin/portcullis.js'), ['start', '-c', configFile])
  try {
    const url = `http://127.0.0.1:${port}${path}`
    await waitForHttp(url, 60000)
    await wrk(url, { seconds: 6, connections: 50, core: 1 })
    const before = cpuSeconds(gateway.pid)
    const [result] = await Promise.all([wrk(url, { seconds, connections: 50, core: 1 }), during?.(gateway.pid, configFile)])
    const cpuUs = ((cpuSeconds(gateway.pid) - before) * 1e6) / result.requests
    const log = readFileSync(join(dir, `gw-${port}.log`), 'utf8')
    return { ...result, cpuUs, reloadsApplied: log.split('\n').filter((line) => line.includes('"config reloaded"')).length }
  } finally {
    await gateway.stop()
  }
}

const smallCpu: number[] = []
const largeCpu: number[] = []
try {
  for (let round = 0; round < (want('cpu') ? rounds : 0); round++) {
    const a = await measure(small, '/api/r5/items/42')
    const b = await measure(large, `/api/r${Math.floor(ROUTES / 2)}/items/42`)
    smallCpu.push(a.cpuUs)
    largeCpu.push(b.cpuUs)
    process.stderr.write(`round ${round + 1}: 10 routes ${a.cpuUs.toFixed(1)} µs/req, ${ROUTES} routes ${b.cpuUs.toFixed(1)} µs/req\n`)
  }
  const ratio = median(largeCpu) / median(smallCpu)
  if (want('cpu')) process.stdout.write(`CPU per request: 10 routes ${median(smallCpu).toFixed(1)} µs, ${ROUTES} routes ${median(largeCpu).toFixed(1)} µs (× ${ratio.toFixed(3)})\n`)

  // 4. Latency under load, without and with a reload (SIGHUP) every second.
  if (!want('latency')) process.exit(0)
  const path = `/api/r${Math.floor(ROUTES / 2)}/items/42`
  const quiet = await measure(large, path)
  let reloads = 0
  // Each reload changes the small API, so the gateway really loads a different config; the
  // large one is unchanged and its compiled routes are reused.
  const reloading = await measure(large, path, async (pid, configFile) => {
    const port = Number(/gw-(\d+)\.yaml$/.exec(configFile)?.[1])
    const deadline = Date.now() + seconds * 1000 - 500
    for (let i = 1; i <= 60 && Date.now() < deadline; i++) {
      await sleep(1000)
      writeConfig(`gw-${port}`, port, upstreamUrl, large, i)
      process.kill(pid, 'SIGHUP')
      reloads++
    }
  })
  process.stdout.write(
    `under load, ${ROUTES} routes: no reload p50 ${quiet.p50Ms.toFixed(2)} ms p99 ${quiet.p99Ms.toFixed(2)} ms max ${quiet.maxMs.toFixed(1)} ms errors ${quiet.errors}; ` +
      `${reloads} reloads (${reloading.reloadsApplied} applied during the run) p50 ${reloading.p50Ms.toFixed(2)} ms p99 ${reloading.p99Ms.toFixed(2)} ms max ${reloading.maxMs.toFixed(1)} ms errors ${reloading.errors}\n`,
  )
} finally {
  await upstream.stop()
}
