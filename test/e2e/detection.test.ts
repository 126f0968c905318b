/**
 * Detection end to end: a gateway with the `detection` policy sees real requests (clients told
 * apart by X-Forwarded-For from a trusted proxy) and fires each detector — a scanner banned on
 * every node and lifted through the admin API, brute force at the API's own log-in operation,
 * BOLA enumeration by an API-key consumer, a deprecated (zombie) operation, undeclared (shadow)
 * paths — and three gateway processes sharing Redis catch a credential-stuffing run that each
 * node sees too little of.
 */
import assert from 'node:assert/strict'
import { createHash, randomInt, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startGatewayNodes } from '../helpers/gateway-process.js'
import { requireRedis } from '../helpers/redis-server.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const TOKEN = 'admin-token-for-detection-tests'
const TOKEN_HASH = createHash('sha256').update(TOKEN).digest('hex')
const SHARED_REDIS = process.env.PORTCULLIS_TEST_REDIS ?? 'redis://127.0.0.1:6379'

const SPEC = `
openapi: 3.0.3
info: { title: shop, version: '1' }
paths:
  /login:
    post:
      operationId: logIn
      security: []
      responses: { '200': { description: ok }, '401': { description: wrong password } }
  /items/{id}:
    get:
      operationId: getItem
      security: []
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      responses: { '200': { description: ok } }
  /old:
    get:
      operationId: oldReport
      deprecated: true
      security: []
      responses: { '200': { description: ok } }
`

/** The upstream refuses every log-in but `right`/`secret`, and answers anything else with a small JSON body. */
function shopUpstream(): Promise<TestUpstream> {
  return startUpstream((req, res, body) => {
    if (req.url === '/shop/login' || req.url === '/login') {
      const credentials = JSON.parse(body.toString('utf8') || '{}') as { username?: string; password?: string }
      const ok = credentials.username === 'right' && credentials.password === 'secret'
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
      res.end(JSON.stringify(ok ? { token: 'x' } : { error: 'wrong user name or password' }))
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ url: req.url }))
  })
}

/** A client address of the test's own (runs sharing Redis must not add to each other's windows). */
const someAddress = () => `10.${randomInt(0, 255)}.${randomInt(0, 255)}.${randomInt(1, 254)}`

async function call(url: string, init: { method?: string; from: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; code: string | null; retryAfter: string | null }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { 'x-forwarded-for': init.from, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  const text = await res.text()
  const code = res.headers.get('content-type')?.includes('problem+json') === true ? (JSON.parse(text) as { code: string }).code : null
  return { status: res.status, code, retryAfter: res.headers.get('retry-after') }
}

type Alert = { event: { action: string; kind: string; severity: number }; source?: { ip: string }; user?: { id: string }; portcullis: { details: Record<string, unknown> } }

async function admin(gw: TestGateway, path: string, method = 'GET'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${gw.gateway.addresses.admin!.port}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } })
  const text = await res.text()
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }
}

async function alerts(gw: TestGateway): Promise<Alert[]> {
  return ((await admin(gw, '/events?kind=alert&limit=1000')).body.events ?? []) as Alert[]
}

async function alertOf(gw: TestGateway, action: string, match: (alert: Alert) => boolean = () => true): Promise<Alert> {
  let found: Alert | undefined
  await eventually(async () => (found = (await alerts(gw)).find((a) => a.event.action === action && match(a))) !== undefined, 8000, `an alert ${action}`)
  return found as Alert
}

describe('detection on one gateway: responses, evidence, admin', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  const api = `shop-${randomUUID().slice(0, 8)}`

  before(async () => {
    upstream = await shopUpstream()
    gw = await startTestGateway(
      {
        ...baseConfig(upstream.url),
        trustedProxies: ['127.0.0.1/32'],
        admin: { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } },
        stores: { data: 'sqlite:./portcullis.db' },
        events: { flushIntervalMs: 20, store: { maxAgeDays: 1 } },
        detection: {
          flushMs: 100,
          banSyncMs: 200,
          trustedNetworks: ['10.255.0.0/16'],
          detectors: {
            scanner: { hits: 8, forSec: 600 },
            credentialStuffing: { failuresPerSource: 6, forSec: 600 },
            distributedCredentialStuffing: { sourcesPerUser: 4, usersPerApi: 50 },
            bolaEnumeration: { distinctObjects: 15 },
            shadowApi: { minRequests: 2 },
          },
        },
        apis: [
          {
            name: api,
            basePath: '/shop',
            openapi: 'shop.yaml',
            upstream: { url: upstream.url },
            policies: { detection: {}, waf: {} },
          },
          {
            name: `${api}-keys`,
            basePath: '/keyed',
            upstream: { url: upstream.url },
            policies: { auth: { methods: ['apiKey'] }, detection: {} },
            routes: { 'GET /things/{id}': {} },
          },
        ],
      },
      { files: { 'shop.yaml': SPEC } },
    )
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('a scanner is banned after its WAF hits, refused on every route, listed, and lifted through the admin API', async () => {
    const scanner = someAddress()
    const attack = `${gw.url}/shop/items/1?q=${encodeURIComponent("1' UNION SELECT password FROM users--")}`
    for (let i = 0; i < 8; i++) assert.equal((await call(attack, { from: scanner })).code, 'GW_ERR_WAF_BLOCKED')
    const bystander = someAddress()
    await eventually(async () => (await call(`${gw.url}/shop/items/2`, { from: scanner })).code === 'GW_ERR_CLIENT_BANNED', 5000, 'the scanner banned')
    const refused = await call(`${gw.url}/shop/items/3`, { from: scanner })
    assert.equal(refused.status, 403)
    assert.ok(Number(refused.retryAfter) > 500 && Number(refused.retryAfter) <= 600, `Retry-After ${refused.retryAfter}`)
    assert.equal((await call(`${gw.url}/shop/items/3`, { from: bystander })).status, 200, 'another client is not affected')

    const alert = await alertOf(gw, 'detection-scanner', (a) => a.source?.ip === scanner)
    assert.equal(alert.event.kind, 'alert')
    assert.equal(alert.event.severity, 7)
    assert.equal(alert.portcullis.details.response, 'ban')
    assert.ok((alert.portcullis.details.hits as number) >= 8)
    assert.equal(alert.portcullis.details.banSubject, `{detection}:ip=${scanner}`)

    const bans = (await admin(gw, `/rate-limits/bans?prefix=${encodeURIComponent('{detection}:')}`)).body.bans as { subject: string }[]
    assert.ok(bans.some((b) => b.subject === `{detection}:ip=${scanner}`), JSON.stringify(bans))
    assert.equal((await admin(gw, `/rate-limits/bans/${encodeURIComponent(`{detection}:ip=${scanner}`)}`, 'DELETE')).status, 204)
    await eventually(async () => (await call(`${gw.url}/shop/items/2`, { from: scanner })).status === 200, 5000, 'the ban lifted')
  })

  test('a trusted network is alerted on but never banned', async () => {
    const monitor = `10.255.${randomInt(0, 255)}.${randomInt(1, 254)}`
    const attack = `${gw.url}/shop/items/1?q=${encodeURIComponent('<script>alert(1)</script>')}`
    for (let i = 0; i < 9; i++) assert.equal((await call(attack, { from: monitor })).code, 'GW_ERR_WAF_BLOCKED')
    const alert = await alertOf(gw, 'detection-scanner', (a) => a.source?.ip === monitor)
    assert.equal(alert.portcullis.details.banSubject, undefined)
    assert.equal((await call(`${gw.url}/shop/items/2`, { from: monitor })).status, 200)
  })

  test('brute force at the API’s own log-in operation bans the source; the user name is counted hashed, across sources', async () => {
    const attacker = someAddress()
    for (let i = 0; i < 6; i++) assert.equal((await call(`${gw.url}/shop/login`, { method: 'POST', from: attacker, body: { username: 'victim', password: `guess${i}` } })).status, 401)
    await eventually(async () => (await call(`${gw.url}/shop/login`, { method: 'POST', from: attacker, body: { username: 'right', password: 'secret' } })).code === 'GW_ERR_CLIENT_BANNED', 5000, 'the attacker banned')
    const alert = await alertOf(gw, 'detection-credential-stuffing', (a) => a.source?.ip === attacker)
    assert.equal(alert.event.severity, 8)
    assert.ok((alert.portcullis.details.failedLogins as number) >= 6)
    // One user name from four sources, each below the per-source threshold.
    for (let s = 0; s < 4; s++) await call(`${gw.url}/shop/login`, { method: 'POST', from: someAddress(), body: { username: 'ceo@example.com', password: 'x' } })
    const spread = await alertOf(gw, 'detection-distributed-credential-stuffing', (a) => String(a.portcullis.details.subject).startsWith('user='))
    assert.ok((spread.portcullis.details.sources as number) >= 4)
    assert.equal(JSON.stringify(spread).includes('ceo@example.com'), false, 'the user name is not in the event')
    assert.equal((await call(`${gw.url}/shop/login`, { method: 'POST', from: someAddress(), body: { username: 'right', password: 'secret' } })).status, 200)
  })

  test('a consumer walking object ids is reported with its id; a deprecated operation and undeclared paths are reported', async () => {
    const consumer = `walker-${randomUUID().slice(0, 8)}`
    assert.equal((await admin(gw, '/consumers', 'GET')).status, 200)
    const created = await fetch(`http://127.0.0.1:${gw.gateway.addresses.admin!.port}/consumers`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: consumer, name: 'Walker' }) })
    assert.equal(created.status, 201)
    const key = (await (await fetch(`http://127.0.0.1:${gw.gateway.addresses.admin!.port}/consumers/${consumer}/keys`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' })).json()) as { key: string }
    const from = someAddress()
    for (let id = 1000; id < 1016; id++) assert.equal((await call(`${gw.url}/keyed/things/${id}`, { from, headers: { 'x-api-key': key.key } })).status, 200)
    const bola = await alertOf(gw, 'detection-bola-enumeration', (a) => a.user?.id === consumer)
    assert.ok((bola.portcullis.details.distinctObjects as number) >= 15)
    assert.equal(bola.portcullis.details.response, 'alert')

    assert.equal((await call(`${gw.url}/shop/old`, { from: someAddress() })).status, 200)
    const zombie = await alertOf(gw, 'detection-zombie-api')
    assert.equal(zombie.portcullis.details.subject, `op=${api} GET /old`)

    for (let i = 0; i < 2; i++) assert.equal((await call(`${gw.url}/shop/internal/users/${100 + i}/export`, { from: someAddress() })).status, 404)
    const shadow = await alertOf(gw, 'detection-shadow-api')
    assert.equal(shadow.portcullis.details.path, 'GET /internal/users/{id}/export')
  })
})

describe('detection across three gateway processes sharing Redis', () => {
  const NODES = 3
  let upstream: TestUpstream
  let dir: string
  let nodes: { stop: () => Promise<void> }[] = []
  let ports: number[] = []
  const api = `stuffed-${randomUUID().slice(0, 8)}`

  before(async () => {
    await requireRedis(SHARED_REDIS)
    upstream = await shopUpstream()
    dir = mkdtempSync(join(tmpdir(), 'portcullis-detection-nodes-'))
    writeFileSync(join(dir, 'shop.yaml'), SPEC)
    ;({ ports, nodes } = await startGatewayNodes(dir, NODES, () => ({
      trustedProxies: ['127.0.0.1/32'],
      stores: { counters: SHARED_REDIS, countersTimeoutMs: 1000 },
      detection: { flushMs: 100, banSyncMs: 200, detectors: { credentialStuffing: { failuresPerSource: 12, forSec: 300 } } },
      apis: [{ name: api, basePath: '/shop', openapi: join(dir, 'shop.yaml'), upstream: { url: upstream.url }, policies: { detection: {} } }],
    })))
  })
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    await upstream?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  test('failed log-ins spread over the nodes (5 each, threshold 12) are counted together and the source is banned on all of them', async () => {
    const attacker = someAddress()
    for (let i = 0; i < 15; i++) {
      const port = ports[i % NODES] as number
      const answer = await call(`http://127.0.0.1:${port}/shop/login`, { method: 'POST', from: attacker, body: { username: `user${i}`, password: 'Winter2026!' } })
      assert.ok(answer.status === 401 || answer.code === 'GW_ERR_CLIENT_BANNED', `attempt ${i}: ${answer.status} ${answer.code ?? ''}`)
    }
    for (const port of ports) {
      await eventually(async () => (await call(`http://127.0.0.1:${port}/shop/items/1`, { from: attacker })).code === 'GW_ERR_CLIENT_BANNED', 5000, `node :${port} refuses the attacker`)
    }
    assert.equal((await call(`http://127.0.0.1:${ports[0] as number}/shop/items/1`, { from: someAddress() })).status, 200, 'other clients pass')
  })
})
