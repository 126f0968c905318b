import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PooledTraceIds } from './trace-ids.js'

test('ids are lower-case hex of the W3C lengths, distinct across pool refills', () => {
  const ids = new PooledTraceIds()
  const seen = new Set<string>()
  // 4 KiB of pool is 170 trace ids and 170 span ids: 1000 of each refill it several times.
  for (let i = 0; i < 1000; i++) {
    const traceId = ids.generateTraceId()
    const spanId = ids.generateSpanId()
    assert.match(traceId, /^[0-9a-f]{32}$/)
    assert.match(spanId, /^[0-9a-f]{16}$/)
    seen.add(traceId).add(spanId)
  }
  assert.equal(seen.size, 2000)
})

test('useTraceIdOnce: the next trace id is the one given, the one after is random again; null withdraws it', () => {
  const ids = new PooledTraceIds()
  ids.useTraceIdOnce('4bf92f3577b34da6a3ce929d0e0e4736')
  assert.notEqual(ids.generateSpanId(), '4bf92f3577b34da6a3ce929d0e0e4736', 'span ids are not affected')
  assert.equal(ids.generateTraceId(), '4bf92f3577b34da6a3ce929d0e0e4736')
  assert.notEqual(ids.generateTraceId(), '4bf92f3577b34da6a3ce929d0e0e4736')
  ids.useTraceIdOnce('4bf92f3577b34da6a3ce929d0e0e4736')
  ids.useTraceIdOnce(null)
  assert.notEqual(ids.generateTraceId(), '4bf92f3577b34da6a3ce929d0e0e4736')
})
