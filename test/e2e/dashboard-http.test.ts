/**
 * The dashboard over plain HTTP, without a browser: the security headers on every answer, the
 * redirect or 401 without a session, the log-in (a wrong token refused and recorded), the session
 * cookie's attributes, CSRF and Origin checks on changes, the Host check, the ban lift audited
 * under the session's name, the live stream (events as they are stored, bounded in number, ended
 * by log-out), session expiry, and the dashboard absent when disabled.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { CONTENT_SECURITY_POLICY } from '../../src/admin/dashboard/pages.js'
import { eventually } from '../helpers/gateway.js'
import { DASHBOARD_TOKEN, rawCall, sendTraffic, signIn, startDashboardGateway, type DashboardGateway, type RawAnswer } from '../helpers/dashboard-fixture.js'

const bearer = { authorization: `Bearer ${DASHBOARD_TOKEN}` }

function codeOf(answer: RawAnswer): string {
  assert.match(String(answer.headers['content-type']), /^application\/problem\+json/, `${answer.status} ${answer.body}`)
  return (JSON.parse(answer.body) as { code: string }).code
}

function assertSecurityHeaders(answer: RawAnswer, what: string): void {
  assert.equal(answer.headers['content-security-policy'], CONTENT_SECURITY_POLICY, what)
  assert.equal(answer.headers['x-content-type-options'], 'nosniff', what)
  assert.equal(answer.headers['referrer-policy'], 'no-referrer', what)
  assert.equal(answer.headers['cache-control'], 'no-store', what)
}

/** A Server-Sent Events stream read as it arrives. */
function openStream(port: number, cookie: string): Promise<{ status: number; events: { event: string; data: string; id?: string }[]; ended: Promise<void>; close(): void; body: () => string }> {
  return new Promise((resolve, reject) => {
    let text = ''
    const events: { event: string; data: string; id?: string }[] = []
    const req = request({ host: '127.0.0.1', port, path: '/dashboard/stream', headers: { cookie, accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8')
      const ended = new Promise<void>((done) => res.on('close', () => done()))
      res.on('data', (chunk: string) => {
        text += chunk
        let end: number
        while ((end = text.indexOf('\n\n')) !== -1) {
          const block = text.slice(0, end)
          text = text.slice(end + 2)
          const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':') && l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]))
          if (fields.event !== undefined) events.push({ event: fields.event, data: fields.data ?? '', ...(fields.id === undefined ? {} : { id: fields.id }) })
        }
      })
      resolve({ status: res.statusCode ?? 0, events, ended, close: () => req.destroy(), body: () => text })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('dashboard over HTTP', () => {
  let d: DashboardGateway
  let port: number
  const origin = () => `http://127.0.0.1:${port}`

  before(async () => {
    d = await startDashboardGateway({ maxStreams: 2 })
    port = d.adminPort
    await sendTraffic(d)
  })
  after(async () => {
    await d?.stop()
  })

  test('without a session: pages redirect to the log-in page, JSON calls and the stream are 401 problem+json; every answer has the CSP', async () => {
    const page = await rawCall(port, 'GET', '/dashboard/', { accept: 'text/html' })
    assert.equal(page.status, 303)
    assert.equal(page.headers.location, '/dashboard/login')
    assertSecurityHeaders(page, 'the redirect')
    const bare = await rawCall(port, 'GET', '/dashboard')
    assert.equal(bare.status, 308)
    assert.equal(bare.headers.location, '/dashboard/')
    for (const path of ['/dashboard/api/events', '/dashboard/api/session', '/dashboard/stream', '/dashboard/api/overview']) {
      const answer = await rawCall(port, 'GET', path, { accept: 'application/json' })
      assert.equal(answer.status, 401, path)
      assert.equal(codeOf(answer), 'GW_ERR_DASHBOARD_UNAUTHENTICATED', path)
      assertSecurityHeaders(answer, path)
    }
    const login = await rawCall(port, 'GET', '/dashboard/login')
    assert.equal(login.status, 200)
    assert.match(String(login.headers['content-type']), /^text\/html/)
    assert.doesNotMatch(login.body, /<script|style=/i, 'no inline script or style')
    assert.doesNotMatch(login.body, /oidc/i, 'no OIDC button without OIDC configured')
    assertSecurityHeaders(login, 'the log-in page')
    for (const asset of ['/dashboard/assets/app.js', '/dashboard/assets/app.css', '/dashboard/assets/vendor/uplot.js', '/dashboard/assets/vendor/uplot.css']) {
      const answer = await rawCall(port, 'GET', asset)
      assert.equal(answer.status, 200, asset)
      assertSecurityHeaders(answer, asset)
    }
    // Dot segments are resolved before routing: this leaves /dashboard/ for an admin path.
    assert.equal(codeOf(await rawCall(port, 'GET', '/dashboard/assets/../../package.json')), 'GW_ERR_ADMIN_UNAUTHORIZED')
    assert.equal(codeOf(await rawCall(port, 'GET', '/dashboard/assets/%2e%2e%2fpackage.json')), 'GW_ERR_ROUTE_NOT_FOUND')
  })

  test('the log-in: a wrong token is refused and recorded, a post from elsewhere is refused, the right one sets a strict session cookie', async () => {
    const wrong = await signIn(port, 'not-the-token')
    assert.equal(wrong.answer.status, 401)
    assert.equal(wrong.cookie, '')
    assert.match(wrong.answer.body, /not the admin token/)
    const asJson = await rawCall(port, 'POST', '/dashboard/login', { 'content-type': 'application/x-www-form-urlencoded', origin: origin(), accept: 'application/json' }, 'token=nope')
    assert.equal(asJson.status, 401)
    assert.equal(codeOf(asJson), 'GW_ERR_DASHBOARD_LOGIN_FAILED')
    const foreign = await rawCall(port, 'POST', '/dashboard/login', { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' }, `token=${DASHBOARD_TOKEN}`)
    assert.equal(foreign.status, 403)
    assert.equal(codeOf(foreign), 'GW_ERR_DASHBOARD_CSRF')
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    for (const headers of [{}, { origin: 'null' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }, { origin: origin(), 'sec-fetch-site': 'same-site' }] as Record<string, string>[]) {
      const answer = await rawCall(port, 'POST', '/dashboard/login', { ...form, ...headers }, `token=${DASHBOARD_TOKEN}`)
      assert.equal(codeOf(answer), 'GW_ERR_DASHBOARD_CSRF', JSON.stringify(headers))
    }
    // Referrer-Policy: no-referrer makes a browser send Origin: null; Sec-Fetch-Site vouches instead.
    const fromBrowser = await rawCall(port, 'POST', '/dashboard/login', { ...form, origin: 'null', 'sec-fetch-site': 'same-origin' }, `token=${DASHBOARD_TOKEN}`)
    assert.equal(fromBrowser.status, 303)

    const { answer, setCookie, cookie } = await signIn(port)
    assert.equal(answer.status, 303)
    assert.equal(answer.headers.location, '/dashboard/')
    assert.match(setCookie, /^__Host-portcullis-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=28800; HttpOnly; Secure; SameSite=Strict$/)
    const page = await rawCall(port, 'GET', '/dashboard/', { cookie })
    assert.equal(page.status, 200)
    assert.match(page.body, /<script type="module" src="\/dashboard\/assets\/app.js"><\/script>/)
    assertSecurityHeaders(page, 'the app')
    assert.equal((await rawCall(port, 'GET', '/dashboard/login', { cookie })).headers.location, '/dashboard/', 'signed in: the log-in page sends on')

    await eventually(async () => {
      const events = (await (await fetch(`${d.admin}/events?code=GW_ERR_DASHBOARD_LOGIN_FAILED`, { headers: bearer })).json()) as { events: { event: { reason: string } }[] }
      return events.events.length === 2
    }, 5000, 'the failed log-ins as security events')
    // Written by the store sink in its own time: waited for like the failed ones.
    await eventually(async () => {
      const logins = (await (await fetch(`${d.admin}/events?action=dashboard-login`, { headers: bearer })).json()) as { events: { user: { id: string } }[] }
      return logins.events.some((e) => e.user.id.startsWith('dashboard:admin-token:'))
    }, 5000, 'the log-in as a security event')
  })

  test('JSON calls reuse the admin routes; a change needs the CSRF token and the dashboard’s Origin; the ban lift is audited under the session', async () => {
    const { cookie } = await signIn(port)
    const session = JSON.parse((await rawCall(port, 'GET', '/dashboard/api/session', { cookie })).body) as { csrfToken: string; actor: string }
    assert.match(session.actor, /^dashboard:admin-token:[0-9a-f]{12}$/)
    const overview = JSON.parse((await rawCall(port, 'GET', '/dashboard/api/overview', { cookie })).body) as { requests: { total: number }; denials: { byReason: { code: string }[] } }
    assert.ok(overview.requests.total >= 15)
    assert.ok(overview.denials.byReason.some((r) => r.code === 'GW_ERR_WAF_BLOCKED'))
    const bans = JSON.parse((await rawCall(port, 'GET', '/dashboard/api/rate-limits/bans', { cookie })).body) as { bans: { subject: string }[] }
    const subject = bans.bans[0]?.subject
    assert.ok(subject !== undefined, 'the banned client is listed')
    const path = `/dashboard/api/rate-limits/bans/${encodeURIComponent(subject)}`

    const refused = [
      await rawCall(port, 'DELETE', path, { cookie, origin: origin() }),
      await rawCall(port, 'DELETE', path, { cookie, origin: origin(), 'x-csrf-token': 'wrong' }),
      // One character off (a token ending in A gets a B: once in 64 runs `…A` was the token itself).
      await rawCall(port, 'DELETE', path, { cookie, origin: origin(), 'x-csrf-token': `${session.csrfToken.slice(0, -1)}${session.csrfToken.endsWith('A') ? 'B' : 'A'}` }),
      await rawCall(port, 'DELETE', path, { cookie, 'x-csrf-token': session.csrfToken }),
      await rawCall(port, 'DELETE', path, { cookie, origin: 'http://evil.example', 'x-csrf-token': session.csrfToken }),
      await rawCall(port, 'DELETE', path, { cookie, origin: origin(), 'x-csrf-token': session.csrfToken, 'sec-fetch-site': 'cross-site' }),
    ]
    assert.deepEqual(refused.map((a) => [a.status, codeOf(a)]), Array(6).fill([403, 'GW_ERR_DASHBOARD_CSRF']))
    const unsigned = await rawCall(port, 'DELETE', path, { origin: origin(), 'x-csrf-token': session.csrfToken })
    assert.equal(codeOf(unsigned), 'GW_ERR_DASHBOARD_UNAUTHENTICATED')
    assert.equal((await rawCall(port, 'GET', '/dashboard/api/rate-limits/bans', { cookie })).body.includes(subject), true, 'still banned')

    const lifted = await rawCall(port, 'DELETE', path, { cookie, origin: origin(), 'x-csrf-token': session.csrfToken })
    assert.equal(lifted.status, 204)
    assertSecurityHeaders(lifted, 'the lift')
    const audit = (await (await fetch(`${d.admin}/audit`, { headers: bearer })).json()) as { entries: { action: string; target: string; actor: string; source: string }[] }
    const entry = audit.entries.find((e) => e.action === 'ratelimit.ban.lift')
    assert.deepEqual(entry && { target: entry.target, actor: entry.actor, source: entry.source }, { target: subject, actor: session.actor, source: '127.0.0.1' })
    assert.equal(codeOf(await rawCall(port, 'DELETE', path, { cookie, origin: origin(), 'x-csrf-token': session.csrfToken })), 'GW_ERR_ADMIN_NOT_FOUND')
    assert.equal(codeOf(await rawCall(port, 'GET', '/dashboard/api/nothing-here', { cookie })), 'GW_ERR_ROUTE_NOT_FOUND')
  })

  test('a Host that is not an address, localhost or the configured origin is refused (DNS rebinding)', async () => {
    const { cookie } = await signIn(port)
    for (const host of ['evil.example', `evil.example:${port}`]) {
      const answer = await rawCall(port, 'GET', '/dashboard/api/session', { cookie, host })
      assert.equal(answer.status, 421, host)
      assert.equal(codeOf(answer), 'GW_ERR_DASHBOARD_HOST_DENIED')
    }
    assert.equal((await rawCall(port, 'GET', '/dashboard/api/session', { cookie, host: `localhost:${port}` })).status, 200)
  })

  test('the live stream sends overview figures and each new event; streams are bounded; log-out ends the session and its streams', async () => {
    const { cookie } = await signIn(port)
    const csrf = (JSON.parse((await rawCall(port, 'GET', '/dashboard/api/session', { cookie })).body) as { csrfToken: string }).csrfToken
    const stream = await openStream(port, cookie)
    assert.equal(stream.status, 200)
    await eventually(() => stream.events.some((e) => e.event === 'overview'), 5000, 'an overview')
    const overview = JSON.parse(stream.events.find((e) => e.event === 'overview')!.data) as { requests: { total: number } }
    assert.ok(overview.requests.total > 0)
    await fetch(`${d.gw.url}/shop/items/3?q=${encodeURIComponent("' UNION SELECT password FROM users--")}`).then((r) => r.arrayBuffer())
    await eventually(() => stream.events.some((e) => e.event === 'security-event' && e.data.includes('waf-blocked')), 5000, 'the WAF block on the stream')
    const sent = stream.events.find((e) => e.event === 'security-event')!
    assert.match(sent.id ?? '', /^\d+$/, 'each event carries its store id, to resume from')

    const second = await openStream(port, cookie)
    const third = await openStream(port, cookie)
    assert.equal(second.status, 200)
    assert.equal(third.status, 503)
    await third.ended
    second.close()
    await second.ended

    const out = await rawCall(port, 'POST', '/dashboard/logout', { cookie, origin: origin(), 'x-csrf-token': csrf })
    assert.equal(out.status, 204)
    assert.match(String(out.headers['set-cookie']), /^__Host-portcullis-session=; Path=\/; Max-Age=0; HttpOnly; Secure; SameSite=Strict$/)
    await stream.ended
    assert.ok(stream.events.some((e) => e.event === 'end'), 'the stream says why it ends')
    assert.equal(codeOf(await rawCall(port, 'GET', '/dashboard/api/session', { cookie })), 'GW_ERR_DASHBOARD_UNAUTHENTICATED')
    assert.equal((await rawCall(port, 'GET', '/dashboard/', { cookie })).headers.location, '/dashboard/login?notice=expired')
  })

  test('GET /overview works with the bearer token too', async () => {
    const res = await fetch(`${d.admin}/overview?window=600`, { headers: bearer })
    assert.equal(res.status, 200)
    const body = (await res.json()) as { windowSec: number; events: { total: number; byAction: { key: string }[]; topSources: { key: string }[]; timeline: { bucketMs: number; points: { key: number; count: number }[] } } }
    assert.equal(body.windowSec, 600)
    const { bucketMs, points } = body.events.timeline
    assert.equal(bucketMs, 10_000)
    assert.ok(points.length >= 60 && points.length <= 61, 'a point for every bucket of the window')
    assert.ok(points.every((p, i) => i === 0 || p.key - points[i - 1]!.key === bucketMs))
    assert.equal(points.reduce((a, p) => a + p.count, 0), body.events.total)
    assert.ok(body.events.byAction.some((a) => a.key === 'waf-blocked'))
    assert.ok(body.events.topSources.some((s) => s.key === '127.0.0.1'))
    const bad = await fetch(`${d.admin}/overview?window=5`, { headers: bearer })
    assert.equal(bad.status, 400)
    assert.equal(((await bad.json()) as { code: string }).code, 'GW_ERR_ADMIN_INVALID_INPUT')
  })
})

describe('dashboard sessions expire', () => {
  let d: DashboardGateway
  // The gateway's clock, moved forward by the test instead of waiting for the session's end.
  let offset = 0

  before(async () => {
    d = await startDashboardGateway({ sessionTtlSec: 60 }, { clock: { now: () => Date.now() + offset } })
  })
  after(async () => {
    await d?.stop()
  })

  test('a session is refused after sessionTtlSec, and its stream ends', async () => {
    const { cookie, setCookie } = await signIn(d.adminPort)
    assert.match(setCookie, /Max-Age=60;/)
    assert.equal((await rawCall(d.adminPort, 'GET', '/dashboard/api/session', { cookie })).status, 200)
    const stream = await openStream(d.adminPort, cookie)
    assert.equal(stream.status, 200)
    offset = 59_000
    assert.equal((await rawCall(d.adminPort, 'GET', '/dashboard/api/session', { cookie })).status, 200, 'alive just before its end')
    offset = 60_000
    assert.equal(codeOf(await rawCall(d.adminPort, 'GET', '/dashboard/api/session', { cookie })), 'GW_ERR_DASHBOARD_UNAUTHENTICATED')
    await stream.ended
    assert.deepEqual(stream.events.at(-1), { event: 'end', data: '{"reason":"session-ended"}' })
  })
})

describe('dashboard disabled', () => {
  let d: DashboardGateway

  before(async () => {
    d = await startDashboardGateway({ enabled: false })
  })
  after(async () => {
    await d?.stop()
  })

  test('/dashboard/ is an ordinary admin path: 401 without the token, 404 with it', async () => {
    const without = await rawCall(d.adminPort, 'GET', '/dashboard/')
    assert.equal(without.status, 401)
    assert.equal(codeOf(without), 'GW_ERR_ADMIN_UNAUTHORIZED')
    assert.equal(without.headers['content-security-policy'], undefined)
    const withToken = await rawCall(d.adminPort, 'GET', '/dashboard/', bearer)
    assert.equal(codeOf(withToken), 'GW_ERR_ROUTE_NOT_FOUND')
    assert.equal((await signIn(d.adminPort)).answer.status, 401)
  })
})
