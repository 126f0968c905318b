import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, test } from 'node:test'
import { Type } from '@sinclair/typebox'
import { request } from 'undici'
import { definePolicy } from '../../src/pipeline/define-policy.js'
import { builtinPolicies } from '../../src/policies/index.js'
import { baseConfig, eventually, startTestGateway } from '../helpers/gateway.js'
import { startUpstream } from '../helpers/upstream.js'

const TOKEN = 'admin-token-for-tests'
const TOKEN_HASH = createHash('sha256').update(TOKEN).digest('hex')

async function status(url: string, init: Parameters<typeof request>[1] = {}): Promise<number> {
  const res = await request(url, init)
  await res.body.text()
  return res.statusCode
}

describe('hot reload', () => {
  test('applies a changed file, refuses an invalid one and keeps serving the old config', async () => {
    const upstream = await startUpstream()
    const config = (routes: Record<string, object>) => ({ ...baseConfig(upstream.url), watch: true, apis: [{ name: 'a', upstream: { url: upstream.url }, routes }] })
    const gw = await startTestGateway(config({ 'GET /one': {} }))
    try {
      assert.equal(await status(`${gw.url}/one`), 200)
      assert.equal(await status(`${gw.url}/two`), 404)
      gw.writeConfig(config({ 'GET /one': {}, 'GET /two': {} }))
      // A reload parses on a worker thread started on demand: seconds on a busy 2-core machine.
      await eventually(async () => (await status(`${gw.url}/two`)) === 200, 15_000, 'the new route')

      gw.writeConfig({ ...config({ 'GET /three': {} }), apis: [{ name: 'a', upstream: { url: 'not a url' } }] })
      await eventually(() => gw.logLines().some((l) => l.msg === 'config reload refused; the previous config keeps serving'), 15_000, 'the refusal')
      assert.equal(await status(`${gw.url}/two`), 200)
      const refused = gw.logLines().find((l) => l.msg?.toString().startsWith('config reload refused')) as { problems: { path: string }[] }
      assert.equal(refused.problems[0]?.path, 'apis[0].upstream.url')
      const metrics = await gw.gateway.metrics.registry.metrics()
      assert.match(metrics, /portcullis_config_reloads_total\{result="applied"\} 1/)
      assert.match(metrics, /portcullis_config_reloads_total\{result="refused"\} 1/)
    } finally {
      await gw.stop()
      await upstream.close()
    }
  })

  test('a reload compiles only the APIs whose config changed; unchanged ones keep their policy instances', async () => {
    const created: string[] = []
    const stamp = definePolicy({
      name: 'stamp',
      priority: 100,
      description: 'test: tags requests with the config generation it was created in',
      configSchema: Type.Object({ value: Type.String() }),
      create(config, deps) {
        created.push(`${deps.api}:${config.value}`)
        const generation = created.length
        return {
          onRequest(ctx) {
            ctx.upstreamHeaders.set('x-stamp', `${config.value}#${generation}`)
          },
        }
      },
    })
    const upstream = await startUpstream()
    const config = (bValue: string, extraRoute: boolean) => ({
      ...baseConfig(upstream.url),
      apis: [
        { name: 'a', basePath: '/a', upstream: { url: upstream.url }, policies: { stamp: { value: 'a' } }, routes: { 'GET /items/{id}': {} } },
        { name: 'b', basePath: '/b', upstream: { url: upstream.url }, policies: { stamp: { value: bValue } }, routes: { 'GET /items/{id}': {}, ...(extraRoute ? { 'GET /more': {} } : {}) } },
      ],
    })
    const gw = await startTestGateway(config('b1', false), { policies: [...builtinPolicies, stamp] })
    const stampOf = async (path: string) => {
      const res = await request(`${gw.url}${path}`)
      const body = (await res.body.json()) as { headers: Record<string, string> }
      return body.headers['x-stamp']
    }
    try {
      assert.deepEqual([await stampOf('/a/items/1'), await stampOf('/b/items/1')], ['a#1', 'b1#2'])
      gw.writeConfig(config('b2', true))
      assert.equal((await gw.gateway.reload()).ok, true)
      assert.deepEqual(created, ['a:a', 'b:b1', 'b:b2'], 'only API b was compiled again')
      assert.deepEqual([await stampOf('/a/items/1'), await stampOf('/b/items/1'), await stampOf('/b/more')], ['a#1', 'b2#3', 'b2#3'])
      // Reloading the same file compiles nothing; a change that every API depends on compiles all.
      assert.equal((await gw.gateway.reload()).ok, true)
      assert.equal(created.length, 3)
      gw.writeConfig({ ...config('b2', true), server: { maxBufferedBodyBytes: 2 * 1024 * 1024 } })
      assert.equal((await gw.gateway.reload()).ok, true)
      assert.deepEqual(created.slice(3), ['a:a', 'b:b2'])
      assert.equal(await stampOf('/a/items/1'), 'a#4')
    } finally {
      await gw.stop()
      await upstream.close()
    }
  })

  test('in-flight requests finish on the config they started with', async () => {
    const slow = await startUpstream((_q, res) => setTimeout(() => res.end('slow-old'), 400))
    const fresh = await startUpstream((_q, res) => res.end('new'))
    const gw = await startTestGateway({ ...baseConfig(slow.url) })
    try {
      const pending = request(`${gw.url}/x`).then((r) => r.body.text())
      // The upstream has the request (it answers 400 ms later) before the config changes.
      await eventually(() => slow.requests.length === 1, 5000, 'the slow request upstream')
      gw.writeConfig({ ...baseConfig(fresh.url) })
      const result = await gw.gateway.reload()
      assert.equal(result.ok, true)
      assert.equal(await (await request(`${gw.url}/x`)).body.text(), 'new')
      assert.equal(await pending, 'slow-old')
    } finally {
      await gw.stop()
      await Promise.all([slow.close(), fresh.close()])
    }
  })
})

describe('admin listener', () => {
  test('metrics need the token; probes are public; counts by API, route and status class', async () => {
    const upstream = await startUpstream()
    const gw = await startTestGateway({
      ...baseConfig(upstream.url),
      admin: { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } },
      apis: [{ name: 'orders', upstream: { url: upstream.url }, routes: { 'GET /orders/{id}': {} } }],
    })
    const admin = `http://127.0.0.1:${gw.gateway.addresses.admin!.port}`
    try {
      assert.equal(gw.gateway.addresses.admin?.address, '127.0.0.1')
      assert.equal(await status(`${admin}/healthz`), 200)
      assert.equal(await status(`${admin}/readyz`), 200)
      const anonymous = await request(`${admin}/metrics`)
      assert.equal(anonymous.statusCode, 401)
      assert.equal(anonymous.headers['www-authenticate'], 'Bearer realm="portcullis-admin"')
      assert.equal(((await anonymous.body.json()) as { code: string }).code, 'GW_ERR_ADMIN_UNAUTHORIZED')
      assert.equal(await status(`${admin}/metrics`, { headers: { authorization: 'Bearer wrong' } }), 401)

      for (let i = 0; i < 3; i++) await status(`${gw.url}/orders/${i}`)
      await status(`${gw.url}/nothing`)
      const res = await request(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      assert.equal(res.statusCode, 200)
      const text = await res.body.text()
      assert.match(text, /portcullis_requests_total\{api="orders",route="\/orders\/\{id\}",status_class="2xx"\} 3/)
      assert.match(text, /portcullis_requests_total\{api="",route="",status_class="4xx"\} 1/)
      assert.match(text, /portcullis_request_duration_seconds_bucket\{le="0\.1",api="orders",route="\/orders\/\{id\}"\} 3/)
      assert.match(text, /portcullis_denials_total\{api="",policy="gateway",code="GW_ERR_ROUTE_NOT_FOUND"\} 1/)
      assert.equal(text.includes('/orders/1"'), false, 'raw paths never become labels')
    } finally {
      await gw.stop()
      await upstream.close()
    }
  })
})
