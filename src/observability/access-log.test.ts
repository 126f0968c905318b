import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createAccessLog, formatAccessLine, type AccessLogEntry } from './access-log.js'

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
  const buffer = Buffer.alloc(65536)
  let used = 0
  const sink = {
    reserve: () => buffer,
    get used() {
      return used
    },
    commit(end: number) {
      lines.push(buffer.toString('utf8', used, end))
      used = end
    },
  }
  const log = createAccessLog(sink, 1, () => now)
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

test('every field survives the byte encoder as JSON.parse reads it: escapes, non-ASCII, numbers and durations', () => {
  const texts = ['', 'plain', 'quote " and \\ backslash', 'tab\tnew\nline', 'é ü 漢字', '\u0000\u001f', 'emoji 😀', 'lone \ud800 surrogate', '~\u007f']
  const numbers = [0, 7, 10, 99, 1000, 123456789, 2 ** 53 - 1, 2 ** 60]
  const durations = [0, 0.0004, 0.0005, 0.007, 1.5, 12.0456, 999.9999, 1000, 86_400_000.123]
  for (let i = 0; i < 200; i++) {
    const text = (k: number) => texts[(i * 7 + k) % texts.length] as string
    const entry: AccessLogEntry = {
      requestId: text(0),
      client: text(1),
      method: text(2),
      api: i % 3 === 0 ? null : text(3),
      route: text(4),
      status: [200, 404, 499, 502][i % 4] as number,
      bytesIn: numbers[i % numbers.length] as number,
      bytesOut: i % 5 === 0 ? null : (numbers[(i + 3) % numbers.length] as number),
      durationMs: durations[i % durations.length] as number,
      upstreamMs: i % 4 === 0 ? null : (durations[(i + 2) % durations.length] as number),
      policy: i % 2 === 0 ? null : text(5),
      code: text(6),
      upstream: text(7),
      protocol: text(8),
      fields: i % 6 === 0 ? { [text(1)]: { list: [text(2), 1, null] } } : null,
    }
    const parsed = JSON.parse(formatAccessLine(entry, '2026-12-06T00:00:00.000Z', 4242)) as Record<string, unknown>
    const micros = (ms: number | null) => (ms === null ? null : Math.round(ms * 1000) / 1000)
    const expected: Record<string, unknown> = {
      level: 'info',
      time: '2026-12-06T00:00:00.000Z',
      pid: 4242,
      kind: 'access',
      requestId: entry.requestId,
      client: entry.client,
      method: entry.method,
      api: entry.api,
      route: entry.route,
      status: entry.status,
      bytesIn: entry.bytesIn,
      bytesOut: entry.bytesOut,
      durationMs: micros(entry.durationMs),
      upstreamMs: micros(entry.upstreamMs),
      policy: entry.policy,
      code: entry.code,
      upstream: entry.upstream,
      protocol: entry.protocol,
      ...(entry.fields ?? {}),
      msg: 'request',
    }
    assert.deepEqual(parsed, JSON.parse(JSON.stringify(expected)), `entry ${i}`)
  }
})

test('a traced request’s line carries trace_id and span_id; an untraced one has neither', () => {
  const base: AccessLogEntry = { requestId: 'a', client: '::1', method: 'GET', api: null, route: null, status: 200, bytesIn: 0, bytesOut: 0, durationMs: 0, upstreamMs: null, policy: null, code: null, upstream: null, protocol: '1.1', fields: null }
  const traced = JSON.parse(formatAccessLine({ ...base, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' }, 't', 1)) as Record<string, unknown>
  assert.equal(traced.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736')
  assert.equal(traced.span_id, '00f067aa0ba902b7')
  const untraced = JSON.parse(formatAccessLine({ ...base, traceId: null, spanId: null }, 't', 1)) as Record<string, unknown>
  assert.equal('trace_id' in untraced || 'span_id' in untraced, false)
})
