/**
 * Security events end to end: a gateway with auth, rate limits, the WAF, OpenAPI validation and
 * masking refuses (or masks) real requests, and the ECS events reach every sink — a local webhook
 * (HMAC checked, a failed first attempt retried), a local OTLP/HTTP collector, the log, the
 * SQLite store read back through the admin `GET /events` — and the PostgreSQL store. A sink that
 * is down neither slows nor fails requests; its full queue drops events and counts them.
 */
import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startCollector, type TestCollector } from '../helpers/collector.js'
import { createTestSchema, type TestSchema } from '../helpers/postgres.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const TOKEN = 'admin-token-for-security-event-tests'
const TOKEN_HASH = createHash('sha256').update(TOKEN).digest('hex')
const SECRET = 'webhook-secret-0123456789abcdef'

const SHOP_SPEC = `
openapi: 3.0.3
info: { title: shop, version: '1' }
paths:
  /items/{id}:
    get:
      operationId: getItem
      security: []
      parameters:
        - { name: id, in: path, required: true, schema: { type: integer } }
        - { name: q, in: query, schema: { type: string } }
      responses: { '200': { description: ok } }
  /limited:
    get:
      operationId: limited
      security: []
      responses: { '200': { description: ok } }
  /banned:
    get:
      operationId: banned
      security: []
      responses: { '200': { description: ok } }
  /report:
    get:
      operationId: report
      responses: { '200': { description: ok } }
`

type Ecs = Record<string, unknown> & {
  event: { action: string; kind: string; category: string[]; outcome: string; severity: number; code?: string; reason?: string }
  source?: { ip: string }
  rule?: { id?: string | string[]; name?: string }
  portcullis: { api?: string; policy: string; details?: Record<string, unknown> }
}

async function admin(gw: TestGateway, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${gw.gateway.addresses.admin!.port}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  const text = await res.text()
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }
}

async function status(url: string, headers: Record<string, string> = {}): Promise<{ status: number; code: string | null; body: string }> {
  const res = await fetch(url, { headers })
  const body = await res.text()
  return { status: res.status, code: res.status >= 400 ? (JSON.parse(body) as { code: string }).code : null, body }
}

/** The upstream answers item look-ups with an owner's e-mail address, for masking to find. */
function shopUpstream(): Promise<TestUpstream> {
  return startUpstream((req, res) => {
    const text = JSON.stringify({ id: 1, owner: 'ann.smith@example.com', url: req.url })
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  })
}

function apis(upstreamUrl: string): unknown[] {
  return [
    { name: 'keys', basePath: '/keys', upstream: { url: upstreamUrl }, policies: { auth: { methods: ['apiKey'] } } },
    {
      name: 'shop',
      basePath: '/shop',
      openapi: 'shop.yaml',
      upstream: { url: upstreamUrl },
      policies: { authz: {}, waf: {}, 'openapi-validation': {}, masking: { detect: [{ detector: 'email', strategy: 'redact' }] } },
      routes: {
        limited: { 'rate-limit': { plans: false, limits: [{ name: 'per-ip', per: 'ip', rate: '1/h', burst: 1 }] } },
        banned: { 'rate-limit': { plans: false, limits: [{ name: 'strict', per: 'ip', rate: '1/h', burst: 1 }], ban: { after: 1, within: '1m', for: '10m' } } },
      },
    },
  ]
}

/** Sends one request of each kind of decision; returns the statuses and codes. */
async function provoke(gw: TestGateway): Promise<string[]> {
  return [
    await status(`${gw.url}/keys/orders`, { 'x-api-key': 'pcl_nosuchkey_0123456789abcdef0123456789abcdef' }),
    await status(`${gw.url}/shop/items/abc`),
    await status(`${gw.url}/shop/items/1?q=${encodeURIComponent("1' OR '1'='1")}`),
    await status(`${gw.url}/shop/limited`),
    await status(`${gw.url}/shop/limited`),
    await status(`${gw.url}/shop/items/2`, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }),
  ].map((r) => `${r.status} ${r.code ?? ''}`.trim())
}

const EXPECTED_ANSWERS = ['401 GW_ERR_AUTH_INVALID', '400 GW_ERR_REQUEST_INVALID', '403 GW_ERR_WAF_BLOCKED', '200', '429 GW_ERR_RATE_LIMITED', '200']
const EXPECTED_ACTIONS = ['authentication-failed', 'openapi-violation', 'waf-blocked', 'rate-limited', 'sensitive-data-masked']

function byAction(events: readonly Ecs[], action: string): Ecs {
  const found = events.find((e) => e.event.action === action)
  assert.ok(found !== undefined, `an event ${action} among ${events.map((e) => e.event.action).join(', ')}`)
  return found
}

describe('security events: every sink, SQLite store, admin GET /events', () => {
  let upstream: TestUpstream
  let webhook: TestCollector
  let otlp: TestCollector
  let gw: TestGateway

  before(async () => {
    upstream = await shopUpstream()
    webhook = await startCollector()
    otlp = await startCollector()
    // The first delivery fails: the batch is retried, not lost.
    webhook.failures.push(503)
    gw = await startTestGateway(
      {
        ...baseConfig(upstream.url),
        admin: { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } },
        stores: { data: 'sqlite:./portcullis.db' },
        events: {
          flushIntervalMs: 20,
          webhook: { url: `${webhook.url}/hook`, secret: '${env:HOOK_SECRET}', backoffMs: 10 },
          otlp: { endpoint: otlp.url, headers: { 'x-collector-key': 'k1' } },
          store: { maxAgeDays: 7 },
        },
        apis: apis(upstream.url),
      },
      { files: { 'shop.yaml': SHOP_SPEC }, env: { ...process.env, HOOK_SECRET: SECRET } },
    )
  })
  after(async () => {
    await gw?.stop()
    await Promise.all([upstream?.close(), webhook?.close(), otlp?.close()])
  })

  test('each decision is answered as before and becomes an ECS event in every sink', async () => {
    assert.deepEqual(await provoke(gw), EXPECTED_ANSWERS)
    assert.equal((await status(`${gw.url}/shop/report`)).code, 'GW_ERR_AUTHZ_DENIED')
    const banned = [await status(`${gw.url}/shop/banned`), await status(`${gw.url}/shop/banned`), await status(`${gw.url}/shop/banned`)]
    assert.deepEqual(banned.map((r) => r.status), [200, 429, 429])
    const created = await admin(gw, '/consumers', { method: 'POST', body: { id: 'acme', name: 'Acme' } })
    assert.equal(created.status, 201)
    assert.equal((await admin(gw, '/consumers', { method: 'GET' })).status, 200)
    const unauthorized = await fetch(`http://127.0.0.1:${gw.gateway.addresses.admin!.port}/consumers`, { headers: { authorization: 'Bearer wrong' } })
    assert.equal(unauthorized.status, 401)
    await unauthorized.body?.cancel()
    const actions = [...EXPECTED_ACTIONS, 'admin-consumer-create', 'authorization-denied', 'rate-limit-ban-started', 'rate-limit-banned-request']

    // Webhook: JSON batches, each signed over its exact body.
    const hooked = (): Ecs[] => webhook.received.flatMap((post) => (JSON.parse(post.body) as { events: Ecs[] }).events)
    const arrived = () => actions.every((a) => hooked().some((e) => e.event.action === a)) && hooked().some((e) => e.event.code === 'GW_ERR_ADMIN_UNAUTHORIZED')
    await eventually(arrived, 10_000, 'webhook events')
    for (const post of webhook.received) {
      assert.equal(post.path, '/hook')
      assert.equal(post.headers['content-type'], 'application/json')
      assert.equal(post.headers['x-portcullis-signature'], `sha256=${createHmac('sha256', SECRET).update(post.body).digest('hex')}`)
    }
    const events = hooked()
    assert.equal(new Set(events.map((e) => (e.event as unknown as { id: string }).id)).size, events.length, 'a retried batch is delivered once')

    const auth = byAction(events, 'authentication-failed')
    assert.deepEqual(auth.event.category, ['authentication'])
    assert.equal(auth.event.outcome, 'failure')
    assert.equal(auth.event.code, 'GW_ERR_AUTH_INVALID')
    assert.ok(typeof auth.event.reason === 'string' && auth.event.reason !== '')
    assert.deepEqual(auth.source, { ip: '127.0.0.1' })
    assert.deepEqual(auth.portcullis.api, 'keys')
    assert.deepEqual(auth.http, { request: { id: (auth.http as { request: { id: string } }).request.id, method: 'GET' }, response: { status_code: 401 } })
    assert.equal((auth.ecs as { version: string }).version.startsWith('8.'), true)
    assert.equal((auth.observer as { product: string }).product, 'Portcullis')

    const waf = byAction(events, 'waf-blocked')
    assert.equal(waf.event.kind, 'alert')
    assert.deepEqual(waf.event.category, ['intrusion_detection'])
    assert.ok(waf.rule?.id !== undefined, 'the rule ids')
    const matches = waf.portcullis.details?.matches as { id: number; excerpt: string }[]
    assert.ok(matches.length > 0 && matches.every((m) => typeof m.excerpt === 'string'))

    const invalid = byAction(events, 'openapi-violation')
    assert.deepEqual(invalid.portcullis.details?.locations, ['path.id'])
    assert.equal(byAction(events, 'rate-limited').rule?.name, 'per-ip')

    const denied = byAction(events, 'authorization-denied')
    assert.deepEqual([denied.event.code, denied.rule?.name, denied.portcullis.details?.operation], ['GW_ERR_AUTHZ_DENIED', 'undeclared', 'report'])
    assert.ok(typeof denied.event.reason === 'string')
    const ban = byAction(events, 'rate-limit-ban-started')
    assert.equal(ban.event.severity, 7)
    assert.match(ban.portcullis.details?.subject as string, /^\{shop\}:/)

    const masked = byAction(events.filter((e) => e.trace !== undefined), 'sensitive-data-masked')
    assert.equal(masked.event.outcome, 'success')
    assert.deepEqual(masked.portcullis.details, { count: 1, by: ['email'] })
    assert.deepEqual(masked.trace, { id: '4bf92f3577b34da6a3ce929d0e0e4736' })
    assert.doesNotMatch(JSON.stringify(events), /ann\.smith@example\.com/, 'never the masked value')

    const change = byAction(events, 'admin-consumer-create')
    assert.deepEqual(change.event.category, ['iam', 'configuration'])
    assert.equal(change.portcullis.details?.target, 'acme')
    assert.equal(events.filter((e) => e.event.code === 'GW_ERR_ADMIN_UNAUTHORIZED').length, 1, 'the refused admin call')
    assert.equal(events.filter((e) => e.portcullis.api === 'shop' && e.event.action === 'sensitive-data-masked').length, 3, 'an allowed request makes an event only when something was masked')

    // OTLP/HTTP JSON: one log record per event, ECS fields as dotted attributes.
    type LogRecord = { timeUnixNano: string; severityNumber: number; body: { stringValue: string }; attributes: { key: string; value: Record<string, unknown> }[]; traceId?: string }
    const records = (): LogRecord[] =>
      otlp.received.flatMap((post) => (JSON.parse(post.body) as { resourceLogs: { scopeLogs: { logRecords: LogRecord[] }[] }[] }).resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords)))
    await eventually(() => records().length >= events.length, 10_000, 'OTLP records')
    for (const post of otlp.received) {
      assert.equal(post.path, '/v1/logs')
      assert.equal(post.headers['x-collector-key'], 'k1')
      const resource = (JSON.parse(post.body) as { resourceLogs: { resource: { attributes: { key: string; value: { stringValue: string } }[] } }[] }).resourceLogs[0]!.resource
      assert.deepEqual(resource.attributes[0], { key: 'service.name', value: { stringValue: 'portcullis' } })
    }
    const wafRecord = records().find((r) => r.attributes.some((a) => a.key === 'event.action' && a.value.stringValue === 'waf-blocked'))
    assert.ok(wafRecord !== undefined)
    assert.match(wafRecord.timeUnixNano, /^\d{19}$/)
    assert.equal(wafRecord.severityNumber, 17)
    assert.ok(wafRecord.attributes.some((a) => a.key === 'source.ip' && a.value.stringValue === '127.0.0.1'))
    assert.ok(wafRecord.attributes.some((a) => a.key === 'event.category' && JSON.stringify(a.value) === JSON.stringify({ arrayValue: { values: [{ stringValue: 'intrusion_detection' }] } })))
    assert.equal(records().find((r) => r.traceId !== undefined)?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736')

    // The log: one line per event under its own logger name.
    const logged = gw.logLines().filter((line) => line.name === 'portcullis.security')
    assert.ok(EXPECTED_ACTIONS.every((a) => logged.some((line) => (line.event as { action: string }).action === a)))
  })

  test('GET /events reads the store with filters and a bounded page', async () => {
    await eventually(async () => ((await admin(gw, '/events')).body.events as unknown[]).length >= 7, 10_000, 'stored events')
    const all = (await admin(gw, '/events')).body.events as Ecs[]
    assert.ok(EXPECTED_ACTIONS.every((a) => all.some((e) => e.event.action === a)))
    const times = all.map((e) => Date.parse(e['@timestamp'] as string))
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first')

    const wafOnly = (await admin(gw, '/events?code=GW_ERR_WAF_BLOCKED')).body.events as Ecs[]
    assert.deepEqual(wafOnly.map((e) => e.event.action), ['waf-blocked'])
    assert.ok(((await admin(gw, '/events?category=authentication')).body.events as Ecs[]).every((e) => e.event.category.includes('authentication')))
    assert.ok(((await admin(gw, '/events?api=shop&ip=127.0.0.1')).body.events as Ecs[]).every((e) => e.portcullis.api === 'shop'))
    assert.deepEqual((await admin(gw, '/events?consumer=nobody')).body.events, [])
    assert.deepEqual((await admin(gw, `/events?since=${new Date(Date.now() + 60_000).toISOString()}`)).body.events, [])
    assert.ok(((await admin(gw, '/events?kind=alert')).body.events as Ecs[]).every((e) => e.event.kind === 'alert'))

    const first = await admin(gw, '/events?limit=2')
    assert.equal((first.body.events as unknown[]).length, 2)
    assert.match(first.body.next as string, /^\/events\?limit=2&before=\d+$/)
    const second = await admin(gw, first.body.next as string)
    assert.deepEqual((second.body.events as Ecs[]).map((e) => e['@timestamp']), all.slice(2, 4).map((e) => e['@timestamp']))

    const tooMany = await admin(gw, '/events?limit=5000')
    assert.equal(tooMany.status, 400)
    assert.equal(tooMany.body.code, 'GW_ERR_ADMIN_INVALID_INPUT')
    assert.equal((await admin(gw, '/events?since=yesterday')).status, 400)
    assert.equal((await admin(gw, '/events', { method: 'POST', body: {} })).status, 405)
    const anonymous = await fetch(`http://127.0.0.1:${gw.gateway.addresses.admin!.port}/events`)
    assert.equal(anonymous.status, 401, 'the same admin token as every other route')
    await anonymous.body?.cancel()

    const res = await fetch(`http://127.0.0.1:${gw.gateway.addresses.admin!.port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    const metrics = await res.text()
    assert.match(metrics, /portcullis_security_events_total\{action="waf-blocked"\} 1/)
    assert.doesNotMatch(metrics, /portcullis_security_events_dropped_total\{[^}]*\} [1-9]/)
  })

  test('a config reload is an event', async () => {
    const result = await gw.gateway.reload()
    assert.equal(result.ok, true)
    await eventually(async () => ((await admin(gw, '/events?action=config-reloaded')).body.events as unknown[]).length === 1, 10_000, 'the reload event')
  })
})

describe('security events: a sink that is down', () => {
  let upstream: TestUpstream
  let hanging: TestCollector
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream()
    hanging = await startCollector({ hang: true })
    gw = await startTestGateway({
      ...baseConfig(upstream.url),
      admin: { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } },
      events: {
        log: false,
        queueSize: 10,
        batchSize: 5,
        flushIntervalMs: 10,
        shutdownFlushMs: 100,
        webhook: { url: hanging.url, secret: SECRET, timeoutMs: 60000, maxRetries: 10 },
      },
      apis: [{ name: 'walled', basePath: '/', upstream: { url: upstream.url }, policies: { 'ip-filter': { deny: ['127.0.0.0/8'] } } }],
    })
  })
  after(async () => {
    await gw?.stop()
    await Promise.all([upstream?.close(), hanging?.close()])
  })

  test('requests are answered while the webhook hangs; the full queue drops and counts', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, () => status(`${gw.url}/anything`)))
    assert.ok(answers.every((a) => a.status === 403 && a.code === 'GW_ERR_IP_DENIED'))
    // The first batch hangs on the collector; the queue holds 10 more; the rest were dropped.
    await eventually(() => hanging.received.length === 0, 1000)
    const res = await fetch(`http://127.0.0.1:${gw.gateway.addresses.admin!.port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    const metrics = await res.text()
    const dropped = /portcullis_security_events_dropped_total\{sink="webhook",reason="queue_full"\} (\d+)/.exec(metrics)
    assert.ok(dropped !== null && Number(dropped[1]) >= 60 - 10 - 5, metrics.split('\n').filter((l) => l.includes('security_events')).join('\n'))
    assert.match(metrics, /portcullis_security_events_total\{action="ip-denied"\} 60/)
    // A stop is bounded by events.shutdownFlushMs, not by the hanging sink.
    await gw.stop()
  })
})

describe('security events: the PostgreSQL store', () => {
  let upstream: TestUpstream
  let schema: TestSchema
  let gw: TestGateway

  before(async () => {
    upstream = await shopUpstream()
    schema = await createTestSchema('portcullis_events')
    gw = await startTestGateway(
      {
        ...baseConfig(upstream.url),
        admin: { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } },
        stores: { data: schema.url },
        events: { log: false, flushIntervalMs: 20, store: {} },
        apis: apis(upstream.url),
      },
      { files: { 'shop.yaml': SHOP_SPEC } },
    )
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
    await schema?.drop()
  })

  test('events are stored in PostgreSQL and read back through GET /events', async () => {
    assert.deepEqual(await provoke(gw), EXPECTED_ANSWERS)
    await eventually(async () => ((await admin(gw, '/events')).body.events as unknown[]).length >= EXPECTED_ACTIONS.length + 1, 10_000, 'stored events')
    const all = (await admin(gw, '/events')).body.events as Ecs[]
    assert.ok(EXPECTED_ACTIONS.every((a) => all.some((e) => e.event.action === a)))
    const denials = (await admin(gw, '/events?api=shop&category=api&ip=127.0.0.1')).body.events as Ecs[]
    assert.deepEqual(denials.map((e) => e.event.action).sort(), ['openapi-violation', 'rate-limited', 'sensitive-data-masked', 'sensitive-data-masked'])
    const page = await admin(gw, '/events?limit=1')
    assert.equal((page.body.events as unknown[]).length, 1)
    assert.ok(typeof page.body.next === 'string')
  })
})

describe('security events: a Slack-compatible webhook', () => {
  let upstream: TestUpstream
  let slack: TestCollector
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream()
    slack = await startCollector()
    gw = await startTestGateway({
      ...baseConfig(upstream.url),
      events: { log: false, flushIntervalMs: 20, webhook: { url: `${slack.url}/services/T0/B0/x`, secret: SECRET, format: 'slack', minSeverity: 4 } },
      apis: [
        { name: 'walled', basePath: '/walled', upstream: { url: upstream.url }, policies: { 'ip-filter': { deny: ['127.0.0.0/8'] } } },
        { name: 'cors', basePath: '/cors', upstream: { url: upstream.url }, policies: { cors: { origins: ['https://app.example'] } } },
      ],
    })
  })
  after(async () => {
    await gw?.stop()
    await Promise.all([upstream?.close(), slack?.close()])
  })

  test('batches arrive as one signed {"text"} message; events below minSeverity are left out', async () => {
    assert.equal((await status(`${gw.url}/cors/x`, { origin: 'https://evil.example' })).code, 'GW_ERR_CORS_ORIGIN_DENIED')
    assert.equal((await status(`${gw.url}/walled/x`)).code, 'GW_ERR_IP_DENIED')
    await eventually(() => slack.received.length > 0, 10_000, 'the Slack message')
    const [post] = slack.received
    assert.equal(post!.headers['x-portcullis-signature'], `sha256=${createHmac('sha256', SECRET).update(post!.body).digest('hex')}`)
    const message = JSON.parse(post!.body) as Record<string, unknown>
    assert.deepEqual(Object.keys(message), ['text'])
    assert.match(message.text as string, /^Portcullis security events \(1\):\n\[sev 4\] ip-denied — walled GET \/walled\/x \(127\.0\.0\.1\) — GW_ERR_IP_DENIED$/)
    assert.doesNotMatch(message.text as string, /cors-denied/, 'severity 2 is below minSeverity 4')
  })
})
