/**
 * `rate-limit` end to end with the memory store and an injected clock: a burst then the steady
 * rate, a calendar quota rolling over at midnight in its time zone, IPv6 clients grouped by
 * prefix, several limits on one route, plans from consumers' records, both header styles, and the
 * config refused when the memory store would count per worker.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { stringify } from 'yaml'
import { Management } from '../../src/admin/management.js'
import { createConfigLoader } from '../../src/config/load-config.js'
import { ConfigError } from '../../src/errors.js'
import { builtinPolicies } from '../../src/policies/index.js'
import type { DataStore } from '../../src/stores/data-store.js'
import { openDataStore } from '../../src/stores/open-data-store.js'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'
import { outcomeOf } from '../helpers/outcome.js'

describe('rate-limit with the memory store', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  let store: DataStore
  const keys: Record<string, string> = {}
  // 23:30 in Paris on 2026-11-29.
  let now = Date.UTC(2026, 10, 29, 22, 30, 0)

  before(async () => {
    upstream = await startUpstream()
    const config = baseConfig(upstream.url, {
      trustedProxies: ['127.0.0.1'],
      plans: { gold: { limits: [{ name: 'gold', rate: '60/m', burst: 4 }] }, default: { limits: [{ name: 'basic', rate: '1/m' }] } },
    })
    ;(config.apis as Record<string, unknown>[])[0] = {
      name: 'limited',
      basePath: '/',
      upstream: { url: upstream.url },
      policies: { 'rate-limit': { plans: false } },
      routes: {
        'GET /burst': { 'rate-limit': { plans: false, limits: [{ name: 'burst', per: 'ip', rate: '10/s', burst: 5 }] } },
        'GET /quota': { 'rate-limit': { plans: false, limits: [{ name: 'daily', per: 'header:x-tenant', quota: '3/day', timeZone: 'Europe/Paris' }] } },
        'GET /per-ip': { 'rate-limit': { plans: false, limits: [{ name: 'ip', per: 'ip', rate: '1/m', burst: 2 }] } },
        'GET /legacy': { 'rate-limit': { plans: false, headers: 'legacy', limits: [{ name: 'l', per: 'ip', rate: '1/m', burst: 2 }] } },
        'GET /several': {
          'rate-limit': {
            plans: false,
            limits: [
              { name: 'route', per: 'route', rate: '100/s' },
              { name: 'tenant', per: ['header:x-tenant', 'ip'], window: '1m', limit: 2 },
            ],
          },
        },
        'GET /planned': { auth: { methods: ['apiKey'] }, 'rate-limit': {} },
      },
    }
    gw = await startTestGateway(config, { clock: { now: () => now } })
    store = await openDataStore(`sqlite:${join(gw.dir, 'portcullis.db')}`, '/')
    const management = new Management(store)
    const by = { actor: 'cli:test', source: 'cli@test' }
    for (const [id, plan] of [['goldie', 'gold'], ['frugal', 'bronze'], ['plain', null]] as const) {
      await management.createConsumer(by, { id, name: id, ...(plan === null ? {} : { plan }) })
      keys[id] = (await management.createKey(by, id, {})).key
    }
  })
  after(async () => {
    await store?.close()
    await gw?.stop()
    await upstream?.close()
  })

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}${path}`, { headers })
    const text = await res.text()
    return {
      status: res.status,
      code: res.status === 200 ? null : (JSON.parse(text) as { code: string }).code,
      retryAfter: res.headers.get('retry-after'),
      policy: res.headers.get('ratelimit-policy'),
      limit: res.headers.get('ratelimit'),
      legacy: [res.headers.get('x-ratelimit-limit'), res.headers.get('x-ratelimit-remaining'), res.headers.get('x-ratelimit-reset')],
      contentType: res.headers.get('content-type'),
    }
  }

  test('a burst at once, then the steady rate; refused requests consume nothing', async () => {
    const burst = []
    for (let i = 0; i < 5; i++) burst.push(await get('/burst'))
    assert.deepEqual(
      burst.map((r) => [r.status, r.limit]),
      [4, 3, 2, 1, 0].map((r) => [200, `"burst";r=${r};t=${r === 4 ? 1 : 1}`]),
    )
    assert.equal(burst[0]?.policy, '"burst";q=5;w=1')
    const refused = await get('/burst')
    assert.deepEqual([refused.status, refused.code, refused.retryAfter, refused.limit], [429, 'GW_ERR_RATE_LIMITED', '1', '"burst";r=0;t=1'])
    assert.equal(refused.contentType, 'application/problem+json')
    for (let i = 0; i < 10; i++) assert.equal((await get('/burst')).status, 429)
    now += 100
    assert.equal((await get('/burst')).status, 200, 'one unit came back after 100 ms, the refusals took none')
    assert.equal((await get('/burst')).status, 429)
    now += 1000
    assert.equal((await get('/burst')).limit, '"burst";r=4;t=1', 'a quiet second refills the burst')
  })

  test('a calendar quota rolls over at midnight in its time zone, per header value', async () => {
    now = Date.UTC(2026, 10, 29, 22, 30, 0)
    const tenantA = { 'x-tenant': 'a' }
    for (let i = 0; i < 3; i++) assert.equal((await get('/quota', tenantA)).status, 200)
    const refused = await get('/quota', tenantA)
    assert.deepEqual([refused.status, refused.code, refused.retryAfter], [429, 'GW_ERR_QUOTA_EXCEEDED', '1800'], 'thirty minutes to midnight in Paris')
    assert.equal(refused.policy, '"daily";q=3;w=86400')
    assert.equal((await get('/quota', { 'x-tenant': 'b' })).status, 200, 'another tenant has its own quota')
    now += 30 * 60 * 1000
    const nextDay = await get('/quota', tenantA)
    assert.deepEqual([nextDay.status, nextDay.limit], [200, '"daily";r=2;t=86400'])
  })

  test('IPv6 clients are counted by /64, IPv4 clients by address', async () => {
    const from = (address: string) => get('/per-ip', { 'x-forwarded-for': address })
    assert.equal((await from('2001:db8:1:1::5')).status, 200)
    assert.equal((await from('2001:db8:1:1:aaaa::6')).status, 200)
    assert.equal((await from('2001:db8:1:1:ffff:ffff:ffff:ffff')).status, 429, 'the same /64')
    assert.equal((await from('2001:db8:1:2::5')).status, 200, 'the next /64')
    assert.equal((await from('10.0.0.1')).status, 200)
    assert.equal((await from('10.0.0.1')).status, 200)
    assert.equal((await from('10.0.0.1')).status, 429)
    assert.equal((await from('10.0.0.2')).status, 200)
  })

  test('legacy header names on request', async () => {
    const first = await get('/legacy')
    // One unit a minute, two at once: after one request the bucket is full again in 60 s.
    assert.deepEqual([first.legacy, first.policy, first.limit], [['2', '1', '60'], null, null])
    await get('/legacy')
    const refused = await get('/legacy')
    assert.deepEqual([refused.status, refused.legacy, refused.retryAfter], [429, ['2', '0', '120'], '60'])
  })

  test('several limits on one route: every one must pass, and each is reported', async () => {
    now = Date.UTC(2026, 10, 30, 1, 0, 0)
    const tenant = { 'x-tenant': 'several' }
    const first = await get('/several', tenant)
    assert.equal(first.policy, '"route";q=100;w=1, "tenant";q=2;w=60')
    assert.equal(first.limit, '"route";r=99;t=1, "tenant";r=1;t=120')
    assert.equal((await get('/several', tenant)).status, 200)
    const refused = await get('/several', tenant)
    assert.deepEqual([refused.status, refused.code], [429, 'GW_ERR_RATE_LIMITED'])
    assert.equal(refused.limit, '"route";r=98;t=1, "tenant";r=0;t=120', 'the route limit was not consumed by the refusal')
    assert.equal((await get('/several', { 'x-tenant': 'other' })).status, 200)
  })

  test('a consumer’s plan brings its limits; an unknown plan falls back to the default plan', async () => {
    const as = (who: string) => get('/planned', { 'x-api-key': keys[who] as string })
    const gold = []
    for (let i = 0; i < 5; i++) gold.push((await as('goldie')).status)
    assert.deepEqual(gold, [200, 200, 200, 200, 429])
    assert.equal((await as('goldie')).policy, '"gold";q=4;w=4')
    assert.deepEqual([(await as('frugal')).status, (await as('frugal')).status], [200, 429], 'bronze is not a plan: the default plan applies')
    assert.deepEqual([(await as('plain')).status, (await as('plain')).status], [200, 429])
    const warning = gw.logLines().find((l) => l.msg === 'a consumer’s plan is not in the config’s plans; the default plan’s limits apply')
    assert.equal(warning?.plan, 'bronze')
  })
})

test('the memory store with several workers is refused: it would count per worker', () => {
  const dir = process.env.TMPDIR ?? '/tmp'
  const file = join(dir, `portcullis-rl-${process.pid}.yaml`)
  writeFileSync(file, stringify({ listen: { http: { port: 0 } }, workers: 3, apis: [{ name: 'a', basePath: '/', upstream: { url: 'http://127.0.0.1:9' }, policies: { 'rate-limit': { limits: [{ rate: '10/s' }] } } }] }))
  assert.throws(
    () => createConfigLoader(builtinPolicies).load(file),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.deepEqual(error.problems, [
        {
          path: 'apis[0].policies.rate-limit',
          message: 'with workers: 3 the memory counter store would count in each worker separately (3× the limit); set stores.counters to a Redis URL, or workers: 1',
        },
      ])
      return true
    },
  )
})

describe('rate-limit concurrency: in-flight requests per key', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  const held: { client: string; id: string; release: () => void }[] = []

  before(async () => {
    // Holds every request until the test releases it.
    upstream = await startUpstream((req, res) => {
      held.push({ client: String(req.headers['x-client']), id: String(req.headers['x-id']), release: () => res.end('done') })
    })
    const config = baseConfig(upstream.url)
    ;(config.apis as Record<string, unknown>[])[0] = {
      name: 'slow',
      basePath: '/',
      upstream: { url: upstream.url },
      routes: { 'GET /slow': { 'rate-limit': { plans: false, concurrency: { per: 'header:x-client', max: 2, queue: 1, queueTimeout: '300ms' } } } },
    }
    gw = await startTestGateway(config)
  })
  after(async () => {
    for (const h of held.splice(0)) h.release()
    await gw?.stop()
    await upstream?.close()
  })

  const send = (client: string, signal?: AbortSignal, id = '') =>
    fetch(`${gw.url}/slow`, { headers: { 'x-client': client, 'x-id': id }, ...(signal === undefined ? {} : { signal }) }).then(outcomeOf)
  const heldFor = (client: string) => held.filter((h) => h.client === client).length
  const releaseOne = (client: string) => {
    const index = held.findIndex((h) => h.client === client)
    held.splice(index, 1)[0]?.release()
  }

  test('max in flight, then a bounded queue, then 503; other keys are not held up', async () => {
    const first = [send('a'), send('a')]
    await eventually(() => heldFor('a') === 2, 5000, 'two requests at the upstream')
    const queued = send('a')
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(await send('a'), '503 GW_ERR_CONCURRENCY_LIMITED', 'the queue holds one')
    const other = send('b')
    await eventually(() => heldFor('b') === 1, 5000, 'another key passes')
    assert.equal(heldFor('a'), 2, 'the queued request waits')
    releaseOne('a')
    await eventually(() => heldFor('a') === 2, 5000, 'the queued request takes the freed slot')
    while (held.length > 0) releaseOne(held[0]?.client ?? '')
    assert.deepEqual(await Promise.all([...first, queued, other]), [200, 200, 200, 200])
  })

  test('a queued request gives up after queueTimeout; one whose client left gives its slot back', async () => {
    const first = [send('c'), send('c')]
    await eventually(() => heldFor('c') === 2, 5000, 'two requests at the upstream')
    const started = performance.now()
    assert.equal(await send('c'), '503 GW_ERR_CONCURRENCY_LIMITED')
    assert.ok(performance.now() - started >= 250, 'it waited for the queue timeout')

    const abort = new AbortController()
    const leaving = send('c', abort.signal).catch(() => 'aborted')
    await new Promise((resolve) => setTimeout(resolve, 50))
    abort.abort()
    assert.equal(await leaving, 'aborted')
    releaseOne('c')
    // The slot went to the request whose client left, which handed it straight back (the
    // gateway may have noticed the departure only then, and forwarded it first).
    const next = send('c', undefined, 'next')
    await eventually(() => held.some((h) => h.id === 'next'), 5000, 'a new request gets a slot')
    while (held.length > 0) releaseOne(held[0]?.client ?? '')
    assert.deepEqual(await Promise.all([...first, next]), [200, 200, 200])
  })
})
