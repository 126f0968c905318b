import assert from 'node:assert/strict'
import { Type } from '@sinclair/typebox'
import { Readable } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { GatewayError } from '../../src/errors.js'
import { definePolicy } from '../../src/pipeline/define-policy.js'
import { respond } from '../../src/pipeline/reply.js'
import { builtinPolicies } from '../../src/policies/index.js'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const order: string[] = []

/** Test policies exercising every phase through a real gateway. */
const tag = definePolicy({
  name: 'tag',
  priority: 100,
  description: 'Adds a request header and records its order.',
  configSchema: Type.Object({ value: Type.String(), async: Type.Boolean({ default: false }) }),
  create(config) {
    return {
      onRequest(ctx) {
        order.push(`tag:${config.value}`)
        ctx.upstreamHeaders.set('x-tag', config.value)
        ctx.upstreamHeaders.set('x-remove-me', null)
        if (config.async) return new Promise((resolve) => setTimeout(resolve, 5))
      },
    }
  },
})

const gate = definePolicy({
  name: 'gate',
  priority: 200,
  description: 'Denies when x-deny is present; throws when x-fail is present.',
  configSchema: Type.Object({}),
  create() {
    return {
      async onRequest(ctx) {
        order.push('gate')
        await Promise.resolve()
        if (ctx.headers['x-fail'] !== undefined) throw new Error('dependency down')
        if (ctx.headers['x-fail-503'] !== undefined) throw new GatewayError('GW_ERR_UPSTREAM_CIRCUIT_OPEN')
        if (ctx.headers['x-deny'] !== undefined) return respond.problem('GW_ERR_IP_DENIED', { headers: { 'x-denied-by': 'gate' } })
      },
    }
  },
})

const bodyCheck = definePolicy({
  name: 'body-check',
  priority: 50,
  description: 'Buffers the request body and refuses "forbidden"; rewrites response bodies.',
  configSchema: Type.Object({}),
  create() {
    return {
      onRequestBody(ctx, body) {
        if (body.toString().includes('forbidden')) return respond.problem('GW_ERR_REQUEST_MALFORMED')
        ctx.requestBody = Buffer.from(body.toString().toUpperCase())
      },
      onResponse(ctx) {
        if (ctx.response?.status === 418) return respond.problem('GW_ERR_UPSTREAM_BAD_RESPONSE')
      },
      onResponseBody(ctx, body) {
        ctx.responseBody = Buffer.from(body.toString().replace(/secret/g, '******'))
      },
    }
  },
})

const bodyLate = definePolicy({
  name: 'body-late',
  priority: 60,
  description: 'Beside body-check: answers a body holding "slow" a turn later (refusing "deny", else appending !); throws on "throw".',
  configSchema: Type.Object({}),
  create() {
    return {
      onRequestBody(ctx, body) {
        const text = body.toString()
        if (/throw/i.test(text)) throw new Error('body check down')
        if (!/slow/i.test(text)) return undefined
        return new Promise((resolve) =>
          setTimeout(() => {
            if (/deny/i.test(text)) return resolve(respond.problem('GW_ERR_REQUEST_MALFORMED'))
            ctx.requestBody = Buffer.from(`${text}!`)
            resolve(undefined)
          }, 5),
        )
      },
    }
  },
})

describe('pipeline', () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream((req, res, body) => {
      if (req.url === '/teapot') {
        res.writeHead(418)
        res.end('secret teapot')
        return
      }
      const text = JSON.stringify({ headers: req.headers, body: body.toString(), note: 'a secret value' })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(text)
    })
    gw = await startTestGateway(
      {
        ...baseConfig(upstream.url),
        server: { maxBufferedBodyBytes: 2000 },
        apis: [
          {
            name: 'p',
            upstream: { url: upstream.url },
            policies: { tag: { value: 'api', async: true }, gate: {}, 'body-check': {}, 'body-late': {} },
            routes: {
              'GET /plain': {},
              'POST /echo': {},
              'GET /teapot': {},
              'GET /route-tag': { tag: { value: 'route' } },
              'GET /no-gate': { gate: false, 'body-check': false, 'body-late': false },
              'GET /open': { gate: { onFailure: 'open' }, 'body-check': false, 'body-late': false },
            },
          },
        ],
      },
      { policies: [...builtinPolicies, tag, gate, bodyCheck, bodyLate] },
    )
  })
  after(async () => {
    await gw.stop()
    await upstream.close()
  })

  test('runs onRequest hooks by priority, sync and async, and applies header edits', async () => {
    order.length = 0
    const res = await request(`${gw.url}/plain`, { headers: { 'x-remove-me': 'x' } })
    const body = (await res.body.json()) as { headers: Record<string, string> }
    assert.deepEqual(order, ['gate', 'tag:api'])
    assert.equal(body.headers['x-tag'], 'api')
    assert.equal(body.headers['x-remove-me'], undefined)
  })

  test('a verdict answers locally with the policy\'s problem and headers', async () => {
    const res = await request(`${gw.url}/plain`, { headers: { 'x-deny': '1' } })
    assert.equal(res.statusCode, 403)
    assert.equal(res.headers['x-denied-by'], 'gate')
    const problem = (await res.body.json()) as { code: string; requestId: string }
    assert.equal(problem.code, 'GW_ERR_IP_DENIED')
    assert.equal(problem.requestId, res.headers['x-request-id'])
    const metrics = await gw.gateway.metrics.registry.metrics()
    assert.match(metrics, /portcullis_denials_total\{api="p",policy="gate",code="GW_ERR_IP_DENIED"\} 1/)
  })

  test('a policy failure fails closed by default (500, no internals), open when configured', async () => {
    const closed = await request(`${gw.url}/plain`, { headers: { 'x-fail': '1' } })
    assert.equal(closed.statusCode, 500)
    const text = await closed.body.text()
    assert.equal((JSON.parse(text) as { code: string }).code, 'GW_ERR_POLICY_FAILED')
    assert.equal(text.includes('dependency down'), false)
    const typed = await request(`${gw.url}/plain`, { headers: { 'x-fail-503': '1' } })
    assert.equal(typed.statusCode, 503)
    await typed.body.text()
    const open = await request(`${gw.url}/open`, { headers: { 'x-fail': '1' } })
    assert.equal(open.statusCode, 200)
    await open.body.text()
    const metrics = await gw.gateway.metrics.registry.metrics()
    assert.match(metrics, /portcullis_policy_failures_total\{api="p",policy="gate",mode="open"\} 1/)
    assert.match(metrics, /portcullis_policy_failures_total\{api="p",policy="gate",mode="closed"\} 2/)
  })

  test('a failing dependency is logged once per interval with a count, not once per request', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await request(`${gw.url}/plain`, { headers: { 'x-fail': '1' } })
      assert.equal(res.statusCode, 500)
      await res.body.text()
    }
    const metrics = await gw.gateway.metrics.registry.metrics()
    assert.match(metrics, /portcullis_policy_failures_total\{api="p",policy="gate",mode="closed"\} 22/)
    const lines = gw.logLines().filter((l) => l.msg === 'policy failed' && l.policy === 'gate')
    assert.ok(lines.length <= 3, `${lines.length} lines for 23 failures`)
    assert.match(String((lines[0]?.err as { stack?: string } | undefined)?.stack), /dependency down/, 'the first failure is logged in full')
  })

  test('route settings replace the API\'s, and false turns a policy off', async () => {
    const routed = (await (await request(`${gw.url}/route-tag`)).body.json()) as { headers: Record<string, string> }
    assert.equal(routed.headers['x-tag'], 'route')
    const off = await request(`${gw.url}/no-gate`, { headers: { 'x-deny': '1' } })
    assert.equal(off.statusCode, 200)
    await off.body.text()
  })

  test('buffers the body only when asked, within the limit; hooks may replace it', async () => {
    const res = await request(`${gw.url}/echo`, { method: 'POST', body: 'hello world' })
    const body = (await res.body.json()) as { body: string; headers: Record<string, string> }
    assert.equal(body.body, 'HELLO WORLD')
    assert.equal(body.headers['content-length'], '11')
    const denied = await request(`${gw.url}/echo`, { method: 'POST', body: 'this is forbidden' })
    assert.equal(denied.statusCode, 400)
    await denied.body.text()
    const tooBig = await request(`${gw.url}/echo`, { method: 'POST', body: 'x'.repeat(3000) })
    assert.equal(tooBig.statusCode, 413)
    await tooBig.body.text()
    const chunked = await request(`${gw.url}/echo`, { method: 'POST', body: Readable.from((function* () { for (let i = 0; i < 30; i++) yield Buffer.from('y'.repeat(100)) })()) })
    assert.equal(chunked.statusCode, 413, 'a streamed body is held to the buffer limit too')
    await chunked.body.text()
  })

  test('body hooks run in turn, synchronous and asynchronous; a throw fails closed', async () => {
    const later = await request(`${gw.url}/echo`, { method: 'POST', body: 'slow ok' })
    assert.equal(((await later.body.json()) as { body: string }).body, 'SLOW OK!')
    const deniedLater = await request(`${gw.url}/echo`, { method: 'POST', body: 'slow deny' })
    assert.equal(deniedLater.statusCode, 400)
    await deniedLater.body.text()
    const thrown = await request(`${gw.url}/echo`, { method: 'POST', body: 'throw' })
    assert.equal(thrown.statusCode, 500)
    const text = await thrown.body.text()
    assert.equal((JSON.parse(text) as { code: string }).code, 'GW_ERR_POLICY_FAILED')
    assert.equal(text.includes('body check down'), false)
  })

  test('response hooks can replace the response or rewrite its body', async () => {
    const res = await request(`${gw.url}/plain`)
    const text = await res.body.text()
    assert.equal(text.includes('secret'), false)
    assert.ok(text.includes('a ****** value'))
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(text)))
    const teapot = await request(`${gw.url}/teapot`)
    assert.equal(teapot.statusCode, 502)
    assert.equal(((await teapot.body.json()) as { code: string }).code, 'GW_ERR_UPSTREAM_BAD_RESPONSE')
  })
})
