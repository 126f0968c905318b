import assert from 'node:assert/strict'
import { copyFileSync } from 'node:fs'
import { connect as http2Connect } from 'node:http2'
import { request as httpsRequest } from 'node:https'
import { connect as tlsConnect, type PeerCertificate } from 'node:tls'
import { Type } from '@sinclair/typebox'
import { after, before, describe, test } from 'node:test'
import { definePolicy } from '../../src/pipeline/define-policy.js'
import { builtinPolicies } from '../../src/policies/index.js'
import { createPki, type Pki } from '../helpers/certificates.js'
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

/** Hands the verified client certificate to the upstream, to observe what policies see. */
const identityProbe = definePolicy({
  name: 'identity-probe',
  priority: 10,
  description: 'test only',
  configSchema: Type.Object({}),
  create: () => ({
    onRequest(ctx) {
      const cert = ctx.client.tls?.clientCertificate
      ctx.upstreamHeaders.set('x-client-cn', cert?.subject.CN ?? 'none')
      ctx.upstreamHeaders.set('x-client-thumbprint', cert?.thumbprintS256 ?? 'none')
      ctx.upstreamHeaders.set('x-tls-protocol', ctx.client.tls?.protocol ?? 'none')
    },
  }),
})

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  peer: PeerCertificate | null
}

function get(port: number, path: string, options: { servername?: string; ca: Buffer; cert?: Buffer; key?: Buffer; maxVersion?: 'TLSv1.1' | 'TLSv1.2' }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername: options.servername ?? 'localhost', ca: options.ca, cert: options.cert, key: options.key, maxVersion: options.maxVersion, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), peer: (res.socket as unknown as { getPeerCertificate(): PeerCertificate }).getPeerCertificate() }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('TLS listener', () => {
  let pki: Pki
  let upstream: TestUpstream
  let gw: TestGateway
  let port: number
  let ca: Buffer

  before(async () => {
    pki = createPki()
    ca = pki.read(pki.caCert)
    const main = pki.issue('main', { cn: 'localhost', san: ['DNS:localhost', 'IP:127.0.0.1'] })
    const other = pki.issue('other', { cn: 'api.other.test', san: ['DNS:api.other.test', 'DNS:*.other.test'] })
    pki.issue('client', { cn: 'alice', client: true })
    upstream = await startUpstream()
    gw = await startTestGateway(
      {
        listen: {
          https: {
            port: 0,
            host: '127.0.0.1',
            certificates: [
              { cert: main.cert, key: main.key },
              { cert: other.cert, key: other.key, serverNames: ['api.other.test', '*.other.test'] },
            ],
            clientCertificate: { ca: pki.caCert, mode: 'optional' },
          },
        },
        watch: true,
        apis: [{ name: 'a', upstream: { url: upstream.url }, policies: { 'identity-probe': {}, 'security-headers': {} } }],
      },
      { policies: [...builtinPolicies, identityProbe] },
    )
    port = gw.gateway.addresses.https!.port
  })
  after(async () => {
    await gw.stop()
    await upstream.close()
  })

  test('serves HTTPS/1.1 with TLS 1.2+ and HSTS', async () => {
    const res = await get(port, '/x', { ca })
    assert.equal(res.status, 200)
    assert.match(res.headers['strict-transport-security'] as string, /^max-age=31536000; includeSubDomains$/)
    const { headers } = JSON.parse(res.body) as { headers: Record<string, string> }
    assert.equal(headers['x-forwarded-proto'], 'https')
    assert.match(headers['x-tls-protocol'] ?? '', /^TLSv1\.[23]$/)
    assert.equal(headers['x-client-cn'], 'none', 'no certificate, no identity')
  })

  test('refuses TLS 1.1 and below', async () => {
    await assert.rejects(get(port, '/x', { ca, maxVersion: 'TLSv1.1' }))
  })

  test('picks the certificate by SNI, wildcards included', async () => {
    assert.equal((await get(port, '/x', { ca, servername: 'api.other.test' })).peer?.subject.CN, 'api.other.test')
    assert.equal((await get(port, '/x', { ca, servername: 'eu.other.test' })).peer?.subject.CN, 'api.other.test')
    assert.equal((await get(port, '/x', { ca, servername: 'localhost' })).peer?.subject.CN, 'localhost')
  })

  test('hands a verified client certificate to the pipeline', async () => {
    const res = await get(port, '/x', { ca, cert: pki.read(`${pki.dir}/client.pem`), key: pki.read(`${pki.dir}/client.key`) })
    const { headers } = JSON.parse(res.body) as { headers: Record<string, string> }
    assert.equal(headers['x-client-cn'], 'alice')
    assert.match(headers['x-client-thumbprint'] ?? '', /^[A-Za-z0-9_-]{43}$/)
  })

  test('serves HTTP/2 by ALPN', async () => {
    const session = http2Connect(`https://localhost:${port}`, { ca })
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ':path': '/h2?x=1', ':method': 'GET' })
        let status = 0
        const chunks: Buffer[] = []
        stream.on('response', (h) => (status = Number(h[':status'])))
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString() }))
        stream.on('error', reject)
        stream.end()
      })
      assert.equal(answer.status, 200)
      // Bounded streams per connection (server.maxConcurrentStreams); Node announces none by default.
      assert.equal(session.remoteSettings.maxConcurrentStreams, 128)
      const echoed = JSON.parse(answer.body) as { url: string; headers: Record<string, string> }
      assert.equal(echoed.url, '/h2?x=1')
      assert.match(echoed.headers['x-forwarded-host'] ?? '', /^localhost:\d+$/)
      assert.equal(Object.keys(echoed.headers).some((h) => h.startsWith(':')), false, 'no pseudo-headers upstream')
      const problem = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':path': '/%ff', ':method': 'GET' })
        stream.on('response', (h) => resolve(Number(h[':status'])))
        stream.on('error', reject)
        stream.resume()
        stream.end()
      })
      assert.equal(problem, 400)
    } finally {
      session.close()
    }
  })

  test('reloads certificates without a restart', async () => {
    const renewed = pki.issue('renewed', { cn: 'renewed.other.test', san: ['DNS:api.other.test', 'DNS:*.other.test'] })
    copyFileSync(renewed.cert, `${pki.dir}/other.pem`)
    copyFileSync(renewed.key, `${pki.dir}/other.key`)
    // The reload parses on a worker thread started on demand: seconds on a busy 2-core machine.
    await eventually(async () => (await get(port, '/x', { ca, servername: 'api.other.test' })).peer?.subject.CN === 'renewed.other.test', 15_000, 'the renewed certificate')
  })
})

describe('mTLS required', () => {
  test('refuses the handshake without a valid client certificate', async () => {
    const pki = createPki()
    const server = pki.issue('server', { cn: 'localhost', san: ['DNS:localhost'] })
    const client = pki.issue('client', { cn: 'bob', client: true })
    const upstream = await startUpstream()
    const gw = await startTestGateway({
      listen: { https: { port: 0, host: '127.0.0.1', cert: server.cert, key: server.key, clientCa: pki.caCert, http2: false } },
      watch: false,
      apis: [{ name: 'a', upstream: { url: upstream.url } }],
    })
    const port = gw.gateway.addresses.https!.port
    const ca = pki.read(pki.caCert)
    try {
      assert.equal((await get(port, '/x', { ca, cert: pki.read(client.cert), key: pki.read(client.key) })).status, 200)
      await assert.rejects(get(port, '/x', { ca }))
      const stranger = createPki().issue('stranger', { cn: 'mallory', client: true })
      await assert.rejects(get(port, '/x', { ca, cert: pki.read(stranger.cert), key: pki.read(stranger.key) }))
      assert.equal(upstream.requests.length, 1)
      // The listener still answers afterwards.
      await new Promise<void>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca, cert: pki.read(client.cert), key: pki.read(client.key) }, () => {
          socket.end()
          resolve()
        })
        socket.on('error', reject)
      })
    } finally {
      await gw.stop()
      await upstream.close()
    }
  })
})
