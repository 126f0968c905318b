/**
 * The cost of detection (issue 25: ≤ 10 % CPU per request over the same config without it), and
 * of the inventory, side by side (bench/paired-cpu.ts). One API with an object route and the four
 * built-in header policies; contenders add `detection` (windows in memory, or in Redis at
 * 127.0.0.1:6379 shared as across nodes) or `inventory`. The upstream is nginx on the load core.
 * Usage: node --import tsx bench/detection.ts [--cycles 10] [--seconds 4] [--warmup 6] [--connections 50] [--redis redis://127.0.0.1:6379]
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
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
})
const PROXY_CORE = 0
const LOAD_CORE = 1
const PATH = '/api/items/42'
const REFERENCE = 'detection off'

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-detection-'))
const root = join(import.meta.dirname, '..')
const upstream = await startStaticUpstream(dir, LOAD_CORE, `location / { default_type application/json; return 200 '{"id":42,"item":"keyboard","quantity":1,"ownerId":"alice","status":"shipped"}'; }`, '/')
const builtin = { 'request-limits': {}, 'ip-filter': { allow: ['127.0.0.0/8', '::1'] }, cors: { origins: ['https://app.example'] }, 'security-headers': {} }

function contender(name: string, policies: Record<string, unknown>, extra: Record<string, unknown> = {}): Contender {
  const file = name.replace(/[^a-z0-9]+/gi, '-')
  return {
    name,
    start: (port) => {
      const api = { name: 'bench', basePath: '/api', upstream: { url: `http://127.0.0.1:${upstream.port}` }, routes: { 'GET /items/{id}': {} }, policies: { ...builtin, ...policies } }
      return startPinned(file, PROXY_CORE, join(root, 'bin/portcullis.js'), ['start', '-c', writeGatewayConfig(dir, file, port, api, true, extra)])
    },
  }
}

try {
  await runPaired({
    label: 'detection',
    contenders: [
      contender(REFERENCE, {}),
      contender('detection on, memory', { detection: {} }),
      contender('detection on, Redis', { detection: {} }, { stores: { counters: values.redis } }),
      contender('inventory on', { inventory: {} }),
    ],
    reference: REFERENCE,
    path: PATH,
    cycles: Number(values.cycles),
    seconds: Number(values.seconds),
    warmup: Number(values.warmup),
    connections: Number(values.connections),
    loadCore: LOAD_CORE,
  })
} finally {
  await upstream.process.stop()
}
