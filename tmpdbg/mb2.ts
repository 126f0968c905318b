import { formatAccessLine } from '../src/observability/access-log.js'
const entry = { requestId: '0b8f3c3e-5a7e-4a55-9b1e-1c2d3e4f5a6b', client: '127.0.0.1', method: 'GET', api: 'bench', route: '/items/{id}', status: 200, bytesIn: 0, bytesOut: 250, durationMs: 1.234, upstreamMs: 0.987, policy: null, code: null, upstream: 'http://127.0.0.1:18500', protocol: '1.1' }
let keep = 0
for (let round = 0; round < 3; round++) {
  const n = 300000
  const t0 = process.cpuUsage()
  for (let i = 0; i < n; i++) keep += formatAccessLine(entry, '2026-11-29T12:00:00.000Z', 1).length
  const t1 = process.cpuUsage(t0)
  console.log(`format: ${((t1.user + t1.system) / n).toFixed(2)} µs`)
}
const { createWriteStream, openSync, writeSync } = await import('node:fs')
const fd = openSync('/tmp/prof/mb2.log', 'a')
let buf = ''
const line = formatAccessLine(entry, '2026-11-29T12:00:00.000Z', 1)
const t0 = process.cpuUsage()
for (let i = 0; i < 300000; i++) { buf += line; if (buf.length > 16000) { writeSync(fd, buf); buf = '' } }
const t1 = process.cpuUsage(t0)
console.log(`concat+writeSync: ${((t1.user + t1.system) / 300000).toFixed(2)} µs`, keep > 0)
