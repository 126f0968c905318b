import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AccessLogEntry } from '../pipeline/define-policy.js'
import { createAccessLog, formatAccessLine } from './access-log.js'

test('access lines are valid JSON with every field, escaping text', () => {
  const line = formatAccessLine(
    {
      requestId: 'abc',
      client: '::1',
      method: 'GET',
      api: 'orders',
      route: '/a/"{id}"\\',
      status: 200,
      bytesIn: 0,
      bytesOut: 123,
      durationMs: 1.5004,
      upstreamMs: null,
      policy: null,
      code: null,
      upstream: 'http://127.0.0.1:1',
      protocol: '1.1',
      fields: null,
    },
    '2026-01-01T00:00:00.000Z',
    7,
  )
  assert.ok(line.endsWith('}\n'))
  const parsed = JSON.parse(line) as Record<string, unknown>
  assert.equal(parsed.route, '/a/"{id}"\\')
  assert.equal(parsed.kind, 'access')
  assert.equal(parsed.upstreamMs, null)
  assert.equal(parsed.durationMs, 1.5)
  const again = JSON.parse(formatAccessLine({ ...(parsed as unknown as AccessLogEntry), durationMs: 12.0456, upstreamMs: 0.007, method: 'GÉT', fields: { authz: { decision: 'deny', policies: ['a"b'] }, 'x"y': 1 } }, 't', 1)) as Record<string, unknown>
  assert.equal(again.durationMs, 12.046)
  assert.equal(again.upstreamMs, 0.007)
  assert.equal(again.method, 'GÉT')
  assert.deepEqual(again.authz, { decision: 'deny', policies: ['a"b'] })
  assert.equal(again['x"y'], 1)
  assert.equal(again.msg, 'request')
  assert.equal(parsed.pid, 7)
  assert.equal(parsed.time, '2026-01-01T00:00:00.000Z')
})

test('access-line timestamps are the ISO time of each request, across seconds and days', () => {
  const lines: string[] = []
  let now = 0
  const log = createAccessLog({ write: (line) => lines.push(line) }, 1, () => now)
  const entry = JSON.parse(formatAccessLine({ requestId: 'a', client: '::1', method: 'GET', api: null, route: null, status: 200, bytesIn: 0, bytesOut: 0, durationMs: 0, upstreamMs: null, policy: null, code: null, upstream: null, protocol: '1.1', fields: null }, 't', 1)) as AccessLogEntry
  const instants = [Date.UTC(2026, 10, 29, 23, 59, 59, 998), Date.UTC(2026, 10, 29, 23, 59, 59, 999), Date.UTC(2026, 10, 30, 0, 0, 0, 0), Date.UTC(2026, 10, 30, 0, 0, 0, 7), Date.UTC(2026, 10, 30, 0, 0, 0, 42), Date.UTC(2026, 10, 30, 0, 0, 1, 500), Date.UTC(2020, 0, 1, 0, 0, 0, 123)]
  for (const instant of instants) {
    now = instant
    log(entry)
    log(entry)
  }
  const times = lines.map((line) => (JSON.parse(line) as { time: string }).time)
  assert.deepEqual(times, instants.flatMap((instant) => [new Date(instant).toISOString(), new Date(instant).toISOString()]))
})
