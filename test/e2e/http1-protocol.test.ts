/**
 * HTTP/1 framing the parser lets through or answers on its own (issue 21): each gets a
 * problem+json with a request id and an access-log line, and nothing of it reaches the upstream.
 * Pipelined requests are answered in order, a bounded number at a time.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { rawExchange, rawRequest, splitResponses } from '../helpers/raw-http.js'
import { connect } from 'node:net'
import { echo, startUpstream, type TestUpstream } from '../helpers/upstream.js'

describe('HTTP/1 protocol edges', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  let port: number

  before(async () => {
    upstream = await startUpstream((req, res, body) => {
      if (req.url?.startsWith('/slow') === true) setTimeout(() => echo(req, res, body), 1500)
      else echo(req, res, body)
    })
    gw = await startTestGateway({
      ...baseConfig(upstream.url),
      server: { maxPipelinedRequests: 4, headersTimeoutMs: 500, requestTimeoutMs: 1000 },
      apis: [{ name: 'a', upstream: { url: upstream.url }, policies: { 'request-limits': { maxBodyBytes: 100 } } }],
    })
    port = Number(new URL(gw.url).port)
  })
  after(async () => {
    await gw.stop()
    await upstream.close()
  })

  function code(body: string): string {
    return (JSON.parse(body) as { code: string }).code
  }

  /** The access line of a request id, once the log is flushed. */
  function accessLine(requestId: string | undefined): Record<string, unknown> | undefined {
    assert.ok(requestId, 'the answer carries x-request-id')
    return gw.logLines().find((l) => l.kind === 'access' && l.requestId === requestId)
  }

  async function refused(request: string, status: number, expected: string): Promise<void> {
    const before = upstream.requests.length
    const res = await rawRequest(port, [request])
    assert.equal(res.status, status, request)
    assert.equal(res.headers['content-type'], 'application/problem+json')
    assert.equal(code(res.body), expected)
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
    assert.equal(accessLine(res.headers['x-request-id'])?.status, status)
    assert.ok(res.closed)
    assert.equal(upstream.requests.length, before, 'nothing reached the upstream')
  }

  test('CONNECT gets 405 problem+json', async () => {
    await refused('CONNECT upstream.example:443 HTTP/1.1\r\nHost: upstream.example:443\r\n\r\n', 405, 'GW_ERR_METHOD_NOT_ALLOWED')
  })

  test('a request without Host, or with two, gets 400', async () => {
    await refused('GET /x HTTP/1.1\r\n\r\n', 400, 'GW_ERR_REQUEST_MALFORMED')
    await refused('GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'GW_ERR_REQUEST_MALFORMED')
    // HTTP/1.0 has no Host requirement.
    const res = await rawRequest(port, ['GET /x HTTP/1.0\r\n\r\n'])
    assert.equal(res.status, 200)
  })

  test('parser-level refusals carry a request id and are logged', async () => {
    await refused('GET /x HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n', 400, 'GW_ERR_REQUEST_MALFORMED')
    await refused(`GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`, 431, 'GW_ERR_REQUEST_HEADERS_TOO_LARGE')
  })

  test('HTTP/2.0 in an HTTP/1 request line gets 505', async () => {
    await refused('GET /x HTTP/2.0\r\nHost: a\r\n\r\n', 505, 'GW_ERR_HTTP_VERSION_NOT_SUPPORTED')
  })

  test('a transfer coding other than chunked alone gets 501', async () => {
    await refused('POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 501, 'GW_ERR_TRANSFER_CODING_UNSUPPORTED')
  })

  test('Expect: 100-continue gets 413 without 100 when the declared body is too large, 100 then the answer otherwise', async () => {
    const large = await rawExchange(port, ['POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n'], 2000)
    assert.match(large.text, /^HTTP\/1\.1 413 /)
    assert.doesNotMatch(large.text, /100 Continue/)
    const small = await rawExchange(port, ['POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n', { pauseMs: 300 }, 'hello'], 3000)
    assert.match(small.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /)
  })

  test('a valid pipelined GET followed by a malformed request: the GET is answered first, then 400', async () => {
    const { text, closed } = await rawExchange(port, ['GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n'])
    const responses = splitResponses(text)
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 400],
    )
    assert.equal((JSON.parse(responses[0]?.body ?? '{}') as { url: string }).url, '/first')
    assert.ok(closed)
  })

  test('after an answer that closes the connection, pipelined requests behind it are not served (RFC 9112 §9.6)', async () => {
    const before = upstream.requests.length
    const { text, closed } = await rawExchange(port, ['GET /x HTTP/1.1\r\n\r\nPOST /after HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi'])
    assert.deepEqual(
      splitResponses(text).map((r) => r.status),
      [400],
    )
    assert.ok(closed)
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(upstream.requests.length, before, 'the request after the close was not forwarded')
  })

  test('a request whose body never comes, queued behind a slow one: the slow one is answered, then 408, and nothing hangs', async () => {
    const { text, closed } = await rawExchange(port, ['GET /slow HTTP/1.1\r\nHost: a\r\n\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc'], 8000)
    assert.deepEqual(
      splitResponses(text).map((r) => r.status),
      [200, 408],
    )
    assert.ok(closed, 'the connection is closed after the 408')
    const metric = await gw.gateway.metrics.registry.getSingleMetricAsString('portcullis_requests_in_flight')
    assert.match(metric, /portcullis_requests_in_flight 0/)
  })

  test('an expectation other than 100-continue gets 417 problem+json', async () => {
    await refused('GET /x HTTP/1.1\r\nHost: a\r\nExpect: something-else\r\n\r\n', 417, 'GW_ERR_EXPECTATION_FAILED')
  })

  test('an HTTP/1.0 client gets no 100 Continue (RFC 9110 §15.2)', async () => {
    const { text } = await rawExchange(port, ['POST /x HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n', { pauseMs: 200 }, 'hello'], 3000)
    assert.match(text, /^HTTP\/1\.1 200 /)
  })

  test('a CONNECT answer ends the connection even when the client keeps its half open', async () => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    socket.on('error', () => undefined)
    let text = ''
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
    socket.write('CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n')
    await new Promise((resolve) => socket.once('end', resolve))
    // The gateway's side is gone (not held half-open): what the client sends next is reset.
    const poke = setInterval(() => socket.write('x'), 200)
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 8000)
      socket.once('close', () => {
        clearTimeout(timer)
        resolve(true)
      })
    })
    clearInterval(poke)
    socket.destroy()
    assert.match(text, /^HTTP\/1\.1 405 /)
    assert.ok(closed, 'the gateway closed the connection')
  })

  test('pipelined requests are answered in order; past maxPipelinedRequests the next gets 503 and the connection closes', async () => {
    const requests = Array.from({ length: 8 }, (_, i) => `GET /p${i} HTTP/1.1\r\nHost: a\r\n\r\n`).join('')
    const { text, closed } = await rawExchange(port, [requests])
    const responses = splitResponses(text)
    // One served + 4 queued, the 6th refused; the 7th and 8th are never answered.
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 200, 200, 200, 200, 503],
    )
    assert.deepEqual(
      responses.slice(0, 5).map((r) => (JSON.parse(r.body) as { url: string }).url),
      ['/p0', '/p1', '/p2', '/p3', '/p4'],
    )
    assert.equal(code(responses[5]?.body ?? '{}'), 'GW_ERR_PIPELINE_LIMIT')
    assert.ok(closed)
    const unanswered = gw.logLines().filter((l) => l.kind === 'access' && l.code === 'GW_ERR_PIPELINE_LIMIT')
    assert.deepEqual(unanswered.map((l) => l.status).sort(), [499, 499, 503])
  })
})
