/**
 * The data store goes away (a real PostgreSQL behind a TCP forwarder that the test cuts, with
 * every connection reset, or hangs, as a blackhole does): API keys seen valid recently keep
 * working for `staleIfErrorSec` — answered at once, not after the query timeout — unknown ones
 * get 503, a key this node has seen revoked stays refused, so does one revoked (with the CLI)
 * before the outage, which the node learns by polling the store, and service resumes with the store.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import { Management } from '../../src/admin/management.js'
import type { DataStore } from '../../src/stores/data-store.js'
import { openDataStore } from '../../src/stores/open-data-store.js'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { createTestSchema, type TestSchema } from '../helpers/postgres.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const by = { actor: 'cli:test', source: 'cli@test' }
/** Past the gateways' cacheSec (1 s): a request must ask the store again. */
const pastCacheSec = () => new Promise((r) => setTimeout(r, 1200))

describe('auth: the data store becomes unreachable', () => {
  let schema: TestSchema
  let proxy: TcpProxy
  let upstream: TestUpstream
  let store: DataStore
  let management: Management
  let tolerant: TestGateway
  let strict: TestGateway

  before(async () => {
    schema = await createTestSchema('portcullis_outage')
    const direct = new URL(schema.url)
    proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432))
    const viaProxy = new URL(schema.url)
    viaProxy.host = `127.0.0.1:${proxy.port}`
    store = await openDataStore(schema.url, '/')
    management = new Management(store)
    upstream = await startUpstream()
    const gateway = (staleIfErrorSec: number) => {
      const config = baseConfig(upstream.url, { stores: { data: viaProxy.href }, identity: { apiKeys: { cacheSec: 1, staleIfErrorSec } } })
      ;(config.apis as Record<string, unknown>[])[0] = { name: 'orders', basePath: '/', upstream: { url: upstream.url }, policies: { auth: { methods: ['apiKey'] } } }
      return startTestGateway(config)
    }
    tolerant = await gateway(60)
    strict = await gateway(0)
  })
  after(async () => {
    await tolerant?.stop()
    await strict?.stop()
    await upstream?.close()
    await proxy?.close()
    await store?.close()
    await schema?.drop()
  })

  const call = async (gw: TestGateway, key: string) => {
    const res = await fetch(`${gw.url}/orders`, { headers: { 'x-api-key': key } })
    const body = (await res.json()) as { code?: string }
    return res.status === 200 ? 200 : `${res.status} ${body.code ?? ''}`
  }
  const timedCall = async (gw: TestGateway, key: string) => {
    const started = Date.now()
    const outcome = await call(gw, key)
    return { outcome, ms: Date.now() - started }
  }
  const newKey = async (consumer: string) => {
    await management.createConsumer(by, { id: consumer, name: consumer })
    return management.createKey(by, consumer, {})
  }

  test('cut: recently seen keys keep working; unknown keys get 503; a revocation applies once the store is back', async () => {
    const seen = await newKey('acme')
    const unseen = await management.createKey(by, 'acme', {})
    assert.equal(await call(tolerant, seen.key), 200)
    assert.equal(await call(strict, seen.key), 200)

    await proxy.cut()
    try {
      await pastCacheSec()
      assert.equal(await call(tolerant, seen.key), 200, 'a key seen a second ago keeps working')
      assert.equal(await call(tolerant, unseen.key), '503 GW_ERR_AUTH_UNAVAILABLE', 'a key never seen cannot be checked')
      assert.equal(await call(strict, seen.key), '503 GW_ERR_AUTH_UNAVAILABLE', 'staleIfErrorSec: 0 refuses')
      assert.ok(
        tolerant.logLines().some((l) => l.level === 'warn' && String(l.msg).startsWith('data store unreachable: API keys are served from the stale cache')),
        'the fallback is logged',
      )
      await management.revokeKey(by, seen.record.id)
    } finally {
      await proxy.restore()
    }
    await eventually(async () => (await call(tolerant, seen.key)) === '401 GW_ERR_AUTH_INVALID', 8000, 'the revocation once the store is back')
    assert.equal(await call(tolerant, unseen.key), 200)
    assert.equal(await call(strict, unseen.key), 200)
  })

  test('hang: a key seen valid answers from its stale entry well before the 5 s query timeout; a key never seen waits and gets 503', async () => {
    const seen = await newKey('hang-acme')
    const unseen = await management.createKey(by, 'hang-acme', {})
    assert.equal(await call(tolerant, seen.key), 200)
    assert.equal(await call(strict, seen.key), 200)

    await proxy.hang()
    try {
      await pastCacheSec()
      const [first, unknown, refused] = await Promise.all([timedCall(tolerant, seen.key), timedCall(tolerant, unseen.key), timedCall(strict, seen.key)])
      assert.equal(first.outcome, 200)
      assert.ok(first.ms < 2000, `the stale entry answered after ${first.ms} ms`)
      const again = await timedCall(tolerant, seen.key)
      assert.equal(again.outcome, 200)
      assert.ok(again.ms < 2000, `the stale entry answered after ${again.ms} ms`)
      assert.equal(unknown.outcome, '503 GW_ERR_AUTH_UNAVAILABLE', 'a key never seen waits for the store')
      assert.equal(refused.outcome, '503 GW_ERR_AUTH_UNAVAILABLE', 'staleIfErrorSec: 0 refuses')
      const known = await timedCall(tolerant, seen.key)
      assert.equal(known.outcome, 200)
      assert.ok(known.ms < 2000, `once the store is known to fail, the stale entry answered after ${known.ms} ms`)
    } finally {
      await proxy.restore()
    }
    await eventually(async () => (await call(tolerant, unseen.key)) === 200, 15000, 'service with the store back')
  })

  for (const outage of ['cut', 'hang'] as const) {
    test(`${outage}: a key this node has seen revoked stays refused, after an admin change and against a store that answers from before the revocation`, async () => {
      const key = await newKey(`revoked-${outage}`)
      assert.equal(await call(tolerant, key.key), 200)
      await management.revokeKey(by, key.record.id) // what `portcullis keys revoke` does
      await eventually(async () => (await call(tolerant, key.key)) === '401 GW_ERR_AUTH_INVALID', 5000, 'the node sees the revocation')
      // A change to any consumer through the admin API makes every worker forget its look-ups.
      tolerant.gateway.forgetStoreLookups()
      await proxy[outage]()
      try {
        await pastCacheSec()
        assert.equal(await call(tolerant, key.key), '401 GW_ERR_AUTH_INVALID', 'the revocation outlives the forget and the outage')
      } finally {
        await proxy.restore()
      }
      // A failover to a lagging replica (or a restored backup) answers from before the revocation.
      const direct = new pg.Client({ connectionString: schema.url })
      await direct.connect()
      await direct.query('UPDATE api_keys SET revoked_at = NULL WHERE id = $1', [key.record.id])
      await direct.end()
      await pastCacheSec()
      assert.equal(await call(tolerant, key.key), '401 GW_ERR_AUTH_INVALID', 'a revocation seen is never undone')
    })
  }

  test('hang: a key revoked with the CLI before the outage is refused during it, though the node last found it valid and was told nothing', async () => {
    const key = await newKey('revoked-by-cli')
    assert.equal(await call(tolerant, key.key), 200, 'cached as valid')
    await management.revokeKey(by, key.record.id) // what `portcullis keys revoke` does: the store only, no gateway told
    // The key is not sent meanwhile: only the gateway's own polling (every cacheSec, 1 s) can tell it.
    await new Promise((r) => setTimeout(r, 2500))
    await proxy.hang()
    try {
      assert.equal(await call(tolerant, key.key), '401 GW_ERR_AUTH_INVALID', 'not served from the stale entry')
      await pastCacheSec()
      assert.equal(await call(tolerant, key.key), '401 GW_ERR_AUTH_INVALID', 'still refused once the store is known to fail')
    } finally {
      await proxy.restore()
    }
  })

  test('an admin revocation while a look-up of the key is in flight: the look-up from before it cannot leave a good entry behind', async () => {
    const key = await newKey('race')
    assert.equal(await call(tolerant, key.key), 200)
    await pastCacheSec()
    // The gateway reads the key, then its consumer: holding the consumers table keeps that
    // look-up in flight with the key as it was before the revocation.
    const locker = new pg.Client({ connectionString: schema.url })
    await locker.connect()
    await locker.query('BEGIN')
    await locker.query('LOCK TABLE consumers IN ACCESS EXCLUSIVE MODE')
    const inFlight = call(tolerant, key.key)
    try {
      await eventually(
        async () => (await locker.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'consumers'::regclass AND NOT granted")).rows[0]?.n === 1,
        5000,
        'the look-up waiting for the consumer',
      )
      await management.revokeKey(by, key.record.id)
      tolerant.gateway.forgetStoreLookups(key.record.id) // what the admin API's revoke does on every worker
    } finally {
      await locker.query('COMMIT')
      await locker.end()
    }
    await inFlight
    assert.equal(await call(tolerant, key.key), '401 GW_ERR_AUTH_INVALID', 'refused right after the revocation')
    await proxy.hang()
    try {
      await pastCacheSec()
      assert.notEqual(await call(tolerant, key.key), 200, 'and through an outage')
    } finally {
      await proxy.restore()
    }
  })
})
