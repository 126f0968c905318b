/**
 * `rate-limit` through a Redis of the test's own that stalls (CLIENT PAUSE) or flaps (a TCP
 * forwarder cut and restored) under the gateway: a request the gateway answered without Redis
 * never counts when Redis later runs its command; `onFailure: closed` says so once per interval
 * with a count, not a stack per request; `onFailure: open` carries its counters across each switch
 * to and from the node's own, so flapping hands out no extra bursts.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { Agent, request } from 'undici'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'
import { outcomeOf } from '../helpers/outcome.js'

const CLOSED_MESSAGE = 'rate-limit counter store failed; request refused (onFailure: closed)'

/** A gateway whose one API limits `GET /closed` and `GET /open` by the `x-client` header. */
function limitedConfig(upstreamUrl: string, counters: string, timeoutMs: number, limit: Record<string, unknown>) {
  const config = baseConfig(upstreamUrl, { stores: { counters, countersTimeoutMs: timeoutMs } })
  ;(config.apis as Record<string, unknown>[])[0] = {
    name: 'outage',
    basePath: '/',
    upstream: { url: upstreamUrl },
    routes: {
      'GET /closed': { 'rate-limit': { onFailure: 'closed', limits: [limit] } },
      'GET /open': { 'rate-limit': { onFailure: 'open', limits: [limit] } },
    },
  }
  return config
}

describe('rate-limit when Redis stalls', () => {
  let redis: TestRedis
  let control: Redis
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    redis = await startTestRedis()
    control = new Redis(redis.url, { maxRetriesPerRequest: 0 })
    upstream = await startUpstream()
    gw = await startTestGateway(limitedConfig(upstream.url, redis.url, 200, { name: 'burst', per: 'header:x-client', rate: '1/m', burst: 3 }))
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
    control?.disconnect()
    await redis?.kill()
  })

  const get = async (path: string, client: string) => outcomeOf(await fetch(`${gw.url}${path}`, { headers: { 'x-client': client } }))

  test('a request refused because Redis did not answer in time consumes nothing when Redis runs its command later', async () => {
    assert.equal(await get('/closed', 'stalled'), 200, 'one of three units used')
    // Redis takes the commands written meanwhile and runs them when the pause ends.
    await control.call('CLIENT', 'PAUSE', '1200', 'ALL')
    const started = Date.now()
    const during = await Promise.all([1, 2, 3].map(() => get('/closed', 'stalled')))
    assert.deepEqual(during, Array(3).fill('503 GW_ERR_RATE_LIMIT_UNAVAILABLE'))
    assert.ok(Date.now() - started < 1200, 'the gateway gave up before the pause ended')
    await eventually(async () => (await get('/closed', `probe-${randomUUID()}`)) === 200, 10_000, 'Redis to answer again')
    const afterwards = []
    for (let i = 0; i < 3; i++) afterwards.push(await get('/closed', 'stalled'))
    assert.deepEqual(afterwards, [200, 200, '429 GW_ERR_RATE_LIMITED'], 'the two units left before the stall are still there')
  })
})

describe('rate-limit onFailure: closed while Redis is down', () => {
  let redis: TestRedis
  let upstream: TestUpstream
  let gw: TestGateway
  let now = 1_800_000_000_000

  before(async () => {
    redis = await startTestRedis()
    upstream = await startUpstream()
    gw = await startTestGateway(limitedConfig(upstream.url, redis.url, 200, { name: 'burst', per: 'header:x-client', rate: '100/s', burst: 100 }), { clock: { now: () => now } })
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
    await redis?.kill()
  })

  const get = async (client: string) => outcomeOf(await fetch(`${gw.url}/closed`, { headers: { 'x-client': client } }))
  const reports = () => gw.logLines().filter((l) => l.msg === CLOSED_MESSAGE)

  test('refusals are logged once per interval with their count and the error, without a stack per request', async () => {
    assert.equal(await get('a'), 200)
    await redis.kill()
    let refused = 0
    for (let i = 0; i < 30; i++) {
      assert.equal(await get('a'), '503 GW_ERR_RATE_LIMIT_UNAVAILABLE')
      refused++
    }
    assert.equal(reports().length, 1, 'one line for 30 refusals within the interval')
    const [first] = reports()
    assert.equal(first?.refused, 1, 'the first refusal is said at once')
    assert.equal(first?.level, 'error')
    assert.equal(first?.err, undefined, 'no stack')
    assert.equal(typeof (first?.error as { message?: unknown } | undefined)?.message, 'string', 'the error’s message')

    now += 10_000
    assert.equal(await get('a'), '503 GW_ERR_RATE_LIMIT_UNAVAILABLE')
    refused++
    assert.equal(reports().length, 2)
    assert.equal(reports()[1]?.refused, 30, 'the 29 since the first line and this one')

    await redis.start()
    await eventually(
      async () => {
        const outcome = await get(`probe-${randomUUID()}`)
        if (outcome !== 200) refused++
        return outcome === 200
      },
      10_000,
      'Redis to answer again',
    )
    assert.equal(gw.logLines().filter((l) => l.msg === 'rate-limit counter store answers again').length, 0, 'within the interval of the last line: not yet')
    now += 10_000
    assert.equal(await get('a'), 200)
    const recovered = gw.logLines().filter((l) => l.msg === 'rate-limit counter store answers again')
    assert.equal(recovered.length, 1)
    const counted = reports().reduce((sum, l) => sum + (l.refused as number), 0) + (recovered[0]?.refused as number)
    assert.equal(counted, refused, 'every refusal is counted in some line')
  })
})

describe('rate-limit onFailure: open while Redis flaps', () => {
  const RATE = 20
  const BURST = 20
  const CYCLES = 4
  const UP_MS = 1000
  const DOWN_MS = 1000
  let redis: TestRedis
  let proxy: TcpProxy
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    redis = await startTestRedis()
    proxy = await startTcpProxy('127.0.0.1', redis.port)
    upstream = await startUpstream()
    gw = await startTestGateway(limitedConfig(upstream.url, `redis://127.0.0.1:${proxy.port}`, 200, { name: 'steady', per: 'header:x-client', rate: `${RATE}/s`, burst: BURST }))
  })
  after(async () => {
    // The forwarder first: resetting a socket whose orderly close (after the gateway's QUIT) is
    // under way can leave Node waiting on it forever at exit.
    await proxy?.close()
    await gw?.stop()
    await upstream?.close()
    await redis?.kill()
  })

  test('a steady over-limit load is held to the limit across every switch to the node’s own counters and back', async (t) => {
    const agent = new Agent({ connections: 4 })
    const counts = { admitted: 0, refused: 0, other: 0, firstMs: 0, lastAdmittedMs: 0 }
    let flapping = true
    const flap = async () => {
      try {
        for (let i = 0; i < CYCLES; i++) {
          await sleep(UP_MS)
          await proxy.cut()
          await sleep(DOWN_MS)
          await proxy.restore()
        }
      } finally {
        flapping = false
      }
    }
    // Four clients, each pausing 5 ms between requests: many times the rate, bounded in count and time.
    const until = performance.now() + CYCLES * (UP_MS + DOWN_MS) + 10_000
    const worker = async () => {
      for (let i = 0; i < 3000 && flapping && performance.now() < until; i++) {
        const res = await request(`${gw.url}/open`, { headers: { 'x-client': 'steady' }, dispatcher: agent })
        await res.body.dump()
        if (res.statusCode === 200) {
          counts.admitted++
          counts.lastAdmittedMs = performance.now()
        } else if (res.statusCode === 429) counts.refused++
        else counts.other++
        await sleep(5)
      }
    }
    counts.firstMs = performance.now()
    await Promise.all([flap(), worker(), worker(), worker(), worker()])
    await agent.close()

    const seconds = (counts.lastAdmittedMs - counts.firstMs) / 1000
    const allowed = BURST + RATE * seconds
    t.diagnostic(`admitted ${counts.admitted} (refused ${counts.refused}) in ${seconds.toFixed(2)} s over ${CYCLES} outages; the limit allows ${allowed.toFixed(1)} (${((counts.admitted / allowed - 1) * 100).toFixed(1)} %)`)
    assert.equal(counts.other, 0, 'open: never a 503')
    assert.ok(counts.refused > counts.admitted * 2, 'the load was well over the limit')
    assert.ok(gw.logLines().some((l) => l.msg === 'rate-limit counter store failed; this node limits on its own until it answers (onFailure: open)'), 'the node did fall back')
    assert.ok(counts.admitted <= allowed * 1.03, `admitted ${counts.admitted}; the limit allows ${allowed.toFixed(1)} (+3 % at most)`)
    assert.ok(counts.admitted >= allowed * 0.9, `admitted only ${counts.admitted}; the limit allows ${allowed.toFixed(1)}`)
  })
})
