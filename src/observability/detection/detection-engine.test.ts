/**
 * The detection engine against a Redis of the test's own: a detection while Redis is down is
 * still made (counted in this process) and its ban enforced here at once, then written to Redis
 * when it answers again, where every node reads it; and two engines sharing Redis alert once.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import pino from 'pino'
import { Value } from '@sinclair/typebox/value'
import { createIpMatcher } from '../../net/ip-matcher.js'
import { MemoryCounters } from '../../stores/memory-counters.js'
import { RedisCounters } from '../../stores/redis-counters.js'
import { startTestRedis, type TestRedis } from '../../../test/helpers/redis-server.js'
import { DetectionConfig } from './detection-config.js'
import { DetectionEngine, type DetectionStores } from './detection-engine.js'
import type { Observation } from './observation.js'

const T0 = 1_900_000_000_000

function scannerHit(source: string, at: number): Observation {
  return {
    at,
    source,
    network: source,
    principal: null,
    credential: null,
    api: 'shop',
    operation: 'GET /items/{id}',
    objectId: '1',
    status: 403,
    code: 'GW_ERR_WAF_BLOCKED',
    authReason: null,
    failedLogin: false,
    loginUser: null,
    bytesOut: 120,
    retired: false,
    undeclared: null,
  }
}

describe('detection engine with Redis failing and coming back', () => {
  let redis: TestRedis
  let shared: RedisCounters
  let stores: DetectionStores
  let now = T0
  const config = Value.Default(DetectionConfig, { detectors: { scanner: { hits: 5 } } }) as DetectionConfig
  const engine = () => new DetectionEngine({ config, stores: () => stores, events: null, logger: pino({ level: 'silent' }), clock: { now: () => now }, trusted: createIpMatcher([]) })

  before(async () => {
    redis = await startTestRedis()
    shared = new RedisCounters(redis.url, { timeoutMs: 300, prefix: `detection-test-${T0}:`, gatewayClock: true })
    stores = { store: shared, fallback: new MemoryCounters() }
    await shared.waitUntilConnected(5000)
  })
  after(async () => {
    await stores?.store.close()
    await redis?.kill()
  })

  test('a ban made while Redis is down is enforced at once and reaches Redis (and the other nodes) when it answers', async () => {
    const node = engine()
    const other = engine()
    await redis.kill()
    for (let i = 0; i < 5; i++) node.observe(scannerHit('198.51.100.7', now))
    const detections = await node.flush()
    assert.deepEqual(detections.map((d) => [d.detector, d.subject.id, d.response]), [['scanner', 'ip=198.51.100.7', 'ban']], 'counted in this process')
    assert.notEqual(node.bans.banned(['ip=198.51.100.7'], now), null, 'enforced on this node')
    await assert.rejects(node.syncBans(), 'the store still cannot answer')
    assert.notEqual(node.bans.banned(['ip=198.51.100.7'], now), null, 'a failed sync keeps what was known')

    await redis.start()
    await shared.waitUntilConnected(5000)
    now += 6000
    await node.syncBans()
    await other.syncBans()
    assert.ok((other.bans.banned(['ip=198.51.100.7'], now)?.remainingMs ?? 0) > 590_000, 'the other node enforces it')
    assert.notEqual(node.bans.banned(['ip=198.51.100.7'], now), null)
    assert.equal(await stores.store.liftBan('{detection}:ip=198.51.100.7'), true, 'lifted through the store')
    await other.syncBans()
    assert.equal(other.bans.banned(['ip=198.51.100.7'], now), null)
  })

  test('two nodes over their threshold together report once, and ban once', async () => {
    const [a, b] = [engine(), engine()]
    for (let i = 0; i < 3; i++) a.observe(scannerHit('203.0.113.9', now))
    for (let i = 0; i < 3; i++) b.observe(scannerHit('203.0.113.9', now))
    const reported = [...(await a.flush()), ...(await b.flush())]
    assert.equal(reported.length, 1, 'one report of six hits seen three by three')
    assert.equal(reported[0]?.evidence.hits, 6)
    for (let i = 0; i < 2; i++) b.observe(scannerHit('203.0.113.9', now + 1000))
    assert.equal((await b.flush()).length, 0, 'not again within the cooldown')
  })
})
