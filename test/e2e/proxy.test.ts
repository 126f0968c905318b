import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { connect } from 'node:net'
import { request } from 'undici'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/raw-http.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const FLOOD_CHUNK = Buffer.alloc(65536, 1)
const FLOOD_CHUNKS = 1024 // 64 MiB

describe('proxying', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  /** Bytes the upstream has written of the /flood body so far. */
  let floodWritten = 0
  /** Whether the upstream's /stall response was torn down before it ended. */
  let stallClosedEarly = false

  before(async () => {
    upstream = await startUpstream((req, res, body) => {
      if (req.url?.endsWith('/flood') === true) {
        floodWritten = 0
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(FLOOD_CHUNK.length * FLOOD_CHUNKS) })
        const pump = (): void => {
          while (floodWritten < FLOOD_CHUNK.length * FLOOD_CHUNKS) {
            floodWritten += FLOOD_CHUNK.length
            if (!res.write(FLOOD_CHUNK)) return void res.once('drain', pump)
          }
          res.end()
        }
        pump()
        return
      }
      if (req.url?.endsWith('/stall') === true) {
        stallClosedEarly = false
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' })
        res.write('x'.repeat(1000))
        res.on('close', () => (stallClosedEarly = !res.writableEnded))
        return
      }
      if (req.url?.endsWith('/big') === true) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', connection: 'close, x-upstream-private', 'x-upstream-private': 'secret', 'keep-alive': 'timeout=99', server: 'secret-server/1.0' })
        for (let i = 0; i < 64; i++) res.write(Buffer.alloc(16384, i))
        res.end()
        return
      }
      const text = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyLength: body.length })
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-request-id': 'the-upstream-own-id' })
      res.end(text)
    })
    gw = await startTestGateway({
      ...baseConfig(upstream.url),
      trustedProxies: ['10.0.0.0/8'],
      apis: [
        { name: 'orders', basePath: '/orders/v2', upstream: { url: `${upstream.url}/internal` }, routes: { 'GET /orders/{id}': {}, 'POST /orders': {}, 'GET /big': {}, 'GET /flood': {}, 'GET /stall': {} } },
        { name: 'keep', basePath: '/keep', stripBasePath: false, upstream: { url: upstream.url } },
      ],
    })
  })
  after(async () => {
    await gw.stop()
    await upstream.close()
  })

  test('forwards method, path under the upstream prefix, query, and the response', async () => {
    const res = await request(`${gw.url}/orders/v2/orders/42?expand=items&x=%20y`)
    assert.equal(res.statusCode, 200)
    const body = (await res.body.json()) as { url: string; method: string }
    assert.equal(body.method, 'GET')
    assert.equal(body.url, '/internal/orders/42?expand=items&x=%20y')
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2'])
  })

  test('keeps the base path when stripBasePath is false', async () => {
    const res = await request(`${gw.url}/keep/any/thing`)
    const body = (await res.body.json()) as { url: string }
    assert.equal(body.url, '/keep/any/thing')
  })

  test('passes a valid x-request-id through and generates one otherwise', async () => {
    const res = await request(`${gw.url}/orders/v2/orders/1`, { headers: { 'x-request-id': 'abc-123' } })
    const body = (await res.body.json()) as { headers: Record<string, string> }
    assert.equal(body.headers['x-request-id'], 'abc-123')
    // The upstream's own id is replaced, not sent alongside: one field, the gateway's.
    assert.equal(res.headers['x-request-id'], 'abc-123')
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2'])
    const bad = await request(`${gw.url}/orders/v2/orders/1`, { headers: { 'x-request-id': 'no spaces allowed <script>' } })
    const badBody = (await bad.body.json()) as { headers: Record<string, string> }
    assert.match(badBody.headers['x-request-id'] ?? '', /^[0-9a-f]{16}-[0-9a-f]{16}$/)
  })

  test('strips hop-by-hop request headers, including those named in Connection', async () => {
    const port = Number(new URL(gw.url).port)
    const res = await rawRequest(port, [
      'GET /orders/v2/orders/1 HTTP/1.1\r\nHost: a.test\r\nConnection: close, x-hop\r\nX-Hop: drop me\r\nX-End: keep me\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nUpgrade: h2c\r\n\r\n',
    ])
    assert.equal(res.status, 200)
    const { headers } = JSON.parse(res.body) as { headers: Record<string, string> }
    assert.equal(headers.upgrade, undefined)
    assert.equal(headers['x-hop'], undefined)
    assert.equal(headers['proxy-authorization'], undefined)
    assert.equal(headers.te, undefined)
    assert.equal(headers['x-end'], 'keep me')
    assert.match(headers.host ?? '', /^127\.0\.0\.1:\d+$/)
  })

  test('never believes forwarding headers from an untrusted client', async () => {
    const res = await request(`${gw.url}/orders/v2/orders/1`, {
      headers: { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.6', 'x-forwarded-proto': 'https', 'x-real-ip': '6.6.6.6', 'x-forwarded-host': 'evil.example' },
    })
    const { headers } = (await res.body.json()) as { headers: Record<string, string> }
    assert.equal(headers['x-forwarded-for'], '127.0.0.1')
    assert.equal(headers['x-forwarded-proto'], 'http')
    assert.match(headers['x-forwarded-host'] ?? '', /^127\.0\.0\.1:\d+$/)
    assert.equal(headers['x-real-ip'], undefined)
    assert.match(headers.forwarded ?? '', /^for=127\.0\.0\.1;proto=http;host="127\.0\.0\.1:\d+"$/)
  })

  test('streams large response bodies and strips hop-by-hop response headers', async () => {
    const res = await request(`${gw.url}/orders/v2/big`)
    assert.equal(res.statusCode, 200)
    const body = Buffer.from(await res.body.arrayBuffer())
    assert.equal(body.length, 64 * 16384)
    assert.equal(body[16384 * 63], 63)
    assert.equal(res.headers['x-upstream-private'], undefined)
    assert.notEqual(res.headers['keep-alive'], 'timeout=99')
  })

  test('a client that reads slowly holds the upstream back instead of filling the gateway memory, then gets every byte', async () => {
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1')
    try {
      socket.write('GET /orders/v2/flood HTTP/1.1\r\nhost: gateway.test\r\n\r\n')
      // The socket is not read: its receive buffer fills, then the gateway's send buffer.
      await new Promise((r) => setTimeout(r, 600))
      const total = FLOOD_CHUNK.length * FLOOD_CHUNKS
      assert.ok(floodWritten > 0, 'the upstream started sending')
      assert.ok(floodWritten < total / 2, `the upstream was paused (${floodWritten} of ${total} bytes written while the client read nothing)`)
      let received = 0
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stalled after ${received} bytes`)), 20_000)
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length
          if (received >= total) {
            clearTimeout(timer)
            resolve()
          }
        })
        socket.on('error', reject)
      })
      assert.ok(received >= total && received < total + 1024, `received ${received} bytes for a ${total}-byte body`)
    } finally {
      socket.destroy()
    }
  })

  test('a client that leaves mid-response aborts the upstream request and is logged as 499', async () => {
    const res = await request(`${gw.url}/orders/v2/stall`, { headers: { 'x-request-id': 'leaves-early-1' } })
    assert.equal(res.statusCode, 200)
    res.body.destroy()
    await eventually(() => stallClosedEarly, 5000, 'the upstream response torn down')
    await eventually(() => gw.logLines().some((l) => l.requestId === 'leaves-early-1' && l.status === 499), 5000, 'the 499 access-log line')
  })

  test('streams request bodies to the upstream', async () => {
    const payload = Buffer.alloc(300_000, 7)
    const res = await request(`${gw.url}/orders/v2/orders`, { method: 'POST', body: payload, headers: { 'content-type': 'application/octet-stream' } })
    const body = (await res.body.json()) as { bodyLength: number }
    assert.equal(body.bodyLength, payload.length)
  })

  test('writes one access-log line per request with the route template and no secrets', async () => {
    await (await request(`${gw.url}/orders/v2/orders/77?token=supersecret`, { headers: { authorization: 'Bearer topsecret', cookie: 'sid=hidden', 'x-request-id': 'log-line-1' } })).body.text()
    let line: Record<string, unknown> | undefined
    for (let i = 0; i < 50 && line === undefined; i++) {
      line = gw.logLines().find((l) => l.requestId === 'log-line-1')
      if (line === undefined) await new Promise((r) => setTimeout(r, 20))
    }
    assert.ok(line, 'access-log line written')
    assert.equal(line.route, '/orders/{id}')
    assert.equal(line.api, 'orders')
    assert.equal(line.status, 200)
    assert.equal(line.method, 'GET')
    assert.equal(typeof line.durationMs, 'number')
    assert.equal(typeof line.upstreamMs, 'number')
    const text = JSON.stringify(gw.logLines())
    for (const secret of ['supersecret', 'topsecret', 'sid=hidden', '/orders/77']) assert.equal(text.includes(secret), false, `log leaks ${secret}`)
  })
})

describe('trusted proxies', () => {
  test('appends to forwarding headers from a trusted peer and resolves the client address', async () => {
    const upstream = await startUpstream()
    const gw = await startTestGateway({ ...baseConfig(upstream.url), trustedProxies: ['127.0.0.0/8'], apis: [{ name: 'a', upstream: { url: upstream.url }, policies: { 'ip-filter': { deny: ['203.0.113.0/24'] } } }] })
    try {
      const res = await request(`${gw.url}/x`, { headers: { 'x-forwarded-for': '198.51.100.7, 127.0.0.9', forwarded: 'for=198.51.100.7', 'x-forwarded-proto': 'https' } })
      const { headers } = (await res.body.json()) as { headers: Record<string, string> }
      assert.equal(headers['x-forwarded-for'], '198.51.100.7, 127.0.0.9, 127.0.0.1')
      assert.equal(headers['x-forwarded-proto'], 'https')
      assert.match(headers.forwarded ?? '', /^for=198\.51\.100\.7, for=127\.0\.0\.1;proto=http;host=/)
      // The client address behind the trusted proxy is what policies see.
      const denied = await request(`${gw.url}/x`, { headers: { 'x-forwarded-for': '203.0.113.5' } })
      assert.equal(denied.statusCode, 403)
      assert.equal(((await denied.body.json()) as { code: string }).code, 'GW_ERR_IP_DENIED')
    } finally {
      await gw.stop()
      await upstream.close()
    }
  })
})
