/**
 * Remote `$ref`s: refused unless the API lists their URL prefix in `openapiRemoteRefs`; then
 * fetched once per load by the config parser (from a schema server in another process here) and
 * used like local files. Redirects,
 * prefixes that merely share a string start, and remote documents pointing at local files are
 * refused with a message naming the ref.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { stringify } from 'yaml'
import { baseConfig, startTestGateway } from '../helpers/gateway.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'
import { startFileServerProcess, type FileServerProcess } from '../helpers/file-server-process.js'

const ok = { '200': { description: 'ok' } }

const REMOTE_FILES: Record<string, unknown> = {
  '/schemas/v1/order.yaml': { Order: { type: 'object', required: ['customer', 'items'], properties: { customer: { type: 'string' }, items: { type: 'array', items: { $ref: 'item.yaml#/Item' } } } } },
  '/schemas/v1/item.yaml': { Item: { type: 'object', required: ['qty'], properties: { qty: { type: 'integer', minimum: 1 } } } },
  '/schemas/v1/paths.yaml': { status: { get: { operationId: 'getStatus', parameters: [{ name: 'verbose', in: 'query', schema: { type: 'boolean' } }], responses: ok } } },
  '/schemas/v1/escape.yaml': { Secret: { $ref: 'file:///etc/hostname#/x' } },
  '/schemas/v1/outside.yaml': { Other: { $ref: '../../private/other.yaml#/Other' } },
  '/private/other.yaml': { Other: { type: 'string' } },
}

function documentWith(schemaRef: string) {
  return {
    openapi: '3.1.0',
    info: { title: 'remote', version: '1' },
    paths: {
      '/orders': { post: { operationId: 'createOrder', requestBody: { required: true, content: { 'application/json': { schema: { $ref: schemaRef } } } }, responses: ok } },
      '/status': { $ref: `${schemaRef.split('/schemas/v1/')[0] ?? ''}/schemas/v1/paths.yaml#/status` },
    },
  }
}

describe('remote $refs in OpenAPI documents', () => {
  let schemas: FileServerProcess
  let upstream: TestUpstream

  before(async () => {
    schemas = await startFileServerProcess({
      ...Object.fromEntries(Object.entries(REMOTE_FILES).map(([path, file]) => [path, { status: 200, headers: { 'content-type': 'application/yaml' }, body: stringify(file) }])),
      '/moved/order.yaml': { status: 302, headers: { location: '/schemas/v1/order.yaml' } },
    })
    upstream = await startUpstream()
  })
  after(async () => {
    await schemas.close()
    await upstream.close()
  })

  const configWith = (remoteRefs: string[]) => ({
    ...baseConfig(upstream.url),
    apis: [{ name: 'shop', basePath: '/', openapi: 'api.yaml', openapiRemoteRefs: remoteRefs, upstream: { url: upstream.url }, policies: { 'openapi-validation': {} } }],
  })

  test('an allowed prefix: schemas and path items are fetched at load and enforced', async () => {
    const gw = await startTestGateway(configWith([`${schemas.url}/schemas/v1/`]), { files: { 'api.yaml': stringify(documentWith(`${schemas.url}/schemas/v1/order.yaml#/Order`)) } })
    try {
      const post = async (body: string) => {
        const response = await request(`${gw.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        return { status: response.statusCode, body: (await response.body.json()) as { errors?: { location: string; message: string }[] } }
      }
      assert.equal((await post('{"customer":"c1","items":[{"qty":2}]}')).status, 200)
      const invalid = await post('{"customer":"c1","items":[{"qty":0}]}')
      assert.equal(invalid.status, 400)
      assert.deepEqual(invalid.body.errors, [{ location: 'body.items[0].qty', message: 'must be >= 1' }])
      // The path item in the remote file became a route, with its parameters checked.
      assert.equal((await request(`${gw.url}/status?verbose=true`)).statusCode, 200)
      assert.equal((await request(`${gw.url}/status?verbose=maybe`)).statusCode, 400)
      const fetchedBeforeTraffic = await schemas.requested()
      assert.ok(fetchedBeforeTraffic.includes('/schemas/v1/item.yaml'))
      await post('{"customer":"c1","items":[{"qty":3}]}')
      assert.deepEqual(await schemas.requested(), fetchedBeforeTraffic, 'nothing is fetched on the request path')
      // The config parser fetched each document once; the policy used its texts.
      assert.deepEqual([...fetchedBeforeTraffic].sort(), ['/schemas/v1/item.yaml', '/schemas/v1/order.yaml', '/schemas/v1/paths.yaml'])
    } finally {
      await gw.stop()
    }
  })

  test('a reload fetches the remote documents again, and a failed fetch keeps the old config', async () => {
    const item = (minimum: number) => ({ status: 200, body: stringify({ Item: { type: 'object', required: ['qty'], properties: { qty: { type: 'integer', minimum } } } }) })
    const gw = await startTestGateway(configWith([`${schemas.url}/schemas/v1/`]), { files: { 'api.yaml': stringify(documentWith(`${schemas.url}/schemas/v1/order.yaml#/Order`)) } })
    const qty = async (n: number) =>
      (await request(`${gw.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customer: 'c', items: [{ qty: n }] }) })).statusCode
    try {
      assert.equal(await qty(1), 200)
      await schemas.set('/schemas/v1/item.yaml', item(5))
      assert.equal((await gw.gateway.reload()).ok, true)
      assert.equal(await qty(1), 400, 'the changed remote schema is in force after a reload')
      assert.equal(await qty(5), 200)
      await schemas.set('/schemas/v1/item.yaml', { status: 503 })
      const refused = await gw.gateway.reload()
      assert.equal(refused.ok, false)
      assert.equal(await qty(1), 400, 'the previous config keeps serving')
    } finally {
      await schemas.set('/schemas/v1/item.yaml', item(1))
      await gw.stop()
    }
  })

  test('refs the allow-list does not cover refuse the config, naming the ref and the reason', async () => {
    const cases: [string[], string, RegExp][] = [
      [[], `${schemas.url}/schemas/v1/order.yaml#/Order`, /remote \$ref .*order\.yaml#\/Order in .*api\.yaml: remote references are not followed \(allow their URL prefix in the API's openapiRemoteRefs\)/],
      [[`${schemas.url}/schemas/v2/`], `${schemas.url}/schemas/v1/order.yaml#/Order`, /is not under a prefix in the API's openapiRemoteRefs/],
      // Prefixes are matched on the parsed URL, by whole path segments: a string prefix is not enough.
      [[schemas.url.slice(0, -1)], `${schemas.url}/schemas/v1/order.yaml#/Order`, /is not under a prefix/],
      [[`${schemas.url}/schemas/v`], `${schemas.url}/schemas/v1/order.yaml#/Order`, /is not under a prefix/],
      [[`${schemas.url}/`], `${schemas.url}/moved/order.yaml#/Order`, /cannot load .*moved\/order\.yaml: answered 302 \(redirect to \/schemas\/v1\/order\.yaml\); list the final URL instead/],
      [[`${schemas.url}/`], `${schemas.url}/missing.yaml#/Order`, /cannot load .*missing\.yaml: answered 404/],
      [[`${schemas.url}/schemas/v1/`], `${schemas.url}/schemas/v1/escape.yaml#/Secret`, /\$ref file:\/\/\/etc\/hostname#\/x in .*escape\.yaml: a remote document may not refer to a local file/],
      [[`${schemas.url}/schemas/v1/`], `${schemas.url}/schemas/v1/outside.yaml#/Other`, /remote \$ref \.\.\/\.\.\/private\/other\.yaml#\/Other in .*outside\.yaml: .*private\/other\.yaml is not under a prefix/],
    ]
    for (const [prefixes, ref, expected] of cases) {
      const document = { ...documentWith(ref), paths: { '/orders': documentWith(ref).paths['/orders'] } }
      await assert.rejects(startTestGateway(configWith(prefixes), { files: { 'api.yaml': stringify(document) } }), (error: Error & { problems?: { path: string; message: string }[] }) => {
        // With prefixes listed, the config parser fetches the documents and reports at the document.
        assert.equal(error.problems?.[0]?.path, prefixes.length === 0 ? 'apis[0].policies.openapi-validation' : 'apis[0].openapi', JSON.stringify(error.problems))
        assert.match(error.problems?.[0]?.message ?? '', expected)
        return true
      })
    }
  })

  test('a prefix that is not an http(s) URL is a config problem at its path', async () => {
    await assert.rejects(startTestGateway(configWith(['https://']), { files: { 'api.yaml': stringify(documentWith('#/x')) } }), (error: Error & { problems?: { path: string; message: string }[] }) => {
      assert.deepEqual(error.problems?.[0], { path: 'apis[0].openapiRemoteRefs', message: 'https:// is not an absolute http(s) URL' })
      return true
    })
  })
})
