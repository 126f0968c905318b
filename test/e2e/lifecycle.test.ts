/**
 * API lifecycle on the wire, through a running gateway on a clock the test moves: a deprecated
 * operation and a deprecated API version answer with Deprecation (RFC 9745), Sunset (RFC 8594)
 * and Link headers; a brownout window and the sunset answer 410 as problem+json naming the
 * successor, without calling the upstream; a draft version is served only to its preview
 * consumer.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const BIN = join(import.meta.dirname, '../../bin/portcullis.js')
const TOKEN = 'admin-token-for-lifecycle-tests'
const TOKEN_HASH = createHash('sha256').update(TOKEN).digest('hex')
const DAY = 86_400_000
const NOW = Date.parse('2026-12-07T12:00:00Z')

const SPEC = `
openapi: 3.0.3
info: { title: orders, version: '1.4.0' }
paths:
  /orders:
    get:
      operationId: listOrders
      responses: { '200': { description: ok } }
  /orders/export:
    get:
      operationId: exportOrders
      deprecated: true
      x-deprecated-at: '2026-10-01T00:00:00Z'
      x-sunset: '2027-01-01T00:00:00Z'
      responses: { '200': { description: ok } }
  /orders/legacy:
    get:
      operationId: legacyOrders
      deprecated: true
      responses: { '200': { description: ok } }
`

describe('lifecycle: deprecation, sunset, brownouts, drafts', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  let now = NOW
  let key = ''

  before(async () => {
    upstream = await startUpstream()
    gw = await startTestGateway(
      {
        ...baseConfig(upstream.url),
        admin: { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } },
        stores: { data: 'sqlite:./portcullis.db' },
        events: { flushIntervalMs: 20, store: {} },
        apis: [
          { name: 'orders', version: 'v1', basePath: '/orders/v1', openapi: 'orders.yaml', upstream: { url: upstream.url } },
          {
            name: 'orders-v0',
            version: 'v0',
            basePath: '/orders/v0',
            openapi: 'orders.yaml',
            upstream: { url: upstream.url },
            lifecycle: {
              state: 'deprecated',
              deprecatedAt: '2026-06-01',
              sunsetAt: '2027-03-01T00:00:00Z',
              successor: '/orders/v1',
              migrationGuide: 'https://docs.example.com/orders/v0-to-v1',
              brownouts: [{ start: '2027-02-01T10:00:00Z', end: '2027-02-01T11:00:00Z' }],
            },
          },
          {
            name: 'orders-v2',
            version: 'v2',
            basePath: '/orders/v2',
            openapi: 'orders.yaml',
            upstream: { url: upstream.url },
            policies: { auth: { methods: ['apiKey'] } },
            lifecycle: { state: 'draft', preview: ['early-bird'] },
          },
        ],
      },
      { files: { 'orders.yaml': SPEC }, clock: { now: () => now } },
    )
    const admin = `http://127.0.0.1:${gw.gateway.addresses.admin!.port}`
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
    for (const id of ['early-bird', 'someone-else']) assert.equal((await fetch(`${admin}/consumers`, { method: 'POST', headers, body: JSON.stringify({ id, name: id }) })).status, 201)
    key = ((await (await fetch(`${admin}/consumers/early-bird/keys`, { method: 'POST', headers, body: '{}' })).json()) as { key: string }).key
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers })

  test('a deprecated operation answers with its Deprecation and Sunset dates; the others are untouched', async () => {
    const res = await get('/orders/v1/orders/export')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('deprecation'), `@${Date.parse('2026-10-01T00:00:00Z') / 1000}`)
    assert.equal(res.headers.get('sunset'), 'Fri, 01 Jan 2027 00:00:00 GMT')
    const plain = await get('/orders/v1/orders')
    assert.equal(plain.headers.get('deprecation'), null)
    assert.equal(plain.headers.get('sunset'), null)
    // No date in the document: the date the gateway first loaded a config.
    const legacy = await get('/orders/v1/orders/legacy')
    assert.match(legacy.headers.get('deprecation') ?? '', /^@\d+$/)
  })

  test('a deprecated version: its operations answer with Deprecation, Sunset and the Links', async () => {
    const res = await get('/orders/v0/orders')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('deprecation'), `@${Date.parse('2026-06-01') / 1000}`)
    assert.equal(res.headers.get('sunset'), 'Mon, 01 Mar 2027 00:00:00 GMT')
    assert.equal(res.headers.get('link'), '<https://docs.example.com/orders/v0-to-v1>; rel="deprecation"; type="text/html", </orders/v1>; rel="successor-version"')
    const missing = await get('/orders/v0/nowhere')
    assert.equal(missing.status, 404)
    // The operation's own sunset is earlier than the version's.
    assert.equal((await get('/orders/v0/orders/export')).headers.get('sunset'), 'Fri, 01 Jan 2027 00:00:00 GMT')
  })

  test('past an operation’s sunset: 410 problem naming the successor, the upstream not called', async () => {
    now = Date.parse('2027-01-01T00:00:00Z')
    const before = upstream.requests.length
    const gone = await get('/orders/v1/orders/export')
    assert.equal(gone.status, 410)
    assert.equal(gone.headers.get('content-type'), 'application/problem+json')
    const body = (await gone.json()) as { code: string; detail: string }
    assert.equal(body.code, 'GW_ERR_API_GONE')
    assert.match(body.detail, /since 2027-01-01T00:00:00.000Z/)
    assert.equal(gone.headers.get('sunset'), 'Fri, 01 Jan 2027 00:00:00 GMT')
    assert.equal((await get('/orders/v1/orders')).status, 200, 'the rest of the API is served')
    assert.equal(upstream.requests.length, before + 1, 'only the served request reached the upstream')
  })

  test('a brownout window answers 410 before the sunset, and only within the window; after the sunset, always', async () => {
    now = Date.parse('2027-02-01T10:30:00Z')
    const brownout = await get('/orders/v0/orders')
    assert.equal(brownout.status, 410)
    const body = (await brownout.json()) as { code: string; detail: string; successor: string }
    assert.deepEqual([body.code, body.successor], ['GW_ERR_API_GONE', '/orders/v1'])
    assert.match(body.detail, /brownout/)
    now = Date.parse('2027-02-01T11:00:00Z')
    assert.equal((await get('/orders/v0/orders')).status, 200, 'the window has ended')
    now = Date.parse('2027-03-01T00:00:00Z') + DAY
    assert.equal((await get('/orders/v0/orders')).status, 410)
    assert.equal((await get('/orders/v1/orders')).status, 200, 'the successor is served')
  })

  test('a draft version is served to its preview consumer only; to anyone else it does not exist', async () => {
    assert.equal((await get('/orders/v2/orders', { 'x-api-key': key })).status, 200)
    const stranger = await get('/orders/v2/orders')
    assert.equal(stranger.status, 401, 'no credential: authentication answers first')
    const admin = `http://127.0.0.1:${gw.gateway.addresses.admin!.port}`
    const other = ((await (await fetch(`${admin}/consumers/someone-else/keys`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' })).json()) as { key: string }).key
    const hidden = await get('/orders/v2/orders', { 'x-api-key': other })
    assert.equal(hidden.status, 404)
    assert.equal(((await hidden.json()) as { code: string }).code, 'GW_ERR_ROUTE_NOT_FOUND')
  })

  test('calls of deprecated operations and versions are listed by consumer with first and last seen; a first call is an event', async () => {
    const admin = `http://127.0.0.1:${gw.gateway.addresses.admin!.port}`
    const read = async (path: string) => (await (await fetch(`${admin}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Record<string, unknown>
    type Usage = { api: string; operation: string; consumer: string; calls: number; firstSeen: string; lastSeen: string; version: string }
    let usage: Usage[] = []
    await eventually(async () => (usage = (await read('/lifecycle/usage')).usage as Usage[]).length >= 3, 8000, 'usage written')
    const row = (api: string, operation: string) => usage.find((u) => u.api === api && u.operation === operation && u.consumer === 'anonymous')
    assert.equal(row('orders', 'GET /orders/export')?.calls, 2, `once served, once refused after its sunset: ${JSON.stringify(usage)}`)
    assert.equal(row('orders', 'GET /orders/legacy')?.calls, 1)
    assert.equal(row('orders-v0', 'GET /orders')?.version, 'v0')
    assert.equal(row('orders', 'GET /orders'), undefined, 'operations that are not deprecated are not listed')
    assert.equal(((await read('/lifecycle/usage?api=orders-v0')).usage as Usage[]).every((u) => u.api === 'orders-v0'), true)
    const versions = (await read('/lifecycle')).apis as { name: string; state: string; sunsetAt: string | null; deprecatedOperations: { operation: string }[] }[]
    assert.deepEqual(versions.map((v) => [v.name, v.state]), [['orders', 'published'], ['orders-v0', 'deprecated'], ['orders-v2', 'draft']])
    assert.deepEqual(versions[0]?.deprecatedOperations.map((o) => o.operation), ['GET /orders/export', 'GET /orders/legacy'])
    // The same calls as a metric, by API, version and operation (no consumer: its cardinality is the usage listing's).
    const scrape = await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    const metrics = await scrape.text()
    assert.equal(scrape.status, 200, metrics)
    assert.match(metrics, /portcullis_deprecated_requests_total\{api="orders",version="v1",operation="GET \/orders\/export"\} 2/)
    assert.match(metrics, /portcullis_deprecated_requests_total\{api="orders-v0",version="v0",operation="GET \/orders"\} \d+/)
    assert.doesNotMatch(metrics, /portcullis_deprecated_requests_total\{api="orders",version="v1",operation="GET \/orders"\}/)
    const events = (await read('/events?action=deprecated-operation-first-call')).events as { portcullis: { route: string } }[]
    assert.ok(events.some((e) => e.portcullis.route === 'GET /orders/export'), JSON.stringify(events.map((e) => e.portcullis.route)))

    // The same through the CLI (the compiled build, as users run it).
    // Asynchronously: the gateway answering it runs in this process.
    const cli = (args: string[], token = TOKEN) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [BIN, 'apis', ...args], { encoding: 'utf8', env: { ...process.env, PORTCULLIS_ADMIN_TOKEN: token } }, (error, stdout, stderr) =>
          resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
        )
      })
    const listed = await cli(['usage', '--deprecated', '--admin', admin, '--api', 'orders'])
    assert.equal(listed.status, 0, listed.stderr)
    assert.match(listed.stdout, /^API +VERSION +OPERATION +CONSUMER +CALLS +FIRST SEEN +LAST SEEN\n/)
    assert.match(listed.stdout, /orders +v1 +GET \/orders\/export +anonymous +2 +\d{4}-/)
    const table = await cli(['list', '--admin', admin])
    assert.match(table.stdout, /orders-v0 +v0 +\/orders\/v0 +path +deprecated +2026-06-01 +2027-03-01T00:00:00Z +\/orders\/v1 +2 +\d+ +\d+ +\d{4}-/)
    const noToken = await cli(['list', '--admin', admin], '')
    assert.equal(noToken.status, 2)
    assert.match(noToken.stderr, /set the admin token in the environment variable PORTCULLIS_ADMIN_TOKEN/)
    assert.match((await cli(['usage', '--admin', admin, '--since', 'yesterday'])).stderr, /--since yesterday: must be an ISO 8601 date/)
  })
})

describe('lifecycle config is checked', () => {
  test('dates and links are validated where they are written', async () => {
    const upstream = await startUpstream()
    try {
      await assert.rejects(
        startTestGateway({ ...baseConfig(upstream.url), apis: [{ name: 'x', basePath: '/', upstream: { url: upstream.url }, lifecycle: { sunsetAt: 'next tuesday', successor: 'javascript:alert(1)' } }] }),
        (error: Error) => /apis\[0\]\.lifecycle\.sunsetAt.*RFC 3339/s.test(error.message) && /lifecycle\.successor.*URL or a path/s.test(error.message),
      )
    } finally {
      await upstream.close()
    }
  })
})

describe('a reload that changes a document: breaking changes logged, refused for a published version that says so', () => {
  test('removing an operation is logged as breaking; with breakingChanges: refuse the reload is refused and the old document keeps serving', async () => {
    const upstream = await startUpstream()
    const config = (breakingChanges: 'log' | 'refuse') => ({ ...baseConfig(upstream.url), apis: [{ name: 'orders', basePath: '/orders', openapi: 'orders.yaml', upstream: { url: upstream.url }, lifecycle: { breakingChanges } }] })
    const gw = await startTestGateway(config('refuse'), { files: { 'orders.yaml': SPEC } })
    try {
      const withoutExport = SPEC.replace(/ {2}\/orders\/export:\n(?: {4}.*\n)+/, '')
      assert.notEqual(withoutExport, SPEC)
      writeFileSync(join(gw.dir, 'orders.yaml'), withoutExport)
      const refused = await gw.gateway.reload()
      assert.equal(refused.ok, false)
      assert.equal(refused.problems[0]?.path, 'apis[0].openapi')
      assert.match(refused.problems[0]?.message ?? '', /breaking change\(s\) for the clients of a published version.*api-removed-before-sunset GET \/orders\/export/)
      assert.equal((await fetch(`${gw.url}/orders/orders/export`)).status, 200, 'the previous document keeps serving')

      gw.writeConfig(config('log'))
      const applied = await gw.gateway.reload()
      assert.equal(applied.ok, true, JSON.stringify(applied.problems))
      assert.equal((await fetch(`${gw.url}/orders/orders/export`)).status, 404)
      const line = gw.logLines().find((l) => l.msg === 'reload: the API’s document changes what its clients rely on')
      assert.ok((line?.breaking as string[] | undefined)?.some((b) => b.includes('GET /orders/export')), JSON.stringify(line))
    } finally {
      await gw.stop()
      await upstream.close()
    }
  })
})
