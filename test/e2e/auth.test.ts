/**
 * The `auth` policy end to end: a real OpenID provider (oidc-provider) issuing tokens, serving
 * discovery, JWKS and introspection; a real upstream; API keys in PostgreSQL shared by two nodes.
 * Invalid tokens are crafted with jose the way an attacker would (with the provider's real key
 * where the point is a bad claim).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createHash, randomUUID, X509Certificate } from 'node:crypto'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { join } from 'node:path'
import { SignJWT, base64url, exportJWK, generateKeyPair } from 'jose'
import pg from 'pg'
import { Management } from '../../src/admin/management.js'
import { openDataStore } from '../../src/stores/open-data-store.js'
import { createPki, type Pki } from '../helpers/certificates.js'
import { createTestSchema, type TestSchema } from '../helpers/postgres.js'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { GATEWAY_CLIENT, startIdentityProvider, type TestIdentityProvider } from '../helpers/identity-provider.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'


async function get(gateway: TestGateway, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gateway.url}${path}`, { headers })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) }
}

describe('auth: JWT from a real OpenID provider', () => {
  let idp: TestIdentityProvider
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    idp = await startIdentityProvider()
    upstream = await startUpstream()
    const config = baseConfig(upstream.url, {
      identity: {
        jwt: { issuer: idp.issuer, audiences: ['orders'], algorithms: ['ES256', 'RS256'], typ: 'at+jwt', jwks: { minRefreshSec: 1, unknownKidCooldownSec: 3 } },
        introspection: { issuer: idp.issuer, clientId: GATEWAY_CLIENT.id, clientSecret: GATEWAY_CLIENT.secret, audiences: ['opaque-api'] },
      },
    })
    ;(config.apis as Record<string, unknown>[])[0] = {
      name: 'orders',
      basePath: '/',
      upstream: { url: upstream.url },
      policies: { auth: { methods: ['jwt', 'introspection'], scopes: ['orders:read'] } },
      routes: { 'GET /orders': {}, 'POST /orders': { auth: { methods: ['jwt'], scopes: ['orders:write'] } }, 'GET /public': { auth: false } },
    }
    gw = await startTestGateway(config)
    await eventually(() => gw.gateway.isReady(), 10000, 'the key set to load')
  })
  after(async () => {
    await gw.stop()
    await upstream.close()
    await idp.close()
  })

  test('a valid token reaches the upstream with identity headers; spoofed ones are dropped', async () => {
    const token = await idp.token()
    const res = await get(gw, '/orders', { authorization: `Bearer ${token}`, 'x-consumer-id': 'admin', 'x-consumer-scopes': 'everything' })
    assert.equal(res.status, 200)
    const seen = (res.body as { headers: Record<string, string> }).headers
    assert.equal(seen['x-consumer-id'], 'svc')
    assert.equal(seen['x-consumer-scopes'], 'orders:read')
    assert.equal(seen['x-auth-method'], 'jwt')
    assert.equal(seen.authorization, `Bearer ${token}`)
  })

  test('no credential: 401 problem with a Bearer challenge; a public route needs none', async () => {
    const res = await get(gw, '/orders')
    assert.equal(res.status, 401)
    assert.equal(res.body?.code, 'GW_ERR_AUTH_REQUIRED')
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api"')
    assert.equal((await get(gw, '/public', { 'x-consumer-id': 'admin' })).status, 200)
  })

  test('a malformed Authorization header is 400 invalid_request', async () => {
    const res = await get(gw, '/orders', { authorization: 'Bearer a b c' })
    assert.equal(res.status, 400)
    assert.equal(res.body?.code, 'GW_ERR_AUTH_MALFORMED')
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_request"/)
  })

  test('bad tokens are 401 invalid_token and never reach the upstream', async () => {
    const { privateKey, kid } = idp.signingKey()
    const now = Math.floor(Date.now() / 1000)
    const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      new SignJWT({ scope: 'orders:read', ...claims }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...header }).sign(privateKey)
    const valid = { iss: idp.issuer, aud: 'orders', sub: 'svc', iat: now, exp: now + 300 }
    const { privateKey: otherKey } = await generateKeyPair('ES256')
    const good = await idp.token()
    const [head, payload, signature] = good.split('.') as [string, string, string]
    const tampered = `${head}.${base64url.encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(base64url.decode(payload))), scope: 'orders:read orders:write admin' }))}.${signature}`
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${base64url.encode(JSON.stringify(valid))}.`
    // Key confusion: HS256 with the provider's public key as the HMAC secret.
    const publicJwk = { ...(await exportJWK(privateKey)) }
    delete publicJwk.d
    const hs256 = await new SignJWT(valid).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid }).sign(new TextEncoder().encode(JSON.stringify(publicJwk)))
    const cases: [string, string][] = [
      ['expired', await sign({ ...valid, iat: now - 900, exp: now - 600 })],
      ['not yet valid', await sign({ ...valid, nbf: now + 600 })],
      ['wrong audience', await sign({ ...valid, aud: 'billing' })],
      ['wrong issuer', await sign({ ...valid, iss: 'https://evil.example' })],
      ['wrong typ', await sign(valid, { typ: 'JWT' })],
      ['wrong key, same kid', await new SignJWT(valid).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(otherKey)],
      ['alg none', none],
      ['HS256 signed with the public key', hs256],
      ['tampered payload', tampered],
      ['unknown critical header', await signRaw({ alg: 'ES256', typ: 'at+jwt', kid, crit: ['x-must'], 'x-must': true }, { ...valid, scope: 'orders:read' }, privateKey)],
    ]
    const before = upstream.requests.length
    for (const [name, token] of cases) {
      const res = await get(gw, '/orders', { authorization: `Bearer ${token}` })
      assert.equal(res.status, 401, name)
      assert.equal(res.body?.code, 'GW_ERR_AUTH_INVALID', name)
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api", error="invalid_token"', name)
      assert.ok(!JSON.stringify(res.body).includes(token), `${name}: the token is not echoed`)
    }
    assert.equal(upstream.requests.length, before)
    // Each denial is counted with its reason (the credential never becomes a label).
    const counted = await gw.gateway.metrics.registry.getSingleMetricAsString('portcullis_auth_total')
    for (const reason of ['expired', 'claim_aud', 'claim_iss', 'claim_nbf', 'bad_signature', 'algorithm_not_allowed', 'claim_typ']) {
      assert.ok(counted.includes(`outcome="denied",reason="${reason}"`), `${reason} counted in:\n${counted}`)
    }
    assert.ok(!JSON.stringify(gw.logLines()).includes(good), 'no token in the logs')
  })

  test('a route requiring another scope answers 403 insufficient_scope', async () => {
    const res = await fetch(`${gw.url}/orders`, { method: 'POST', headers: { authorization: `Bearer ${await idp.token()}` } })
    assert.equal(res.status, 403)
    assert.match(res.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="orders:write"/)
    const ok = await fetch(`${gw.url}/orders`, { method: 'POST', headers: { authorization: `Bearer ${await idp.token({ scope: 'orders:write' })}` } })
    assert.equal(ok.status, 200)
  })

  test('a flood of unknown kids causes at most one key-set fetch per cooldown', async () => {
    const { privateKey } = idp.signingKey()
    const now = Math.floor(Date.now() / 1000)
    await new Promise((r) => setTimeout(r, 3100)) // let the cooldown from earlier fetches pass
    const fetchesBefore = idp.hits.get('/jwks') ?? 0
    const tokens = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        new SignJWT({ scope: 'orders:read' }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: `made-up-${i}` }).setIssuer(idp.issuer).setAudience('orders').setSubject('x').setIssuedAt(now).setExpirationTime(now + 60).sign(privateKey),
      ),
    )
    const statuses = await Promise.all(tokens.map(async (t) => (await get(gw, '/orders', { authorization: `Bearer ${t}` })).status))
    assert.ok(statuses.every((s) => s === 401))
    const fetches = (idp.hits.get('/jwks') ?? 0) - fetchesBefore
    assert.ok(fetches <= 2, `${fetches} key-set fetches for 200 unknown kids`)
  })

  test('key rotation: tokens with the new kid are accepted after one refetch', async () => {
    await idp.rotateKey()
    const token = await idp.token()
    await new Promise((r) => setTimeout(r, 3100))
    assert.equal((await get(gw, '/orders', { authorization: `Bearer ${token}` })).status, 200)
  })

  test('opaque tokens are introspected once, then served from the cache', async () => {
    const token = await idp.token({ resource: 'https://opaque.example' })
    const before = idp.hits.get('/token/introspection') ?? 0
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => get(gw, '/orders', { authorization: `Bearer ${token}` })))
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200])
    assert.equal((results[0]?.body as { headers: Record<string, string> }).headers['x-auth-method'], 'introspection')
    assert.equal((await get(gw, '/orders', { authorization: `Bearer ${token}` })).status, 200)
    assert.equal((idp.hits.get('/token/introspection') ?? 0) - before, 1, 'concurrent look-ups coalesced, later ones cached')
    assert.equal((await get(gw, '/orders', { authorization: 'Bearer not-a-real-opaque-token-000000000000' })).status, 401)
  })

  test('with the provider down, cached keys and results keep working', async () => {
    const token = await idp.token()
    assert.equal((await get(gw, '/orders', { authorization: `Bearer ${token}` })).status, 200)
    await idp.pause()
    try {
      assert.equal((await get(gw, '/orders', { authorization: `Bearer ${token}` })).status, 200)
      const { privateKey, kid } = idp.signingKey()
      const now = Math.floor(Date.now() / 1000)
      const fresh = await new SignJWT({ scope: 'orders:read' }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).setIssuer(idp.issuer).setAudience('orders').setSubject('svc2').setIssuedAt(now).setExpirationTime(now + 60).sign(privateKey)
      assert.equal((await get(gw, '/orders', { authorization: `Bearer ${fresh}` })).status, 200, 'a new token verifies with the cached key set')
      const opaque = await get(gw, '/orders', { authorization: 'Bearer another-unknown-opaque-token-11111111' })
      assert.equal(opaque.status, 503, 'introspection unreachable: closed means 503, not 401')
      assert.equal(opaque.body?.code, 'GW_ERR_AUTH_UNAVAILABLE')
    } finally {
      await idp.resume()
    }
  })
})

test('auth: the gateway is not ready until the first key set has loaded', async () => {
  const idp = await startIdentityProvider()
  await idp.pause()
  const upstream = await startUpstream()
  const config = baseConfig(upstream.url, { identity: { jwt: { issuer: idp.issuer, audiences: ['orders'], algorithms: ['ES256'] } } })
  ;(config.apis as Record<string, unknown>[])[0] = { name: 'orders', basePath: '/', upstream: { url: upstream.url }, policies: { auth: { methods: ['jwt'] } } }
  const gw = await startTestGateway(config)
  try {
    assert.equal(gw.gateway.isReady(), false)
    const res = await get(gw, '/x', { authorization: `Bearer ${await SignJWTFor()}` })
    assert.equal(res.status, 503)
    await idp.resume()
    await eventually(() => gw.gateway.isReady(), 10000, 'readiness after the provider came up')
  } finally {
    await gw.stop()
    await upstream.close()
    await idp.close()
  }
})

/** Signs a JWS without jose's checks (jose refuses to produce an unknown `crit`). */
async function signRaw(header: Record<string, unknown>, payload: Record<string, unknown>, key: Parameters<typeof exportJWK>[0]): Promise<string> {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key as Parameters<typeof crypto.subtle.sign>[1], new TextEncoder().encode(input))
  return `${input}.${base64url.encode(new Uint8Array(signature))}`
}

async function SignJWTFor(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256')
  return new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'x' }).setExpirationTime('1m').sign(privateKey)
}

describe('auth: DPoP-bound tokens (RFC 9449) from a real OpenID provider', () => {
  let idp: TestIdentityProvider
  let upstream: TestUpstream
  let gw: TestGateway
  let client: { privateKey: Parameters<SignJWT['sign']>[0]; jwk: Record<string, unknown> }
  let other: typeof client

  const keyPair = async () => {
    const pair = await generateKeyPair('ES256')
    return { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)) } }
  }
  /** A DPoP proof by `key` for `method url`, for `token` when given (`ath`). */
  const proof = (key: typeof client, method: string, url: string, token?: string, claims: Record<string, unknown> = {}) =>
    new SignJWT({
      jti: randomUUID(),
      htm: method,
      htu: url,
      iat: Math.floor(Date.now() / 1000),
      ...(token === undefined ? {} : { ath: createHash('sha256').update(token).digest('base64url') }),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
      .sign(key.privateKey)
  const boundToken = async (key: typeof client) => idp.token({ dpopProof: await proof(key, 'POST', `${idp.issuer}/token`) })
  const call = async (path: string, headers: Record<string, string>) => {
    const res = await get(gw, path, headers)
    return { status: res.status, code: res.body?.code, challenge: res.headers.get('www-authenticate'), seen: res.status === 200 ? (res.body as { headers: Record<string, string> }).headers : null }
  }

  before(async () => {
    idp = await startIdentityProvider()
    upstream = await startUpstream()
    client = await keyPair()
    other = await keyPair()
    const config = baseConfig(upstream.url, {
      identity: { jwt: { issuer: idp.issuer, audiences: ['orders'], algorithms: ['ES256'], typ: 'at+jwt' }, dpop: { algorithms: ['ES256'] } },
    })
    ;(config.apis as Record<string, unknown>[])[0] = {
      name: 'orders',
      basePath: '/',
      upstream: { url: upstream.url },
      policies: { auth: { methods: ['jwt'] } },
      routes: { 'GET /orders': {}, 'GET /strict': { auth: { methods: ['jwt'], requireDpop: true } } },
    }
    gw = await startTestGateway(config)
    await eventually(() => gw.gateway.isReady(), 10000, 'the key set to load')
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
    await idp?.close()
  })

  test('a bound token with a proof by its key is accepted; each proof only once', async () => {
    const token = await boundToken(client)
    const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { cnf?: { jkt?: string } }
    assert.equal(typeof payload.cnf?.jkt, 'string', 'the provider bound the token to the client key')
    const url = `${gw.url}/orders`
    const first = await proof(client, 'GET', url, token)
    const ok = await call('/orders', { authorization: `DPoP ${token}`, dpop: first })
    assert.equal(ok.status, 200)
    assert.equal(ok.seen?.['x-consumer-id'], 'svc')
    assert.equal((await call('/orders', { authorization: `DPoP ${token}`, dpop: await proof(client, 'GET', url, token) })).status, 200, 'a fresh proof each time')
    const replay = await call('/orders', { authorization: `DPoP ${token}`, dpop: first })
    assert.deepEqual([replay.status, replay.code], [401, 'GW_ERR_AUTH_INVALID'])
    assert.equal(replay.challenge, 'Bearer realm="api", error="invalid_token", DPoP realm="api", error="invalid_dpop_proof", algs="ES256"')
    assert.equal(await deniedFor('dpop_replayed'), 1)
  })

  test('every way a proof or its binding can be wrong is refused', async () => {
    const token = await boundToken(client)
    const url = `${gw.url}/orders`
    const cases: [string, Record<string, string>, string][] = [
      ['as a Bearer token', { authorization: `Bearer ${token}` }, 'bound_token_as_bearer'],
      ['without a proof', { authorization: `DPoP ${token}` }, 'dpop_missing'],
      ['a proof by another key', { authorization: `DPoP ${token}`, dpop: await proof(other, 'GET', url, token) }, 'dpop_key_mismatch'],
      ['a proof for another method', { authorization: `DPoP ${token}`, dpop: await proof(client, 'POST', url, token) }, 'dpop_wrong_request'],
      ['a proof for another URL', { authorization: `DPoP ${token}`, dpop: await proof(client, 'GET', `${gw.url}/other`, token) }, 'dpop_wrong_request'],
      ['a proof for another token', { authorization: `DPoP ${token}`, dpop: await proof(client, 'GET', url, 'some-other-token') }, 'dpop_wrong_token'],
      ['a proof without ath', { authorization: `DPoP ${token}`, dpop: await proof(client, 'GET', url) }, 'dpop_wrong_token'],
      ['a proof ten minutes old', { authorization: `DPoP ${token}`, dpop: await proof(client, 'GET', url, token, { iat: Math.floor(Date.now() / 1000) - 600 }) }, 'dpop_invalid'],
      ['an unbound token with the DPoP scheme', { authorization: `DPoP ${await idp.token()}`, dpop: await proof(client, 'GET', url) }, 'dpop_wrong_token'],
    ]
    for (const [what, headers, reason] of cases) {
      const before = await deniedFor(reason)
      const res = await call('/orders', headers)
      assert.deepEqual([res.status, res.code], [401, 'GW_ERR_AUTH_INVALID'], what)
      assert.equal(await deniedFor(reason), before + 1, `${what}: counted as ${reason}`)
    }
    const unbound = await idp.token()
    const unboundWithProof = await call('/orders', { authorization: `DPoP ${unbound}`, dpop: await proof(client, 'GET', url, unbound) })
    assert.equal(unboundWithProof.status, 401, 'the DPoP scheme is only for bound tokens')
    assert.equal(await deniedFor('token_not_dpop_bound'), 1)
  })

  test('requireDpop refuses Bearer tokens and offers only the DPoP challenge', async () => {
    const bearer = await call('/strict', { authorization: `Bearer ${await idp.token()}` })
    assert.deepEqual([bearer.status, bearer.challenge], [401, 'DPoP realm="api", error="invalid_token", algs="ES256"'])
    const token = await boundToken(client)
    assert.equal((await call('/strict', { authorization: `DPoP ${token}`, dpop: await proof(client, 'GET', `${gw.url}/strict`, token) })).status, 200)
  })

  async function deniedFor(reason: string): Promise<number> {
    const text = await gw.gateway.metrics.registry.metrics()
    const match = new RegExp(`portcullis_auth_total\\{api="orders",method="jwt",outcome="denied",reason="${reason}"\\} (\\d+)`).exec(text)
    return match === null ? 0 : Number(match[1])
  }
})

describe('auth: API keys in PostgreSQL shared by two gateway nodes', () => {
  let schema: TestSchema
  let url: string
  let upstream: TestUpstream
  let nodes: TestGateway[]
  let management: Management
  let closeStore: () => Promise<void>

  before(async () => {
    schema = await createTestSchema('portcullis_auth')
    url = schema.url
    upstream = await startUpstream()
    const config = baseConfig(upstream.url, { stores: { data: url }, identity: { apiKeys: { cacheSec: 1 } } })
    ;(config.apis as Record<string, unknown>[])[0] = { name: 'orders', basePath: '/', upstream: { url: upstream.url }, policies: { auth: { methods: ['apiKey'], forwardCredential: false } } }
    nodes = [await startTestGateway(config), await startTestGateway(config)]
    const store = await openDataStore(url, '/')
    management = new Management(store)
    closeStore = () => store.close()
  })
  after(async () => {
    for (const node of nodes) await node.stop()
    await closeStore()
    await upstream.close()
    await schema.drop()
  })

  test('a key works on both nodes, is stored only as a hash, and a revocation reaches both within seconds', async () => {
    const by = { actor: 'cli:test', source: 'cli@test' }
    await management.createConsumer(by, { id: 'acme', name: 'Acme', scopes: ['orders:read'], plan: 'gold' })
    const { key, record } = await management.createKey(by, 'acme', { label: 'ci' })
    assert.match(key, /^pcl_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/)
    assert.ok(key.startsWith(`pcl_${record.id}_`))
    for (const node of nodes) {
      const res = await get(node, '/orders', { 'x-api-key': key })
      assert.equal(res.status, 200)
      const seen = (res.body as { headers: Record<string, string> }).headers
      assert.deepEqual([seen['x-consumer-id'], seen['x-consumer-plan'], seen['x-api-key']], ['acme', 'gold', undefined])
    }
    const rows = await queryAll(url, 'SELECT * FROM api_keys')
    assert.equal(rows[0]?.hash, createHash('sha256').update(key).digest('hex'))
    assert.ok(!JSON.stringify(rows).includes(key.slice(-43)), 'the secret part is not stored')
    assert.equal((await get(nodes[0] as TestGateway, '/orders', { 'x-api-key': `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}` })).status, 401, 'a wrong secret with a real id')

    await management.revokeKey(by, record.id)
    const revokedAt = Date.now()
    for (const node of nodes) await eventually(async () => (await get(node, '/orders', { 'x-api-key': key })).status === 401, 5000, 'revocation on every node')
    assert.ok(Date.now() - revokedAt < 5000)
    const audit = await management.listAudit(10)
    assert.deepEqual(audit.map((e) => e.action), ['key.revoke', 'key.create', 'consumer.create'])
    assert.ok(!JSON.stringify(audit).includes(key), 'no key in the audit log')
  })

  test('rotation: the old key keeps working during the overlap, the new one at once', async () => {
    const by = { actor: 'cli:test', source: 'cli@test' }
    await management.createConsumer(by, { id: 'globex', name: 'Globex' })
    const first = await management.createKey(by, 'globex', {})
    const second = await management.rotateKey(by, first.record.id, 1500)
    const node = nodes[0] as TestGateway
    assert.equal((await get(node, '/orders', { 'x-api-key': second.key })).status, 200)
    assert.equal((await get(node, '/orders', { 'x-api-key': first.key })).status, 200)
    await eventually(async () => (await get(node, '/orders', { 'x-api-key': first.key })).status === 401, 5000, 'the old key to expire')
    assert.equal((await get(node, '/orders', { 'x-api-key': second.key })).status, 200)
  })
})

async function queryAll(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[]
  } finally {
    await client.end()
  }
}

describe('auth: client certificates and certificate-bound tokens (RFC 8705)', () => {
  let pki: Pki
  let upstream: TestUpstream
  let gw: TestGateway
  let signingKey: Parameters<typeof exportJWK>[0]
  let port: number

  before(async () => {
    pki = createPki()
    const server = pki.issue('server', { cn: 'localhost', san: ['DNS:localhost', 'IP:127.0.0.1'] })
    pki.issue('alice', { cn: 'alice', client: true })
    pki.issue('bob', { cn: 'bob', client: true })
    const pair = await generateKeyPair('ES256', { extractable: true })
    signingKey = pair.privateKey
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'static-1', alg: 'ES256' }
    upstream = await startUpstream()
    gw = await startTestGateway({
      listen: { https: { port: 0, host: '127.0.0.1', cert: server.cert, key: server.key, clientCertificate: { ca: pki.caCert, mode: 'optional' }, http2: false } },
      watch: false,
      identity: { jwt: { keys: [publicJwk], audiences: ['orders'], algorithms: ['ES256'] } },
      apis: [{ name: 'orders', basePath: '/', upstream: { url: upstream.url }, policies: { auth: { methods: ['jwt', 'mtls'] } } }],
    })
    port = (gw.gateway.addresses.https as { port: number }).port
  })
  after(async () => {
    await gw.stop()
    await upstream.close()
  })

  const thumbprint = (name: string) => createHash('sha256').update(new X509Certificate(pki.read(join(pki.dir, `${name}.pem`))).raw).digest('base64url')
  const boundToken = (x5t: string) =>
    new SignJWT({ cnf: { 'x5t#S256': x5t } }).setProtectedHeader({ alg: 'ES256', kid: 'static-1' }).setAudience('orders').setSubject('svc').setExpirationTime('5m').sign(signingKey)

  function call(client: string | null, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const options: RequestOptions = { host: '127.0.0.1', port, path: '/orders', headers, ca: pki.read(pki.caCert), servername: 'localhost' }
      if (client !== null) Object.assign(options, { cert: pki.read(join(pki.dir, `${client}.pem`)), key: pki.read(join(pki.dir, `${client}.key`)) })
      const req = httpsRequest(options, (res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on('error', reject)
      req.end()
    })
  }

  test('a bound token is accepted only with its certificate', async () => {
    const token = await boundToken(thumbprint('alice'))
    assert.equal((await call('alice', { authorization: `Bearer ${token}` })).status, 200)
    assert.equal((await call('bob', { authorization: `Bearer ${token}` })).status, 401, 'another client certificate')
    assert.equal((await call(null, { authorization: `Bearer ${token}` })).status, 401, 'no client certificate')
  })

  test('a verified client certificate alone is an identity', async () => {
    const res = await call('bob', {})
    assert.equal(res.status, 200)
    const seen = (JSON.parse(res.body) as { headers: Record<string, string> }).headers
    assert.deepEqual([seen['x-consumer-id'], seen['x-auth-method']], ['bob', 'mtls'])
    assert.equal((await call(null, {})).status, 401)
  })
})
