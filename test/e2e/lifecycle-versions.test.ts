/**
 * Versions of one API at one path, through a running gateway on a clock the test moves: a header,
 * a media-type parameter and a vendor media type in `Accept` choose the version; a request naming
 * none gets the default (or 400 where one is required); an unknown version is a 400 or 406
 * problem listing the versions; every answer varies by the field. Deprecation headers, 410s,
 * drafts and usage recording apply to the version chosen; each version's traffic shows in
 * `GET /lifecycle` and `portcullis apis list`, summed over a cluster's workers.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { stringify } from 'yaml'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { spawnLoggingGateway } from '../helpers/gateway-process.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const BIN = join(import.meta.dirname, '../../bin/portcullis.js')
const TOKEN = 'admin-token-for-version-tests'
const TOKEN_HASH = createHash('sha256').update(TOKEN).digest('hex')
const NOW = Date.parse('2026-12-07T12:00:00Z')

const SPEC = `
openapi: 3.0.3
info: { title: orders, version: '1.0.0' }
paths:
  /items:
    get:
      operationId: listItems
      responses: { '200': { description: ok } }
  /items/{id}:
    delete:
      operationId: deleteItem
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      responses: { '204': { description: ok } }
`

interface Problem {
  code: string
  status: number
  detail: string
  versions: string[]
  requestId: string
}

interface VersionRecord {
  name: string
  version: string
  state: string
  selectedBy: { kind: string; header?: string; parameter?: string; vendorType?: string; default: string | null } | null
  traffic: { total: number; lastHour: number; lastSeen: string | null }
}

function configOf(upstream: string, withV2 = true): Record<string, unknown> {
  const orders = { name: 'orders', basePath: '/orders', openapi: 'orders.yaml', versioning: { by: 'header', header: 'Api-Version', default: '1' } }
  const billing = { name: 'billing', basePath: '/billing', versioning: { by: 'media-type' } }
  const reports = { name: 'reports', basePath: '/reports', versioning: { by: 'media-type', vendorType: 'application/vnd.example.reports.{version}+json', default: 'v2' } }
  return {
    ...baseConfig(upstream),
    admin: { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } },
    stores: { data: 'sqlite:./portcullis.db' },
    apis: [
      {
        ...orders,
        version: '1',
        upstream: { url: `${upstream}/v1` },
        lifecycle: {
          state: 'deprecated',
          deprecatedAt: '2026-06-01',
          sunsetAt: '2027-03-01T00:00:00Z',
          successor: '/orders',
          migrationGuide: 'https://docs.example.com/orders/1-to-2',
          brownouts: [{ start: '2027-02-01T10:00:00Z', end: '2027-02-01T11:00:00Z' }],
        },
      },
      ...(withV2
        ? [{ ...orders, version: '2', upstream: { url: `${upstream}/v2` }, policies: { cors: { origins: ['https://app.example'], allowHeaders: ['api-version'] } } }]
        : []),
      { ...orders, version: '3', upstream: { url: `${upstream}/v3` }, policies: { auth: { methods: ['apiKey'] } }, lifecycle: { state: 'draft', preview: ['early-bird'] } },
      { ...billing, version: '1', upstream: { url: `${upstream}/b1` } },
      { ...billing, version: '2', upstream: { url: `${upstream}/b2` } },
      { ...reports, version: 'v1', upstream: { url: `${upstream}/r1` } },
      { ...reports, version: 'v2', upstream: { url: `${upstream}/r2` } },
    ],
  }
}

describe('versions at one path, chosen by a header or Accept', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  let admin = ''
  let now = NOW
  const keys: Record<string, string> = {}

  before(async () => {
    upstream = await startUpstream()
    gw = await startTestGateway(configOf(upstream.url), { files: { 'orders.yaml': SPEC }, clock: { now: () => now } })
    admin = `http://127.0.0.1:${gw.gateway.addresses.admin!.port}`
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
    for (const id of ['early-bird', 'someone-else']) {
      assert.equal((await fetch(`${admin}/consumers`, { method: 'POST', headers, body: JSON.stringify({ id, name: id }) })).status, 201)
      keys[id] = ((await (await fetch(`${admin}/consumers/${id}/keys`, { method: 'POST', headers, body: '{}' })).json()) as { key: string }).key
    }
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers })
  /** The upstream path a served request reached: its prefix says which version served it. */
  const servedBy = async (res: Response) => ((await res.json()) as { url: string }).url
  const lifecycle = async () => ((await (await fetch(`${admin}/lifecycle`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { apis: VersionRecord[] }).apis

  test('the header names the version; none names the default; every answer varies by the header', async () => {
    const two = await get('/orders/items', { 'api-version': '2' })
    assert.equal(two.status, 200)
    assert.equal(two.headers.get('vary'), 'Api-Version')
    assert.equal(await servedBy(two), '/v2/items')
    assert.equal(await servedBy(await get('/orders/items', { 'api-version': ' 1 ' })), '/v1/items')
    const fallback = await get('/orders/items')
    assert.equal(fallback.headers.get('vary'), 'Api-Version')
    assert.equal(await servedBy(fallback), '/v1/items')
    const cors = await get('/orders/items', { 'api-version': '2', origin: 'https://app.example' })
    assert.equal(cors.headers.get('access-control-allow-origin'), 'https://app.example')
    assert.equal(cors.headers.get('vary'), 'Api-Version, Origin', 'the policy’s Vary adds to the version’s')
    const missing = await get('/orders/nowhere', { 'api-version': '2' })
    assert.equal(missing.status, 404)
    assert.equal(missing.headers.get('vary'), 'Api-Version')
  })

  test('an unknown version, or a list of them, is a 400 problem listing the versions (drafts left out), the upstream not called', async () => {
    const before = upstream.requests.length
    for (const value of ['9', '1, 2']) {
      const res = await get('/orders/items', { 'api-version': value })
      assert.equal(res.status, 400, value)
      assert.equal(res.headers.get('content-type'), 'application/problem+json')
      assert.equal(res.headers.get('vary'), 'Api-Version')
      const body = (await res.json()) as Problem
      assert.equal(body.code, 'GW_ERR_API_VERSION_UNKNOWN')
      assert.deepEqual(body.versions, ['1', '2'])
    }
    assert.equal(upstream.requests.length, before)
  })

  test('a draft version serves its preview consumer; to anyone else it answers exactly as an unknown version', async () => {
    assert.equal(await servedBy(await get('/orders/items', { 'api-version': '3', 'x-api-key': keys['early-bird']! })), '/v3/items')
    const hidden = await get('/orders/items', { 'api-version': '3', 'x-api-key': keys['someone-else']! })
    const unknown = await get('/orders/items', { 'api-version': '4' })
    assert.deepEqual([hidden.status, hidden.headers.get('vary'), hidden.headers.get('content-type')], [unknown.status, unknown.headers.get('vary'), unknown.headers.get('content-type')])
    const { requestId: _a, ...hiddenBody } = (await hidden.json()) as Problem
    const { requestId: _b, ...unknownBody } = (await unknown.json()) as Problem
    assert.deepEqual(hiddenBody, unknownBody)
    assert.equal((await get('/orders/items', { 'api-version': '3' })).status, 401, 'without a credential, authentication answers first (as for a draft at a path of its own)')
  })

  test('Accept: a media-type parameter by preference; none where one is required is 400, an unknown one 406; a vendor media type', async () => {
    assert.equal(await servedBy(await get('/billing/invoices', { accept: 'application/json; version=2' })), '/b2/invoices')
    const preferred = await get('/billing/invoices', { accept: 'application/json; version=9, application/json; version=2; q=0.5, application/json; version=1; q=0.4' })
    assert.equal(preferred.headers.get('vary'), 'Accept')
    assert.equal(await servedBy(preferred), '/b2/invoices')
    const required = await get('/billing/invoices', { accept: 'application/json' })
    assert.equal(required.status, 400)
    assert.deepEqual((({ code, versions }: Problem) => [code, versions])((await required.json()) as Problem), ['GW_ERR_API_VERSION_REQUIRED', ['1', '2']])
    const unknown = await get('/billing/invoices', { accept: 'application/json; version=3' })
    assert.equal(unknown.status, 406)
    assert.equal(unknown.headers.get('vary'), 'Accept')
    assert.equal(((await unknown.json()) as Problem).code, 'GW_ERR_API_VERSION_NOT_ACCEPTABLE')

    assert.equal(await servedBy(await get('/reports/daily', { accept: 'application/vnd.example.reports.v1+json' })), '/r1/daily')
    assert.equal(await servedBy(await get('/reports/daily')), '/r2/daily', 'the default')
    assert.equal((await get('/reports/daily', { accept: 'application/vnd.example.reports.v7+json' })).status, 406)
  })

  test('each version’s traffic: requests in total and in the last hour, the last one’s time; how it is selected; in the admin API and the CLI', async () => {
    const before = await lifecycle()
    const of = (apis: VersionRecord[], name: string, version: string) => apis.find((a) => a.name === name && a.version === version)!
    now += 1000
    for (let i = 0; i < 3; i++) await (await get('/orders/items', { 'api-version': '2' })).arrayBuffer()
    await (await get('/orders/items')).arrayBuffer()
    const after = await lifecycle()
    const v2 = of(after, 'orders', '2')
    assert.equal(v2.traffic.total - of(before, 'orders', '2').traffic.total, 3)
    assert.equal(v2.traffic.lastHour - of(before, 'orders', '2').traffic.lastHour, 3)
    assert.equal(v2.traffic.lastSeen, new Date(now).toISOString())
    assert.equal(of(after, 'orders', '1').traffic.total - of(before, 'orders', '1').traffic.total, 1)
    assert.equal(of(after, 'billing', '1').traffic.total, 0, 'refused requests name no version')
    assert.deepEqual(v2.selectedBy, { kind: 'header', header: 'Api-Version', default: '1' })
    assert.deepEqual(of(after, 'reports', 'v1').selectedBy, { kind: 'vendor', vendorType: 'application/vnd.example.reports.{version}+json', default: 'v2' })
    assert.deepEqual(of(after, 'orders', '3').state, 'draft')

    const cli = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'apis', 'list', '--admin', admin], { encoding: 'utf8', env: { ...process.env, PORTCULLIS_ADMIN_TOKEN: TOKEN } }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
      )
    })
    assert.equal(cli.code, 0, cli.stderr)
    assert.match(cli.stdout, /^API +VERSION +BASE PATH +SELECTED BY +STATE .* +REQUESTS +LAST HOUR +LAST SEEN\n/)
    assert.match(cli.stdout, new RegExp(`\\norders +2 +/orders +Api-Version: 2 +published +- +- +- +0 +${v2.traffic.total} +${v2.traffic.lastHour} +${v2.traffic.lastSeen}\\n`))
    assert.match(cli.stdout, /\norders +1 +\/orders +Api-Version: 1 \(default\) +deprecated /)
    assert.match(cli.stdout, /\nbilling +2 +\/billing +Accept ;version=2 +published /)
    assert.match(cli.stdout, /\nreports +v1 +\/reports +Accept application\/vnd\.example\.reports\.v1\+json +published /)

    // An hour later the requests have left the last hour; the total stays.
    now += 3_600_000
    const later = of(await lifecycle(), 'orders', '2').traffic
    assert.deepEqual([later.total, later.lastHour], [v2.traffic.total, 0])
  })

  test('the chosen version’s lifecycle: Deprecation, Sunset and Link on the deprecated one only; its brownout and sunset are 410, the other versions served', async () => {
    const old = await get('/orders/items')
    assert.equal(old.headers.get('deprecation'), `@${Date.parse('2026-06-01') / 1000}`)
    assert.equal(old.headers.get('sunset'), 'Mon, 01 Mar 2027 00:00:00 GMT')
    assert.match(old.headers.get('link') ?? '', /<https:\/\/docs\.example\.com\/orders\/1-to-2>; rel="deprecation"/)
    const current = await get('/orders/items', { 'api-version': '2' })
    assert.deepEqual([current.headers.get('deprecation'), current.headers.get('sunset')], [null, null])
    now = Date.parse('2027-02-01T10:30:00Z')
    const brownout = await get('/orders/items', { 'api-version': '1' })
    assert.equal(brownout.status, 410)
    assert.equal(brownout.headers.get('vary'), 'Api-Version')
    assert.equal((await get('/orders/items', { 'api-version': '2' })).status, 200)
    now = Date.parse('2027-03-02T00:00:00Z')
    const gone = await get('/orders/items')
    assert.equal(gone.status, 410)
    assert.deepEqual((({ code, successor }: Problem & { successor: string }) => [code, successor])((await gone.json()) as Problem & { successor: string }), ['GW_ERR_API_GONE', '/orders'])
    assert.equal((await get('/orders/items', { 'api-version': '2' })).status, 200)
  })

  test('calls of the deprecated version are recorded with its version label', async () => {
    type Usage = { api: string; version: string; operation: string; consumer: string; calls: number }
    const read = async () => ((await (await fetch(`${admin}/lifecycle/usage?api=orders`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { usage: Usage[] }).usage
    let usage: Usage[] = []
    await eventually(async () => (usage = await read()).length > 0, 8000, 'usage written')
    assert.deepEqual(
      [...new Set(usage.map((u) => `${u.api} ${u.version} ${u.operation}`))],
      ['orders 1 GET /items'],
      'only version 1 is deprecated',
    )
  })

  test('a reload that removes a version: naming it is refused, and the versions listed (by the router and by a hidden draft) no longer include it', async () => {
    gw.writeConfig(configOf(upstream.url, false))
    const result = await gw.gateway.reload()
    assert.equal(result.ok, true, JSON.stringify(result.problems))
    const removed = await get('/orders/items', { 'api-version': '2' })
    assert.equal(removed.status, 400)
    assert.deepEqual(((await removed.json()) as Problem).versions, ['1'])
    const hidden = await get('/orders/items', { 'api-version': '3', 'x-api-key': keys['someone-else']! })
    assert.deepEqual(((await hidden.json()) as Problem).versions, ['1'])
  })
})

describe('versioning that would be ambiguous is refused', () => {
  test('two versions at one path without a selector, or with the same label: the config is refused, saying where', async () => {
    const upstream = await startUpstream()
    try {
      const api = (version: string, extra: object = {}) => ({ name: 'orders', version, basePath: '/orders', upstream: { url: upstream.url }, ...extra })
      await assert.rejects(startTestGateway({ ...baseConfig(upstream.url), apis: [api('1'), api('2')] }), (error: Error) =>
        /apis\[1\]\.basePath: apis\[0\] \(orders 1\) already serves \/orders on host \*: versions at the same path need a `versioning` block/.test(error.message),
      )
      const versioning = { by: 'header', default: '1' }
      await assert.rejects(startTestGateway({ ...baseConfig(upstream.url), apis: [api('1', { versioning }), api('1', { versioning })] }), (error: Error) =>
        /apis\[1\]\.version: duplicates the version of apis\[0\] \(orders 1\)/.test(error.message),
      )
    } finally {
      await upstream.close()
    }
  })
})

describe('traffic per version with workers', () => {
  test("the primary's GET /lifecycle sums every worker's requests per version", async () => {
    const upstream = await startUpstream()
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-versions-workers-'))
    const configFile = join(dir, 'gateway.yaml')
    const versioning = { by: 'header', default: '1' }
    writeFileSync(
      configFile,
      stringify({
        ...baseConfig(upstream.url),
        workers: 2,
        log: { level: 'info' },
        admin: { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } },
        stores: { data: 'sqlite:./data.db' },
        apis: ['1', '2'].map((version) => ({ name: 'orders', version, basePath: '/orders', versioning, upstream: { url: upstream.url } })),
      }),
    )
    const { lines, stop } = spawnLoggingGateway(configFile)
    try {
      await eventually(() => lines.some((l) => l.msg === 'gateway started' && l.workers === 2), 60_000, 'gateway start')
      const http = `http://${(lines.find((l) => l.msg === 'gateway started') as { addresses: { http: string } }).addresses.http}`
      const adminUrl = `http://${(lines.find((l) => l.msg === 'admin listening') as { admin: string }).admin}`
      const served = () => new Set(lines.filter((l) => l.kind === 'access' && l.status === 200).map((l) => l.pid))
      // New connections each time, so both workers take a share.
      let sent = 0
      for (let round = 0; round < 10 && (sent === 0 || served().size < 2); round++) {
        for (let i = 0; i < 10; i++, sent++) await (await fetch(`${http}/orders/x`, { headers: { connection: 'close', 'x-api-version': '2' } })).arrayBuffer()
        await eventually(() => served().size === 2, 2000, 'access lines from both workers').catch(() => undefined)
      }
      assert.equal(served().size, 2, 'both workers served requests')
      const apis = ((await (await fetch(`${adminUrl}/lifecycle`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { apis: VersionRecord[] }).apis
      assert.deepEqual(
        apis.map((a) => [a.version, a.traffic.total, a.traffic.lastHour]),
        [
          ['1', 0, 0],
          ['2', sent, sent],
        ],
      )
      assert.ok(Date.now() - Date.parse(apis[1]?.traffic.lastSeen ?? '') < 60_000)
    } finally {
      await stop()
      await upstream.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
