/**
 * `rate-limit` with Redis: a server of the test's own killed and restarted under the gateway
 * (`onFailure: open` limits per node meanwhile, `closed` answers 503, both recover on their own),
 * and three gateway processes sharing the project's Redis at 127.0.0.1:6379 under concurrent load
 * (`.ci/run` starts it): what they admit together never exceeds the limit.
 */
import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Agent, request } from 'undici'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startTestRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js'
import { requireRedis, startTestRedis, type TestRedis } from '../helpers/redis-server.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'
import { outcomeOf } from '../helpers/outcome.js'
import { startGatewayNodes } from '../helpers/gateway-process.js'

const SHARED_REDIS = process.env.PORTCULLIS_TEST_REDIS ?? 'redis://127.0.0.1:6379'

describe('rate-limit when Redis fails and comes back', () => {
  let redis: TestRedis
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    redis = await startTestRedis()
    upstream = await startUpstream()
    const limit = [{ name: 'burst', per: 'header:x-client', rate: '1/m', burst: 3 }]
    const config = baseConfig(upstream.url, { stores: { counters: redis.url, countersTimeoutMs: 200 } })
    ;(config.apis as Record<string, unknown>[])[0] = {
      name: 'limited',
      basePath: '/',
      upstream: { url: upstream.url },
      routes: {
        'GET /open': { 'rate-limit': { onFailure: 'open', limits: limit } },
        'GET /closed': { 'rate-limit': { onFailure: 'closed', limits: limit } },
      },
    }
    gw = await startTestGateway(config)
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
    await redis?.kill()
  })

  const get = async (path: string, client: string) => outcomeOf(await fetch(`${gw.url}${path}`, { headers: { 'x-client': client } }))

  test('open limits per node while Redis is down, closed refuses; both recover when it returns', async () => {
    assert.equal(await get('/closed', 'before'), 200, 'Redis answers')
    await redis.kill()
    const open = []
    for (let i = 0; i < 4; i++) open.push(await get('/open', 'during'))
    assert.deepEqual(open, [200, 200, 200, '429 GW_ERR_RATE_LIMITED'], 'the node’s own counters still limit')
    assert.equal(await get('/closed', 'during'), '503 GW_ERR_RATE_LIMIT_UNAVAILABLE')
    const warnings = gw.logLines().filter((l) => l.msg === 'rate-limit counter store failed; this node limits on its own until it answers (onFailure: open)')
    assert.equal(warnings.length, 1, 'said once, not per request')
    assert.ok(gw.logLines().some((l) => l.msg === 'rate-limit counter store failed; request refused (onFailure: closed)'))

    await redis.start()
    await eventually(async () => (await get('/closed', `after-${randomUUID()}`)) === 200, 10_000, 'the gateway to use Redis again')
    const back = []
    for (let i = 0; i < 4; i++) back.push(await get('/open', 'after'))
    assert.deepEqual(back, [200, 200, 200, '429 GW_ERR_RATE_LIMITED'], 'counted in Redis again (a fresh server, a fresh count)')
  })
})

describe('rate-limit bans across two nodes, and the admin API', () => {
  const TOKEN = 'admin-token-for-rate-limit-tests'
  const api = `bans-${randomUUID().slice(0, 8)}`
  let upstream: TestUpstream
  let nodeA: TestGateway
  let nodeB: TestGateway

  before(async () => {
    await requireRedis(SHARED_REDIS)
    upstream = await startUpstream()
    const config = (withAdmin: boolean) => ({
      ...baseConfig(upstream.url, { stores: { counters: SHARED_REDIS } }),
      ...(withAdmin ? { admin: { listen: '127.0.0.1:0', auth: { tokenHash: createHash('sha256').update(TOKEN).digest('hex') } } } : {}),
      apis: [
        {
          name: api,
          basePath: '/',
          upstream: { url: upstream.url },
          policies: { 'rate-limit': { limits: [{ name: 'client', per: 'header:x-client', rate: '1/m', burst: 2 }], ban: { after: 3, within: '1m', for: '10m' } } },
          routes: { 'GET /things': {} },
        },
      ],
    })
    nodeA = await startTestGateway(config(true))
    nodeB = await startTestGateway(config(false))
  })
  after(async () => {
    await nodeA?.stop()
    await nodeB?.stop()
    await upstream?.close()
  })

  const get = async (node: TestGateway, client: string) => {
    const res = await fetch(`${node.url}/things`, { headers: { 'x-client': client } })
    return { outcome: await outcomeOf(res), retryAfter: res.headers.get('retry-after') }
  }
  const admin = async (method: string, path: string) => {
    const res = await fetch(`http://127.0.0.1:${nodeA.gateway.addresses.admin?.port ?? 0}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } })
    const text = await res.text()
    return { status: res.status, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) }
  }

  test('a subject that keeps exceeding its limit on one node is banned on every node until an admin lifts it', async () => {
    const seen = []
    for (let i = 0; i < 5; i++) seen.push((await get(nodeA, 'mallory')).outcome)
    assert.deepEqual(seen, [200, 200, '429 GW_ERR_RATE_LIMITED', '429 GW_ERR_RATE_LIMITED', '429 GW_ERR_RATE_LIMITED'])
    const elsewhere = await get(nodeB, 'mallory')
    assert.equal(elsewhere.outcome, '429 GW_ERR_RATE_LIMIT_BANNED', 'the ban reached the other node')
    assert.ok(Number(elsewhere.retryAfter) > 590 && Number(elsewhere.retryAfter) <= 600, String(elsewhere.retryAfter))
    assert.equal((await get(nodeB, 'alice')).outcome, 200, 'others pass')
    assert.ok(nodeA.logLines().some((l) => l.msg === 'rate-limit ban: a subject kept exceeding its limits'))

    const listed = await admin('GET', `/rate-limits/bans?api=${api}`)
    const bans = listed.body?.bans as { subject: string; remainingMs: number }[]
    assert.equal(bans.length, 1)
    const subject = bans[0]?.subject ?? ''
    assert.match(subject, new RegExp(`^\\{${api}\\}:h=`), 'the API as a hash tag, the header value hashed')

    const usage = await admin('GET', `/rate-limits/usage?api=${api}&route=${encodeURIComponent('GET /things')}&header.x-client=alice`)
    const [alice] = usage.body?.limits as { name: string; subject: string; limit: number; remaining: number; resetMs: number }[]
    assert.deepEqual([alice?.name, alice?.limit, alice?.remaining], ['client', 2, 1], 'alice used one of two units')
    assert.match(alice?.subject ?? '', new RegExp(`^\\{${api}\\}:h=`))
    assert.ok((alice?.resetMs ?? 0) > 50_000 && (alice?.resetMs ?? 0) <= 60_000, 'her unit comes back within the minute')

    assert.equal((await admin('DELETE', `/rate-limits/bans/${encodeURIComponent(subject)}`)).status, 204)
    assert.equal((await admin('DELETE', `/rate-limits/bans/${encodeURIComponent(subject)}`)).status, 404)
    assert.equal((await get(nodeB, 'mallory')).outcome, '429 GW_ERR_RATE_LIMITED', 'no longer banned, still over the rate')
    const audit = await admin('GET', '/audit?limit=5')
    assert.deepEqual(
      (audit.body?.entries as { action: string; target: string }[]).map((e) => [e.action, e.target]).slice(0, 1),
      [['ratelimit.ban.lift', subject]],
    )
  })
})

describe('rate-limit on a Redis Cluster', () => {
  let cluster: TestRedisCluster
  let upstream: TestUpstream
  let gw: TestGateway
  before(async () => {
    cluster = await startTestRedisCluster()
    upstream = await startUpstream()
    const config = baseConfig(upstream.url, { stores: { counters: cluster.url, countersTimeoutMs: 1000 } })
    ;(config.apis as Record<string, unknown>[])[0] = {
      name: 'clustered',
      basePath: '/',
      upstream: { url: upstream.url },
      policies: { 'rate-limit': { limits: [{ name: 'burst', per: 'header:x-client', rate: '1/m', burst: 2 }, { name: 'daily', per: 'header:x-client', quota: '10/day' }] } },
    }
    gw = await startTestGateway(config)
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
    await cluster?.stop()
  })

  test('several limits per request, checked in one script on the API’s shard', async () => {
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${gw.url}/anything`, { headers: { 'x-client': 'c1' } })).status)
    assert.deepEqual(statuses, [200, 200, 429])
    const res = await fetch(`${gw.url}/anything`, { headers: { 'x-client': 'c2' } })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('ratelimit') ?? '', /^"burst";r=1;t=60, "daily";r=9;t=\d+$/)
    assert.equal(gw.logLines().some((l) => l.msg === 'rate-limit counter store failed; this node limits on its own until it answers (onFailure: open)'), false, 'Redis answered every time')
  })
})

describe('rate-limit across three gateway processes sharing Redis', () => {
  const NODES = 3
  let upstream: TestUpstream
  let dir: string
  let nodes: { stop: () => Promise<void> }[] = []
  let ports: number[] = []
  const tenant = `accuracy-${randomUUID()}`

  before(async () => {
    await requireRedis(SHARED_REDIS)
    upstream = await startUpstream()
    dir = mkdtempSync(join(tmpdir(), 'portcullis-rl-nodes-'))
    ;({ ports, nodes } = await startGatewayNodes(dir, NODES, (_port, index) => ({
      stores: { counters: SHARED_REDIS, countersTimeoutMs: 1000, data: `sqlite:${join(dir, `node${index}.db`)}` },
      apis: [
        {
          name: 'shared',
          basePath: '/',
          upstream: { url: upstream.url },
          routes: {
            'GET /quota': { 'rate-limit': { limits: [{ name: 'daily', per: 'header:x-tenant', quota: '300/day' }] } },
            'GET /rate': { 'rate-limit': { limits: [{ name: 'rate', per: 'header:x-tenant', rate: '100/s', burst: 50 }] } },
          },
        },
      ],
    })))
  })
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    await upstream?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  /** `total` requests spread round-robin over the nodes, `concurrency` at a time; statuses counted. */
  async function load(path: string, total: number, concurrency: number, headers: Record<string, string>): Promise<{ admitted: number; refused: number; other: number; firstMs: number; lastAdmittedMs: number }> {
    const agent = new Agent({ connections: concurrency })
    const counts = { admitted: 0, refused: 0, other: 0, firstMs: 0, lastAdmittedMs: 0 }
    let next = 0
    counts.firstMs = performance.now()
    const worker = async () => {
      while (next < total) {
        const n = next++
        const res = await request(`http://127.0.0.1:${ports[n % NODES] as number}${path}`, { headers, dispatcher: agent })
        await res.body.dump()
        if (res.statusCode === 200) {
          counts.admitted++
          counts.lastAdmittedMs = performance.now()
        } else if (res.statusCode === 429) counts.refused++
        else counts.other++
      }
    }
    await Promise.all(Array.from({ length: concurrency }, () => worker()))
    await agent.close()
    return counts
  }

  test('a quota is never exceeded, whatever node a request reaches', async () => {
    const result = await load('/quota', 900, 48, { 'x-tenant': tenant })
    assert.equal(result.other, 0)
    assert.equal(result.admitted, 300, `admitted ${result.admitted} of a 300 quota across ${NODES} nodes`)
    assert.equal(result.refused, 600)
  })

  test('a rate with a burst admits at most the burst plus the rate over the run', async (t) => {
    const result = await load('/rate', 3000, 48, { 'x-tenant': tenant })
    assert.equal(result.other, 0)
    const seconds = (result.lastAdmittedMs - result.firstMs) / 1000
    const allowed = 50 + 100 * seconds
    t.diagnostic(`admitted ${result.admitted} of 3000 in ${seconds.toFixed(3)} s over ${NODES} nodes; the limit allows ${allowed.toFixed(1)} (${((result.admitted / allowed - 1) * 100).toFixed(2)} %)`)
    // The bound from the issue: 1% over, plus one request per node.
    assert.ok(result.admitted <= allowed * 1.01 + NODES, `admitted ${result.admitted} in ${seconds.toFixed(2)} s; the limit allows ${allowed.toFixed(0)}`)
    assert.ok(result.admitted >= Math.min(3000, allowed * 0.9) - NODES, `admitted only ${result.admitted} in ${seconds.toFixed(2)} s; the limit allows ${allowed.toFixed(0)}`)
  })
})
