import assert from 'node:assert/strict'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { createConfigLoader } from '../../src/config/load-config.js'
import { ConfigError } from '../../src/errors.js'
import { builtinPolicies } from '../../src/policies/index.js'
import { buildPortalSite } from '../../src/portal/build-site.js'
import { writeSite } from '../../src/portal/site-files.js'
import { REFERENCE_CSP, STRICT_CSP } from '../../src/portal/site-policy.js'
import { PORTAL_FIXTURE_DIR, startPortalGateway, type PortalGateway } from '../helpers/portal-gateway.js'
import { sectionText } from '../helpers/portal-html.js'
import { rawRequest } from '../helpers/raw-http.js'

async function get(url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' | 'POST' = 'GET') {
  const response = await request(url, { method, headers })
  const body = await response.body.text()
  return { status: response.statusCode, headers: response.headers, body }
}

describe('the gateway serves the portal built from its config at portal.path', () => {
  let gw: PortalGateway
  before(async () => {
    gw = await startPortalGateway()
  })
  after(() => gw.stop())

  test('pages, scripts and styles with their content types, CSP, nosniff and framing refused', async () => {
    const index = await get(`${gw.url}/docs/`)
    assert.equal(index.status, 200)
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8')
    assert.equal(index.headers['content-security-policy'], STRICT_CSP)
    assert.equal(index.headers['x-content-type-options'], 'nosniff')
    assert.equal(index.headers['x-frame-options'], 'DENY')
    assert.equal(index.headers['referrer-policy'], 'no-referrer')
    assert.match(index.body, /<h1>Example APIs<\/h1>/)
    const operation = await get(`${gw.url}/docs/apis/orders/v2/operations/createOrder.html`)
    assert.equal(operation.status, 200)
    assert.match(operation.body, /id="authentication"/)
    const reference = await get(`${gw.url}/docs/apis/orders/v2/reference.html`)
    assert.equal(reference.headers['content-security-policy'], REFERENCE_CSP)
    assert.ok(!REFERENCE_CSP.includes("script-src 'self' 'unsafe"))
    const types: Record<string, string> = {
      'assets/portal.js': 'text/javascript; charset=utf-8',
      'assets/portal.css': 'text/css; charset=utf-8',
      'assets/favicon.svg': 'image/svg+xml',
      'apis/orders/v2/openapi.json': 'application/json',
    }
    for (const [path, type] of Object.entries(types)) {
      const file = await get(`${gw.url}/docs/${path}`)
      assert.equal(file.status, 200, path)
      assert.equal(file.headers['content-type'], type, path)
      assert.equal(file.headers['x-content-type-options'], 'nosniff', path)
    }
  })

  test('the prefix without its slash redirects; ETag revalidation answers 304; HEAD has no body; other methods 405', async () => {
    const bare = await get(`${gw.url}/docs`)
    assert.equal(bare.status, 308)
    assert.equal(bare.headers.location, '/docs/')
    const first = await get(`${gw.url}/docs/errors.html`)
    const etag = first.headers.etag as string
    assert.match(etag, /^"[A-Za-z0-9_-]{32}"$/)
    const again = await get(`${gw.url}/docs/errors.html`, { 'if-none-match': etag })
    assert.equal(again.status, 304)
    assert.equal(again.body, '')
    const head = await get(`${gw.url}/docs/errors.html`, {}, 'HEAD')
    assert.equal(head.status, 200)
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(first.body)))
    assert.equal(head.body, '')
    const post = await get(`${gw.url}/docs/errors.html`, {}, 'POST')
    assert.equal(post.status, 405)
    assert.equal(post.headers.allow, 'GET, HEAD')
    assert.equal(post.headers['content-type'], 'application/problem+json')
  })

  test('traversal attempts and unknown files are 404 problems: dot segments, encoded dots and slashes, backslashes, NUL', async () => {
    const attempts = [
      '/docs/../gateway.yaml',
      '/docs/./index.html',
      '/docs/%2e%2e/gateway.yaml',
      '/docs/%2E%2E/gateway.yaml',
      '/docs/.%2e/gateway.yaml',
      '/docs/..%2fgateway.yaml',
      '/docs/..%5cgateway.yaml',
      '/docs/assets/..\\..\\gateway.yaml',
      '/docs/apis%2forders%2fv2%2findex.html',
      '/docs//gateway.yaml',
      '/docs/index.html%00.yaml',
      '/docs/%69ndex.html',
      '/docs/gateway.yaml',
      '/docs/orders-v2.yaml',
      '/docs/apis/orders/v2/operations/nothing.html',
    ]
    for (const path of attempts) {
      const response = await rawRequest(gw.port, [`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`])
      assert.equal(response.status, 404, path)
      assert.equal(response.headers['content-type'], 'application/problem+json', path)
      assert.equal((JSON.parse(response.body) as { code: string }).code, 'GW_ERR_ROUTE_NOT_FOUND', path)
      assert.ok(!response.body.includes('listen'), path)
    }
  })
})

describe('the served portal tells each version’s lifecycle and how to select it', () => {
  let gw: PortalGateway
  before(async () => {
    const shipping = (version: string) => `
  - name: shipping
    version: '${version}'
    basePath: /shipping
    openapi: billing.yaml
    upstream: { url: 'http://127.0.0.1:9' }
    versioning: { by: header, header: Api-Version, default: '1' }
`
    gw = await startPortalGateway((yaml) => `${yaml.replace('path: /docs', 'path: /docs\n  includeDrafts: true')}${shipping('1')}${shipping('2')}`)
  })
  after(() => gw.stop())

  test('with portal.includeDrafts a draft is published with its banner; a deprecated version’s banner names its sunset', async () => {
    const draft = await get(`${gw.url}/docs/apis/orders/v3/index.html`)
    assert.equal(draft.status, 200)
    assert.match(sectionText(draft.body, 'lifecycle'), /^Draft\./)
    assert.match(sectionText((await get(`${gw.url}/docs/apis/orders/v1/operations/getOrder.html`)).body, 'lifecycle'), /no longer be served from 2027-06-30/)
  })

  test('versions that share a path: each page says which header selects the version, its headers and errors say so too', async () => {
    const second = (await get(`${gw.url}/docs/apis/shipping/2/index.html`)).body
    assert.equal(sectionText(second, 'lifecycle'), '')
    assert.match(second, /<p data-fact="selection">Several versions share this path: select this one with <code>Api-Version: 2<\/code>\. Requests that name no version get version <code>1<\/code>\.<\/p>/)
    const operation = (await get(`${gw.url}/docs/apis/shipping/2/operations/getInvoice.html`)).body
    assert.match(sectionText(operation, 'headers'), /Api-Version 2 yes selects this version; a request naming none gets version 1 .*Vary Api-Version yes/)
    assert.match(sectionText(operation, 'errors'), /400 GW_ERR_API_VERSION_UNKNOWN The request names no version of this API versioning/)
    assert.match(sectionText((await get(`${gw.url}/docs/apis/shipping/1/operations/getInvoice.html`)).body, 'headers'), /Api-Version 1 no selects this version; it is also served when a request names none/)
  })
})

test('without portal.includeDrafts the draft version is not served', async () => {
  const gw = await startPortalGateway()
  try {
    assert.equal((await get(`${gw.url}/docs/apis/orders/v3/index.html`)).status, 404)
    assert.equal((await get(`${gw.url}/docs/apis/orders/v2/index.html`)).status, 200)
  } finally {
    await gw.stop()
  }
})

describe('the gateway serves a site built into portal.dir', () => {
  let gw: PortalGateway
  before(async () => {
    gw = await startPortalGateway(
      (yaml) => yaml.replace('path: /docs', 'path: /developers\n  dir: built-site'),
      (dir) => {
        const loaded = createConfigLoader(builtinPolicies).load(join(PORTAL_FIXTURE_DIR, 'gateway.yaml'))
        const site = join(dir, 'built-site')
        writeSite(buildPortalSite(loaded, { title: 'Built ahead', gettingAccess: null, changelog: null, nowMs: Date.now(), includeDrafts: false }), site)
        // Files a site never has, and a link out of it: none may be served.
        writeFileSync(join(site, 'notes.yaml'), 'secret: 1')
        mkdirSync(join(site, '.git'))
        writeFileSync(join(site, '.git', 'config.txt'), 'secret')
        symlinkSync(join(dir, 'gateway.yaml'), join(site, 'leak.html'))
      },
    )
  })
  after(() => gw.stop())

  test('its pages are served; files outside the site’s shape and symbolic links are not', async () => {
    const index = await get(`${gw.url}/developers/`)
    assert.equal(index.status, 200)
    assert.match(index.body, /<h1>Built ahead<\/h1>/)
    for (const path of ['notes.yaml', '.git/config.txt', 'leak.html']) assert.equal((await get(`${gw.url}/developers/${path}`)).status, 404, path)
    assert.equal((await get(`${gw.url}/docs/`)).status, 404)
  })
})

test('a portal.dir that holds no site refuses the config, naming portal.dir', async () => {
  await assert.rejects(
    startPortalGateway((yaml) => yaml.replace('path: /docs', 'path: /docs\n  dir: nowhere')),
    (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.path === 'portal.dir' && p.message.startsWith('cannot serve the portal')),
  )
})
