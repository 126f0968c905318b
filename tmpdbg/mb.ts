import { createAccessLog } from '../src/observability/access-log.js'
import { createLoggers } from '../src/observability/logger.js'
const { accessSink } = createLoggers({ level: 'info', destination: '/tmp/prof/mb.log' })
const log = createAccessLog(accessSink)
const entry = { requestId: '0b8f3c3e-5a7e-4a55-9b1e-1c2d3e4f5a6b', client: '127.0.0.1', method: 'GET', api: 'bench', route: '/items/{id}', status: 200, bytesIn: 0, bytesOut: 250, durationMs: 1.234, upstreamMs: 0.987, policy: null, code: null, upstream: 'http://127.0.0.1:18500', protocol: '1.1' }
for (let round = 0; round < 3; round++) {
  const n = 300000
  const t0 = process.cpuUsage()
  const w0 = performance.now()
  for (let i = 0; i < n; i++) log(entry)
  const t1 = process.cpuUsage(t0)
  console.log(`round ${round}: ${((t1.user + t1.system) / n).toFixed(2)} µs CPU/line, wall ${((performance.now() - w0) * 1000 / n).toFixed(2)} µs`)
  await new Promise((r) => setTimeout(r, 200))
}
process.exit(0)
