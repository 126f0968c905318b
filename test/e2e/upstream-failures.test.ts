import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import { request } from 'undici'
import { baseConfig, startTestGateway } from '../helpers/gateway.js'
import { startUpstream, unusedPort } from '../helpers/upstream.js'

async function problem(url: string, init: Parameters<typeof request>[1] = {}) {
  const res = await request(url, init)
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, code: res.headers['content-type'] === 'application/problem+json' ? (JSON.parse(text) as { code: string; requestId: string }).code : null, text }
}

async function tcpServer(onConnection: (socket: import('node:net').Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    onConnection(socket)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

describe('upstream failures', () => {
  test('refused connection → 502 problem; hang → 504; garbage → 502; the gateway keeps serving', async () => {
    const dead = `http://127.0.0.1:${await unusedPort()}`
    const hang = await tcpServer(() => undefined)
    const garbage = await tcpServer((socket) => socket.end('this is not HTTP at all\r\n\r\n'))
    const healthy = await startUpstream()
    const gw = await startTestGateway({
      ...baseConfig(healthy.url),
      apis: [
        { name: 'dead', basePath: '/dead', upstream: { url: dead, retries: 0 } },
        { name: 'hang', basePath: '/hang', upstream: { url: hang.url, headersTimeoutMs: 300 } },
        { name: 'garbage', basePath: '/garbage', upstream: { url: garbage.url, retries: 0 } },
        { name: 'ok', basePath: '/ok', upstream: { url: healthy.url } },
      ],
    })
    try {
      const refused = await problem(`${gw.url}/dead/x`)
      assert.equal(refused.status, 502)
      assert.equal(refused.code, 'GW_ERR_UPSTREAM_UNAVAILABLE')
      assert.equal(refused.text.includes('ECONNREFUSED'), false, 'no internal error text reaches the client')
      const timedOut = await problem(`${gw.url}/hang/x`)
      assert.equal(timedOut.status, 504)
      assert.equal(timedOut.code, 'GW_ERR_UPSTREAM_TIMEOUT')
      const bad = await problem(`${gw.url}/garbage/x`)
      assert.equal(bad.status, 502)
      assert.equal(bad.code, 'GW_ERR_UPSTREAM_BAD_RESPONSE')
      assert.equal((await problem(`${gw.url}/ok/x`)).status, 200)
      const metrics = await gw.gateway.metrics.registry.metrics()
      assert.match(metrics, /portcullis_upstream_errors_total\{api="dead",kind="connect"\} 1/)
      assert.match(metrics, /portcullis_upstream_errors_total\{api="hang",kind="timeout"\} 1/)
    } finally {
      await gw.stop()
      await Promise.all([hang.close(), garbage.close(), healthy.close()])
    }
  })

  test('an upstream that resets mid-body: the client sees a broken response, not a hang', async () => {
    const resetter = await tcpServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\n' + 'x'.repeat(1000))
        setTimeout(() => socket.destroy(), 50)
      })
    })
    const gw = await startTestGateway(baseConfig(resetter.url))
    try {
      const res = await request(`${gw.url}/x`)
      assert.equal(res.statusCode, 200)
      await assert.rejects(res.body.text())
      const again = await request(`${gw.url}/x`)
      await assert.rejects(again.body.text())
    } finally {
      await gw.stop()
      await resetter.close()
    }
  })

  test('retries idempotent requests on another target, never non-idempotent ones', async () => {
    const dead = `http://127.0.0.1:${await unusedPort()}`
    const live = await startUpstream()
    const gw = await startTestGateway({ ...baseConfig(live.url), apis: [{ name: 'a', upstream: { targets: [dead, live.url], retries: 1 } }] })
    try {
      for (let i = 0; i < 4; i++) assert.equal((await problem(`${gw.url}/get`)).status, 200)
      const posts = []
      for (let i = 0; i < 4; i++) posts.push((await problem(`${gw.url}/post`, { method: 'POST', body: 'x' })).status)
      assert.ok(posts.includes(502), `a POST that hit the dead target is not retried: ${posts.join(',')}`)
      assert.ok(posts.includes(200))
    } finally {
      await gw.stop()
      await live.close()
    }
  })

  test('retries a configured upstream status once, then passes the answer', async () => {
    let calls = 0
    const flaky = await startUpstream((_req, res) => {
      calls++
      res.writeHead(calls === 1 ? 503 : 200, { 'content-type': 'text/plain' })
      res.end(`call ${calls}`)
    })
    const gw = await startTestGateway(baseConfig(flaky.url))
    try {
      const res = await problem(`${gw.url}/x`)
      assert.equal(res.status, 200)
      assert.equal(res.text, 'call 2')
    } finally {
      await gw.stop()
      await flaky.close()
    }
  })

  test('round-robin spreads requests; least-pending avoids the busy target', async () => {
    const a = await startUpstream((_q, res) => setTimeout(() => res.end('a'), 300))
    const b = await startUpstream((_q, res) => res.end('b'))
    const gw = await startTestGateway({
      ...baseConfig(a.url),
      apis: [
        { name: 'rr', basePath: '/rr', upstream: { targets: [a.url, b.url] } },
        { name: 'lp', basePath: '/lp', upstream: { targets: [a.url, b.url], balance: 'least-pending' } },
      ],
    })
    try {
      await Promise.all(Array.from({ length: 10 }, () => problem(`${gw.url}/rr/x`)))
      assert.equal(a.requests.length, 5)
      assert.equal(b.requests.length, 5)
      const slow = problem(`${gw.url}/lp/x`)
      await new Promise((r) => setTimeout(r, 50))
      for (let i = 0; i < 6; i++) await problem(`${gw.url}/lp/x`)
      await slow
      assert.ok(a.requests.length - 5 <= 2, `least-pending sent ${a.requests.length - 5} of 7 to the busy target`)
    } finally {
      await gw.stop()
      await Promise.all([a.close(), b.close()])
    }
  })

  test('passive health checks eject a failing target', async () => {
    const dead = `http://127.0.0.1:${await unusedPort()}`
    const live = await startUpstream()
    const gw = await startTestGateway({
      ...baseConfig(live.url),
      apis: [{ name: 'a', upstream: { targets: [dead, live.url], retries: 0, healthCheck: { failureThreshold: 1, ejectMs: 60000 } } }],
    })
    try {
      const statuses = []
      for (let i = 0; i < 10; i++) statuses.push((await problem(`${gw.url}/x`)).status)
      assert.equal(statuses.filter((s) => s === 502).length, 1, statuses.join(','))
    } finally {
      await gw.stop()
      await live.close()
    }
  })

  test('the circuit breaker opens (503 with Retry-After), then closes after a good trial', async () => {
    let failing = true
    const upstream = await startUpstream((_q, res) => {
      res.writeHead(failing ? 502 : 200)
      res.end()
    })
    const gw = await startTestGateway({
      ...baseConfig(upstream.url),
      apis: [{ name: 'a', upstream: { url: upstream.url, retries: 0, circuitBreaker: { windowSize: 4, minimumRequests: 2, failureRate: 0.5, openMs: 400 }, healthCheck: { failureThreshold: 100 } } }],
    })
    try {
      assert.equal((await problem(`${gw.url}/x`)).status, 502)
      assert.equal((await problem(`${gw.url}/x`)).status, 502)
      const open = await problem(`${gw.url}/x`)
      assert.equal(open.status, 503)
      assert.equal(open.code, 'GW_ERR_UPSTREAM_CIRCUIT_OPEN')
      assert.equal(open.headers['retry-after'], '1')
      assert.equal(upstream.requests.length, 2, 'an open circuit sends nothing upstream')
      failing = false
      await new Promise((r) => setTimeout(r, 450))
      assert.equal((await problem(`${gw.url}/x`)).status, 200)
      assert.equal((await problem(`${gw.url}/x`)).status, 200)
    } finally {
      await gw.stop()
      await upstream.close()
    }
  })
})
