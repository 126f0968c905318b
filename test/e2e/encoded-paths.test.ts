/**
 * Encoded `/` and `\` inside path segments end to end: routed and validated on the decoded
 * segment (GitLab project ids, Azure resource ids, OPA data paths), forwarded raw; a dot segment
 * hidden behind one never reaches the upstream, and with the WAF on, an attack placed there is
 * the WAF's 403 (logged), not an anonymous 400 before it. `server.encodedSlashes: reject` keeps
 * encoded separators from upstreams that would split them.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { stringify } from 'yaml'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/raw-http.js'
import { CRS_DIR, skipWithoutCrsRules } from '../helpers/third-party.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const ok = { '200': { description: 'ok' } }
/** Each path parameter accepts exactly its decoded value, so a 200 proves what the router handed the policies. */
const pathParam = (name: string, value: string) => ({ name, in: 'path', required: true, schema: { type: 'string', enum: [value] } })
const AZURE_ID = '/subscriptions/0000/resourceGroups/rg1/providers/Microsoft.Web/sites/app'
const DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'encoded', version: '1' },
  paths: {
    '/api/v4/projects/{id}': { get: { operationId: 'getProject', parameters: [pathParam('id', 'group/subgroup/project')], responses: ok } },
    '/api/v4/projects/{id}/repository/files/{file}': {
      get: { operationId: 'getFile', parameters: [pathParam('id', 'group/subgroup/project'), pathParam('file', 'src/main.c')], responses: ok },
    },
    '/resources/{resourceId}': { get: { operationId: 'getResource', parameters: [pathParam('resourceId', AZURE_ID)], responses: ok } },
    '/v1/data/{path}': {
      post: { operationId: 'queryData', parameters: [pathParam('path', 'authz/allow')], requestBody: { content: { 'application/json': { schema: { type: 'object' } } } }, responses: ok },
    },
    '/files/{name}': { get: { operationId: 'getFile2', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], responses: ok } },
  },
}

function problemCode(body: string): string | null {
  try {
    return (JSON.parse(body) as { code?: string }).code ?? null
  } catch {
    return null
  }
}

async function send(gw: TestGateway, method: string, path: string): Promise<{ status: number; code: string | null }> {
  const port = gw.gateway.addresses.http?.port ?? 0
  const body = method === 'POST' ? '{}' : ''
  const res = await rawRequest(port, [`${method} ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`])
  return { status: res.status, code: res.status === 200 ? null : problemCode(res.body) }
}

describe('encoded separators in path segments', () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream()
    const api = (name: string, basePath: string, extra: Record<string, unknown> = {}) => ({ name, basePath, openapi: 'api.yaml', upstream: { url: upstream.url }, policies: { 'openapi-validation': {} }, ...extra })
    gw = await startTestGateway(
      {
        ...baseConfig(upstream.url),
        apis: [api('plain', '/plain'), api('guarded', '/guarded', { policies: { 'openapi-validation': {}, waf: {} } })],
      },
      { files: { 'api.yaml': stringify(DOCUMENT) } },
    )
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  const forwarded = () => upstream.requests.map((r) => r.url)

  test('GitLab, Azure and OPA ids route to their operation with the decoded value and reach the upstream raw', async () => {
    const cases = [
      ['GET', '/plain/api/v4/projects/group%2Fsubgroup%2Fproject'],
      ['GET', '/plain/api/v4/projects/group%2fsubgroup%2fproject/repository/files/src%2Fmain.c'],
      ['GET', `/plain/resources/${encodeURIComponent(AZURE_ID)}`],
      ['POST', '/plain/v1/data/authz%2Fallow'],
      ['GET', '/guarded/api/v4/projects/group%2Fsubgroup%2Fproject'],
    ] as const
    for (const [method, path] of cases) {
      assert.deepEqual(await send(gw, method, path), { status: 200, code: null }, path)
      assert.equal(forwarded().at(-1), path.replace(/^\/(?:plain|guarded)/, ''), path)
    }
    const operations = () => gw.logLines().filter((l) => l.status === 200).map((l) => l.route)
    // The access-log line is written once the response closed, possibly after the client read it.
    await eventually(() => operations().length >= cases.length, 5000, 'the access-log lines')
    assert.deepEqual(operations().slice(0, 4), ['/api/v4/projects/{id}', '/api/v4/projects/{id}/repository/files/{file}', '/resources/{resourceId}', '/v1/data/{path}'])
  })

  test('the policies see the decoded value: another value is refused by the document', async () => {
    assert.deepEqual(await send(gw, 'GET', '/plain/api/v4/projects/group%2Fother'), { status: 400, code: 'GW_ERR_REQUEST_INVALID' })
  })

  test('a dot segment behind an encoded separator never reaches the upstream', async () => {
    const before = forwarded().length
    for (const path of ['/plain/files/a%2F..%2Fadmin', '/plain/files/..%5Cadmin', '/plain/files/%2e%2e', '/plain/files/a%00b', '/plain/files/a\\b']) {
      assert.deepEqual(await send(gw, 'GET', path), { status: 400, code: 'GW_ERR_REQUEST_PATH_INVALID' }, path)
    }
    assert.equal(forwarded().length, before)
  })

  test('with the WAF on, path traversal in an encoded segment is the WAF’s 403, and logged', async () => {
    const before = forwarded().length
    assert.deepEqual(await send(gw, 'GET', '/guarded/files/..%2F..%2Fetc%2Fpasswd'), { status: 403, code: 'GW_ERR_WAF_BLOCKED' })
    assert.equal(forwarded().length, before)
    assert.ok(gw.logLines().some((l) => l.msg === 'request blocked by the WAF'))
  })
})

describe('server.encodedSlashes: reject', () => {
  test('an encoded separator is refused with 400 after the policies, and never forwarded', async () => {
    const upstream = await startUpstream()
    let gw: TestGateway | undefined
    try {
      gw = await startTestGateway({ ...baseConfig(upstream.url), server: { encodedSlashes: 'reject' }, apis: [{ name: 'x', basePath: '/', upstream: { url: upstream.url }, routes: { 'GET /projects/{id}': {} } }] })
      assert.deepEqual(await send(gw, 'GET', '/projects/group%2Fproject'), { status: 400, code: 'GW_ERR_REQUEST_PATH_INVALID' })
      assert.deepEqual(await send(gw, 'GET', '/projects/group%5Cproject'), { status: 400, code: 'GW_ERR_REQUEST_PATH_INVALID' })
      assert.deepEqual(await send(gw, 'GET', '/projects/group-project'), { status: 200, code: null })
      assert.deepEqual(upstream.requests.map((r) => r.url), ['/projects/group-project'])
      // The setting is read per request: a reload changes it without a restart, and says nothing of one.
      gw.writeConfig({ ...baseConfig(upstream.url), apis: [{ name: 'x', basePath: '/', upstream: { url: upstream.url }, routes: { 'GET /projects/{id}': {} } }] })
      assert.equal((await gw.gateway.reload()).ok, true)
      assert.deepEqual(await send(gw, 'GET', '/projects/group%2Fproject'), { status: 200, code: null })
      assert.equal(gw.logLines().filter((line) => String(line.msg).includes('next restart')).length, 0)
    } finally {
      await gw?.stop()
      await upstream.close()
    }
  })
})

describe('encoded path attacks with the OWASP CRS', { skip: skipWithoutCrsRules }, () => {
  test('are refused by the WAF with 403, before the path check', async () => {
    const upstream = await startUpstream()
    let gw: TestGateway | undefined
    try {
      gw = await startTestGateway({ ...baseConfig(upstream.url), apis: [{ name: 'x', basePath: '/', upstream: { url: upstream.url }, routes: { 'GET /files/{name}': {} }, policies: { waf: { ruleSet: CRS_DIR } } }] })
      for (const path of ['/files/..%2F..%2Fetc%2Fpasswd', '/files/%3Cscript%3Ealert(1)%3C%2Fscript%3E']) {
        assert.deepEqual(await send(gw, 'GET', path), { status: 403, code: 'GW_ERR_WAF_BLOCKED' }, path)
      }
      assert.deepEqual(await send(gw, 'GET', '/files/reports%2F2024%2Fq1.pdf'), { status: 200, code: null })
      assert.deepEqual(upstream.requests.map((r) => r.url), ['/files/reports%2F2024%2Fq1.pdf'])
    } finally {
      await gw?.stop()
      await upstream.close()
    }
  })
})
