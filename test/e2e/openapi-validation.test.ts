/**
 * `openapi-validation` end to end on hand-written documents: a 3.1 document whose schemas and
 * parameters live in other files, a 3.0 document (nullable, boolean exclusive bounds), every
 * parameter location and the common styles, JSON and form bodies, media types, the JSON limits,
 * strict bodies and undeclared query parameters, report-only mode, and documents refused at load.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { stringify } from 'yaml'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const ok = { '200': { description: 'ok' } }
const SHOP = {
  openapi: '3.1.0',
  info: { title: 'shop', version: '1' },
  paths: {
    '/orders': {
      get: {
        operationId: 'listOrders',
        parameters: [
          { $ref: 'parameters.yaml#/limit' },
          { name: 'status', in: 'query', schema: { type: 'array', items: { enum: ['open', 'closed'] } } },
          { name: 'ids', in: 'query', explode: false, schema: { type: 'array', items: { type: 'integer' } } },
          { name: 'filter', in: 'query', style: 'deepObject', schema: { type: 'object', properties: { min: { type: 'integer' }, max: { type: 'integer' } } } },
          { name: 'X-Tenant', in: 'header', required: true, schema: { type: 'string', pattern: '^[a-z]+$' } },
          { name: 'theme', in: 'cookie', schema: { enum: ['light', 'dark'] } },
        ],
        responses: ok,
      },
      post: {
        operationId: 'createOrder',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: 'schemas/order.yaml#/Order' } } } },
        responses: ok,
      },
    },
    '/orders/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
      get: { operationId: 'getOrder', responses: ok },
      patch: { operationId: 'patchOrder', requestBody: { content: { 'application/merge-patch+json': { schema: { type: 'object', properties: { note: { type: 'string' } } } } } }, responses: ok },
    },
    '/colors/{list}': { get: { parameters: [{ name: 'list', in: 'path', required: true, style: 'label', schema: { type: 'array', items: { enum: ['red', 'green', 'blue'] } } }], responses: ok } },
    '/catalog/{sku}': { $ref: 'paths/catalog.yaml#/item' },
    '/points/{point}': { get: { parameters: [{ name: 'point', in: 'path', required: true, style: 'matrix', schema: { type: 'array', items: { type: 'integer' } } }], responses: ok } },
    '/search': {
      get: {
        parameters: [
          { name: 'words', in: 'query', style: 'spaceDelimited', explode: false, schema: { type: 'array', items: { type: 'string', maxLength: 5 } } },
          { name: 'ids', in: 'query', style: 'pipeDelimited', explode: false, schema: { type: 'array', items: { type: 'integer' } } },
        ],
        responses: ok,
      },
    },
    '/profiles': {
      post: {
        requestBody: {
          content: {
            'application/json': {
              schema: { allOf: [{ type: 'object', properties: { name: { type: 'string' } } }, { type: 'object', properties: { links: { type: 'array', items: { allOf: [{ properties: { href: { type: 'string' } } }, { properties: { rel: { type: 'string' } } }] } } } }] },
            },
          },
        },
        responses: ok,
      },
    },
    '/uploads': {
      post: {
        requestBody: {
          content: {
            'multipart/form-data': {
              schema: { type: 'object', required: ['title', 'file'], properties: { title: { type: 'string', maxLength: 10 }, count: { type: 'integer' }, file: { type: 'string', format: 'binary' } } },
            },
          },
        },
        responses: ok,
      },
    },
    '/documents': {
      post: {
        requestBody: {
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['meta', 'scan'],
                properties: {
                  meta: { type: 'object', required: ['title'], properties: { title: { type: 'string' } } },
                  scan: { type: 'string', format: 'binary' },
                  notes: { type: 'array', items: { type: 'object', properties: { text: { type: 'string' } } } },
                },
              },
              encoding: { scan: { contentType: 'image/png, image/jpeg' } },
            },
          },
        },
        responses: ok,
      },
    },
    '/subscribe': {
      post: {
        requestBody: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' }, count: { type: 'integer', maximum: 5 } } },
            },
          },
        },
        responses: ok,
      },
    },
  },
}
const CATALOG = {
  item: {
    parameters: [{ name: 'sku', in: 'path', required: true, schema: { type: 'string', pattern: '^SKU-[0-9]+$' } }],
    get: { operationId: 'getCatalogItem', responses: { '200': { description: 'ok' } } },
  },
}
const PARAMETERS = { limit: { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } } }
const ORDER = {
  Order: {
    type: 'object',
    required: ['customer', 'items'],
    properties: {
      customer: { type: 'string' },
      items: { type: 'array', items: { $ref: '#/Item' } },
      gift: { $ref: '#/Order' },
    },
  },
  Item: { type: 'object', required: ['sku', 'qty'], properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } } },
}
const LEGACY = {
  openapi: '3.0.3',
  info: { title: 'legacy', version: '1' },
  paths: {
    '/prices': {
      post: {
        requestBody: {
          content: {
            'application/json': {
              schema: { type: 'object', properties: { price: { type: 'number', minimum: 0, exclusiveMinimum: true }, note: { type: 'string', nullable: true } } },
            },
          },
        },
        responses: ok,
      },
    },
  },
}

describe('openapi-validation', () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream()
    const api = (name: string, basePath: string, openapi: string, policy: Record<string, unknown>) => ({ name, basePath, openapi, upstream: { url: upstream.url }, policies: { 'openapi-validation': policy } })
    const config = baseConfig(upstream.url)
    config.apis = [
      // One operation with its own body limit: a route override of the policy.
      { ...api('shop', '/shop', 'shop.yaml', { limits: { depth: 8 } }), routes: { 'POST /subscribe': { 'openapi-validation': { limits: { maxBodyBytes: 64 } } } } },
      api('strict', '/strict', 'shop.yaml', { rejectUndeclaredQuery: true, strictBodies: true }),
      api('report', '/report', 'shop.yaml', { mode: 'report' }),
      api('legacy', '/legacy', 'legacy.yaml', {}),
    ]
    gw = await startTestGateway(config, {
      files: { 'shop.yaml': stringify(SHOP), 'parameters.yaml': stringify(PARAMETERS), 'schemas/order.yaml': stringify(ORDER), 'paths/catalog.yaml': stringify(CATALOG), 'legacy.yaml': stringify(LEGACY) },
    })
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  const call = async (method: string, path: string, init: { headers?: Record<string, string>; body?: string | Buffer } = {}) => {
    const res = await request(`${gw.url}${path}`, { method: method as 'GET', headers: { 'x-tenant': 'acme', ...init.headers }, body: init.body })
    const text = await res.body.text()
    if (res.statusCode === 200) return { status: 200, code: null, errors: [] as string[], text }
    const problem = JSON.parse(text) as { code: string; errors?: { location: string; message: string }[] }
    return { status: res.statusCode, code: problem.code, errors: (problem.errors ?? []).map((e) => `${e.location}: ${e.message}`), text }
  }
  const json = { 'content-type': 'application/json' }

  test('query parameters by style: form (exploded and not), deepObject; coerced and checked', async () => {
    assert.equal((await call('GET', '/shop/orders?limit=5&status=open&status=closed&ids=1,2,3&filter[min]=1&filter[max]=9')).status, 200)
    const bad = await call('GET', '/shop/orders?limit=500&status=lost&ids=1,x&filter[max]=y')
    assert.deepEqual([bad.status, bad.code], [400, 'GW_ERR_REQUEST_INVALID'])
    assert.deepEqual(bad.errors, [
      'query.limit: must be <= 100',
      'query.status[0]: must be equal to one of the allowed values',
      'query.ids[1]: must be integer',
      'query.filter.max: must be integer',
    ])
    assert.deepEqual((await call('GET', '/shop/orders?limit=%E0%A4%A')).errors, ['query: malformed percent-encoding'])
  })

  test('a path item in another file: its route exists and its parameters are checked', async () => {
    assert.equal((await call('GET', '/shop/catalog/SKU-12')).status, 200)
    assert.deepEqual((await call('GET', '/shop/catalog/12')).errors, ['path.sku: must match pattern "^SKU-[0-9]+$"'])
  })

  test('matrix path parameters, space- and pipe-delimited query parameters', async () => {
    assert.equal((await call('GET', '/shop/points/;point=3,4')).status, 200)
    assert.deepEqual((await call('GET', '/shop/points/;point=3,x')).errors, ['path.point[1]: must be integer'])
    assert.equal((await call('GET', '/shop/search?words=red%20blue&ids=1|2|3')).status, 200)
    assert.deepEqual((await call('GET', '/shop/search?words=red%20crimson&ids=1|two')).errors, ['query.words[1]: must NOT have more than 5 characters', 'query.ids[1]: must be integer'])
  })

  test('path, header and cookie parameters', async () => {
    assert.deepEqual((await call('GET', '/shop/orders/abc')).errors, ['path.id: must be integer'])
    assert.deepEqual((await call('GET', '/shop/orders/0')).errors, ['path.id: must be >= 1'])
    assert.equal((await call('GET', '/shop/orders/7')).status, 200)
    assert.equal((await call('GET', '/shop/colors/.red,blue')).status, 200, 'label style')
    assert.deepEqual((await call('GET', '/shop/colors/.red,pink')).errors, ['path.list[1]: must be equal to one of the allowed values'])
    assert.deepEqual((await call('GET', '/shop/orders', { headers: { 'x-tenant': 'ACME' } })).errors, ['header.x-tenant: must match pattern "^[a-z]+$"'])
    const missing = await request(`${gw.url}/shop/orders`)
    assert.deepEqual((JSON.parse(await missing.body.text()) as { errors: { location: string }[] }).errors.map((e) => e.location), ['header.x-tenant'])
    assert.deepEqual((await call('GET', '/shop/orders', { headers: { cookie: 'a=1; theme=blue' } })).errors, ['cookie.theme: must be equal to one of the allowed values'])
  })

  test('JSON bodies against schemas in another file, recursive refs included', async () => {
    const order = { customer: 'c1', items: [{ sku: 'a', qty: 1 }], gift: { customer: 'c2', items: [{ sku: 'b', qty: 2 }] } }
    assert.equal((await call('POST', '/shop/orders', { headers: json, body: JSON.stringify(order) })).status, 200)
    const bad = await call('POST', '/shop/orders', { headers: json, body: JSON.stringify({ items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 1 }, { sku: 'c', qty: 0 }], gift: { customer: 5, items: [] } }) })
    assert.deepEqual(bad.errors, ['body.customer: is required', 'body.items[2].qty: must be >= 1', 'body.gift.customer: must be string'])
    assert.deepEqual((await call('POST', '/shop/orders', { headers: json })).errors, ['body: is required'])
    assert.deepEqual((await call('POST', '/shop/orders', { headers: json, body: '{"customer":' })).errors, ['body: is not valid JSON'])
  })

  test('media types: undeclared ones are 415; +json types match their declaration', async () => {
    const wrong = await call('POST', '/shop/orders', { headers: { 'content-type': 'text/plain' }, body: 'hello' })
    assert.deepEqual([wrong.status, wrong.code], [415, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE'])
    assert.equal((await call('GET', '/shop/orders', { headers: json, body: '{}' })).status, 415, 'a body where the operation takes none')
    assert.equal((await call('PATCH', '/shop/orders/3', { headers: { 'content-type': 'application/merge-patch+json' }, body: '{"note":"x"}' })).status, 200)
    assert.deepEqual((await call('PATCH', '/shop/orders/3', { headers: { 'content-type': 'application/merge-patch+json; charset=utf-8' }, body: '{"note":1}' })).errors, ['body.note: must be string'])
  })

  test('form bodies are coerced by their schema', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    assert.equal((await call('POST', '/shop/subscribe', { headers: form, body: 'email=a%40example.com&count=3' })).status, 200)
    assert.deepEqual((await call('POST', '/shop/subscribe', { headers: form, body: 'email=nope&count=9' })).errors, ['body.email: must match format "email"', 'body.count: must be <= 5'])
  })

  test('a body limit per operation: 413 past the route override, the API-wide limit elsewhere', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    const big = `email=${'a'.repeat(80)}%40example.com`
    const refused = await call('POST', '/shop/subscribe', { headers: form, body: big })
    assert.deepEqual([refused.status, refused.code], [413, 'GW_ERR_REQUEST_BODY_TOO_LARGE'])
    assert.equal((await call('POST', '/report/subscribe', { headers: form, body: big })).status, 200)
    assert.equal((await call('POST', '/shop/orders', { headers: json, body: JSON.stringify({ customer: 'c'.repeat(100), items: [] }) })).status, 200)
  })

  test('multipart bodies: fields coerced and checked, malformed bodies refused', async () => {
    const form = (fields: Record<string, string>, file?: string) => {
      const data = new FormData()
      for (const [k, v] of Object.entries(fields)) data.set(k, v)
      if (file !== undefined) data.set('file', new Blob([file]), 'a.bin')
      return data
    }
    const post = async (body: FormData) => {
      const res = await fetch(`${gw.url}/shop/uploads`, { method: 'POST', headers: { 'x-tenant': 'acme' }, body })
      const text = await res.text()
      return res.status === 200 ? 200 : (JSON.parse(text) as { errors: { location: string; message: string }[] }).errors.map((e) => `${e.location}: ${e.message}`)
    }
    assert.equal(await post(form({ title: 'report', count: '3' }, '\u0000\u00ff binary')), 200)
    assert.deepEqual(await post(form({ title: 'a much too long title', count: 'x' })), ['body.file: is required', 'body.title: must NOT have more than 10 characters', 'body.count: must be integer'])
    const broken = await call('POST', '/shop/uploads', { headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, body: '--xyz\r\nContent-Disposition: form-data; name="title"\r\n\r\nreport' })
    assert.deepEqual(broken.errors, ['body: multipart body is not closed'])
  })

  test('multipart parts by their encoding: JSON parts parsed and checked, part media types held to the declared list', async () => {
    const post = async (parts: [string, string | Blob, string?][]) => {
      const data = new FormData()
      for (const [name, value, filename] of parts) {
        if (typeof value === 'string') data.append(name, value)
        else data.append(name, value, filename)
      }
      const res = await fetch(`${gw.url}/shop/documents`, { method: 'POST', headers: { 'x-tenant': 'acme' }, body: data })
      const text = await res.text()
      return res.status === 200 ? 200 : (JSON.parse(text) as { errors: { location: string; message: string }[] }).errors.map((e) => `${e.location}: ${e.message}`)
    }
    const png = new Blob(['\u0089PNG'], { type: 'image/png' })
    const meta = (text: string) => new Blob([text], { type: 'application/json' })
    assert.equal(await post([['meta', meta('{"title":"t"}')], ['scan', png, 'scan.png']]), 200)
    // An object property's part without a Content-Type is JSON by default (OpenAPI's Encoding Object).
    assert.equal(await post([['meta', '{"title":"t"}'], ['scan', png, 'scan.png'], ['notes', meta('{"text":"a"}')], ['notes', meta('{"text":"b"}')]]), 200)
    assert.deepEqual(await post([['meta', meta('{"title":5}')], ['scan', png, 'scan.png'], ['notes', meta('{"text":1}')]]), ['body.meta.title: must be string', 'body.notes[0].text: must be string'])
    assert.deepEqual(await post([['meta', meta('{"title":')], ['scan', png, 'scan.png']]), ['body.meta: is not valid JSON'])
    assert.deepEqual(await post([['meta', meta('{"title":"a","title":"b"}')], ['scan', png, 'scan.png']]), ['body.meta.title: duplicate key'])
    assert.deepEqual(await post([['meta', meta('{"title":"t"}')], ['scan', new Blob(['GIF89a'], { type: 'image/gif' }), 'scan.gif']]), ['body.scan: part has media type image/gif, not one the operation accepts'])
  })

  test('limits schemas lack: duplicate keys, depth, invalid UTF-8, unsafe integers', async () => {
    assert.deepEqual((await call('POST', '/shop/orders', { headers: json, body: '{"customer":"a","items":[],"customer":"b"}' })).errors, ['body.customer: duplicate key'])
    let deep: Record<string, unknown> = { customer: 'c', items: [] }
    for (let i = 0; i < 8; i++) deep = { customer: 'c', items: [], gift: deep }
    assert.deepEqual((await call('POST', '/shop/orders', { headers: json, body: JSON.stringify(deep) })).errors, ['body.gift.gift.gift.gift.gift.gift.gift.items: nested deeper than 8 levels'])
    assert.deepEqual((await call('POST', '/shop/orders', { headers: json, body: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]) })).errors, ['body: is not valid UTF-8'])
    assert.deepEqual((await call('POST', '/shop/orders', { headers: json, body: '{"customer":"a","items":[{"sku":"a","qty":9007199254740993}]}' })).errors, ['body.items[0].qty: integer outside the safe range (±2^53); send it as a string'])
  })

  test('positive model switches: undeclared query parameters and body properties', async () => {
    assert.equal((await call('GET', '/shop/orders?debug=1')).status, 200, 'allowed by default')
    assert.deepEqual((await call('GET', '/strict/orders?debug=1&limit=2')).errors, ['query.debug: is not a declared parameter'])
    const extra = { customer: 'c', items: [], isAdmin: true }
    assert.equal((await call('POST', '/shop/orders', { headers: json, body: JSON.stringify(extra) })).status, 200)
    assert.deepEqual((await call('POST', '/strict/orders', { headers: json, body: JSON.stringify(extra) })).errors, ['body.isAdmin: is not declared'])
    const nested = { customer: 'c', items: [{ sku: 'a', qty: 1, discount: 90 }], gift: { customer: 'd', items: [], role: 'admin' } }
    assert.deepEqual((await call('POST', '/strict/orders', { headers: json, body: JSON.stringify(nested) })).errors, ['body.items[0].discount: is not declared', 'body.gift.role: is not declared'], 'at every depth, through $refs and recursion')
    assert.equal((await call('POST', '/strict/orders', { headers: json, body: JSON.stringify({ customer: 'c', items: [{ sku: 'a', qty: 1 }], gift: { customer: 'd', items: [] } }) })).status, 200)
    const profile = { name: 'n', links: [{ href: '/a', rel: 'self' }] }
    assert.equal((await call('POST', '/strict/profiles', { headers: json, body: JSON.stringify(profile) })).status, 200, 'properties declared across allOf members count')
    assert.deepEqual((await call('POST', '/strict/profiles', { headers: json, body: JSON.stringify({ ...profile, links: [{ href: '/a', rel: 'self', title: 't' }], admin: true }) })).errors, ['body.links[0].title: is not declared', 'body.admin: is not declared'])
  })

  test('violations never echo the value sent', async () => {
    const secret = 'sk_live_0123456789abcdefSECRET'
    const res = await call('GET', `/shop/orders?limit=${secret}`, { headers: { 'x-tenant': secret.toLowerCase().replaceAll(/[^a-z]/g, '') + 'X' } })
    assert.equal(res.status, 400)
    assert.equal(res.text.includes(secret), false)
    assert.equal(gw.logLines().some((l) => JSON.stringify(l).includes(secret)), false, 'nor the log')
  })

  test('report-only mode passes and logs what it would have blocked', async () => {
    assert.equal((await call('GET', '/report/orders?limit=500')).status, 200)
    const line = gw.logLines().find((l) => l.msg === 'request does not match the API description (report only: passed)')
    assert.deepEqual(line?.violations, [{ location: 'query.limit', message: 'must be <= 100' }])
    assert.match(await gw.gateway.metrics.registry.metrics(), /portcullis_openapi_violations_total\{api="report",direction="request",outcome="reported"\} 1/)
  })

  test('OpenAPI 3.0 schemas: nullable and boolean exclusive bounds', async () => {
    assert.equal((await call('POST', '/legacy/prices', { headers: json, body: '{"price":1,"note":null}' })).status, 200)
    assert.deepEqual((await call('POST', '/legacy/prices', { headers: json, body: '{"price":0}' })).errors, ['body.price: must be > 0'])
  })

  test('a problem the request repeats is listed once, in the answer and the log; the list stays bounded', async () => {
    const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`k${i}`, i])))
    const tooWide = await call('POST', '/shop/orders', { headers: json, body: wide })
    assert.deepEqual(tooWide.errors, ['body: more than 1000 keys'])
    assert.equal((JSON.parse(tooWide.text) as { detail: string }).detail, 'body: more than 1000 keys')

    const data = new FormData()
    data.append('meta', new Blob(['{"title":"t"}'], { type: 'application/json' }))
    for (let i = 0; i < 25; i++) data.append('scan', new Blob(['GIF89a'], { type: 'image/gif' }), `scan${i}.gif`)
    const parts = await fetch(`${gw.url}/shop/documents`, { method: 'POST', headers: { 'x-tenant': 'acme' }, body: data })
    const partErrors = ((await parts.json()) as { errors: { location: string; message: string }[] }).errors
    assert.deepEqual(partErrors, [{ location: 'body.scan', message: 'part has media type image/gif, not one the operation accepts' }])

    const items = Array.from({ length: 30 }, () => ({ sku: 'a', qty: 0 }))
    const many = await call('POST', '/shop/orders', { headers: json, body: JSON.stringify({ customer: 'c', items }) })
    assert.deepEqual(many.errors, items.slice(0, 20).map((_, i) => `body.items[${i}].qty: must be >= 1`), 'distinct problems: the first 20')

    assert.equal((await call('POST', '/report/orders', { headers: json, body: wide })).status, 200)
    const line = gw.logLines().findLast((l) => l.msg === 'request does not match the API description (report only: passed)')
    assert.deepEqual(line?.violations, [{ location: 'body', message: 'more than 1000 keys' }])
  })
})

test('a document with a remote or dangling $ref refuses the config, naming it', async () => {
  for (const [ref, expected] of [
    ['https://schemas.example/order.yaml#/Order', /remote \$ref https:\/\/schemas\.example\/order\.yaml#\/Order in .*api\.yaml: remote references are not followed/],
    ['#/components/schemas/Missing', /\$ref #\/components\/schemas\/Missing in .*api\.yaml points at nothing/],
  ] as const) {
    const document = { openapi: '3.1.0', info: { title: 't', version: '1' }, paths: { '/x': { post: { requestBody: { content: { 'application/json': { schema: { $ref: ref } } } }, responses: ok } } } }
    const documentWithParameter = { ...document, paths: { '/x': { post: { ...document.paths['/x'].post, parameters: [{ $ref: ref }] } } } }
    const config = { ...baseConfig('http://127.0.0.1:9'), apis: [{ name: 'x', basePath: '/', openapi: 'api.yaml', upstream: { url: 'http://127.0.0.1:9' }, policies: { 'openapi-validation': {} } }] }
    await assert.rejects(startTestGateway(config, { files: { 'api.yaml': stringify(documentWithParameter) } }), (error: Error & { problems?: { path: string; message: string }[] }) => {
      assert.equal(error.problems?.[0]?.path, 'apis[0].policies.openapi-validation')
      assert.match(error.problems?.[0]?.message ?? '', expected)
      return true
    })
  }
})

test('operations are compiled on first use: one that does not compile fails closed alone, and validate reports it', async () => {
  // A pattern neither RE2 nor JavaScript compiles: ajv fails on the operation, not on the document.
  const document = {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: {
      '/broken': { get: { parameters: [{ name: 'q', in: 'query', schema: { type: 'string', pattern: '([' } }], responses: ok } },
      '/fine': { get: { parameters: [{ name: 'n', in: 'query', schema: { type: 'integer' } }], responses: ok } },
    },
  }
  const upstream = await startUpstream()
  const config = { ...baseConfig(upstream.url), apis: [{ name: 'x', basePath: '/', openapi: 'api.yaml', upstream: { url: upstream.url }, policies: { 'openapi-validation': {} } }] }
  let gw: TestGateway | undefined
  try {
    const started = await startTestGateway(config, { files: { 'api.yaml': stringify(document) } })
    gw = started
    assert.equal((await request(`${started.url}/fine?n=1`)).statusCode, 200)
    assert.equal((await request(`${started.url}/fine?n=x`)).statusCode, 400)
    for (let i = 0; i < 2; i++) {
      const broken = await request(`${started.url}/broken?q=a`)
      assert.equal(broken.statusCode, 500)
      assert.equal(((await broken.body.json()) as { code?: string }).code, 'GW_ERR_POLICY_FAILED')
    }
    assert.equal(upstream.requests.length, 1, 'only the valid request reached the upstream')

    // A reload compiles what it rebuilds: a document still broken refuses it (the running config
    // serves on), the fixed one is applied, and so is an edit to a schema alone.
    const withMore = { ...document, paths: { ...document.paths, '/more': document.paths['/broken'] } }
    writeFileSync(join(started.dir, 'api.yaml'), stringify(withMore))
    const refused = await started.gateway.reload()
    assert.equal(refused.ok, false)
    assert.match(refused.problems[0]?.message ?? '', /GET \/(?:broken|more)/)
    assert.equal((await request(`${started.url}/more`)).statusCode, 404, 'the refused reload changed nothing')
    const fixed = { ...document, paths: { ...document.paths, '/broken': { get: { parameters: [{ name: 'q', in: 'query', schema: { type: 'string', pattern: '^[a-z]+$' } }], responses: ok } } } }
    writeFileSync(join(started.dir, 'api.yaml'), stringify(fixed))
    assert.equal((await started.gateway.reload()).ok, true)
    assert.equal((await request(`${started.url}/broken?q=abc`)).statusCode, 200)
    assert.equal((await request(`${started.url}/broken?q=ABC`)).statusCode, 400)
    const integer = { ...fixed, paths: { ...fixed.paths, '/fine': { get: { parameters: [{ name: 'n', in: 'query', schema: { type: 'string' } }], responses: ok } } } }
    writeFileSync(join(started.dir, 'api.yaml'), stringify(integer))
    assert.equal((await started.gateway.reload()).ok, true)
    assert.equal((await request(`${started.url}/fine?n=x`)).statusCode, 200, 'a schema edited alone is applied by the reload')
  } finally {
    await gw?.stop()
    await upstream.close()
  }
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-lazy-'))
  try {
    writeFileSync(join(dir, 'api.yaml'), stringify(document))
    writeFileSync(join(dir, 'gateway.yaml'), stringify(config))
    const result = spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/portcullis.js'), 'validate', '-c', join(dir, 'gateway.yaml')], { encoding: 'utf8', timeout: 30_000 })
    assert.equal(result.status, 2, result.stdout + result.stderr)
    assert.match(result.stdout + result.stderr, /apis\[0\]\.policies\.openapi-validation.*GET \/broken/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a reload applies an edit to a file the document refers to, made alone', async () => {
  const document = {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: { '/items': { post: { requestBody: { content: { 'application/json': { schema: { $ref: 'schemas.yaml#/Item' } } } }, responses: ok } } },
  }
  const item = (maxLength: number) => stringify({ Item: { type: 'object', properties: { name: { type: 'string', maxLength } } } })
  const upstream = await startUpstream()
  const config = { ...baseConfig(upstream.url), apis: [{ name: 'x', basePath: '/', openapi: 'api.yaml', upstream: { url: upstream.url }, policies: { 'openapi-validation': {} } }] }
  let gw: TestGateway | undefined
  try {
    gw = await startTestGateway(config, { files: { 'api.yaml': stringify(document), 'schemas.yaml': item(3) } })
    const url = gw.url
    const post = async (body: unknown) => (await request(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).statusCode
    assert.equal(await post({ name: 'Rex' }), 200)
    assert.equal(await post({ name: 'Rexford' }), 400)
    writeFileSync(join(gw.dir, 'schemas.yaml'), item(10))
    assert.equal((await gw.gateway.reload()).ok, true)
    assert.equal(await post({ name: 'Rexford' }), 200, 'the referenced schema, edited alone, is applied')
    assert.equal(await post({ name: 'Rexford the Third' }), 400)
  } finally {
    await gw?.stop()
    await upstream.close()
  }
})

test('a $ref inside example data, or resolved against a schema\'s $id, does not refuse the document', async () => {
  const document = {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: {
      '/pets': {
        post: {
          requestBody: {
            content: {
              'application/json': {
                schema: { $ref: '#/components/schemas/Pet' },
                // A JSON Schema document as an example value: its $ref points into itself, not into this file.
                example: { type: 'object', properties: { owner: { $ref: '#/definitions/User' } } },
              },
            },
          },
          responses: ok,
        },
      },
    },
    components: { schemas: { Pet: { $id: 'https://example.com/pet', type: 'object', $defs: { name: { type: 'string', maxLength: 3 } }, properties: { name: { $ref: '#/$defs/name' } } } } },
  }
  const upstream = await startUpstream()
  const config = { ...baseConfig(upstream.url), apis: [{ name: 'x', basePath: '/', openapi: 'api.yaml', upstream: { url: upstream.url }, policies: { 'openapi-validation': {} } }] }
  let gw: TestGateway | undefined
  try {
    gw = await startTestGateway(config, { files: { 'api.yaml': stringify(document) } })
    const url = gw.url
    const post = async (body: unknown) => (await request(`${url}/pets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).statusCode
    assert.equal(await post({ name: 'Rex' }), 200)
    assert.equal(await post({ name: 'Rexford' }), 400, 'the $ref resolved against the $id holds the name to 3 characters')
  } finally {
    await gw?.stop()
    await upstream.close()
  }
})

describe('openapi-validation of responses: report, block, strip', () => {
  const USERS = {
    openapi: '3.1.0',
    info: { title: 'users', version: '1' },
    components: {
      schemas: {
        Base: { type: 'object', properties: { id: { type: 'integer' } } },
        User: {
          allOf: [
            { $ref: '#/components/schemas/Base' },
            { type: 'object', properties: { name: { type: 'string' }, address: { type: 'object', properties: { city: { type: 'string' } } }, tags: { type: 'object', additionalProperties: true } } },
          ],
        },
      },
    },
    paths: {
      '/users': { get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/User' } } } } } } } },
      '/users/{id}': {
        get: {
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/User' } } } }, '404': { description: 'missing' } },
        },
      },
    },
  }
  const leaky = { id: 1, name: 'ann', passwordHash: '$2b$10$secrethash', address: { city: 'Lyon', geo: { lat: 45.7 } }, tags: { vip: true } }
  const PROBLEM = JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the database is down' })
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream((req, res) => {
      const send = (status: number, type: string, body: string) => {
        res.writeHead(status, { 'content-type': type })
        res.end(body)
      }
      const id = (req.url ?? '').split('/').at(-1)
      if (req.url?.endsWith('/users') === true) return send(200, 'application/json', JSON.stringify([leaky, { ...leaky, id: 2, ssn: '078-05-1120' }]))
      if (id === 'teapot') return send(418, 'application/json', '{"error":"internal trace at db.js:42"}')
      if (id === 'html') return send(200, 'text/html', '<h1>debug</h1>')
      if (id === 'wrong') return send(200, 'application/json', JSON.stringify({ ...leaky, id: 'one' }))
      if (id === 'gone') return send(404, 'application/json', '')
      // Error answers the document does not describe: a status it does not list, a body where it declares none.
      if (id === 'down') return send(503, 'application/problem+json', PROBLEM)
      if (id === 'missing') return send(404, 'application/problem+json', PROBLEM)
      return send(200, 'application/json', JSON.stringify(leaky))
    })
    // The upstream's 5xx answers are what is tested here, not failures that should open its circuit.
    const upstreamConfig = { url: upstream.url, circuitBreaker: { windowSize: 1000, minimumRequests: 1000 } }
    const api = (name: string, policy: Record<string, unknown>) => ({ name, basePath: `/${name}`, openapi: 'users.yaml', upstream: upstreamConfig, policies: { 'openapi-validation': policy } })
    const config = baseConfig(upstream.url)
    config.apis = [
      api('strip', { response: 'strip' }),
      api('block', { response: 'block' }),
      api('report', { response: 'report' }),
      api('strict', { response: 'strip', undeclaredErrorResponses: 'block' }),
      api('strict-block', { response: 'block', undeclaredErrorResponses: 'block' }),
    ]
    gw = await startTestGateway(config, { files: { 'users.yaml': stringify(USERS) } })
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  const get = async (path: string) => {
    const res = await request(`${gw.url}${path}`)
    const text = await res.body.text()
    return { status: res.statusCode, text, length: res.headers['content-length'], type: res.headers['content-type'] }
  }

  test('strip removes exactly the undeclared properties, through allOf, nested objects and arrays', async () => {
    const one = await get('/strip/users/1')
    assert.equal(one.status, 200)
    assert.deepEqual(JSON.parse(one.text), { id: 1, name: 'ann', address: { city: 'Lyon' }, tags: { vip: true } })
    assert.equal(one.length, String(Buffer.byteLength(one.text)), 'Content-Length matches the stripped body')
    const list = JSON.parse((await get('/strip/users')).text) as Record<string, unknown>[]
    assert.deepEqual(list.map((u) => Object.keys(u).sort()), [['address', 'id', 'name', 'tags'], ['address', 'id', 'name', 'tags']])
    assert.ok(upstream.requests.every((r) => r.headers['accept-encoding'] === 'identity'), 'the upstream is asked for an uncompressed body')
    assert.match(await gw.gateway.metrics.registry.metrics(), /portcullis_openapi_violations_total\{api="strip",direction="response",outcome="stripped"\} 2/)
  })

  test('strip and block refuse undeclared statuses and media types; block refuses schema violations', async () => {
    for (const path of ['/strict/users/teapot', '/strip/users/html', '/strict-block/users/teapot', '/block/users/html', '/block/users/wrong']) {
      const res = await get(path)
      assert.equal(res.status, 502, path)
      assert.equal((JSON.parse(res.text) as { code: string }).code, 'GW_ERR_UPSTREAM_RESPONSE_INVALID')
      assert.equal(res.text.includes('trace') || res.text.includes('debug'), false)
    }
    assert.equal((await get('/block/users/1')).status, 200, 'extra properties are not a violation without strictness')
    assert.equal((await get('/block/users/gone')).status, 404, 'a declared status without a body')
    const wrong = gw.logLines().find((l) => l.msg === 'response does not match the API description' && (l.violations as { location: string }[])[0]?.location === 'response.body.id')
    assert.equal(wrong?.refused, true)
  })

  test('error responses the document does not describe pass by default, reported; undeclaredErrorResponses: block refuses them', async () => {
    for (const mode of ['strip', 'block', 'report']) {
      const down = await get(`/${mode}/users/down`)
      assert.deepEqual([down.status, down.type, down.text], [503, 'application/problem+json', PROBLEM], `${mode}: an undeclared status`)
      const missing = await get(`/${mode}/users/missing`)
      assert.deepEqual([missing.status, missing.type, missing.text], [404, 'application/problem+json', PROBLEM], `${mode}: a body where the 404 declares none`)
      assert.equal((await get(`/${mode}/users/teapot`)).status, 418, `${mode}: an undeclared status and media type`)
    }
    const line = gw.logLines().find((l) => l.msg === 'response does not match the API description' && l.status === 503 && l.refused === false)
    assert.deepEqual(line?.violations, [{ location: 'response.status', message: '503 is not a declared response' }], 'reported')
    assert.match(await gw.gateway.metrics.registry.metrics(), /portcullis_openapi_violations_total\{api="strip",direction="response",outcome="reported"\} 3/)
    for (const path of ['/strict/users/down', '/strict/users/missing', '/strict-block/users/down', '/strict-block/users/missing']) {
      const refused = await get(path)
      assert.deepEqual([refused.status, (JSON.parse(refused.text) as { code: string }).code], [502, 'GW_ERR_UPSTREAM_RESPONSE_INVALID'], path)
      assert.equal(refused.text.includes('database'), false)
    }
    assert.equal((await get('/strip/users/html')).status, 502, 'a success response the document does not describe is still refused')
  })

  test('report passes everything and logs the violations', async () => {
    const teapot = await get('/report/users/teapot')
    assert.equal(teapot.status, 418)
    assert.equal((await get('/report/users/1')).text, JSON.stringify(leaky), 'report never changes a body')
    const line = gw.logLines().find((l) => l.msg === 'response does not match the API description' && l.status === 418 && l.refused === false)
    assert.deepEqual(line?.violations, [{ location: 'response.status', message: '418 is not a declared response' }])
  })
})

describe('openapi-validation against values crafted to make patterns backtrack', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  const SPEC = {
    openapi: '3.0.3',
    info: { title: 'patterns', version: '1' },
    paths: {
      '/codes': {
        get: {
          parameters: [
            { name: 'code', in: 'query', schema: { type: 'string', pattern: '^(a+)+$' } },
            { name: 'look', in: 'query', schema: { type: 'string', pattern: '^(?!x)[a-z]+$' } },
            { name: 'site', in: 'query', schema: { type: 'string', format: 'url' } },
          ],
          responses: { '200': { description: 'ok' } },
        },
      },
    },
  }

  before(async () => {
    upstream = await startUpstream()
    gw = await startTestGateway({ ...baseConfig(upstream.url), apis: [{ name: 'p', basePath: '/', openapi: 'p.yaml', upstream: { url: upstream.url }, policies: { 'openapi-validation': {} } }] }, { files: { 'p.yaml': stringify(SPEC) } })
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('a nested-quantifier pattern runs in linear time (RE2); one RE2 cannot compile still applies; format url is parsed', async () => {
    const status = async (query: string) => (await request(`${gw.url}/codes?${query}`)).statusCode
    assert.equal(await status('code=aaaa'), 200)
    // Backtracking engines take minutes on this (2^36 ways to split the run); the test would time out.
    assert.equal(await status(`code=${'a'.repeat(36)}!`), 400)
    assert.equal(await status('look=abc'), 200)
    assert.equal(await status('look=xabc'), 400, 'a lookahead (JavaScript’s engine) still applies')
    assert.equal(await status(`site=${encodeURIComponent('https://example.com/a?b=c')}`), 200)
    assert.equal(await status('site=not-a-url'), 400)
    assert.equal(await status(`site=${encodeURIComponent(`http://${':'.repeat(3000)}!`)}`), 400)
  })
})
