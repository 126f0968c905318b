import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { request } from 'undici'
import { baseConfig, startTestGateway } from '../helpers/gateway.js'
import { startUpstream } from '../helpers/upstream.js'

describe('built-in policies end to end', () => {
  test('ip-filter: deny wins, allow lists restrict, IPv4 and IPv6', async () => {
    const upstream = await startUpstream()
    const gw = await startTestGateway({
      ...baseConfig(upstream.url),
      listen: { http: { port: 0, host: '::' } },
      apis: [
        { name: 'v4only', basePath: '/v4only', upstream: { url: upstream.url }, policies: { 'ip-filter': { allow: ['127.0.0.0/8'] } } },
        { name: 'v6only', basePath: '/v6only', upstream: { url: upstream.url }, policies: { 'ip-filter': { allow: ['::1/128'] } } },
        { name: 'deny', basePath: '/deny', upstream: { url: upstream.url }, policies: { 'ip-filter': { allow: ['0.0.0.0/0', '::/0'], deny: ['127.0.0.1', '::1'] } } },
      ],
    })
    const port = gw.gateway.addresses.http!.port
    const status = async (host: string, path: string) => {
      const res = await request(`http://${host}:${port}${path}`)
      await res.body.text()
      return res.statusCode
    }
    try {
      assert.equal(await status('127.0.0.1', '/v4only/x'), 200)
      assert.equal(await status('[::1]', '/v4only/x'), 403)
      assert.equal(await status('[::1]', '/v6only/x'), 200)
      assert.equal(await status('127.0.0.1', '/v6only/x'), 403)
      assert.equal(await status('127.0.0.1', '/deny/x'), 403)
      assert.equal(await status('[::1]', '/deny/x'), 403)
    } finally {
      await gw.stop()
      await upstream.close()
    }
  })

  test('cors: preflight answered locally, headers on allowed origins, others refused', async () => {
    const upstream = await startUpstream((_q, res) => {
      res.writeHead(200, { vary: 'Accept-Encoding', 'content-type': 'text/plain' })
      res.end('ok')
    })
    const gw = await startTestGateway({
      ...baseConfig(upstream.url),
      apis: [
        {
          name: 'a',
          upstream: { url: upstream.url },
          routes: { 'GET /items': {}, 'DELETE /items/{id}': {} },
          policies: { cors: { origins: ['https://app.example', 'https://*.tenant.example'], credentials: true, exposeHeaders: ['x-total'], methods: ['GET', 'DELETE'] } },
        },
      ],
    })
    try {
      const preflight = await request(`${gw.url}/items/1`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'Authorization, Content-Type' },
      })
      assert.equal(preflight.statusCode, 204)
      assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example')
      assert.equal(preflight.headers['access-control-allow-credentials'], 'true')
      assert.equal(preflight.headers['access-control-allow-methods'], 'GET, DELETE')
      assert.equal(preflight.headers['access-control-max-age'], '600')
      await preflight.body.text()
      assert.equal(upstream.requests.length, 0, 'preflights never reach the upstream')

      const badHeader = await request(`${gw.url}/items/1`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'x-evil' } })
      assert.equal(badHeader.statusCode, 403)
      assert.equal(((await badHeader.body.json()) as { code: string }).code, 'GW_ERR_CORS_PREFLIGHT_DENIED')
      const badOrigin = await request(`${gw.url}/items/1`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' } })
      assert.equal(badOrigin.statusCode, 403)
      await badOrigin.body.text()

      const actual = await request(`${gw.url}/items`, { headers: { origin: 'https://x.tenant.example' } })
      assert.equal(actual.statusCode, 200)
      assert.equal(actual.headers['access-control-allow-origin'], 'https://x.tenant.example')
      assert.equal(actual.headers['access-control-expose-headers'], 'x-total')
      assert.equal(actual.headers.vary, 'Accept-Encoding, Origin')
      await actual.body.text()

      const refused = await request(`${gw.url}/items`, { headers: { origin: 'https://tenant.example.evil.com' } })
      assert.equal(refused.statusCode, 403)
      assert.equal(((await refused.body.json()) as { code: string }).code, 'GW_ERR_CORS_ORIGIN_DENIED')
      const sameOrigin = await request(`${gw.url}/items`, { headers: { origin: gw.url } })
      assert.equal(sameOrigin.statusCode, 200)
      assert.equal(sameOrigin.headers['access-control-allow-origin'], undefined)
      await sameOrigin.body.text()
    } finally {
      await gw.stop()
      await upstream.close()
    }
  })

  test('security-headers: protective headers on, revealing upstream headers off, also on denials', async () => {
    const upstream = await startUpstream((_q, res) => {
      res.writeHead(200, { server: 'Apache/2.4.1 (Unix)', 'x-powered-by': 'PHP/5.3', 'x-aspnet-version': '4.0' })
      res.end('ok')
    })
    const gw = await startTestGateway({
      ...baseConfig(upstream.url),
      apis: [{ name: 'a', upstream: { url: upstream.url }, policies: { 'security-headers': { frameOptions: 'SAMEORIGIN' }, 'request-limits': { maxUrlLength: 50 } } }],
    })
    try {
      const res = await request(`${gw.url}/x`)
      await res.body.text()
      assert.equal(res.headers.server, undefined)
      assert.equal(res.headers['x-powered-by'], undefined)
      assert.equal(res.headers['x-aspnet-version'], undefined)
      assert.equal(res.headers['x-content-type-options'], 'nosniff')
      assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
      assert.equal(res.headers['referrer-policy'], 'no-referrer')
      assert.equal(res.headers['strict-transport-security'], undefined, 'HSTS only over TLS (RFC 6797 §7.2)')
      const denied = await request(`${gw.url}/${'x'.repeat(60)}`)
      assert.equal(denied.statusCode, 414)
      assert.equal(denied.headers['x-content-type-options'], 'nosniff')
      await denied.body.text()
    } finally {
      await gw.stop()
      await upstream.close()
    }
  })
})
