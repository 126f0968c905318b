/**
 * `authz` end to end: security requirements from the OpenAPI document enforced on tokens from
 * the real OpenID provider and on API keys whose consumers have roles; public, undeclared and
 * administrative operations; then two users and an administrator signed in at the provider
 * against an upstream that serves anyone's objects, stopped by Cedar policies before the
 * upstream and by the ownership check on its responses.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { stringify } from 'yaml'
import { Management } from '../../src/admin/management.js'
import { startGateway } from '../../src/gateway.js'
import type { DataStore } from '../../src/stores/data-store.js'
import { openDataStore } from '../../src/stores/open-data-store.js'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startIdentityProvider, type TestIdentityProvider } from '../helpers/identity-provider.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'
import { outcomeOf } from '../helpers/outcome.js'

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

  const call = async (method: string, path: string, headers: Record<string, string> = {}) => outcomeOf(await fetch(`${gw.url}${path}`, { method, headers }))
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

@id("read-orders")
permit(principal, action == Action::"getOrder", resource);

@id("create-own-orders")
permit(principal, action == Action::"createOrder", resource)
when { resource.body has ownerId && resource.body.ownerId == principal.id };

@id("admins")
permit(principal, action, resource) when { principal.roles.contains("admin") };

@id("blocked-clients")
forbid(principal, action, resource) when { context.headers has "x-blocked" };
`
const CEDAR_SCHEMA = `
entity Consumer = { id: String, authenticated: Bool, method: String, roles: Set<String>, scopes: Set<String> };
entity Route = { api: String, method: String, template: String, params: { userId?: String, id?: String }, body: { ownerId?: String } };
action listUserOrders, getOrder, createOrder, deleteOrder, stats appliesTo { principal: Consumer, resource: Route, context: { headers: { "x-blocked"?: String } } };
`
const ORDERS: Record<string, { id: string; ownerId: string; item: string }> = {
  '1': { id: '1', ownerId: 'alice', item: 'secret-of-alice' },
  '2': { id: '2', ownerId: 'bob', item: 'secret-of-bob' },
}
const SHOP_DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'shop', version: '1' },
  components: { securitySchemes: { oauth: { type: 'oauth2', flows: { authorizationCode: { authorizationUrl: 'https://id.example/auth', tokenUrl: 'https://id.example/token', scopes: { 'orders:read': 'read', 'orders:write': 'write' } } } } } },
  security: [{ oauth: ['orders:read'] }],
  paths: {
    '/users/{userId}/orders': { get: { operationId: 'listUserOrders', responses: ok } },
    '/orders': { post: { operationId: 'createOrder', security: [{ oauth: ['orders:write'] }], responses: ok } },
    '/orders/{id}': { get: { operationId: 'getOrder', responses: ok }, delete: { operationId: 'deleteOrder', 'x-admin': true, responses: ok } },
    '/stats': { get: { operationId: 'stats', responses: ok } },
  },
}

/** The backend trusts whatever reaches it: it serves any user's orders and stores any owner. */
function shopUpstream(): Promise<TestUpstream> {
  return startUpstream((req, res, body) => {
    const url = req.url ?? ''
    const json = (value: unknown) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(value))
    }
    const user = /^\/users\/(\w+)\/orders$/.exec(url)?.[1]
    if (user !== undefined) return json(Object.values(ORDERS).filter((o) => o.ownerId === user))
    const id = /^\/orders\/(\w+)$/.exec(url)?.[1]
    if (id !== undefined) return json(req.method === 'DELETE' ? { deleted: id } : (ORDERS[id] ?? { error: 'not found' }))
    if (url === '/orders') return json({ id: '3', received: body.toString() })
    return json({ orders: Object.keys(ORDERS).length })
  })
}

describe('authz: users of the OpenID provider reach only their own objects', () => {
  let idp: TestIdentityProvider
  let upstream: TestUpstream
  let gw: TestGateway
  const tokens: Record<string, string> = {}
  const config = (upstreamUrl: string) => {
    const base = baseConfig(upstreamUrl, { identity: { jwt: { issuer: idp.issuer, audiences: ['orders'], algorithms: ['ES256'], typ: 'at+jwt' } } })
    ;(base.apis as Record<string, unknown>[])[0] = {
      name: 'shop',
      basePath: '/',
      openapi: 'shop.yaml',
      upstream: { url: upstreamUrl },
      policies: {
        auth: { methods: ['jwt'] },
        authz: {
          admin: { roles: ['admin'] },
          cedar: { policies: 'policies.cedar', schema: 'schema.cedarschema', headers: ['x-blocked'], bodyFields: ['ownerId'] },
          responseOwner: { field: 'ownerId', exemptRoles: ['admin'] },
        },
      },
    }
    return base
  }

  before(async () => {
    idp = await startIdentityProvider()
    upstream = await shopUpstream()
    gw = await startTestGateway(config(upstream.url), { files: { 'shop.yaml': stringify(SHOP_DOCUMENT), 'policies.cedar': CEDAR_POLICIES, 'schema.cedarschema': CEDAR_SCHEMA } })
    await eventually(() => gw.gateway.isReady(), 10000, 'the key set to load')
    for (const user of ['alice', 'bob', 'root'] as const) tokens[user] = await idp.userToken(user)
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
    await idp?.close()
  })

  const call = async (who: string, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) => {
    const res = await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...init.headers }, body: init.body })
    const text = await res.text()
    return { status: res.status, text, code: res.status === 200 ? null : (JSON.parse(text) as { code: string }).code }
  }
  const outcome = async (...args: Parameters<typeof call>) => {
    const { status, code } = await call(...args)
    return code === null ? status : `${status} ${code}`
  }

  test('before the upstream: another user’s objects are refused by the Cedar policies', async () => {
    const seen = upstream.requests.length
    const own = await call('alice', 'GET', '/users/alice/orders')
    assert.deepEqual([own.status, (JSON.parse(own.text) as { item: string }[]).map((o) => o.item)], [200, ['secret-of-alice']])
    assert.equal(await outcome('alice', 'GET', '/users/bob/orders'), '403 GW_ERR_AUTHZ_DENIED')
    assert.equal(await outcome('bob', 'GET', '/users/bob/orders'), 200)
    assert.equal(await outcome('bob', 'GET', '/users/alice/orders'), '403 GW_ERR_AUTHZ_DENIED')
    assert.equal(await outcome('root', 'GET', '/users/alice/orders'), 200, 'the admin permit')
    assert.equal(upstream.requests.length - seen, 3, 'refused requests never reach the upstream')

    const allowed = gw.logLines().find((l) => l.kind === 'access' && l.route === '/users/{userId}/orders' && l.status === 200)
    assert.deepEqual(allowed?.authz, { decision: 'allow', principal: 'alice', operation: 'listUserOrders', rule: 'cedar', policies: ['own-orders'], reason: null })
    const denied = gw.logLines().find((l) => l.msg === 'authorization denied' && l.principal === 'alice')
    assert.deepEqual([denied?.operation, denied?.rule, denied?.reason], ['listUserOrders', 'cedar', 'no Cedar policy permits it'])
  })

  test('before the upstream: an order created for someone else is refused by its body field', async () => {
    const json = { 'content-type': 'application/json' }
    assert.equal(await outcome('alice', 'POST', '/orders', { headers: json, body: '{"ownerId":"alice","item":"tea"}' }), 200)
    assert.equal(await outcome('alice', 'POST', '/orders', { headers: json, body: '{"ownerId":"bob","item":"tea"}' }), '403 GW_ERR_AUTHZ_DENIED')
    assert.equal(await outcome('alice', 'POST', '/orders', { headers: json, body: '{"item":"tea"}' }), '403 GW_ERR_AUTHZ_DENIED', 'no owner: no permit')
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    assert.equal(await outcome('alice', 'POST', '/orders', { headers: form, body: 'ownerId=bob&item=tea' }), '403 GW_ERR_AUTHZ_DENIED')
    assert.equal(await outcome('alice', 'POST', '/orders', { headers: form, body: 'ownerId=alice' }), 200)
    assert.equal(await outcome('alice', 'POST', '/orders', { headers: { 'content-type': 'text/plain' }, body: 'ownerId: bob' }), '403 GW_ERR_AUTHZ_DENIED', 'an unreadable body is not an empty one')
    assert.equal(gw.logLines().filter((l) => l.msg === 'authorization denied' && l.rule === 'unreadable_body').length, 1)
    assert.equal(await outcome('root', 'POST', '/orders', { headers: json, body: '{"ownerId":"bob"}' }), 200, 'the admin permit')
  })

  test('after the upstream: another user’s object becomes a 403 and its body is never sent', async () => {
    const own = await call('alice', 'GET', '/orders/1')
    assert.deepEqual([own.status, (JSON.parse(own.text) as { item: string }).item], [200, 'secret-of-alice'])
    const other = await call('alice', 'GET', '/orders/2')
    assert.deepEqual([other.status, other.code], [403, 'GW_ERR_AUTHZ_DENIED'])
    assert.equal(other.text.includes('secret-of-bob'), false)
    assert.equal((await call('bob', 'GET', '/orders/1')).text.includes('secret-of-alice'), false)
    assert.equal(await outcome('bob', 'GET', '/orders/2'), 200)
    assert.equal(await outcome('root', 'GET', '/orders/1'), 200, 'exempt role')
    assert.equal(await outcome('alice', 'GET', '/orders/9'), '403 GW_ERR_AUTHZ_DENIED', 'an object without an owner field is refused')
    const denied = gw.logLines().filter((l) => l.msg === 'authorization denied' && l.rule === 'response_owner')
    assert.deepEqual(
      denied.map((l) => [l.principal, l.operation]),
      [
        ['alice', 'getOrder'],
        ['bob', 'getOrder'],
        ['alice', 'getOrder'],
      ],
    )
    assert.match(String(denied[2]?.reason), /no owner field/)
    const access = gw.logLines().filter((l) => l.kind === 'access' && l.route === '/orders/{id}' && l.status === 403)
    assert.equal((access[0]?.authz as { rule?: string } | undefined)?.rule, 'response_owner', 'the access line carries the final decision')
  })

  test('administrative operations are refused to users; a forbid wins over the admin permit', async () => {
    assert.equal(await outcome('alice', 'DELETE', '/orders/1'), '403 GW_ERR_AUTHZ_DENIED')
    assert.equal(await outcome('root', 'DELETE', '/orders/1'), 200)
    assert.equal(await outcome('bob', 'GET', '/stats'), '403 GW_ERR_AUTHZ_DENIED')
    assert.equal(await outcome('root', 'GET', '/stats'), 200)
    assert.equal(await outcome('root', 'GET', '/stats', { headers: { 'x-blocked': '1' } }), '403 GW_ERR_AUTHZ_DENIED')
    const denial = gw.logLines().filter((l) => l.msg === 'authorization denied' && l.rule === 'cedar').at(-1)
    assert.deepEqual([denial?.principal, denial?.operation, denial?.policies], ['root', 'stats', ['blocked-clients']])
    const metrics = await gw.gateway.metrics.registry.metrics()
    assert.match(metrics, /portcullis_authz_total\{api="shop",decision="deny",rule="admin"\} 1/)
    assert.match(metrics, /portcullis_authz_total\{api="shop",decision="allow",rule="cedar"\} \d+/)
  })

  test('a broken policy file or one that violates the schema is refused at reload; the old policies keep serving', async () => {
    writeFileSync(join(gw.dir, 'policies.cedar'), 'permit(principal, action, resource) when { principal.nickname == "x" };')
    const invalid = await gw.gateway.reload()
    assert.equal(invalid.ok, false)
    assert.match(invalid.problems[0]?.message ?? '', /do not validate against schema\.cedarschema: policy0: .*nickname/)
    writeFileSync(join(gw.dir, 'policies.cedar'), 'permit(principal, action resource);')
    const broken = await gw.gateway.reload()
    assert.equal(broken.ok, false)
    assert.match(broken.problems[0]?.message ?? '', /Cedar policies policies\.cedar/)
    assert.equal(await outcome('alice', 'GET', '/users/bob/orders'), '403 GW_ERR_AUTHZ_DENIED', 'the old policies still decide')
    assert.equal(await outcome('alice', 'GET', '/users/alice/orders'), 200)

    writeFileSync(join(gw.dir, 'policies.cedar'), `${CEDAR_POLICIES}\n@id("everyone-lists") permit(principal, action == Action::"listUserOrders", resource);`)
    assert.equal((await gw.gateway.reload()).ok, true, 'a changed policy file alone recompiles the API')
    assert.equal(await outcome('alice', 'GET', '/users/bob/orders'), '403 GW_ERR_AUTHZ_DENIED')
    const last = gw.logLines().filter((l) => l.msg === 'authorization denied').at(-1)
    assert.deepEqual([last?.operation, last?.rule], ['listUserOrders', 'response_owner'], 'Cedar now permits it; the list holds bob’s orders, so the response check refuses it')
  })

  test('a broken policy file refuses the config at load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-authz-'))
    try {
      const file = join(dir, 'gateway.yaml')
      writeFileSync(join(dir, 'shop.yaml'), stringify(SHOP_DOCUMENT))
      writeFileSync(join(dir, 'schema.cedarschema'), CEDAR_SCHEMA)
      writeFileSync(join(dir, 'policies.cedar'), 'forbid(principal, action, resource) when { resource.body.ownerId == 1 };')
      writeFileSync(file, stringify(config(upstream.url)))
      await assert.rejects(startGateway({ configFile: file }), (error: Error & { problems?: { path: string; message: string }[] }) => {
        assert.equal(error.problems?.[0]?.path, 'apis[0].policies.authz')
        assert.match(error.problems[0]?.message ?? '', /do not validate against schema\.cedarschema/)
        return true
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('authz: a Cedar evaluation error is a deny', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  before(async () => {
    upstream = await startUpstream()
    const base = baseConfig(upstream.url)
    ;(base.apis as Record<string, unknown>[])[0] = {
      name: 'open',
      basePath: '/',
      openapi: 'open.yaml',
      upstream: { url: upstream.url },
      policies: { authz: { cedar: { policies: 'policies.cedar', headers: ['x-team'] } } },
    }
    const document = { openapi: '3.1.0', info: { title: 'open', version: '1' }, security: [], paths: { '/things': { get: { operationId: 'listThings', responses: ok } } } }
    // No schema, so nothing stops the forbid from reading a header that may be absent.
    const policies = '@id("everyone") permit(principal, action, resource);\n@id("red-team") forbid(principal, action, resource) when { context.headers["x-team"] == "red" };'
    gw = await startTestGateway(base, { files: { 'open.yaml': stringify(document), 'policies.cedar': policies } })
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('a forbid that fails to evaluate does not let the permit through; the error is logged', async () => {
    const get = async (headers: Record<string, string>) => outcomeOf(await fetch(`${gw.url}/things`, { headers }))
    assert.equal(await get({ 'x-team': 'blue' }), 200)
    assert.equal(await get({ 'x-team': 'red' }), '403 GW_ERR_AUTHZ_DENIED')
    assert.equal(await get({}), '403 GW_ERR_AUTHZ_EVALUATION_FAILED', 'Cedar alone would skip the failing forbid and allow')
    const error = gw.logLines().find((l) => l.msg === 'authorization policy failed to evaluate; denied')
    assert.equal(error?.level, 'error')
    assert.match(JSON.stringify(error?.errors), /red-team/)
    const metrics = await gw.gateway.metrics.registry.metrics()
    assert.match(metrics, /portcullis_authz_total\{api="open",decision="deny",rule="cedar_error"\} 1/)
  })
})
