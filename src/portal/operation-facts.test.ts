import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { createConfigLoader, type LoadedConfig } from '../config/load-config.js'
import { builtinPolicies } from '../policies/index.js'
import { familyOf } from './build-site.js'
import { buildOperationFacts, policiesInForce, type OperationFacts } from './operation-facts.js'

const FIXTURE = join(import.meta.dirname, '../../test/fixtures/portal/gateway.yaml')
const NOW = Date.UTC(2026, 1, 10)
const loaded: LoadedConfig = createConfigLoader(builtinPolicies).load(FIXTURE)

function factsOf(apiName: string, operationId: string, hints = { requiredHeaders: [] as string[], bodyMediaTypes: [] as string[] }): OperationFacts {
  const index = loaded.config.apis.findIndex((a) => a.name === apiName)
  const route = loaded.routes[index]?.find((r) => r.operationId === operationId) ?? null
  assert.ok(route !== null, `${apiName} ${operationId}`)
  return buildOperationFacts(loaded.config, loaded.config.apis[index] as LoadedConfig['config']['apis'][number], route, hints, NOW)
}

test('an API key on orders v1: the header the identity section names, no authz rule, the API’s window limit plus every plan', () => {
  const facts = factsOf('orders-v1', 'getOrder')
  assert.deepEqual(facts.auth.credentials, [{ method: 'apiKey', header: 'x-api-key', queryParameter: null }])
  assert.equal(facts.auth.rule, null)
  assert.deepEqual(facts.rateLimits?.limits.map((l) => [l.name, l.per, l.text, l.policyField]), [['per-ip', ['ip'], '600 requests in any 1m window', '"per-ip";q=600;w=60']])
  assert.deepEqual(facts.rateLimits?.plans.map((p) => p.plan), ['default', 'gold'])
  const quota = facts.rateLimits?.plans[0]?.limits[1]
  assert.equal(quota?.code, 'GW_ERR_QUOTA_EXCEEDED')
  // February 2026 has 28 days: the quota window of the build time.
  assert.equal(quota?.policyField, `"free-quota";q=10000;w=${28 * 86400}`)
  assert.equal(facts.limits.maxBodyBytes, 65536)
  assert.equal(facts.limits.json, null)
  assert.deepEqual(facts.requestHeaders.map((h) => [h.name, h.required]), [['x-api-key', true]])
})

test('JWT or API key with authz on orders v2: alternatives with scopes and the roles granting them; the smallest body limit; JSON limits', () => {
  const facts = factsOf('orders-v2', 'createOrder', { requiredHeaders: ['Idempotency-Key'], bodyMediaTypes: ['application/json'] })
  assert.deepEqual(
    facts.auth.credentials.map((c) => c.method),
    ['jwt', 'apiKey'],
  )
  const jwt = facts.auth.credentials[0]
  assert.ok(jwt?.method === 'jwt')
  assert.deepEqual([jwt.header, jwt.scheme, jwt.issuer, jwt.audiences, jwt.algorithms], ['Authorization', 'Bearer', 'https://id.example.test', ['orders'], ['ES256']])
  assert.equal(facts.auth.rule, 'requirements')
  assert.deepEqual(facts.auth.alternatives, [{ schemes: ['oauth'], scopes: ['orders:write'], roles: ['manager'] }])
  // request-limits 256 KiB, openapi-validation 128 KiB: the chain enforces the smaller.
  assert.equal(facts.limits.maxBodyBytes, 131072)
  assert.deepEqual(facts.limits.json, { depth: 16, keys: 1000, arrayLength: 10000, stringLength: 1000000 })
  assert.equal(facts.limits.validation, 'block')
  assert.deepEqual(
    facts.requestHeaders.map((h) => h.name),
    ['Authorization', 'x-api-key', 'Idempotency-Key', 'Content-Type'],
  )
  assert.equal(facts.rateLimits?.headers, 'both')
  assert.ok(facts.responseHeaders.some((h) => h.name === 'RateLimit-Policy') && facts.responseHeaders.some((h) => h.name === 'X-RateLimit-Remaining'))
  for (const code of ['GW_ERR_AUTH_INSUFFICIENT_SCOPE', 'GW_ERR_AUTHZ_DENIED', 'GW_ERR_REQUEST_INVALID', 'GW_ERR_UNSUPPORTED_MEDIA_TYPE', 'GW_ERR_QUOTA_EXCEEDED', 'GW_ERR_REQUEST_BODY_TOO_LARGE']) {
    assert.ok(facts.errors.some((e) => e.code === code), code)
  }
  assert.ok(!facts.errors.some((e) => e.code === 'GW_ERR_CORS_ORIGIN_DENIED'))
})

test('a route override replaces the API’s rate-limit setting: deleteOrder has its own limit and no plans', () => {
  const facts = factsOf('orders-v2', 'deleteOrder')
  assert.deepEqual(facts.rateLimits?.limits.map((l) => [l.name, l.text, l.policyField]), [['deletes', '1 requests per second (bursts of 5)', '"deletes";q=5;w=5']])
  assert.deepEqual(facts.rateLimits?.plans, [])
  assert.equal(facts.rateLimits?.headers, 'ietf')
})

test('a public operation under authz needs no credential: the Authorization header is not required', () => {
  const facts = factsOf('orders-v2', 'health')
  assert.equal(facts.auth.rule, 'public')
  assert.ok(facts.requestHeaders.every((h) => !h.required))
})

test('auth scopes and CORS on billing; the document’s requirements are shown as not enforced without authz', () => {
  const facts = factsOf('billing', 'getInvoice')
  assert.deepEqual(facts.auth.requiredScopes, ['billing'])
  assert.equal(facts.auth.rule, null)
  assert.deepEqual(facts.auth.declared, [{ schemes: ['bearer'], scopes: ['billing'], roles: [] }])
  assert.equal(facts.rateLimits, null)
  assert.equal(facts.limits.maxBodyBytes, null)
  assert.ok(facts.requestHeaders.some((h) => h.name === 'Origin' && h.value === 'https://app.example.test'))
  assert.ok(facts.errors.some((e) => e.code === 'GW_ERR_CORS_ORIGIN_DENIED'))
})

test('a deprecated version: its lifecycle as configured, Deprecation, Sunset and Link on its answers, 410 among the errors; a published one has none', () => {
  const facts = factsOf('orders-v1', 'listOrders')
  assert.deepEqual(
    (({ state, deprecatedAt, deprecationAhead, sunsetAt, sunsetPassed, successor, selection }) => ({ state, deprecatedAt, deprecationAhead, sunsetAt, sunsetPassed, successor, selection }))(facts.lifecycle),
    { state: 'deprecated', deprecatedAt: '2026-01-15', deprecationAhead: false, sunsetAt: '2027-06-30', sunsetPassed: false, successor: '/orders/v2', selection: null },
  )
  assert.deepEqual(
    facts.responseHeaders.filter((h) => ['Deprecation', 'Sunset', 'Link', 'Vary'].includes(h.name)).map((h) => h.name),
    ['Deprecation', 'Sunset', 'Link'],
  )
  assert.deepEqual(facts.errors.find((e) => e.code === 'GW_ERR_API_GONE')?.sources, ['lifecycle'])
  const current = factsOf('orders-v2', 'listOrders')
  assert.ok(!current.responseHeaders.some((h) => h.name === 'Deprecation') && !current.errors.some((e) => e.code === 'GW_ERR_API_GONE'))
})

test('policiesInForce: a route’s `false` switches a policy off, a setting replaces the API’s', () => {
  const api = { policies: { auth: { methods: ['jwt'] }, waf: { mode: 'block' } } } as unknown as LoadedConfig['config']['apis'][number]
  const route = { overrides: { waf: false, auth: { methods: ['apiKey'] } } } as unknown as Parameters<typeof policiesInForce>[1]
  assert.deepEqual(policiesInForce(api, route), { auth: { methods: ['apiKey'] } })
})

test('familyOf: the name without its version label', () => {
  assert.equal(familyOf({ name: 'orders-v1', version: 'v1' }), 'orders')
  assert.equal(familyOf({ name: 'orders', version: 'v2' }), 'orders')
  assert.equal(familyOf({ name: 'v1', version: 'v1' }), 'v1')
  assert.equal(familyOf({ name: 'billing', version: undefined }), 'billing')
})
