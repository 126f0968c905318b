import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AccessLogEntry } from '../pipeline/define-policy.js'
import { formatAccessLine } from './access-log.js'

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
  const again = JSON.parse(formatAccessLine({ ...(parsed as unknown as AccessLogEntry), durationMs: 12.0456, upstreamMs: 0.007, method: 'GÉT' }, 't', 1)) as Record<string, unknown>
  assert.equal(again.durationMs, 12.046)
  assert.equal(again.upstreamMs, 0.007)
  assert.equal(again.method, 'GÉT')
  assert.equal(parsed.pid, 7)
  assert.equal(parsed.time, '2026-01-01T00:00:00.000Z')
})
