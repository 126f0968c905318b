/**
 * The `application/*+json` family through the WAF with the OWASP CRS, v4 (test/helpers/third-party.ts)
 * and Debian's 3.3 package alike: vendor JSON types (JSON:API, SCIM, JSON Patch, JSON-LD, HAL, a
 * versioned vendor type) pass rule 920420 with the default `allowedContentTypes` and are inspected
 * as JSON — an SQL injection inside one is refused 403. A list without the family entry refuses
 * them as CRS does; a type merely ending in `json` does not slip in.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { CRS_DIR, DEBIAN_CRS_DIR, skipWithoutCrsRules, skipWithoutDebianCrs } from '../helpers/third-party.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

/** What an API client sends with every request (CRS scores a numeric Host and a missing User-Agent). */
const CLIENT_HEADERS = { host: 'api.example.test', 'user-agent': 'jsonapi-client/1.0', accept: 'application/vnd.api+json' }
const ARTICLE = JSON.stringify({ data: { type: 'articles', attributes: { title: 'JSON:API paints my bikeshed!', body: 'The shortest article. Ever.' } } })
const INJECTED = JSON.stringify({ data: { type: 'articles', attributes: { title: "x' UNION SELECT username, password FROM users--" } } })
const VENDOR_TYPES: readonly [string, string][] = [
  ['application/vnd.api+json', ARTICLE],
  ['application/vnd.acme.orders.v2+json', '{"order":{"id":7}}'],
  ['application/scim+json', '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}'],
  ['application/json-patch+json', '[{"op":"replace","path":"/title","value":"New"}]'],
  ['application/ld+json', '{"@context":"https://schema.org","@type":"Person","name":"Jane"}'],
  ['application/hal+json', '{"_links":{"self":{"href":"/orders/1"}}}'],
  ['Application/Merge-Patch+JSON;charset=utf-8', '{"title":"x"}'],
]

async function post(gw: TestGateway, path: string, contentType: string, body: string) {
  const response = await request(`${gw.url}${path}`, { method: 'POST', headers: { ...CLIENT_HEADERS, 'content-type': contentType }, body })
  const text = await response.body.text()
  return { status: response.statusCode, code: response.statusCode === 200 ? null : ((JSON.parse(text) as { code?: string }).code ?? null) }
}

for (const [name, ruleSet, skip] of [
  ['OWASP CRS v4', CRS_DIR, skipWithoutCrsRules],
  ["Debian's OWASP CRS 3.3", DEBIAN_CRS_DIR, skipWithoutDebianCrs()],
] as const) {
  describe(`application/*+json with ${name}`, { skip }, () => {
    let upstream: TestUpstream
    let gw: TestGateway

    before(async () => {
      upstream = await startUpstream()
      gw = await startTestGateway({
        ...baseConfig(upstream.url),
        apis: [
          { name: 'jsonapi', basePath: '/jsonapi', upstream: { url: upstream.url }, policies: { waf: { ruleSet } } },
          { name: 'listed', basePath: '/listed', upstream: { url: upstream.url }, policies: { waf: { ruleSet, allowedContentTypes: ['application/json'] } } },
        ],
      })
    })
    after(async () => {
      await gw?.stop()
      await upstream?.close()
    })

    test('vendor JSON types pass with the default allowedContentTypes', async () => {
      for (const [type, body] of VENDOR_TYPES) assert.deepEqual(await post(gw, '/jsonapi/articles', type, body), { status: 200, code: null }, type)
      // A `version` parameter is CRS 4's (rule 920470 in 3.3 allows only charset, boundary, type, start and action).
      const versioned = await post(gw, '/jsonapi/articles', 'application/vnd.acme.orders+json; version=2', '{"order":{"id":7}}')
      assert.equal(versioned.status, ruleSet === CRS_DIR ? 200 : 403)
    })

    test('an SQL injection inside a JSON:API document is refused 403', async () => {
      const before = upstream.requests.length
      assert.deepEqual(await post(gw, '/jsonapi/articles', 'application/vnd.api+json', INJECTED), { status: 403, code: 'GW_ERR_WAF_BLOCKED' })
      assert.equal(upstream.requests.length, before)
    })

    test('outside the family, and without the family entry, CRS refuses them as before', async () => {
      assert.equal((await post(gw, '/jsonapi/articles', 'application/vnd.evil+jsonx', ARTICLE)).status, 403)
      assert.equal((await post(gw, '/jsonapi/articles', 'text/x-json', ARTICLE)).status, 403)
      assert.equal((await post(gw, '/listed/articles', 'application/vnd.api+json', ARTICLE)).status, 403)
      assert.equal((await post(gw, '/listed/articles', 'application/json', ARTICLE)).status, 200)
    })
  })
}
