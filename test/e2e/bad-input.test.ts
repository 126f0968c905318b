import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/raw-http.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

describe('bad input from clients', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  let port: number

  before(async () => {
    upstream = await startUpstream()
    gw = await startTestGateway({
      ...baseConfig(upstream.url),
      server: { headersTimeoutMs: 500, requestTimeoutMs: 1000, maxHeaderBytes: 4096 },
      apis: [{ name: 'a', upstream: { url: upstream.url }, policies: { 'request-limits': { maxBodyBytes: 1000, maxUrlLength: 200, maxHeaderCount: 20 } } }],
    })
    port = Number(new URL(gw.url).port)
  })
  after(async () => {
    await gw.stop()
    await upstream.close()
  })

  async function stillServing(): Promise<void> {
    const res = await request(`${gw.url}/ok`)
    assert.equal(res.statusCode, 200)
    await res.body.text()
  }

  function problemCode(body: string): string {
    return (JSON.parse(body) as { code: string }).code
  }

  test('a malformed request line gets 400 problem+json', async () => {
    const res = await rawRequest(port, ['GET /x HTTP/9.9 extra\r\n\r\n'])
    assert.equal(res.status, 400)
    assert.equal(res.headers['content-type'], 'application/problem+json')
    assert.equal(problemCode(res.body), 'GW_ERR_REQUEST_MALFORMED')
    await stillServing()
  })

  test('malformed header lines get 400', async () => {
    const res = await rawRequest(port, ['GET /x HTTP/1.1\r\nHost: a\r\nBad Header Name: x\r\n\r\n'])
    assert.equal(res.status, 400)
    await stillServing()
  })

  test('oversized headers get 431', async () => {
    const res = await rawRequest(port, [`GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`])
    assert.equal(res.status, 431)
    assert.equal(problemCode(res.body), 'GW_ERR_REQUEST_HEADERS_TOO_LARGE')
    const many = Array.from({ length: 30 }, (_, i) => `X-H${i}: v\r\n`).join('')
    const tooMany = await rawRequest(port, [`GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${many}\r\n`])
    assert.equal(tooMany.status, 431, 'request-limits counts header fields')
    await stillServing()
  })

  test('Content-Length with Transfer-Encoding (request smuggling) is refused and never forwarded', async () => {
    const before = upstream.requests.length
    const res = await rawRequest(port, ['POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n'])
    assert.equal(res.status, 400)
    assert.equal(res.closed, true)
    assert.equal(upstream.requests.length, before)
    assert.equal(upstream.requests.some((r) => r.url.includes('smuggled')), false)
    await stillServing()
  })

  test('an invalid chunked body gets 400 and is not forwarded whole', async () => {
    const res = await rawRequest(port, ['POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'])
    assert.equal(res.status, 400)
    assert.equal(upstream.requests.some((r) => r.body.toString().includes('hello')), false)
    await stillServing()
  })

  test('a body over the limit gets 413, declared or streamed', async () => {
    const declared = await request(`${gw.url}/x`, { method: 'POST', body: Buffer.alloc(5000) })
    assert.equal(declared.statusCode, 413)
    assert.equal(problemCode(await declared.body.text()), 'GW_ERR_REQUEST_BODY_TOO_LARGE')
    const chunks = ['POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n']
    for (let i = 0; i < 5; i++) chunks.push(`1f4\r\n${'b'.repeat(500)}\r\n`)
    chunks.push('0\r\n\r\n')
    const streamed = await rawRequest(port, chunks)
    assert.equal(streamed.status, 413)
    assert.equal(upstream.requests.some((r) => r.body.length > 1000), false, 'the upstream never received an oversized body')
    await stillServing()
  })

  test('slow clients get 408 (headers and body)', async () => {
    const slowHeaders = await rawRequest(port, ['GET /x HTTP/1.1\r\nHost: a\r\n', { pauseMs: 1500 }, 'X-Late: 1\r\n\r\n'], 4000)
    assert.equal(slowHeaders.status, 408)
    assert.equal(problemCode(slowHeaders.body), 'GW_ERR_REQUEST_TIMEOUT')
    const slowBody = await rawRequest(port, ['POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab', { pauseMs: 2000 }, 'cdefghij'], 5000)
    assert.ok(slowBody.closed)
    assert.equal(slowBody.status, 408)
    await stillServing()
  })

  test('absurd URLs get 414 and invalid paths 400', async () => {
    const long = await request(`${gw.url}/${'a'.repeat(300)}`)
    assert.equal(long.statusCode, 414)
    await long.body.text()
    for (const path of ['/%ff%fe', '/a/../../etc/passwd', '/a%2f..%2fb', '/%E0%80%AF']) {
      const res = await rawRequest(port, [`GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`])
      assert.equal(res.status, 400, path)
      assert.equal(problemCode(res.body), 'GW_ERR_REQUEST_PATH_INVALID')
    }
    const raw = await rawRequest(port, [Buffer.concat([Buffer.from('GET /caf'), Buffer.from([0xc3, 0x28]), Buffer.from(' HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')])])
    assert.equal(raw.status, 400)
    await stillServing()
  })

  test('nothing from bad requests is logged unmasked', async () => {
    await rawRequest(port, ['GET /x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer leaked-token-123\r\nBad Header: x\r\n\r\n'])
    await new Promise((r) => setTimeout(r, 100))
    const text = JSON.stringify(gw.logLines())
    assert.equal(text.includes('leaked-token-123'), false)
    assert.ok(gw.logLines().some((l) => l.msg === 'malformed request refused'))
  })
})
