import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ERROR_CODES } from '../../src/errors.js'
import { elementsOf, sectionText } from '../helpers/portal-html.js'

const BIN = join(import.meta.dirname, '../../bin/portcullis.js')
const FIXTURE_DIR = join(import.meta.dirname, '../fixtures/portal')

function run(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort()
}

describe('portcullis portal build', () => {
  let work: string
  let site: string
  let build: ReturnType<typeof run>
  const page = (path: string) => readFileSync(join(site, path), 'utf8')

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'portcullis-portal-'))
    site = join(work, 'site')
    build = run(['portal', 'build', '-c', join(FIXTURE_DIR, 'gateway.yaml'), '-o', site])
  })
  after(() => rmSync(work, { recursive: true, force: true }))

  test('writes a page per operation of every API and version, an overview and reference per version, a changelog, the errors', () => {
    assert.equal(build.code, 0, build.stderr)
    assert.match(build.stdout, /portal written \(3 API version\(s\), 8 operation page\(s\)/)
    const files = filesUnder(site)
    assert.deepEqual(
      files.filter((f) => f.includes('/operations/')),
      [
        'apis/billing/3/operations/getInvoice.html',
        'apis/orders/v1/operations/getOrder.html',
        'apis/orders/v1/operations/listOrders.html',
        'apis/orders/v2/operations/createOrder.html',
        'apis/orders/v2/operations/deleteOrder.html',
        'apis/orders/v2/operations/getOrder.html',
        'apis/orders/v2/operations/health.html',
        'apis/orders/v2/operations/listOrders.html',
      ],
    )
    for (const f of ['index.html', 'errors.html', 'apis/orders/changelog.html', 'apis/orders/v2/index.html', 'apis/orders/v2/reference.html', 'apis/orders/v2/openapi.json', 'assets/scalar/standalone.js', 'assets/search-index.js']) {
      assert.ok(files.includes(f), f)
    }
    const document = JSON.parse(page('apis/orders/v2/openapi.json')) as { info: { version: string } }
    assert.equal(document.info.version, '2.0.0')
  })

  test('every page loads only files of the site (relative src/href), declares a strict CSP and has no inline script, style or handler', () => {
    const pages = filesUnder(site).filter((f) => f.endsWith('.html'))
    assert.ok(pages.length >= 14)
    for (const path of pages) {
      const elements = elementsOf(page(path))
      const csp = elements.find((e) => e.tag === 'meta' && e.attrs['http-equiv'] === 'Content-Security-Policy')?.attrs.content ?? ''
      assert.match(csp, /default-src 'none'; script-src 'self';/, path)
      if (!path.endsWith('reference.html')) assert.ok(!csp.includes('unsafe-inline'), path)
      for (const element of elements) {
        for (const name of ['src', 'href', 'action', 'srcset', 'poster', 'data']) {
          const value = element.attrs[name]
          if (value === undefined) continue
          assert.ok(!/^[a-z][a-z0-9+.-]*:|^\/\//i.test(value), `${path}: <${element.tag} ${name}="${value}"> leaves the site`)
          if (!value.startsWith('#')) {
            const target = join(site, path, '..', value.split('#')[0] as string)
            assert.ok(existsSync(target), `${path}: ${value} does not exist`)
          }
        }
        assert.ok(!Object.keys(element.attrs).some((a) => a.startsWith('on') || a === 'style'), `${path}: <${element.tag}> has an inline handler or style`)
        if (element.tag === 'script') assert.ok(element.attrs.src !== undefined && element.text.trim() === '', `${path}: inline script`)
        assert.notEqual(element.tag, 'style', `${path}: inline style element`)
      }
    }
  })

  test('the security section of an operation states what the gateway enforces: credentials and where they go, scopes and roles', () => {
    const html = page('apis/orders/v2/operations/createOrder.html')
    const auth = sectionText(html, 'authentication')
    assert.match(auth, /JWT access token header Authorization: Bearer <token> issuer https:\/\/id\.example\.test; audience orders; algorithms ES256/)
    assert.match(auth, /API key header x-api-key/)
    assert.match(auth, /oauth with scopes orders:write — granted by the roles manager/)
    assert.match(auth, /Write to api-team@example\.test for a key/)
    const v1 = sectionText(page('apis/orders/v1/operations/listOrders.html'), 'authentication')
    assert.match(v1, /API key header x-api-key/)
    assert.ok(!v1.includes('Authorization'))
    const billing = sectionText(page('apis/billing/3/operations/getInvoice.html'), 'authentication')
    assert.match(billing, /Scopes on every request billing/)
    assert.match(billing, /bearer with scopes billing — not checked by the gateway \(no authz policy\)/)
    assert.match(sectionText(page('apis/orders/v2/operations/health.html'), 'authentication'), /Public: no credential is needed/)
  })

  test('headers, rate limits per plan with their RateLimit-Policy members, limits on bodies and JSON', () => {
    const html = page('apis/orders/v2/operations/createOrder.html')
    const headers = sectionText(html, 'headers')
    assert.match(headers, /Idempotency-Key \(see the parameters\) yes required by the document; the gateway refuses requests without it/)
    assert.match(headers, /Content-Type application\/json yes/)
    assert.match(headers, /RateLimit-Policy/)
    assert.match(headers, /X-RateLimit-Remaining/)
    const limits = sectionText(html, 'rate-limits')
    assert.match(limits, /Plan default \(consumers without a known plan\).*free-rate 10 requests per second \(bursts of 20\) consumer "free-rate";q=20;w=2/)
    assert.match(limits, /free-quota 10000 requests per calendar month \(UTC\) consumer "free-quota";q=10000;w=\d+/)
    assert.match(limits, /Plan gold.*gold-rate 100 requests per second \(bursts of 200\) consumer "gold-rate";q=200;w=2/)
    const deletes = sectionText(page('apis/orders/v2/operations/deleteOrder.html'), 'rate-limits')
    assert.match(deletes, /deletes 1 requests per second \(bursts of 5\) consumer "deletes";q=5;w=5/)
    assert.ok(!deletes.includes('Plan gold'))
    const formats = sectionText(html, 'data-formats')
    assert.match(formats, /Request body at most 128 KiB \(131072 bytes\) \(413 past it\)/)
    assert.match(formats, /nested at most 16 levels deep/)
    assert.match(formats, /item required: string maxLength 100 — What is ordered/)
    assert.match(sectionText(page('apis/orders/v1/operations/getOrder.html'), 'data-formats'), /at most 64 KiB \(65536 bytes\)/)
  })

  test('the errors section lists the codes the route’s policies may send, linked to the full list', () => {
    const errors = elementsOf(page('apis/orders/v2/operations/createOrder.html')).filter((e) => e.tag === 'a' && e.attrs.href?.startsWith('../../../../errors.html#') === true)
    const codes = errors.map((e) => e.text)
    for (const code of ['GW_ERR_AUTH_INVALID', 'GW_ERR_AUTH_INSUFFICIENT_SCOPE', 'GW_ERR_AUTHZ_DENIED', 'GW_ERR_RATE_LIMITED', 'GW_ERR_QUOTA_EXCEEDED', 'GW_ERR_REQUEST_INVALID', 'GW_ERR_REQUEST_BODY_TOO_LARGE', 'GW_ERR_UPSTREAM_TIMEOUT']) {
      assert.ok(codes.includes(code), code)
    }
    assert.ok(!codes.includes('GW_ERR_CORS_ORIGIN_DENIED') && !codes.includes('GW_ERR_WAF_BLOCKED'))
    const all = elementsOf(page('errors.html')).filter((e) => e.tag === 'tr' && e.attrs.id !== undefined).map((e) => e.attrs.id)
    assert.deepEqual(all.sort(), Object.keys(ERROR_CODES).filter((c) => !c.startsWith('GW_ERR_ADMIN_')).sort())
  })

  test('deprecated operations carry a banner with their sunset; the changelog lists what changed between versions; document text is escaped', () => {
    assert.match(sectionText(page('apis/orders/v1/operations/getOrder.html'), 'deprecation'), /Deprecated\..*scheduled for removal on 2027-06-30/)
    assert.match(sectionText(page('apis/orders/v2/operations/deleteOrder.html'), 'deprecation'), /2026-12-31/)
    assert.equal(sectionText(page('apis/orders/v2/operations/createOrder.html'), 'deprecation'), '')
    // From portcullis diff's engine: v2 dropped API keys on GET /orders/{id}.
    assert.match(page('apis/orders/changelog.html'), /v1 → v2<\/h2>\n<table>.*<span class="level-error">breaking<\/span><\/td><td><code>GET \/orders\/\{id\}<\/code><\/td><td>the operation no longer accepts apiKey/s)
    const billing = page('apis/billing/3/operations/getInvoice.html')
    assert.ok(billing.includes('&lt;script&gt;alert(1)&lt;/script&gt; must be shown as text'))
    assert.ok(billing.includes('Fetch an invoice &lt;b&gt;safely&lt;/b&gt;'))
  })

  test('each version’s lifecycle from the config: a banner on its pages with its dates, successor and guide; a badge in the index; drafts left out', () => {
    const banner = sectionText(page('apis/orders/v1/index.html'), 'lifecycle')
    assert.match(banner, /^Deprecated\. This version is deprecated since 2026-01-15; its responses carry Deprecation and Sunset headers\. It will no longer be served from 2027-06-30 \(its sunset\): requests will then get 410 Gone\. Move to \/orders\/v2\. Migration guide: https:\/\/docs\.example\.test\/orders\/v1-to-v2\.$/)
    const successor = elementsOf(page('apis/orders/v1/index.html')).find((e) => e.attrs['data-fact'] === 'successor')
    assert.equal(successor?.attrs.href, '../../../apis/orders/v2/index.html', 'the successor is the v2 pages of this site')
    assert.equal(sectionText(page('apis/orders/v1/operations/listOrders.html'), 'lifecycle'), banner, 'on every page of the version')
    assert.equal(elementsOf(page('apis/orders/v1/operations/listOrders.html')).find((e) => e.attrs['data-fact'] === 'successor')?.attrs.href, '../../../../apis/orders/v2/index.html')
    assert.equal(sectionText(page('apis/orders/v2/index.html'), 'lifecycle'), '', 'a published version has no banner')
    const headers = sectionText(page('apis/orders/v1/operations/listOrders.html'), 'headers')
    assert.match(headers, /Deprecation @<epoch seconds> yes .*Sunset <HTTP date> yes .*Link/)
    assert.match(sectionText(page('apis/orders/v1/operations/listOrders.html'), 'errors'), /410 GW_ERR_API_GONE .* lifecycle/)
    const index = elementsOf(page('index.html'))
    const rows = index.filter((e) => e.tag === 'tr' && e.text.includes('Orders')).map((e) => e.text.replace(/\s+/g, ' ').trim())
    assert.deepEqual(rows, ['v1 Orders deprecated, sunset 2027-06-30 2 1', 'v2 Orders published 5 1'])
    assert.ok(!filesUnder(site).some((f) => f.startsWith('apis/orders/v3/')), 'the draft is not published')
    assert.ok(!page('assets/search-index.js').includes('v3'), 'nor searchable')
  })

  test('--include-drafts publishes drafts, each with its draft banner and badge', () => {
    const drafts = join(work, 'with-drafts')
    const built = run(['portal', 'build', '-c', join(FIXTURE_DIR, 'gateway.yaml'), '-o', drafts, '--include-drafts'])
    assert.equal(built.code, 0, built.stderr)
    assert.match(built.stdout, /portal written \(4 API version\(s\), 13 operation page\(s\)/)
    assert.match(sectionText(readFileSync(join(drafts, 'apis/orders/v3/index.html'), 'utf8'), 'lifecycle'), /^Draft\. A preview of this version/)
    assert.match(readFileSync(join(drafts, 'index.html'), 'utf8'), /<a href="apis\/orders\/v3\/index\.html">v3<\/a><\/td><td>Orders<\/td><td><span class="badge draft">draft<\/span>/)
  })

  test('a second build into the same folder replaces the site', () => {
    writeFileSync(join(site, 'apis', 'stale.html'), 'old')
    const again = run(['portal', 'build', '-c', join(FIXTURE_DIR, 'gateway.yaml'), '-o', site, '--title', 'Second'])
    assert.equal(again.code, 0, again.stderr)
    assert.ok(!existsSync(join(site, 'apis', 'stale.html')))
    assert.match(page('index.html'), /<h1>Second<\/h1>/)
  })

  test('usage errors say what is wrong and where, exit 2', () => {
    const missing = run(['portal', 'build', '-c', join(FIXTURE_DIR, 'gateway.yaml')])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /required option '-o, --output <dir>' not specified/)
    const occupied = join(work, 'occupied')
    mkdirSync(occupied)
    writeFileSync(join(occupied, 'notes.txt'), 'mine')
    const refused = run(['portal', 'build', '-c', join(FIXTURE_DIR, 'gateway.yaml'), '-o', occupied])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, new RegExp(`-o ${occupied}: the directory is not empty and holds no portal site`))
    assert.equal(readFileSync(join(occupied, 'notes.txt'), 'utf8'), 'mine')
    const noConfig = run(['portal', 'build', '-c', join(work, 'absent.yaml'), '-o', join(work, 'x')])
    assert.equal(noConfig.code, 2)
    assert.match(noConfig.stderr, /absent\.yaml: 1 problem\(s\) \[GW_ERR_CONFIG_UNREADABLE\]/)
    const bad = join(work, 'bad')
    cpSync(FIXTURE_DIR, bad, { recursive: true })
    writeFileSync(join(bad, 'gateway.yaml'), readFileSync(join(bad, 'gateway.yaml'), 'utf8').replace('path: /docs', 'path: /orders'))
    const overlapping = run(['portal', 'build', '-c', join(bad, 'gateway.yaml'), '-o', join(work, 'y')])
    assert.equal(overlapping.code, 2)
    assert.match(overlapping.stderr, /portal\.path: overlaps the base path \/orders\/v1 of apis\[0\]/)
    assert.equal(run(['portal', 'build', '-c', join(FIXTURE_DIR, 'gateway.yaml'), '-o', site, '--title', '']).code, 2)
  })
})
