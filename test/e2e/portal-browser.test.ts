/**
 * The portal in Debian's Chromium (playwright-core), served by a running gateway: pages render
 * with no console error, no CSP violation and no request leaving the gateway; search finds an
 * operation by name; the security section shown matches the facts derived from the gateway's
 * config; the reference renderer draws the document. Screenshots go to a temporary folder (PORTCULLIS_PORTAL_SCREENSHOTS=docs/images refreshes the docs').
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { createConfigLoader } from '../../src/config/load-config.js'
import { builtinPolicies } from '../../src/policies/index.js'
import { buildOperationFacts } from '../../src/portal/operation-facts.js'
import { PORTAL_FIXTURE_DIR, startPortalGateway, type PortalGateway } from '../helpers/portal-gateway.js'

const CHROMIUM = process.env.PORTCULLIS_CHROMIUM ?? '/usr/bin/chromium'
const MISSING = `skipped: no Chromium at ${CHROMIUM}; install it with apt-get install chromium (as root), or set PORTCULLIS_CHROMIUM to a Chromium binary`
if (!existsSync(CHROMIUM) && process.env.PORTCULLIS_REQUIRE_ALL === '1') throw new Error(`${MISSING} (PORTCULLIS_REQUIRE_ALL=1: nothing may be skipped)`)
const skip = existsSync(CHROMIUM) ? false : MISSING
/** Where screenshots go: a temporary folder, or docs/images to refresh the docs' (`PORTCULLIS_PORTAL_SCREENSHOTS=docs/images`); a test run never rewrites tracked files. */
const IMAGES = process.env.PORTCULLIS_PORTAL_SCREENSHOTS ?? join(tmpdir(), 'portcullis-portal-screenshots')

interface Watched {
  page: Page
  problems: string[]
  foreign: string[]
}

describe('the portal in Chromium', { skip }, () => {
  let gw: PortalGateway
  let browser: Browser

  before(async () => {
    gw = await startPortalGateway()
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] })
  })
  after(async () => {
    await browser?.close()
    await gw?.stop()
  })

  /** A page whose console errors, CSP violations and requests to anything but the gateway are recorded. */
  async function open(path: string): Promise<Watched> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const problems: string[] = []
    const foreign: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('request', (request) => {
      if (!request.url().startsWith(`${gw.url}/`)) foreign.push(request.url())
    })
    await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))" })
    const response = await page.goto(`${gw.url}${path}`, { waitUntil: 'load' })
    assert.equal(response?.status(), 200, path)
    return { page, problems, foreign }
  }

  async function settle(watched: Watched, path: string, tolerated: RegExp | null = null): Promise<void> {
    // Let late scripts (the renderer) run before the page is judged.
    await watched.page.waitForLoadState('networkidle')
    assert.deepEqual(
      watched.problems.filter((p) => tolerated === null || !tolerated.test(p)),
      [],
      `${path}: console errors or CSP violations`,
    )
    assert.deepEqual(watched.foreign, [], `${path}: requests that left the gateway`)
  }

  test('the index and every operation page render without console errors, CSP violations or outside requests', async () => {
    const index = await open('/docs/')
    assert.equal(await index.page.locator('h1').textContent(), 'Example APIs')
    assert.equal(await index.page.locator('section.api').count(), 2)
    await index.page.screenshot({ path: join(IMAGES, 'portal-index.png') })
    await settle(index, '/docs/')
    const links = await index.page.locator('section.api a[href$="/index.html"]').evaluateAll((anchors) => anchors.map((a) => (a as unknown as { href: string }).href))
    await index.page.close()
    let operations = 0
    for (const versionUrl of links) {
      const version = await open(new URL(versionUrl).pathname)
      const pages = await version.page.locator('table.operations a').evaluateAll((anchors) => anchors.map((a) => new URL((a as unknown as { href: string }).href).pathname))
      await settle(version, versionUrl)
      await version.page.close()
      for (const path of pages) {
        const operation = await open(path)
        assert.ok(await operation.page.locator('#authentication').isVisible(), path)
        await settle(operation, path)
        await operation.page.close()
        operations++
      }
    }
    assert.equal(operations, 8)
  })

  test('a deprecated version’s pages show its lifecycle banner, whose successor link opens the successor; the index badges it', async () => {
    const index = await open('/docs/')
    assert.equal(await index.page.locator('section.api[data-api="orders"] .badge.deprecated').textContent(), 'deprecated, sunset 2027-06-30')
    assert.equal(await index.page.locator('section.api a[href*="/v3/"]').count(), 0, 'the draft is not listed')
    await settle(index, '/docs/')
    await index.page.close()
    const watched = await open('/docs/apis/orders/v1/operations/listOrders.html')
    const banner = watched.page.locator('#lifecycle')
    assert.ok(await banner.isVisible())
    assert.match((await banner.textContent()) ?? '', /Deprecated\..*2027-06-30/)
    await watched.page.screenshot({ path: join(IMAGES, 'portal-deprecated-version.png') })
    await Promise.all([watched.page.waitForURL(/\/docs\/apis\/orders\/v2\/index\.html$/), banner.locator('a[data-fact="successor"]').click()])
    assert.equal(await watched.page.locator('#lifecycle').count(), 0, 'the successor is published, without a banner')
    await settle(watched, 'successor')
    await watched.page.close()
  })

  test('search finds an operation by name and Enter opens it', async () => {
    const watched = await open('/docs/')
    await watched.page.locator('#search').fill('delete order')
    const results = watched.page.locator('#search-results a')
    await results.first().waitFor()
    assert.equal(await results.count(), 1)
    assert.match((await results.first().textContent()) ?? '', /DELETE \/orders\/v2\/orders\/\{id\} — Delete an order \(Orders v2\)/)
    await watched.page.screenshot({ path: join(IMAGES, 'portal-search.png') })
    await watched.page.locator('#search').fill('getinvoice')
    assert.match((await results.first().textContent()) ?? '', /GET \/billing\/invoices\/\{invoiceId\}/)
    await watched.page.locator('#search').fill('nothing-like-this')
    assert.equal(await watched.page.locator('#search-results .none').textContent(), 'No operation matches')
    await watched.page.locator('#search').fill('create order')
    await Promise.all([watched.page.waitForURL(/createOrder\.html$/), watched.page.locator('#search').press('Enter')])
    assert.match((await watched.page.locator('h1').textContent()) ?? '', /POST\s*\/orders\/v2\/orders/)
    await settle(watched, 'search')
    await watched.page.close()
  })

  test('the security section shown for an operation matches what the gateway config enforces', async () => {
    const loaded = createConfigLoader(builtinPolicies).load(join(PORTAL_FIXTURE_DIR, 'gateway.yaml'))
    const index = loaded.config.apis.findIndex((a) => a.name === 'orders-v2')
    const api = loaded.config.apis[index]!
    const route = loaded.routes[index]!.find((r) => r.operationId === 'createOrder')!
    const facts = buildOperationFacts(loaded.config, api, route, { requiredHeaders: [], bodyMediaTypes: [] }, Date.now())
    const watched = await open('/docs/apis/orders/v2/operations/createOrder.html')
    const rowLocator = watched.page.locator('#authentication table.credentials tbody tr')
    const rows: string[][] = []
    for (let i = 0; i < (await rowLocator.count()); i++) rows.push(await rowLocator.nth(i).locator('td').allTextContents())
    assert.equal(rows.length, facts.auth.credentials.length)
    facts.auth.credentials.forEach((credential, i) => {
      const [, where = '', details = ''] = rows[i] ?? []
      if (credential.method === 'jwt') {
        assert.equal(where, `header Authorization: ${credential.scheme} <token>`)
        assert.ok(details.includes(credential.issuer ?? '') && credential.audiences.every((a) => details.includes(a)) && credential.algorithms.every((a) => details.includes(a)))
      } else if (credential.method === 'apiKey') assert.equal(where, `header ${credential.header}`)
      else assert.fail(`unexpected method ${credential.method}`)
    })
    const alternatives = await watched.page.locator('#authentication [data-fact="alternative"]').allTextContents()
    assert.deepEqual(
      alternatives,
      facts.auth.alternatives.map((a) => `${a.schemes.join(' + ')} with scopes ${a.scopes.join(', ')} — granted by the roles ${a.roles.join(', ')}`),
    )
    const planHeadings = watched.page.locator('#rate-limits [data-plan]')
    const plans: (string | null)[] = []
    for (let i = 0; i < (await planHeadings.count()); i++) plans.push(await planHeadings.nth(i).getAttribute('data-plan'))
    assert.deepEqual(plans, facts.rateLimits?.plans.map((p) => p.plan))
    const members = await watched.page.locator('#rate-limits table.limits tbody tr td:last-child').allTextContents()
    assert.deepEqual(members, facts.rateLimits?.plans.flatMap((p) => p.limits.map((l) => l.policyField)))
    const body = (await watched.page.locator('[data-fact="max-body"]').textContent()) ?? ''
    assert.ok(body.includes(`${facts.limits.maxBodyBytes} bytes`))
    await watched.page.locator('#authentication').scrollIntoViewIfNeeded()
    await watched.page.screenshot({ path: join(IMAGES, 'portal-operation.png') })
    await watched.page.locator('#rate-limits').scrollIntoViewIfNeeded()
    await watched.page.screenshot({ path: join(IMAGES, 'portal-rate-limits.png') })
    await settle(watched, 'createOrder')
    await watched.page.close()
  })

  test('the bundled reference renderer draws the document offline under its CSP', async () => {
    const watched = await open('/docs/apis/orders/v2/reference.html')
    await watched.page.locator('#app').getByText('Create an order').first().waitFor({ timeout: 20000 })
    // zod (inside Scalar's bundle) probes once whether `new Function` is allowed, and falls back to
    // its interpreter when the CSP refuses: Chromium reports the refused probe, nothing else.
    await settle(watched, 'reference', /^console: CSP violation: script-src eval$/)
    await watched.page.screenshot({ path: join(IMAGES, 'portal-reference.png') })
    await watched.page.close()
  })
})
