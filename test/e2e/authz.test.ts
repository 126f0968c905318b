/**
 * `authz` end to end: security requirements from the OpenAPI document enforced on tokens from
 * the real OpenID provider and on API keys whose consumers have roles; public, undeclared and
 * administrative operations.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { stringify } from 'yaml'
import { Management } from '../../src/admin/management.js'
import type { DataStore } from '../../src/stores/data-store.js'
import { openDataStore } from '../../src/stores/open-data-store.js'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startIdentityProvider, type TestIdentityProvider } from '../helpers/identity-provider.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const ok = { '200': { description: 'ok' } }
const DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'orders', version: '1' },
  components: {
    securitySchemes: {
      oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://id.example/token', scopes: { 'orders:read': 'read', 'orders:write': 'write' } } } },
      key: { type: 'apiKey', in: 'header', name: 'x-api-key' },
    },
  },
  paths: {
    '/orders': {
      get: { operationId: 'listOrders', security: [{ oauth: ['orders:read'] }], responses: ok },
      post: { operationId: 'createOrder', security: [{ oauth: ['orders:write'] }, { key: ['orders:write'] }], responses: ok },
    },
    '/orders/{id}': { delete: { operationId: 'deleteOrder', 'x-admin': true, security: [{ key: [] }], responses: ok } },
    '/reports': { get: { operationId: 'reports', tags: ['admin'], security: [{ oauth: [] }, { key: [] }], responses: ok } },
    '/health': { get: { operationId: 'health', security: [], responses: ok } },
    '/legacy': { get: { operationId: 'legacy', responses: ok } },
  },
}

describe('authz: security requirements from the OpenAPI document', () => {
  let idp: TestIdentityProvider
  let upstream: TestUpstream
  let gw: TestGateway
  let store: DataStore
  const keys: Record<string, string> = {}

  before(async () => {
    idp = await startIdentityProvider()
    upstream = await startUpstream()
    const config = baseConfig(upstream.url, { identity: { jwt: { issuer: idp.issuer, audiences: ['orders'], algorithms: ['ES256'], typ: 'at+jwt' } } })
    ;(config.apis as Record<string, unknown>[])[0] = {
      name: 'orders',
      basePath: '/',
      openapi: 'orders.yaml',
      upstream: { url: upstream.url },
      policies: {
        auth: { methods: ['jwt', 'apiKey'], optional: true },
        authz: { roles: { buyer: ['orders:write'] }, admin: { roles: ['admin'], tags: ['admin'] } },
      },
    }
    gw = await startTestGateway(config, { files: { 'orders.yaml': stringify(DOCUMENT) } })
    await eventually(() => gw.gateway.isReady(), 10000, 'the key set to load')
    store = await openDataStore(`sqlite:${join(gw.dir, 'portcullis.db')}`, '/')
    const management = new Management(store)
    const by = { actor: 'cli:test', source: 'cli@test' }
    for (const [id, roles] of [['carol', ['buyer']], ['root', ['admin']]] as const) {
      await management.createConsumer(by, { id, name: id, roles: [...roles] })
      keys[id] = (await management.createKey(by, id, {})).key
    }
  })
  after(async () => {
    await store?.close()
    await gw?.stop()
    await upstream?.close()
    await idp?.close()
  })

  const call = async (method: string, path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}${path}`, { method, headers })
    const text = await res.text()
    return res.status === 200 ? 200 : `${res.status} ${(JSON.parse(text) as { code: string }).code}`
  }
  const bearer = async (scope: string) => ({ authorization: `Bearer ${await idp.token({ scope })}` })

  test('undeclared operations are named in a warning at load', () => {
    const warning = gw.logLines().find((l) => l.msg === 'operations without security requirements are denied')
    assert.deepEqual(warning?.operations, ['legacy'])
    assert.equal(warning?.level, 'warn')
  })

  test('scopes decide per operation; public and undeclared operations; method tampering is refused', async () => {
    const reader = await bearer('orders:read')
    const writer = await bearer('orders:read orders:write')
    assert.equal(await call('GET', '/health'), 200, 'public: no credential needed')
    assert.equal(await call('GET', '/orders'), '401 GW_ERR_AUTH_REQUIRED')
    assert.equal(await call('GET', '/orders', reader), 200)
    assert.equal(await call('POST', '/orders', reader), '403 GW_ERR_AUTHZ_DENIED', 'a read-only token cannot POST')
    assert.equal(await call('POST', '/orders', writer), 200)
    assert.equal(await call('GET', '/legacy', writer), '403 GW_ERR_AUTHZ_DENIED', 'default deny')
  })

  test('roles grant scopes; a requirement binds the authentication method', async () => {
    const carol = { 'x-api-key': keys.carol as string }
    assert.equal(await call('POST', '/orders', carol), 200, 'buyer grants orders:write, and the key scheme is accepted here')
    assert.equal(await call('GET', '/orders', carol), '403 GW_ERR_AUTHZ_DENIED', 'listOrders accepts only the oauth scheme')
  })

  test('administrative operations (tag, x-admin) need an admin role', async () => {
    assert.equal(await call('GET', '/reports', await bearer('orders:read')), '403 GW_ERR_AUTHZ_DENIED')
    assert.equal(await call('GET', '/reports', { 'x-api-key': keys.root as string }), 200)
    assert.equal(await call('DELETE', '/orders/1', { 'x-api-key': keys.carol as string }), '403 GW_ERR_AUTHZ_DENIED')
    assert.equal(await call('DELETE', '/orders/1', { 'x-api-key': keys.root as string }), 200)
    const metrics = await gw.gateway.metrics.registry.metrics()
    assert.match(metrics, /portcullis_authz_total\{api="orders",decision="deny",rule="admin"\} 2/)
    const denied = gw.logLines().filter((l) => l.msg === 'authorization denied' && l.rule === 'admin')
    assert.deepEqual(
      denied.map((l) => [l.principal, l.operation]),
      [
        ['svc', 'reports'],
        ['carol', 'deleteOrder'],
      ],
    )
  })
})
