/**
 * A/B of proxy cost for small changes: every contender is started once and warmed, then short
 * measured windows take turns (the order rotating each cycle), so slow drifts of this noisy
 * machine hit all contenders alike. Prints, per contender, the median and best CPU µs per
 * request and the median of its per-cycle ratio to the first contender (the paired ratio, the
 * figure to trust), for total and for user-space CPU.
 * Usage: node --import tsx bench/ab.ts [--cycles 8] [--seconds 4] [--only floor,gateway]
 *        [--other DIR]   (DIR: another checkout with node_modules, e.g. a `git worktree` of main)
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { cpuTimes, freePort, nginxConfig, startPinned, waitForHttp, wrk, writeGatewayConfig, type Started } from './harness.js'

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '4' },
    only: { type: 'string', default: '' },
    other: { type: 'string', default: '' },
  },
})
const cycles = Number(values.cycles)
const seconds = Number(values.seconds)
const only = values.only.split(',').filter((name) => name !== '')
const PROXY_CORE = 0
const LOAD_CORE = 1
const PATH = '/api/items/42'

function median(list: readonly number[]): number {
  const sorted = [...list].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-ab-'))
const upstreamPort = await freePort()
const upstream = startPinned('upstream-nginx', LOAD_CORE, 'nginx', ['-c', nginxConfig(dir, 'upstream', upstreamPort, null)])
await waitForHttp(`http://127.0.0.1:${upstreamPort}/`)
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`
const root = join(import.meta.dirname, '..')
const node = process.execPath
const gatewayConfig = (name: string, port: number, access: boolean) =>
  writeGatewayConfig(dir, name, port, { name: 'bench', basePath: '/api', upstream: { url: upstreamUrl }, routes: { 'GET /items/{id}': {} }, policies: {} }, access)

const contenders: { name: string; start: (port: number) => Started }[] = [
  { name: 'floor', start: (port) => startPinned('floor', PROXY_CORE, node, ['--import', 'tsx', join(root, 'bench/peers/bare-proxy.ts'), String(port), upstreamUrl]) },
  { name: 'dispatch-floor', start: (port) => startPinned('dispatch-floor', PROXY_CORE, node, ['--import', 'tsx', join(root, 'bench/peers/bare-dispatch-proxy.ts'), String(port), upstreamUrl]) },
  { name: 'gateway', start: (port) => startPinned('gateway', PROXY_CORE, join(root, 'bin/portcullis.js'), ['start', '-c', gatewayConfig('gateway', port, true)]) },
  { name: 'gateway-nolog', start: (port) => startPinned('gateway-nolog', PROXY_CORE, join(root, 'bin/portcullis.js'), ['start', '-c', gatewayConfig('gateway-nolog', port, false)]) },
  ...(values.other === '' ? [] : [{ name: 'other', start: (port: number) => startPinned('other', PROXY_CORE, join(values.other, 'bin/portcullis.js'), ['start', '-c', gatewayConfig('other', port, true)]) }]),
]
const chosen = contenders.filter((c) => only.length === 0 || only.includes(c.name))

const running: { name: string; url: string; process: Started; total: number[]; user: number[] }[] = []
try {
  for (const contender of chosen) {
    const port = await freePort()
    const started = contender.start(port)
    running.push({ name: contender.name, url: `http://127.0.0.1:${port}${PATH}`, process: started, total: [], user: [] })
    await waitForHttp(`http://127.0.0.1:${port}${PATH}`)
  }
  // The JIT takes seconds here; warm-up is not measured.
  for (const r of running) await wrk(r.url, { seconds: 6, connections: 50, core: LOAD_CORE })
  for (let cycle = 0; cycle < cycles; cycle++) {
    for (let k = 0; k < running.length; k++) {
      const r = running[(k + cycle) % running.length] as (typeof running)[number]
      const before = cpuTimes(r.process.pid)
      const result = await wrk(r.url, { seconds, connections: 50, core: LOAD_CORE })
      const after = cpuTimes(r.process.pid)
      r.total.push(((after.user + after.system - before.user - before.system) * 1e6) / result.requests)
      r.user.push(((after.user - before.user) * 1e6) / result.requests)
    }
    process.stderr.write(`cycle ${cycle + 1}: ${running.map((r) => `${r.name} ${(r.total.at(-1) ?? 0).toFixed(1)}`).join('  ')}\n`)
  }
  const base = running[0]
  for (const r of running) {
    const paired = r.total.map((value, i) => value / (base?.total[i] ?? Number.NaN))
    const pairedUser = r.user.map((value, i) => value / (base?.user[i] ?? Number.NaN))
    process.stdout.write(
      `${r.name.padEnd(16)} CPU µs/req median ${median(r.total).toFixed(1)}, best ${Math.min(...r.total).toFixed(1)}; ` +
        `paired ratio to ${base?.name ?? '?'} ${median(paired).toFixed(3)} (user space ${median(pairedUser).toFixed(3)})\n`,
    )
  }
} finally {
  for (const r of running) await r.process.stop()
  await upstream.stop()
}
