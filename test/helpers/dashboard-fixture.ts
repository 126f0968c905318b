/**
 * A gateway with the dashboard and something to show: a data store, the event store, a shop API
 * (OpenAPI document, WAF, authorization, inventory, a route that bans) and a keyed API with a
 * per-consumer limit, plus `traffic()` sending requests each policy refuses, requests to
 * undeclared paths (shadow operations) and a banned client. `session` helpers speak to the
 * dashboard over plain HTTP with a cookie, as a browser would.
 */
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { baseConfig, startTestGateway, type TestGateway } from './gateway.js'
import { startUpstream, type TestUpstream } from './upstream.js'

export const DASHBOARD_TOKEN = 'admin-token-for-dashboard-tests-0123456789'
export const DASHBOARD_TOKEN_HASH = createHash('sha256').update(DASHBOARD_TOKEN).digest('hex')

const SHOP_SPEC = `
openapi: 3.0.3
info: { title: shop, version: '1' }
paths:
  /items:
    get:
      operationId: listItems
      security: []
      responses: { '200': { description: ok } }
  /items/{id}:
    get:
      operationId: getItem
      security: []
      parameters:
        - { name: id, in: path, required: true, schema: { type: integer } }
        - { name: q, in: query, schema: { type: string } }
      responses: { '200': { description: ok } }
  /banned:
    get:
      operationId: banned
      security: []
      responses: { '200': { description: ok } }
  /old:
    get:
      operationId: old
      deprecated: true
      security: []
      responses: { '200': { description: ok } }
  /never:
    get:
      operationId: never
      security: []
      responses: { '200': { description: ok } }
`

export interface DashboardGateway {
  gw: TestGateway
  upstream: TestUpstream
  /** http://127.0.0.1:PORT of the admin listener. */
  admin: string
  adminPort: number
  /** The API key of consumer `acme`. */
  acmeKey: string
  stop(): Promise<void>
}

export async function startDashboardGateway(dashboard: Record<string, unknown> = {}, options: { adminPort?: number; env?: NodeJS.ProcessEnv; clock?: { now(): number } } = {}): Promise<DashboardGateway> {
  const upstream = await startUpstream((req, res) => {
    const text = JSON.stringify({ ok: true, url: req.url })
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  })
  const gw = await startTestGateway(
    {
      ...baseConfig(upstream.url),
      admin: { listen: `127.0.0.1:${options.adminPort ?? 0}`, auth: { tokenHash: DASHBOARD_TOKEN_HASH }, dashboard: { streamIntervalMs: 250, ...dashboard } },
      stores: { data: 'sqlite:./portcullis.db' },
      events: { flushIntervalMs: 20, log: false, store: {} },
      apis: [
        {
          name: 'keys',
          basePath: '/keys',
          upstream: { url: upstream.url },
          policies: { auth: { methods: ['apiKey'] }, 'rate-limit': { plans: false, limits: [{ name: 'per-consumer', per: 'consumer', rate: '2/h', burst: 2 }] } },
        },
        {
          name: 'shop',
          basePath: '/shop',
          openapi: 'shop.yaml',
          upstream: { url: upstream.url },
          policies: { waf: {}, 'openapi-validation': {}, inventory: {} },
          routes: { banned: { 'rate-limit': { plans: false, limits: [{ name: 'strict', per: 'ip', rate: '1/h', burst: 1 }], ban: { after: 1, within: '1m', for: '10m' } } } },
        },
      ],
    },
    { files: { 'shop.yaml': SHOP_SPEC }, ...(options.env === undefined ? {} : { env: options.env }), ...(options.clock === undefined ? {} : { clock: options.clock }) },
  )
  const adminPort = gw.gateway.addresses.admin!.port
  const admin = `http://127.0.0.1:${adminPort}`
  const bearer = { authorization: `Bearer ${DASHBOARD_TOKEN}`, 'content-type': 'application/json' }
  await fetch(`${admin}/consumers`, { method: 'POST', headers: bearer, body: JSON.stringify({ id: 'acme', name: 'Acme Corp', plan: null }) })
  const created = (await (await fetch(`${admin}/consumers/acme/keys`, { method: 'POST', headers: bearer, body: JSON.stringify({ label: 'ci' }) })).json()) as { key: string }
  return {
    gw,
    upstream,
    admin,
    adminPort,
    acmeKey: created.key,
    async stop() {
      await gw.stop()
      await upstream.close()
    },
  }
}

/** Requests of every kind the dashboard shows: allowed, refused by each policy, shadow paths, a ban. */
export async function sendTraffic(d: DashboardGateway): Promise<void> {
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${d.gw.url}${path}`, { headers })
    await res.arrayBuffer()
    return res.status
  }
  for (let i = 0; i < 5; i++) await get('/shop/items')
  await get('/shop/items/1')
  await get('/shop/items/abc')
  await get(`/shop/items/1?q=${encodeURIComponent("1' OR '1'='1")}`)
  await get(`/shop/items/2?q=${encodeURIComponent('<script>alert(1)</script>')}`)
  await get('/shop/old')
  for (const path of ['/shop/internal/users/5', '/shop/internal/users/6', '/shop/debug']) await get(path)
  await get('/keys/orders', { 'x-api-key': 'pcl_nosuchkey_0123456789abcdef0123456789abcdef' })
  for (let i = 0; i < 3; i++) await get('/keys/orders', { 'x-api-key': d.acmeKey })
  for (let i = 0; i < 3; i++) await get('/shop/banned')
}

export interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One request with exactly these headers (node:http: Host and Origin as given). */
export function rawCall(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }), ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Signs in with the admin token as the log-in form does; the session cookie (`name=value`). */
export async function signIn(port: number, token = DASHBOARD_TOKEN): Promise<{ cookie: string; setCookie: string; answer: RawAnswer }> {
  const answer = await rawCall(port, 'POST', '/dashboard/login', { 'content-type': 'application/x-www-form-urlencoded', origin: `http://127.0.0.1:${port}`, accept: 'text/html' }, new URLSearchParams({ token }).toString())
  const setCookie = [answer.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('__Host-portcullis-session=')) ?? ''
  return { cookie: setCookie.split(';')[0] ?? '', setCookie, answer }
}
