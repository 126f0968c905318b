/**
 * The counter stores, memory and Redis (the real server at 127.0.0.1:6379), run through the same
 * cases: each must decide identically, since a node falls back from one to the other. Then the
 * memory store as Redis's stand-in, and Redis (a server of the test's own) pausing under the store.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import type { Algorithm, CounterStore, LimitCheck } from './counter-store.js'
import { MemoryCounters } from './memory-counters.js'
import { RedisCounters } from './redis-counters.js'
import { startTestRedisCluster, type TestRedisCluster } from '../../test/helpers/redis-cluster.js'
import { requireRedis, startTestRedis, type TestRedis } from '../../test/helpers/redis-server.js'

const REDIS_URL = process.env.PORTCULLIS_TEST_REDIS ?? 'redis://127.0.0.1:6379'
const T0 = 1_800_000_000_000

/** A fresh key prefix that is also a Redis Cluster hash tag: one test's keys share a slot, as one API's do. */
const tag = () => `{${randomUUID()}}`

const gcra = (perSecond: number, burst: number): Algorithm => ({ kind: 'gcra', intervalMs: 1000 / perSecond, burst })

function cases(name: string, open: () => Promise<CounterStore>) {
  describe(`${name} counters`, () => {
    let store: CounterStore
    let prefix = ''
    before(async () => {
      store = await open()
    })
    after(async () => {
      await store.close()
    })
    const check = (suffix: string, algorithm: Algorithm, subject = `${prefix}who`): LimitCheck => ({ key: `${prefix}${suffix}`, algorithm, subject })
    const consume = async (checks: LimitCheck[], at: number, cost = 1) => (await store.consume(checks, cost, T0 + at, null)).outcomes

    test('GCRA: a burst at once, then one unit per interval', async () => {
      prefix = tag()
      const limit = check('g', gcra(10, 5))
      const burst = await Promise.all([0, 0, 0, 0, 0].map(() => consume([limit], 0)))
      assert.deepEqual(
        burst.map((o) => o[0]?.allowed),
        [true, true, true, true, true],
      )
      assert.deepEqual((await consume([limit], 0))[0], { allowed: false, limit: 5, remaining: 0, resetMs: 500, retryAfterMs: 100 })
      assert.equal((await consume([limit], 99))[0]?.allowed, false)
      assert.deepEqual((await consume([limit], 100))[0], { allowed: true, limit: 5, remaining: 0, resetMs: 500, retryAfterMs: 0 })
      assert.deepEqual((await consume([limit], 1000))[0], { allowed: true, limit: 5, remaining: 4, resetMs: 100, retryAfterMs: 0 }, 'refilled after a quiet second')
      assert.deepEqual((await store.peek([limit], T0 + 1000))[0]?.remaining, 4, 'peek consumes nothing')
    })

    test('a request refused by one limit consumes none of the others', async () => {
      prefix = tag()
      const wide = check('wide', gcra(100, 100))
      const narrow = check('narrow', gcra(1, 1))
      assert.deepEqual(
        (await consume([wide, narrow], 0)).map((o) => o.allowed),
        [true, true],
      )
      for (let i = 0; i < 5; i++) {
        const [open, shut] = await consume([wide, narrow], 0)
        assert.deepEqual([open?.allowed, open?.remaining, open?.resetMs, shut?.allowed], [true, 99, 10, false], 'the passing limit reports its state without this request')
      }
      assert.equal((await store.peek([wide], T0))[0]?.remaining, 99, 'only the admitted request counted')
    })

    test('sliding window: the previous window weighs by its overlap', async () => {
      prefix = tag()
      const window: Algorithm = { kind: 'sliding', windowMs: 1000, limit: 10 }
      const limit = check('s', window)
      // T0 is a whole number of seconds: windows start at T0 + k·1000.
      for (let i = 0; i < 10; i++) assert.equal((await consume([limit], 100))[0]?.allowed, true)
      const refused = (await consume([limit], 200))[0]
      assert.deepEqual([refused?.allowed, refused?.remaining, refused?.retryAfterMs], [false, 0, 900], 'one unit is free again 10% into the next window (at +1100)')
      // Half-way through the next window the previous 10 weigh 5.
      const results = []
      for (let i = 0; i < 6; i++) results.push((await consume([limit], 1500))[0]?.allowed)
      assert.deepEqual(results, [true, true, true, true, true, false])
      assert.equal((await consume([limit], 3100))[0]?.remaining, 9, 'two windows later nothing weighs')
    })

    test('fixed window: a quota per window id, refused until the window ends', async () => {
      prefix = tag()
      const may: Algorithm = { kind: 'fixed', limit: 3, windowId: '2026-05', startMs: T0, endMs: T0 + 10_000 }
      const june: Algorithm = { kind: 'fixed', limit: 3, windowId: '2026-06', startMs: T0 + 10_000, endMs: T0 + 20_000 }
      for (let i = 0; i < 3; i++) assert.equal((await consume([check('q', may)], 1000))[0]?.allowed, true)
      assert.deepEqual((await consume([check('q', may)], 4000))[0], { allowed: false, limit: 3, remaining: 0, resetMs: 6000, retryAfterMs: 6000 })
      assert.deepEqual((await consume([check('q', june)], 10_000))[0], { allowed: true, limit: 3, remaining: 2, resetMs: 10_000, retryAfterMs: 0 })
    })

    test('bans: a subject refused too often is refused everything for a while, until lifted', async () => {
      prefix = tag()
      const rule = { after: 3, withinMs: 10_000, forMs: 60_000 }
      const mallory = check('m', gcra(1, 1), `${prefix}mallory`)
      const alice = check('a', gcra(1, 1), `${prefix}alice`)
      const run = async (c: LimitCheck, at: number) => store.consume([c], 1, T0 + at, rule)
      assert.equal((await run(mallory, 0)).outcomes[0]?.allowed, true)
      assert.deepEqual((await run(mallory, 0)).ban, null, 'one refusal')
      assert.deepEqual((await run(mallory, 100)).ban, null, 'two')
      assert.deepEqual((await run(mallory, 200)).ban, { subject: `${prefix}mallory`, remainingMs: 60_000 }, 'the third bans')
      // Redis keeps time for bans itself (key expiry), so its remaining time ignores this test's clock.
      const remaining = (ms: number | undefined) => (name === 'memory' ? ms === 55_200 : ms !== undefined && ms > 55_000 && ms <= 60_000)
      const banned = await run(mallory, 5000)
      assert.deepEqual([banned.outcomes, banned.ban?.subject], [[], `${prefix}mallory`], 'even once the limit would pass again')
      assert.ok(remaining(banned.ban?.remainingMs), String(banned.ban?.remainingMs))
      assert.equal((await run(alice, 5000)).outcomes[0]?.allowed, true, 'others are not affected')
      const listed = await store.listBans(prefix, T0 + 5000, 10)
      assert.deepEqual(listed.map((b) => b.subject), [`${prefix}mallory`])
      assert.ok(remaining(listed[0]?.remainingMs))
      assert.equal(await store.liftBan(`${prefix}mallory`), true)
      assert.equal(await store.liftBan(`${prefix}mallory`), false)
      assert.equal((await run(mallory, 6000)).outcomes[0]?.allowed, true, 'lifted')
    })

    test('state carried from another store is merged first, the more used kept, even when the request is refused', async () => {
      prefix = tag()
      const limit = check('g', gcra(10, 5))
      const carry = (aheadMs: number) => [{ kind: 'gcra' as const, aheadMs }]
      assert.equal((await store.consume([limit], 1, T0, null)).outcomes[0]?.remaining, 4)
      assert.deepEqual((await store.consume([limit], 1, T0, null, carry(300))).outcomes[0]?.remaining, 1, 'the carried 3 units weigh more than the 1 counted here')
      assert.deepEqual((await store.consume([limit], 1, T0, null, carry(300))).outcomes[0]?.remaining, 0, 'merging the same state again changes nothing')

      const other = check('g2', gcra(10, 5))
      assert.equal((await store.consume([other], 1, T0, null, carry(500))).outcomes[0]?.allowed, false, 'a whole burst carried')
      assert.equal((await store.peek([other], T0))[0]?.remaining, 0, 'kept although the request was refused')

      const window = check('s', { kind: 'sliding', windowMs: 1000, limit: 10 })
      assert.equal((await store.consume([window], 1, T0 + 100, null, [{ kind: 'sliding', current: 4, previous: 0 }])).outcomes[0]?.remaining, 5)
      const quota = check('q', { kind: 'fixed', limit: 3, windowId: 'w', startMs: T0, endMs: T0 + 10_000 })
      assert.equal((await store.consume([quota], 1, T0, null, [{ kind: 'fixed', count: 2 }])).outcomes[0]?.remaining, 0)
      assert.equal((await store.consume([quota, limit], 1, T0, null, [null, null])).outcomes[0]?.allowed, false, 'nothing carried: as before')
    })

    test('tallies: counts and distinct members over a sliding window of buckets, shared by every caller; bans imposed once', async () => {
      prefix = tag()
      const count = (add: number) => ({ key: `${prefix}count`, windowMs: 60_000, bucketMs: 10_000, add })
      const members = (...names: string[]) => ({ key: `${prefix}distinct`, windowMs: 60_000, bucketMs: 10_000, members: names })
      assert.deepEqual(await store.tally([count(3), members('a', 'b')], T0), [3, 2])
      assert.deepEqual(await store.tally([count(2), members('b', 'c')], T0 + 25_000), [5, 3], 'earlier buckets still in the window')
      assert.deepEqual(await store.tally([count(0), members()], T0 + 65_000), [2, 2], 'the first bucket slid out; a read adds nothing')
      assert.deepEqual(await store.tally([count(0), members()], T0 + 95_000), [0, 0], 'all slid out')
      assert.deepEqual(await store.tally([], T0), [])

      const subject = `${prefix}{detection}:ip=192.0.2.7`
      assert.equal(await store.imposeBan(subject, 60_000, T0), true)
      assert.equal(await store.imposeBan(subject, 600_000, T0 + 1000), false, 'already banned: unchanged')
      const listed = await store.listBans(prefix, T0 + 1000, 10)
      assert.deepEqual(listed.map((b) => b.subject), [subject])
      assert.ok((listed[0]?.remainingMs ?? 0) <= 60_000)
      const imposed = (await store.imposedBans(T0 + 1000, 1000)).filter((b) => b.subject === subject)
      assert.deepEqual(imposed, [{ subject, remainingMs: 59_000 }], 'indexed with its expiry')
      assert.equal(await store.liftBan(subject), true)
      assert.equal((await store.imposedBans(T0 + 1000, 1000)).some((b) => b.subject === subject), false, 'not once lifted')
      const brief = `${prefix}{detection}:ip=192.0.2.8`
      assert.equal(await store.imposeBan(brief, 1000, T0 + 2000), true)
      assert.equal((await store.imposedBans(T0 + 4000, 1000)).some((b) => b.subject === brief), false, 'not once expired')
    })

    test('a cost larger than one', async () => {
      prefix = tag()
      const limit = check('c', gcra(10, 10))
      assert.equal((await consume([limit], 0, 8))[0]?.remaining, 2)
      assert.deepEqual((await consume([limit], 0, 3))[0], { allowed: false, limit: 10, remaining: 2, resetMs: 800, retryAfterMs: 100 })
    })
  })
}

cases('memory', () => Promise.resolve(new MemoryCounters()))

let redisAvailable = false
before(async () => {
  await requireRedis(REDIS_URL)
  redisAvailable = true
})
after(async () => {
  if (!redisAvailable) return
  // The cases run on a synthetic clock: quota keys would otherwise expire only at their windows' ends.
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 0 })
  const keys = await client.keys('portcullis-test:*')
  if (keys.length > 0) await client.del(...keys)
  client.disconnect()
})
cases('Redis', async () => {
  assert.ok(redisAvailable)
  const store = new RedisCounters(REDIS_URL, { timeoutMs: 1000, prefix: 'portcullis-test:', gatewayClock: true })
  await store.waitUntilConnected(5000)
  return store
})

let cluster: TestRedisCluster | null = null
after(async () => {
  await cluster?.stop()
})
cases('Redis Cluster', async () => {
  cluster = await startTestRedisCluster()
  const store = new RedisCounters(cluster.url, { timeoutMs: 1000, prefix: 'portcullis-test:', gatewayClock: true })
  await store.waitUntilConnected(10_000)
  return store
})

describe('memory counters standing in for Redis', () => {
  const steady = { key: 'steady', algorithm: gcra(10, 5), subject: 'steady' }

  test('charged with what Redis admitted, the stand-in takes over where Redis was, not with a fresh burst', () => {
    const standIn = new MemoryCounters()
    standIn.charge([steady], 5, T0)
    assert.equal(standIn.owed([steady], T0), null, 'what Redis counted is not owed back to it')
    assert.deepEqual(standIn.consume([steady], 1, T0, null).outcomes[0]?.allowed, false)
    assert.deepEqual(standIn.consume([steady], 1, T0 + 100, null).outcomes[0]?.allowed, true, 'one unit per interval')
  })

  test('its own decisions are owed until settled; one made after the hand-back stays owed', () => {
    const standIn = new MemoryCounters()
    standIn.consume([steady], 2, T0, null)
    const carry = standIn.owed([steady], T0 + 50)
    assert.ok(carry)
    assert.deepEqual(carry.states, [{ kind: 'gcra', aheadMs: 150 }])
    standIn.settle([steady], carry, T0 + 50)
    assert.equal(standIn.owed([steady], T0 + 50), null)

    standIn.consume([steady], 1, T0 + 60, null)
    const first = standIn.owed([steady], T0 + 60)
    assert.ok(first)
    standIn.consume([steady], 1, T0 + 70, null)
    standIn.settle([steady], first, T0 + 80)
    assert.deepEqual(standIn.owed([steady], T0 + 80)?.states, [{ kind: 'gcra', aheadMs: 320 }], 'the later decision is still owed')
  })

  test('nothing is owed once the counter no longer weighs anything', () => {
    const standIn = new MemoryCounters()
    standIn.consume([steady], 1, T0, null)
    assert.equal(standIn.owed([steady], T0 + 100), null)
  })
})

describe('Redis counters when Redis stalls', () => {
  let redis: TestRedis
  let control: Redis
  let store: RedisCounters
  before(async () => {
    redis = await startTestRedis()
    control = new Redis(redis.url, { maxRetriesPerRequest: 0 })
    store = new RedisCounters(redis.url, { timeoutMs: 100, prefix: 'portcullis-test:', gatewayClock: true })
    await store.waitUntilConnected(5000)
  })
  after(async () => {
    await store?.close()
    control?.disconnect()
    await redis?.kill()
  })

  test('a command given up on consumes nothing when Redis runs it later', async () => {
    const limit: LimitCheck = { key: `${tag()}stalled`, algorithm: gcra(1 / 60, 3), subject: 'stalled' }
    assert.equal((await store.consume([limit], 1, T0, null)).outcomes[0]?.remaining, 2)
    await control.call('CLIENT', 'PAUSE', '600', 'ALL')
    const given = await Promise.allSettled([store.consume([limit], 1, T0, null), store.consume([limit], 1, T0, null)])
    assert.deepEqual(
      given.map((g) => (g.status === 'rejected' ? (g.reason as { code?: string }).code : 'answered')),
      ['COUNTER_STORE_TIMEOUT', 'COUNTER_STORE_TIMEOUT'],
    )
    // Paused too, PING answers once the pause ends — after the commands written before it ran.
    await control.ping()
    assert.equal((await store.peek([limit], T0))[0]?.remaining, 2, 'both given-up commands ran and changed nothing')
    assert.equal((await store.consume([limit], 1, T0, null)).outcomes[0]?.remaining, 1)
  })
})

test('the memory store forgets counters that no longer matter, a few per call', () => {
  const store = new MemoryCounters()
  const algorithm = gcra(10, 10)
  for (let i = 0; i < 10_000; i++) store.consume([{ key: `k${i}`, algorithm, subject: `s${i}` }], 1, T0, null)
  assert.equal(store.size, 10_000)
  // 100 ms later every one of those buckets is full again: their entries decide nothing.
  for (let i = 0; i < 3000; i++) store.consume([{ key: 'steady', algorithm, subject: 'steady' }], 1, T0 + 1000 + i, null)
  assert.equal(store.size, 1, 'swept while serving other keys')
})
