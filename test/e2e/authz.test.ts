/**
 * `authz` end to end: security requirements from the OpenAPI document enforced on tokens from
 * the real OpenID provider and on API keys whose consumers have roles; public, undeclared and
 * administrative operations.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
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

/** A consumer with these roles and one API key for each name; returns the keys by name. */
async function issueKeys(store: DataStore, consumers: Record<string, string[]>): Promise<Record<string, string>> {
  const management = new Management(store)
  const by = { actor: 'cli:test', source: 'cli@test' }
  const keys: Record<string, string> = {}
  for (const [id, roles] of Object.entries(consumers)) {
    await management.createConsumer(by, { id, name: id, roles })
    keys[id] = (await management.createKey(by, id, {})).key
  }
  return keys
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
    Object.assign(keys, await issueKeys(store, { carol: ['buyer'], root: ['admin'] }))
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

const CEDAR_POLICIES = `
@id("own-orders")
permit(principal, action == Action::"listUserOrders", resource)
when { resource.params has userId && resource.params.userId == principal.id };

@id("admins")
permit(principal, action, resource) when { principal.roles.contains("admin") };

@id("blocked-clients")
forbid(principal, action, resource) when { context.headers has "x-blocked" };
`
const CEDAR_SCHEMA = `
entity Consumer = { id: String, authenticated: Bool, method: String, roles: Set<String>, scopes: Set<String> };
entity Route = { api: String, method: String, template: String, params: { userId?: String } };
action listUserOrders, stats appliesTo { principal: Consumer, resource: Route, context: { headers: { "x-blocked"?: String } } };
`
const USERS_DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'users', version: '1' },
  components: { securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
  security: [{ key: [] }],
  paths: {
    '/users/{userId}/orders': { get: { operationId: 'listUserOrders', responses: ok } },
    '/stats': { get: { operationId: 'stats', responses: ok } },
  },
}

describe('authz: Cedar policies', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  let store: DataStore
  const keys: Record<string, string> = {}
  const config = () => {
    const base = baseConfig(upstream.url)
    ;(base.apis as Record<string, unknown>[])[0] = {
      name: 'users',
      basePath: '/',
      openapi: 'users.yaml',
      upstream: { url: upstream.url },
      policies: { auth: { methods: ['apiKey'] }, authz: { cedar: { policies: 'policies.cedar', schema: 'schema.cedarschema', headers: ['x-blocked'] } } },
    }
    return base
  }

  before(async () => {
    upstream = await startUpstream()
    gw = await startTestGateway(config(), { files: { 'users.yaml': stringify(USERS_DOCUMENT), 'policies.cedar': CEDAR_POLICIES, 'schema.cedarschema': CEDAR_SCHEMA } })
    store = await openDataStore(`sqlite:${join(gw.dir, 'portcullis.db')}`, '/')
    Object.assign(keys, await issueKeys(store, { alice: [], bob: [], root: ['admin'] }))
  })
  after(async () => {
    await store?.close()
    await gw?.stop()
    await upstream?.close()
  })

  const call = async (path: string, who: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}${path}`, { headers: { 'x-api-key': keys[who] as string, ...headers } })
    const text = await res.text()
    return res.status === 200 ? 200 : `${res.status} ${(JSON.parse(text) as { code: string }).code}`
  }

  test('each user reaches only their own objects; admins reach all; forbid wins over permit', async () => {
    assert.equal(await call('/users/alice/orders', 'alice'), 200)
    assert.equal(await call('/users/bob/orders', 'alice'), '403 GW_ERR_AUTHZ_DENIED', 'BOLA: another user’s objects')
    assert.equal(await call('/users/bob/orders', 'bob'), 200)
    assert.equal(await call('/users/bob/orders', 'root'), 200)
    assert.equal(await call('/stats', 'alice'), '403 GW_ERR_AUTHZ_DENIED')
    assert.equal(await call('/stats', 'root'), 200)
    assert.equal(await call('/stats', 'root', { 'x-blocked': '1' }), '403 GW_ERR_AUTHZ_DENIED', 'a forbid overrides the admin permit')
    const denial = gw.logLines().filter((l) => l.msg === 'authorization denied' && l.rule === 'cedar').at(-1)
    assert.deepEqual([denial?.principal, denial?.operation, denial?.policies], ['root', 'stats', ['blocked-clients']])
  })

  test('a broken policy file or one that violates the schema is refused at reload; the old policies keep serving', async () => {
    writeFileSync(join(gw.dir, 'policies.cedar'), 'permit(principal, action, resource) when { principal.nickname == "x" };')
    const invalid = await gw.gateway.reload()
    assert.equal(invalid.ok, false)
    assert.match(invalid.problems[0]?.message ?? '', /do not validate against schema\.cedarschema/)
    writeFileSync(join(gw.dir, 'policies.cedar'), 'permit(principal, action resource);')
    const broken = await gw.gateway.reload()
    assert.equal(broken.ok, false)
    assert.match(broken.problems[0]?.message ?? '', /Cedar policies policies\.cedar/)
    assert.equal(await call('/users/bob/orders', 'alice'), '403 GW_ERR_AUTHZ_DENIED', 'the old policies still decide')
    assert.equal(await call('/users/alice/orders', 'alice'), 200)

    writeFileSync(join(gw.dir, 'policies.cedar'), `${CEDAR_POLICIES}\n@id("everyone-reads") permit(principal, action == Action::"listUserOrders", resource);`)
    assert.equal((await gw.gateway.reload()).ok, true, 'a changed policy file alone recompiles the API')
    assert.equal(await call('/users/bob/orders', 'alice'), 200)
  })
})

describe('authz: ownership checked on the response', () => {
  const ORDERS: Record<string, { id: string; ownerId: string; item: string }> = {
    '1': { id: '1', ownerId: 'alice', item: 'secret-of-alice' },
    '2': { id: '2', ownerId: 'bob', item: 'secret-of-bob' },
  }
  const document = {
    openapi: '3.1.0',
    info: { title: 'orders', version: '1' },
    components: { securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
    security: [{ key: [] }],
    paths: { '/orders': { get: { operationId: 'listOrders', responses: ok } }, '/orders/{id}': { get: { operationId: 'getOrder', responses: ok } } },
  }
  let upstream: TestUpstream
  let gw: TestGateway
  let store: DataStore
  let keys: Record<string, string> = {}

  before(async () => {
    // The upstream answers every order to anyone: only its data says whose an order is.
    upstream = await startUpstream((req, res) => {
      const id = /^\/orders\/(\w+)$/.exec(req.url ?? '')?.[1]
      const body = id === undefined ? Object.values(ORDERS) : ORDERS[id]
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(body ?? { error: 'not found' }))
    })
    const base = baseConfig(upstream.url)
    ;(base.apis as Record<string, unknown>[])[0] = {
      name: 'orders',
      basePath: '/',
      openapi: 'orders.yaml',
      upstream: { url: upstream.url },
      policies: { auth: { methods: ['apiKey'] }, authz: { responseOwner: { field: 'ownerId', exemptRoles: ['admin'] } } },
    }
    gw = await startTestGateway(base, { files: { 'orders.yaml': stringify(document) } })
    store = await openDataStore(`sqlite:${join(gw.dir, 'portcullis.db')}`, '/')
    keys = await issueKeys(store, { alice: [], bob: [], root: ['admin'] })
  })
  after(async () => {
    await store?.close()
    await gw?.stop()
    await upstream?.close()
  })

  const read = async (path: string, who: string) => {
    const res = await fetch(`${gw.url}${path}`, { headers: { 'x-api-key': keys[who] as string } })
    return { status: res.status, text: await res.text() }
  }

  test('another user’s object becomes a 403 and its body never reaches the client', async () => {
    const own = await read('/orders/1', 'alice')
    assert.deepEqual([own.status, (JSON.parse(own.text) as { item: string }).item], [200, 'secret-of-alice'])
    const other = await read('/orders/2', 'alice')
    assert.equal(other.status, 403)
    assert.equal((JSON.parse(other.text) as { code: string }).code, 'GW_ERR_AUTHZ_DENIED')
    assert.equal(other.text.includes('secret-of-bob'), false, 'the body is never sent')
    assert.equal((await read('/orders/2', 'bob')).status, 200)
    assert.equal((await read('/orders/2', 'root')).status, 200, 'exempt role')
    assert.equal((await read('/orders', 'alice')).status, 403, 'a list holding another user’s object')
    assert.equal((await read('/orders/9', 'alice')).status, 403, 'an object without an owner field is refused')
    const denied = gw.logLines().filter((l) => l.msg === 'authorization denied' && l.rule === 'response_owner')
    assert.deepEqual(
      denied.map((l) => [l.principal, l.operation, l.reason]),
      [
        ['alice', 'GET /orders/{id}', 'not_owner'],
        ['alice', 'GET /orders', 'not_owner'],
        ['alice', 'GET /orders/{id}', 'no_owner_field'],
      ],
    )
  })
})
