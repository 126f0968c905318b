import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createRouter, type RouterApi } from './router.js'

function api(name: string, basePath: string, routes: [string, string][], hosts: string[] = []): RouterApi<string> {
  return { name, hosts, basePath, routes: routes.map(([method, template]) => ({ method, template, value: `${name} ${method} ${template}` })), catchAll: null }
}

describe('router', () => {
  const router = createRouter([
    api('orders', '/orders/v2', [
      ['GET', '/orders'],
      ['GET', '/orders/{id}'],
      ['DELETE', '/orders/{id}'],
      ['GET', '/orders/new'],
      ['GET', '/files/{name}.{ext}'],
      ['GET', '/files/{name}'],
      ['POST', '/orders/{orderId}/items'],
    ]),
    api('root', '/', [['GET', '/health']]),
    api('tenant', '/', [['GET', '/t']], ['*.tenant.example']),
    api('exact', '/', [['GET', '/t']], ['a.tenant.example']),
    { name: 'catch', hosts: ['catch.example'], basePath: '/', routes: [], catchAll: 'catch-all' },
  ])
  const look = (method: string, path: string, host = 'gw.example', preflight: string | null = null) => router.lookup(host, method, path, preflight)

  test('matches templates and extracts parameters', () => {
    const found = look('GET', '/orders/v2/orders/42')
    assert.equal(found.kind, 'match')
    if (found.kind === 'match') {
      assert.equal(found.value, 'orders GET /orders/{id}')
      assert.deepEqual(found.params, { id: '42' })
      assert.equal(found.relativePath, '/orders/42')
    }
  })

  test('the most specific template wins, and falls back when it lacks the method', () => {
    const staticMatch = look('GET', '/orders/v2/orders/new')
    assert.equal(staticMatch.kind === 'match' && staticMatch.value, 'orders GET /orders/new')
    const paramMatch = look('DELETE', '/orders/v2/orders/new')
    assert.equal(paramMatch.kind === 'match' && paramMatch.value, 'orders DELETE /orders/{id}')
    const pattern = look('GET', '/orders/v2/files/report.pdf')
    assert.ok(pattern.kind === 'match')
    assert.deepEqual(pattern.params, { name: 'report', ext: 'pdf' })
    const plain = look('GET', '/orders/v2/files/report')
    assert.equal(plain.kind === 'match' && plain.value, 'orders GET /files/{name}')
  })

  test('decodes parameters per segment', () => {
    const found = look('POST', '/orders/v2/orders/a%20b/items')
    assert.ok(found.kind === 'match')
    assert.deepEqual(found.params, { orderId: 'a b' })
  })

  test('unknown paths are not found; known paths with another method list Allow', () => {
    assert.equal(look('GET', '/orders/v2/nothing').kind, 'not-found')
    assert.equal(look('GET', '/elsewhere').kind, 'not-found')
    const wrong = look('PUT', '/orders/v2/orders/1')
    assert.deepEqual(wrong, { kind: 'method-not-allowed', allow: 'DELETE, GET, HEAD' })
    const head = look('HEAD', '/orders/v2/orders/1')
    assert.equal(head.kind === 'match' && head.value, 'orders GET /orders/{id}')
  })

  test('the base path matches on segment boundaries only', () => {
    assert.equal(look('GET', '/orders/v2x/orders').kind, 'not-found')
    assert.equal(look('GET', '/health').kind, 'match')
  })

  test('hosts: exact before wildcard before any; ports ignored', () => {
    const exact = look('GET', '/t', 'a.tenant.example:8443')
    assert.equal(exact.kind === 'match' && exact.value, 'exact GET /t')
    const wildcard = look('GET', '/t', 'b.tenant.example')
    assert.equal(wildcard.kind === 'match' && wildcard.value, 'tenant GET /t')
    assert.equal(look('GET', '/t', 'tenant.example').kind, 'not-found')
    const all = look('PATCH', '/any/path', 'catch.example')
    assert.equal(all.kind === 'match' && all.value, 'catch-all')
  })

  test('refuses paths that could be read differently upstream', () => {
    for (const path of ['/orders/v2/orders/..', '/orders/v2/./orders', '/orders/v2/orders/a%2fb', '/orders/v2/orders/%2e%2e', '/orders/v2/orders/%ff', '/orders/v2/orders/%zz', '/orders/v2/orders/a\\b', '/orders/v2/orders/a%00', '/orders/v2/orders/\u00e9']) {
      assert.equal(look('GET', path).kind, 'bad-path', path)
    }
  })

  test('routes a CORS preflight to the route of the method it asks about', () => {
    const preflight = look('OPTIONS', '/orders/v2/orders/1', 'gw.example', 'DELETE')
    assert.ok(preflight.kind === 'match')
    assert.equal(preflight.value, 'orders DELETE /orders/{id}')
    assert.equal(preflight.isPreflight, true)
    assert.equal(look('OPTIONS', '/orders/v2/orders/1', 'gw.example', 'PATCH').kind, 'method-not-allowed')
  })

  test('refuses duplicate routes and malformed templates at build time', () => {
    assert.throws(() => createRouter([api('x', '/', [['GET', '/a'], ['GET', '/a']])]), /declared twice/)
    assert.throws(() => createRouter([api('x', '/', [['GET', '/a/{id']])]), /unbalanced/)
    assert.throws(() => createRouter([api('x', '/', [['GET', '/a/{id}/{id}']])]), /repeats/)
  })
})
