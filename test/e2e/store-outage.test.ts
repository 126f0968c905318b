/**
 * The data store goes away (a real PostgreSQL behind a TCP forwarder that the test cuts): API
 * keys seen recently keep working for `staleIfErrorSec`, unknown ones get 503, and service
 * resumes with the store.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Management } from '../../src/admin/management.js'
import type { DataStore } from '../../src/stores/data-store.js'
import { openDataStore } from '../../src/stores/open-data-store.js'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { createTestSchema, type TestSchema } from '../helpers/postgres.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

describe('auth: the data store becomes unreachable', () => {
  let schema: TestSchema
  let proxy: TcpProxy
  let upstream: TestUpstream
  let store: DataStore
  let tolerant: TestGateway
  let strict: TestGateway

  before(async () => {
    schema = await createTestSchema('portcullis_outage')
    const direct = new URL(schema.url)
    proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432))
    const viaProxy = new URL(schema.url)
    viaProxy.host = `127.0.0.1:${proxy.port}`
    store = await openDataStore(schema.url, '/')
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

  test('recently seen keys keep working; unknown keys get 503; a revocation applies once the store is back', async () => {
    const management = new Management(store)
    const by = { actor: 'cli:test', source: 'cli@test' }
    await management.createConsumer(by, { id: 'acme', name: 'Acme' })
    const seen = await management.createKey(by, 'acme', {})
    const unseen = await management.createKey(by, 'acme', {})
    const call = async (gw: TestGateway, key: string) => {
      const res = await fetch(`${gw.url}/orders`, { headers: { 'x-api-key': key } })
      const body = (await res.json()) as { code?: string }
      return res.status === 200 ? 200 : `${res.status} ${body.code ?? ''}`
    }
    assert.equal(await call(tolerant, seen.key), 200)
    assert.equal(await call(strict, seen.key), 200)

    await proxy.cut()
    // Past cacheSec (1 s) the gateways must ask the store again, which is gone.
    await new Promise((r) => setTimeout(r, 1200))
    assert.equal(await call(tolerant, seen.key), 200, 'a key seen a second ago keeps working')
    assert.equal(await call(tolerant, unseen.key), '503 GW_ERR_AUTH_UNAVAILABLE', 'a key never seen cannot be checked')
    assert.equal(await call(strict, seen.key), '503 GW_ERR_AUTH_UNAVAILABLE', 'staleIfErrorSec: 0 refuses')
    assert.ok(
      tolerant.logLines().some((l) => l.level === 'warn' && String(l.msg).startsWith('data store unreachable: API keys are served from the stale cache')),
      'the fallback is logged',
    )

    await management.revokeKey(by, seen.record.id)
    await proxy.restore()
    await eventually(async () => (await call(tolerant, seen.key)) === '401 GW_ERR_AUTH_INVALID', 8000, 'the revocation once the store is back')
    assert.equal(await call(tolerant, unseen.key), 200)
    assert.equal(await call(strict, unseen.key), 200)
  })
})
