/**
 * The inventory end to end: a gateway in front of a small JSON API learns its endpoints from
 * varied traffic (ids, uuids, nested bodies), the admin API answers the inventory, `portcullis
 * discover` drafts an OpenAPI document from it, and a second gateway loads that draft and
 * validates the same traffic against it. Then the classification against a document (active,
 * shadow, zombie, orphan), and the bounds under a flood of random paths.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import { METHODS } from 'node:http'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { parse as parseYaml, stringify } from 'yaml'
import { listOperations } from '../../src/openapi/list-operations.js'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { seededRandom } from '../helpers/seeded-random.js'
import { startUpstream, type TestUpstream, type UpstreamHandler } from '../helpers/upstream.js'

const ROOT = join(import.meta.dirname, '../..')
const TOKEN = 'admin-token-for-inventory-tests'
const TOKEN_HASH = createHash('sha256').update(TOKEN).digest('hex')
const ADMIN = { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } }

/** Values the traffic carries: none may appear in the inventory or the draft. */
const SECRET_VALUES = ['Ada Lovelace', 'ada@example.org', 'Reykjavik', 'SKU-SECRET-1', 'hunter2-token', 'classified-note']

const api: UpstreamHandler = (req, res, body) => {
  const url = new URL(req.url ?? '/', 'http://upstream')
  const path = url.pathname
  const send = (status: number, value: unknown) => {
    const text = JSON.stringify(value)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }
  let match: RegExpExecArray | null
  if ((match = /^\/users\/(\d+)$/.exec(path)) !== null) {
    return send(200, { id: Number(match[1]), name: 'Ada Lovelace', email: 'ada@example.org', tags: ['admin'], address: { city: 'Reykjavik', zip: '101' }, score: 0.5 })
  }
  if (/^\/users\/\d+\/orders$/.test(path)) return send(200, [{ id: randomUUID(), total: 12.5, items: [{ sku: 'SKU-SECRET-1', qty: 2 }] }])
  if (path === '/orders' && req.method === 'POST') {
    const order = JSON.parse(body.toString('utf8')) as Record<string, unknown>
    return send(201, { id: randomUUID(), status: 'created', lines: Array.isArray(order.items) ? order.items.length : 0 })
  }
  if (/^\/files\/[0-9a-f-]{36}$/.test(path)) return send(200, { name: 'report.pdf', size: 1024, createdAt: '2026-12-07T10:00:00Z' })
  if (path === '/search') return send(200, { results: [], page: Number(url.searchParams.get('page') ?? 1) })
  return send(404, { error: 'not found' })
}

/** The traffic both gateways receive: [method, path, JSON body?]. */
function traffic(): [string, string, unknown?][] {
  const random = seededRandom(11)
  const requests: [string, string, unknown?][] = []
  for (let i = 0; i < 40; i++) requests.push(['GET', `/users/${String(1 + random(5000))}`])
  for (let i = 0; i < 20; i++) requests.push(['GET', `/users/${String(1 + random(5000))}/orders`])
  for (let i = 0; i < 15; i++) requests.push(['GET', `/files/${randomUUID()}`])
  for (let i = 0; i < 10; i++) requests.push(['GET', `/search?q=classified-note&page=${String(1 + random(9))}`])
  for (let i = 0; i < 10; i++) {
    requests.push(['POST', '/orders', { customer: { name: 'Ada Lovelace', email: 'ada@example.org' }, items: [{ sku: 'SKU-SECRET-1', qty: 1 + random(5), note: i % 2 === 0 ? null : 'classified-note' }], coupon: i % 3 === 0 ? 'hunter2-token' : undefined }])
  }
  return requests
}

async function send(base: string, method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(`${base}${path}`, { method, ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) })
  await res.arrayBuffer()
  return res.status
}

async function inventoryOf(gw: TestGateway, path = '/inventory', token = TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${String(gw.gateway.addresses.admin?.port)}${path}`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

interface Operation {
  method: string
  template: string
  classification: string
  count: number
  statuses: Record<string, number>
  query: string[]
  parameters?: Record<string, string[]>
  requestSchema?: Record<string, unknown>
  responseSchemas?: Record<string, Record<string, unknown>>
}
interface ApiRecordJson {
  name: string
  nodes: number
  dropped: number
  summary: Record<string, number>
  operations: Operation[]
}

/** Runs the CLI (asynchronously: the gateway it talks to runs in this process). */
function discover(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'discover', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

describe('inventory of an API proxied without a document', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  let admin: string
  const requests = traffic()

  before(async () => {
    upstream = await startUpstream(api)
    gw = await startTestGateway({ ...baseConfig(upstream.url), admin: ADMIN, apis: [{ name: 'shop', upstream: { url: upstream.url }, policies: { inventory: { sampleRate: 1 } } }] })
    admin = `http://127.0.0.1:${String(gw.gateway.addresses.admin?.port)}`
    for (const [method, path, body] of requests) await send(gw.url, method, path, body)
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('the admin API answers the learned templates with methods, statuses, parameters, media types and shapes', async () => {
    const { status, body } = await inventoryOf(gw)
    assert.equal(status, 200)
    assert.equal(body.format, 'portcullis-inventory/1')
    const shop = (body.apis as ApiRecordJson[]).find((a) => a.name === 'shop') as ApiRecordJson
    const byKey = new Map(shop.operations.map((o) => [`${o.method} ${o.template}`, o]))
    assert.deepEqual([...byKey.keys()].sort(), ['GET /files/{id}', 'GET /search', 'GET /users/{id}', 'GET /users/{id}/orders', 'POST /orders'])
    for (const operation of shop.operations) assert.equal(operation.classification, 'shadow')
    assert.deepEqual(byKey.get('GET /users/{id}')?.statuses, { '200': 40 })
    assert.deepEqual(byKey.get('GET /users/{id}')?.parameters, { id: ['integer'] })
    assert.deepEqual(byKey.get('GET /files/{id}')?.parameters, { id: ['uuid'] })
    assert.deepEqual(byKey.get('GET /search')?.query, ['page', 'q'])
    assert.deepEqual(byKey.get('POST /orders')?.statuses, { '201': 10 })
    const user = byKey.get('GET /users/{id}')?.responseSchemas?.['200'] as Record<string, unknown>
    assert.deepEqual(user, {
      type: 'object',
      properties: {
        address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'string' } }, required: ['city', 'zip'] },
        email: { type: 'string', format: 'email' },
        id: { type: 'integer' },
        name: { type: 'string' },
        score: { type: 'number' },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['address', 'email', 'id', 'name', 'score', 'tags'],
    })
    const order = byKey.get('POST /orders')?.requestSchema as { properties: Record<string, { items?: { properties: Record<string, unknown> } }>; required: string[] }
    assert.deepEqual(Object.keys(order.properties), ['coupon', 'customer', 'items'])
    assert.deepEqual(order.required, ['customer', 'items'], 'a field missing from some samples is not required')
    assert.deepEqual(order.properties.items?.items?.properties.note, { type: ['null', 'string'] })
    const text = JSON.stringify(body)
    for (const value of SECRET_VALUES) assert.ok(!text.includes(value), `the inventory holds no value (${value})`)
  })

  test('the inventory needs the admin token; one API can be asked for, an unknown one is 404', async () => {
    assert.equal((await inventoryOf(gw, '/inventory', 'wrong')).status, 401)
    const one = await inventoryOf(gw, '/inventory/shop')
    assert.equal(one.status, 200)
    assert.equal((one.body.apis as unknown[]).length, 1)
    const missing = await inventoryOf(gw, '/inventory/nope')
    assert.equal(missing.status, 404)
    assert.equal(missing.body.code, 'GW_ERR_ADMIN_NOT_FOUND')
  })

  test('portcullis discover drafts an OpenAPI 3.1 document that a gateway loads and that validates the same traffic', async () => {
    const run = await discover(['--admin', admin], { PORTCULLIS_ADMIN_TOKEN: TOKEN })
    assert.equal(run.stderr, '')
    assert.equal(run.code, 0)
    const document = parseYaml(run.stdout) as { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> }
    assert.equal(document.openapi, '3.1.0')
    assert.deepEqual(Object.keys(document.paths), ['/files/{id}', '/orders', '/search', '/users/{id}', '/users/{id}/orders'])
    const getUser = document.paths['/users/{id}']?.get as { parameters: unknown[]; 'x-portcullis-seen': { count: number } }
    assert.deepEqual(getUser.parameters, [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }])
    assert.equal(getUser['x-portcullis-seen'].count, 40)
    for (const value of SECRET_VALUES) assert.ok(!run.stdout.includes(value), `the draft holds no value (${value})`)

    // The draft as the document of a second gateway that validates requests and responses.
    const draftFile = join(gw.dir, 'draft.yaml')
    writeFileSync(draftFile, run.stdout)
    assert.equal(listOperations(draftFile).length, 5)
    const strict = await startTestGateway({
      ...baseConfig(upstream.url),
      apis: [{ name: 'shop', openapi: draftFile, upstream: { url: upstream.url }, policies: { 'openapi-validation': { mode: 'block', response: 'block', rejectUndeclaredQuery: true } } }],
    })
    try {
      for (const [method, path, body] of requests) assert.equal(await send(strict.url, method, path, body), method === 'POST' ? 201 : 200, `${method} ${path}`)
      assert.equal(await send(strict.url, 'GET', '/users/not-a-number'), 400, 'the learned parameter type is enforced')
      assert.equal(await send(strict.url, 'GET', '/admin'), 404)
    } finally {
      await strict.stop()
    }
  })

  test('discover writes JSON to a file, and says what is wrong and where (exit 2)', async () => {
    const snapshotFile = join(gw.dir, 'inventory.json')
    writeFileSync(snapshotFile, JSON.stringify((await inventoryOf(gw)).body))
    const output = join(gw.dir, 'draft.json')
    const written = await discover(['--from', snapshotFile, '--api', 'shop', '-o', output])
    assert.equal(written.code, 0)
    assert.equal((JSON.parse(readFileSync(output, 'utf8')) as { openapi: string }).openapi, '3.1.0')

    const cases: [string[], Record<string, string>, RegExp][] = [
      [[], {}, /either --admin URL .* or --from FILE/],
      [['--from', join(gw.dir, 'missing.json')], {}, /--from .*missing\.json: no such file/],
      [['--from', gw.configFile], {}, /--from .*gateway\.yaml: not JSON/],
      [['--from', snapshotFile, '--api', 'nope'], {}, /--api nope: .* has no inventory of it \(it has shop\)/],
      [['--from', snapshotFile, '--format', 'xml'], {}, /--format xml: must be yaml or json/],
      [['--admin', admin], { PORTCULLIS_ADMIN_TOKEN: '' }, /set the admin token in the environment variable PORTCULLIS_ADMIN_TOKEN/],
      [['--admin', admin], { PORTCULLIS_ADMIN_TOKEN: 'wrong' }, /GET \/inventory answered 401 GW_ERR_ADMIN_UNAUTHORIZED/],
    ]
    for (const [args, env, message] of cases) {
      const run = await discover(args, env)
      assert.equal(run.code, 2, args.join(' '))
      assert.match(run.stderr, message)
      assert.equal(run.stdout, '')
    }
  })
})

describe('inventory of an API with a document: active, shadow, zombie, orphan', () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream(api)
    const document = {
      openapi: '3.1.0',
      info: { title: 'pets', version: '1' },
      paths: {
        '/pets': { get: { operationId: 'listPets', responses: { '200': { description: 'ok' } } }, post: { operationId: 'addPet', responses: { '201': { description: 'ok' } } } },
        '/pets/{petId}': { get: { operationId: 'getPet', deprecated: true, 'x-sunset': '2030-01-01', responses: { '200': { description: 'ok' } } } },
        '/legacy': { get: { operationId: 'legacy', 'x-sunset': '2020-01-01', responses: { '200': { description: 'ok' } } } },
      },
    }
    gw = await startTestGateway(
      { ...baseConfig(upstream.url), admin: ADMIN, apis: [{ name: 'pets', openapi: 'pets.yaml', upstream: { url: upstream.url }, policies: { inventory: {} } }] },
      { files: { 'pets.yaml': stringify(document) } },
    )
    for (let i = 0; i < 3; i++) await send(gw.url, 'GET', '/pets')
    await send(gw.url, 'GET', '/pets/7')
    await send(gw.url, 'GET', '/legacy')
    for (const path of ['/internal/users/5', '/internal/users/6', '/admin/debug']) assert.equal(await send(gw.url, 'GET', path), 404)
    assert.equal(await send(gw.url, 'DELETE', '/pets'), 405)
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('each operation is classified, with its counts', async () => {
    const pets = ((await inventoryOf(gw)).body.apis as ApiRecordJson[])[0] as ApiRecordJson
    const classes = Object.fromEntries(pets.operations.map((o) => [`${o.method} ${o.template}`, [o.classification, o.count]]))
    assert.deepEqual(classes, {
      'GET /admin/debug': ['shadow', 1],
      'GET /internal/users/{id}': ['shadow', 2],
      'GET /legacy': ['zombie', 1],
      'DELETE /pets': ['shadow', 1],
      'GET /pets': ['active', 3],
      'POST /pets': ['orphan', 0],
      'GET /pets/{petId}': ['zombie', 1],
    })
    assert.deepEqual(pets.summary, { active: 1, shadow: 3, zombie: 2, orphan: 1 })
    assert.deepEqual(pets.operations.find((o) => o.template === '/internal/users/{id}')?.statuses, { '404': 2 })
  })

  test('discover --undocumented-only drafts the shadow operations alone', async () => {
    const snapshotFile = join(gw.dir, 'inventory.json')
    writeFileSync(snapshotFile, JSON.stringify((await inventoryOf(gw)).body))
    const run = await discover(['--from', snapshotFile, '--undocumented-only', '--format', 'json'])
    assert.equal(run.code, 0, run.stderr)
    const document = JSON.parse(run.stdout) as { paths: Record<string, Record<string, unknown>> }
    assert.deepEqual(Object.fromEntries(Object.entries(document.paths).map(([path, item]) => [path, Object.keys(item)])), {
      '/admin/debug': ['get'],
      '/internal/users/{id}': ['get'],
      '/pets': ['delete'],
    })
  })
})

describe('inventory bounds', () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream(api)
    gw = await startTestGateway({ ...baseConfig(upstream.url), admin: ADMIN, apis: [{ name: 'flood', upstream: { url: upstream.url }, policies: { inventory: { maxNodes: 64, maxLiteralsPerSegment: 8, sampleRate: 0 } } }] })
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('a flood of random paths and methods does not grow the inventory past its caps', async () => {
    const random = seededRandom(5)
    const word = () => Array.from({ length: 3 + random(6) }, () => 'abcdefghijklmnopqrstuvwxyz'[random(26)]).join('')
    // Every method node's parser accepts (more than the 16 kept per template) but CONNECT (no request for a path) and TRACE, TRACK (fetch refuses to send them).
    const methods = METHODS.filter((m) => m !== 'CONNECT' && m !== 'TRACE' && m !== 'TRACK')
    for (let i = 0; i < 1000; i++) {
      const path = `/${Array.from({ length: 1 + random(6) }, word).join('/')}?${word()}=1`
      await send(gw.url, i % 10 === 0 ? (methods[random(methods.length)] as string) : 'GET', path)
    }
    const flood = ((await inventoryOf(gw)).body.apis as ApiRecordJson[])[0] as ApiRecordJson
    assert.ok(flood.nodes <= 64, `nodes ${String(flood.nodes)}`)
    assert.ok(flood.operations.length <= 64, `operations ${String(flood.operations.length)}`)
    for (const operation of flood.operations) assert.ok(operation.query.length <= 32)
    const recorded = flood.operations.reduce((sum, o) => sum + o.count, 0)
    assert.equal(recorded + flood.dropped, 1000, 'every request is either recorded or counted as dropped')
  })
})

describe('inventory of a node with workers', () => {
  test("the primary's GET /inventory merges what every worker learned", async () => {
    const upstream = await startUpstream(api)
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-inventory-'))
    const configFile = join(dir, 'gateway.yaml')
    writeFileSync(
      configFile,
      stringify({ ...baseConfig(upstream.url), workers: 2, admin: ADMIN, stores: { data: 'sqlite:./data.db' }, apis: [{ name: 'shop', upstream: { url: upstream.url }, policies: { inventory: {} } }] }),
    )
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'start', '-c', configFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const lines: Record<string, unknown>[] = []
    let buffer = ''
    let started: () => void = () => undefined
    // Workers compile the TypeScript sources on start: slow on a loaded machine, so waited for by event, not polled.
    const allStarted = new Promise<void>((resolve, reject) => {
      started = resolve
      setTimeout(() => reject(new Error('the gateway did not start within 120 s')), 120_000).unref()
      child.once('exit', () => reject(new Error('the gateway exited before it started')))
    })
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const parts = buffer.split('\n')
      buffer = parts.pop() ?? ''
      for (const line of parts) {
        if (!line.startsWith('{')) continue
        const parsed = JSON.parse(line) as Record<string, unknown>
        lines.push(parsed)
        if (parsed.msg === 'gateway started' && parsed.workers === 2) started()
      }
    })
    child.stderr.resume()
    try {
      await allStarted
      const http = `http://${(lines.find((l) => l.msg === 'gateway started') as { addresses: { http: string } }).addresses.http}`
      const admin = `http://${(lines.find((l) => l.msg === 'admin listening') as { admin: string }).admin}`
      // New connections each time, so both workers take a share.
      for (let i = 0; i < 40; i++) {
        const res = await fetch(`${http}/users/${String(i + 1)}`, { headers: { connection: 'close' } })
        await res.arrayBuffer()
      }
      const res = await fetch(`${admin}/inventory`, { headers: { authorization: `Bearer ${TOKEN}` } })
      const body = (await res.json()) as { apis: ApiRecordJson[] }
      assert.equal(res.status, 200)
      assert.deepEqual(body.apis[0]?.operations.map((o) => [o.method, o.template, o.count]), [['GET', '/users/{id}', 40]])
    } finally {
      child.kill('SIGTERM')
      await exited
      await upstream.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
