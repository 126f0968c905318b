/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core against a running
 * gateway with traffic behind it. Log-in (a wrong token refused), each page showing the gateway's
 * data, a live event arriving without a reload, CSRF refusals of fetches from the page, a ban
 * lifted and audited, log-out, and a log-in through a real OpenID provider. No page may raise a
 * Content-Security-Policy violation. Each page is photographed (docs/dashboard.md's screenshots
 * are refreshed with PORTCULLIS_DASHBOARD_SCREENSHOTS=docs/images).
 */
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core'
import { DASHBOARD_TOKEN, DASHBOARD_TOKEN_HASH, sendTraffic, startDashboardGateway, type DashboardGateway } from '../helpers/dashboard-fixture.js'
import { eventually } from '../helpers/gateway.js'
import { startIdentityProvider, type TestIdentityProvider } from '../helpers/identity-provider.js'
import { CHROMIUM, skipWithoutChromium } from '../helpers/third-party.js'
import { unusedPort } from '../helpers/upstream.js'

/** Where screenshots go: a temporary folder, or docs/images to refresh the docs' (`PORTCULLIS_DASHBOARD_SCREENSHOTS=docs/images`). */
const SCREENSHOTS = process.env.PORTCULLIS_DASHBOARD_SCREENSHOTS ?? join(tmpdir(), 'portcullis-dashboard-screenshots')
const OIDC_CLIENT = { client_id: 'portcullis-dashboard', client_secret: 'dashboard-client-secret-0123456789abcdef' }
const VIEWPORT = { width: 1280, height: 800 }
const WAIT = { timeout: 10_000 }

describe('dashboard in Chromium', { skip: skipWithoutChromium }, () => {
  let provider: TestIdentityProvider
  let d: DashboardGateway
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let base: string
  const consoleMessages: string[] = []
  const watch = (c: BrowserContext) => {
    c.on('console', (m: ConsoleMessage) => consoleMessages.push(`${m.type()}: ${m.text()}`))
    c.on('page', (p: Page) => p.on('pageerror', (e: Error) => consoleMessages.push(`pageerror: ${e.message}`)))
  }
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `dashboard-${name}.png`) })
  const openPage = async (name: string) => {
    await page.goto(`${base}/dashboard/#/${name}`)
    await page.locator(`main[data-ready="${name}"]`).waitFor(WAIT)
  }

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    const adminPort = await unusedPort()
    base = `http://127.0.0.1:${adminPort}`
    provider = await startIdentityProvider({ clients: [{ ...OIDC_CLIENT, redirect_uris: [`${base}/dashboard/oidc/callback`] }], defaultUser: 'root' })
    d = await startDashboardGateway(
      { oidc: { issuer: provider.issuer, clientId: OIDC_CLIENT.client_id, clientSecret: '${env:DASHBOARD_OIDC_SECRET}', allowedSubjects: ['root'] } },
      { adminPort, env: { ...process.env, DASHBOARD_OIDC_SECRET: OIDC_CLIENT.client_secret } },
    )
    await sendTraffic(d)
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    context = await browser.newContext({ viewport: VIEWPORT })
    watch(context)
    page = await context.newPage()
    page.on('dialog', (dialog) => void dialog.accept())
  })
  after(async () => {
    await browser?.close()
    await d?.stop()
    await provider?.close()
  })

  test('the log-in page refuses a wrong token, then signs in with the admin token into a strict cookie', async () => {
    await page.goto(`${base}/dashboard/`)
    assert.equal(new URL(page.url()).pathname, '/dashboard/login')
    await shot('login')
    await page.fill('#token', 'wrong-token')
    await page.click('button[type=submit]')
    await page.locator('.notice.error').waitFor(WAIT)
    assert.equal(new URL(page.url()).pathname, '/dashboard/login')
    assert.equal((await context.cookies()).filter((c) => c.name === '__Host-portcullis-session').length, 0)

    await page.fill('#token', DASHBOARD_TOKEN)
    await page.click('button[type=submit]')
    await page.locator('main[data-ready="overview"]').waitFor(WAIT)
    const session = (await context.cookies()).find((c) => c.name === '__Host-portcullis-session')
    assert.deepEqual(session && { httpOnly: session.httpOnly, secure: session.secure, sameSite: session.sameSite, path: session.path }, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' })
    assert.match((await page.textContent('#actor')) ?? '', /^dashboard:admin-token:/)
  })

  test('overview: traffic, denials by reason, top rules, and a live event without a reload', async () => {
    await openPage('overview')
    const stats = (await page.textContent('#overview-stats')) ?? ''
    assert.match(stats, /Requests/)
    assert.match((await page.textContent('main')) ?? '', /GW_ERR_WAF_BLOCKED/)
    assert.match((await page.textContent('main')) ?? '', /GW_ERR_RATE_LIMIT_BANNED|GW_ERR_RATE_LIMITED/)
    await page.locator('#live.on').waitFor(WAIT)
    await page.locator('#rate-chart canvas').waitFor(WAIT)
    await fetch(`${d.gw.url}/shop/items/9?q=${encodeURIComponent('<script>document.cookie</script>')}`).then((r) => r.arrayBuffer())
    await page.locator('#live-feed .feed-item', { hasText: 'waf-blocked' }).first().waitFor(WAIT)
    // A few live samples for the rate chart.
    await page.waitForTimeout(1200)
    await shot('overview')
  })

  test('security events: filtered by action, a row opens the detail with its evidence', async () => {
    await openPage('events')
    assert.ok((await page.locator('#event-results tbody tr').count()) > 5)
    await page.fill('#filter-action', 'waf-blocked')
    await page.click('#event-filters button[type=submit]')
    await eventually(async () => {
      const actions = await page.locator('#event-results tbody tr td:nth-child(3)').allTextContents()
      return actions.length > 0 && actions.every((a) => a === 'waf-blocked')
    }, WAIT.timeout, 'only WAF blocks listed')
    await page.locator('#event-results tbody tr').first().click()
    await page.locator('#event-detail').waitFor(WAIT)
    const detail = (await page.textContent('#event-detail')) ?? ''
    assert.match(detail, /Evidence/)
    assert.match(detail, /GW_ERR_WAF_BLOCKED/)
    await shot('events')
  })

  test('the page’s own changes without or with a wrong CSRF token are refused', async () => {
    const answers = await page.evaluate(async () => {
      const path = '/dashboard/api/rate-limits/bans/' + encodeURIComponent('{shop}:x')
      const without = await fetch(path, { method: 'DELETE' })
      const wrong = await fetch(path, { method: 'DELETE', headers: { 'x-csrf-token': 'not-the-token' } })
      return [
        [without.status, ((await without.json()) as { code: string }).code],
        [wrong.status, ((await wrong.json()) as { code: string }).code],
      ]
    })
    assert.deepEqual(answers, [
      [403, 'GW_ERR_DASHBOARD_CSRF'],
      [403, 'GW_ERR_DASHBOARD_CSRF'],
    ])
  })

  test('detections and bans: alerts listed, the ban lifted from the page and audited under the session', async () => {
    await openPage('detections')
    assert.match((await page.textContent('#alerts')) ?? '', /waf-blocked/)
    const lift = page.locator('#bans button.danger').first()
    await lift.waitFor(WAIT)
    const subject = await lift.getAttribute('data-subject')
    assert.match(subject ?? '', /^\{shop\}:/)
    await shot('detections')
    await lift.click()
    await page.locator('#ban-message.info').waitFor(WAIT)
    await page.locator('#bans .empty').waitFor(WAIT)
    await page.locator('#ban-lifts td', { hasText: 'dashboard:admin-token:' }).waitFor(WAIT)
    const audit = (await (await fetch(`${d.admin}/audit`, { headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` } })).json()) as { entries: { action: string; target: string; actor: string }[] }
    const entry = audit.entries.find((e) => e.action === 'ratelimit.ban.lift')
    assert.equal(entry?.target, subject)
    assert.equal(entry?.actor, `dashboard:admin-token:${DASHBOARD_TOKEN_HASH.slice(0, 12)}`)
  })

  test('API inventory: declared, shadow, zombie and orphan operations with their counts', async () => {
    await openPage('inventory')
    const text = (await page.textContent('#inventory-apis')) ?? ''
    assert.match(text, /shop/)
    for (const cls of ['active', 'shadow', 'zombie', 'orphan']) assert.ok((await page.locator(`#inventory-apis tr.cls-${cls}`).count()) > 0, cls)
    assert.match((await page.locator('#inventory-apis tr.cls-shadow').allTextContents()).join('\n'), /\/internal\/users\/\{id\}/)
    assert.match((await page.locator('#inventory-apis tr', { hasText: '/items' }).first().textContent()) ?? '', /5/)
    await shot('inventory')
  })

  test('consumers: the consumer, its key, its usage of a limit and its recent denials', async () => {
    await openPage('consumers')
    await page.locator('tr', { hasText: 'acme' }).first().click()
    await page.locator('#consumer-detail aside').waitFor(WAIT)
    assert.match((await page.textContent('#consumer-detail')) ?? '', /ci/)
    assert.match((await page.textContent('#consumer-events')) ?? '', /rate-limited/)
    await page.fill('#consumer-detail input[name=api]', 'keys')
    await page.fill('#consumer-detail input[name=route]', 'GET /orders')
    await page.click('#consumer-detail button[type=submit]')
    await page.locator('#consumer-usage td', { hasText: 'per-consumer' }).waitFor(WAIT)
    await shot('consumers')
  })

  test('log-out ends the session: the page returns to the log-in form and the API refuses the old cookie', async () => {
    const cookie = (await context.cookies()).find((c) => c.name === '__Host-portcullis-session')!
    await page.click('#logout')
    await page.waitForURL(/\/dashboard\/login\?notice=signed-out$/, WAIT)
    const res = await fetch(`${base}/dashboard/api/session`, { headers: { cookie: `${cookie.name}=${cookie.value}` } })
    assert.equal(res.status, 401)
    assert.equal(((await res.json()) as { code: string }).code, 'GW_ERR_DASHBOARD_UNAUTHENTICATED')
  })

  test('OIDC log-in through the provider (code, PKCE, state, nonce) signs the allowed subject in', async () => {
    const oidcContext = await browser.newContext({ viewport: VIEWPORT })
    watch(oidcContext)
    try {
      const oidcPage = await oidcContext.newPage()
      await oidcPage.goto(`${base}/dashboard/login`)
      await oidcPage.click('#oidc')
      await oidcPage.locator('main[data-ready="overview"]').waitFor(WAIT)
      assert.equal((await oidcPage.textContent('#actor')) ?? '', 'dashboard:oidc:root')
      const cookies = await oidcContext.cookies(base)
      assert.deepEqual(cookies.filter((c) => c.name.startsWith('__Host-portcullis')).map((c) => c.name), ['__Host-portcullis-session'], 'the state cookie is gone')
    } finally {
      await oidcContext.close()
    }
  })

  test('no page raised a Content-Security-Policy violation or a script error', () => {
    const problems = consoleMessages.filter((m) => /Content Security Policy|Refused to|pageerror|Uncaught/i.test(m))
    assert.deepEqual(problems, [])
  })
})
