/**
 * The security dashboard under `/dashboard/` on the admin listener:
 *
 *   GET  /dashboard/                 the app (signed in), else a redirect to the log-in page
 *   GET  /dashboard/login            log-in form;  POST: the admin token (form field `token`)
 *   GET  /dashboard/login/oidc       starts an OIDC log-in;  GET /dashboard/oidc/callback ends it
 *   POST /dashboard/logout           ends the session (CSRF-checked)
 *   GET  /dashboard/api/session      who is signed in, and the CSRF token for changes
 *   ANY  /dashboard/api/{route}      the admin API's routes with the session as the actor
 *   GET  /dashboard/stream           live updates (Server-Sent Events)
 *   GET  /dashboard/assets/{file}    the app's modules, styles and uPlot
 *
 * Every answer carries a strict CSP and no-store; JSON calls without a session are 401
 * problem+json, pages redirect to the log-in page.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ErrorCode } from '../../errors.js'
import type { DataStore } from '../../stores/data-store.js'
import { BodyError, json, mapError, problem, readJson, sendReply, splitPath } from '../admin-replies.js'
import type { ManagementReply, ManagementRequest } from '../management-routes.js'
import { clearedCookie, cookie, OIDC_COOKIE, readCookie, SESSION_COOKIE } from './cookies.js'
import { LiveStreams } from './live-streams.js'
import { OidcLogin, OidcLoginError, type OidcSettings } from './oidc-login.js'
import { loginPage, sendHtml, setSecurityHeaders, signedInPage, type LoginNotice } from './pages.js'
import { isChange, RequestGuard } from './request-guard.js'
import { DashboardSessions, type DashboardSession } from './sessions.js'
import { loadDashboardAssets, type Asset } from './static-assets.js'

export interface DashboardSettings {
  readonly sessionTtlSec: number
  readonly maxSessions: number
  readonly maxStreams: number
  readonly streamIntervalMs: number
  readonly origin?: string
  readonly oidc?: OidcSettings
}

/** A log-in, as a security event: who (when it succeeded), how, and why it failed. */
export interface DashboardLogin {
  readonly source: string
  readonly via: 'token' | 'oidc'
  readonly outcome: 'success' | 'failure'
  readonly actor: string | null
  readonly reason?: string
}

export interface DashboardOptions {
  readonly tokenHash: string
  readonly settings: DashboardSettings
  /** The admin API's routes (null without a data store, as for the bearer API). */
  readonly routes: ((req: ManagementRequest) => Promise<ManagementReply> | null) | null
  readonly store: DataStore | null
  /** The overview figures the live stream sends. */
  readonly overview: () => Promise<unknown>
  readonly clock: { now(): number }
  readonly onLogin: (login: DashboardLogin) => void
  readonly onError: (error: unknown, context: string) => void
}

export interface Dashboard {
  /** Answers a request whose path is `/dashboard` or under `/dashboard/`. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void
  close(): void
}

const MAX_FORM_BYTES = 8 * 1024

export function createDashboard(options: DashboardOptions): Dashboard {
  const { settings } = options
  const assets = loadDashboardAssets()
  const sessions = new DashboardSessions({ ttlMs: settings.sessionTtlSec * 1000, maxSessions: settings.maxSessions, clock: options.clock })
  const guard = new RequestGuard(settings.origin)
  const oidc = settings.oidc === undefined ? null : new OidcLogin(settings.oidc, options.clock)
  const streams = new LiveStreams({
    store: options.store,
    overview: options.overview,
    sessions,
    intervalMs: settings.streamIntervalMs,
    maxStreams: settings.maxStreams,
    onError: (error) => options.onError(error, 'dashboard stream'),
  })
  const expectedHash = Buffer.from(options.tokenHash, 'hex')
  const tokenActor = `dashboard:admin-token:${options.tokenHash.slice(0, 12).toLowerCase()}`
  const sourceOf = (req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown'

  function handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
    setSecurityHeaders(res)
    if (!guard.hostAllowed(req)) return problem(res, 'GW_ERR_DASHBOARD_HOST_DENIED')
    if (url.pathname === '/dashboard') return redirect(res, 308, '/dashboard/')
    if (isChange(req.method) && !guard.originAllowed(req)) return problem(res, 'GW_ERR_DASHBOARD_CSRF', 'the request’s Origin is not the dashboard')
    const sub = url.pathname.slice('/dashboard/'.length)
    const session = sessions.get(readCookie(req, SESSION_COOKIE))
    if (sub.startsWith('assets/')) return asset(req, res, assets.get(sub.slice('assets/'.length)))
    switch (sub) {
      case '':
        if (!readOnly(req, res)) return
        if (session === null) return redirect(res, 303, readCookie(req, SESSION_COOKIE) === undefined ? '/dashboard/login' : '/dashboard/login?notice=expired')
        return send(res, 200, assets.get('index.html'))
      case 'login':
        if (req.method === 'POST') return void tokenLogin(req, res)
        if (!readOnly(req, res)) return
        if (session !== null) return redirect(res, 303, '/dashboard/')
        return sendHtml(res, 200, loginPage({ oidc: oidc !== null, notice: noticeOf(url.searchParams.get('notice')) }))
      case 'login/oidc':
        if (oidc === null) return problem(res, 'GW_ERR_ROUTE_NOT_FOUND')
        if (!readOnly(req, res)) return
        return void startOidc(req, res, oidc)
      case 'oidc/callback':
        if (oidc === null) return problem(res, 'GW_ERR_ROUTE_NOT_FOUND')
        if (!readOnly(req, res)) return
        return void finishOidc(req, res, url, oidc)
    }
    // Everything below needs a session, and a change its CSRF token.
    if (session === null) return problem(res, 'GW_ERR_DASHBOARD_UNAUTHENTICATED')
    if (isChange(req.method) && !guard.csrfValid(req, session.csrfToken)) return problem(res, 'GW_ERR_DASHBOARD_CSRF', 'the x-csrf-token header is missing or wrong')
    if (sub === 'logout') {
      if (req.method !== 'POST') return problem(res, 'GW_ERR_METHOD_NOT_ALLOWED', null, { allow: 'POST' })
      sessions.end(session.id)
      res.setHeader('set-cookie', clearedCookie(SESSION_COOKIE))
      res.writeHead(204)
      return void res.end()
    }
    if (sub === 'stream') {
      if (!readOnly(req, res)) return
      if (!streams.open(req, res, session.id)) problem(res, 'GW_ERR_DASHBOARD_STREAMS_EXHAUSTED', null, { 'retry-after': '5' })
      return
    }
    if (sub === 'api/session') {
      if (!readOnly(req, res)) return
      return json(res, 200, { actor: session.actor, via: session.via, csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt).toISOString() })
    }
    if (sub.startsWith('api/')) return route(req, res, url, session, sub.slice('api/'.length))
    problem(res, 'GW_ERR_ROUTE_NOT_FOUND')
  }

  async function tokenLogin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let token: string | null
    try {
      token = new URLSearchParams(await readForm(req)).get('token')
    } catch (error) {
      const code: ErrorCode = error instanceof BodyError ? error.code : 'GW_ERR_REQUEST_MALFORMED'
      res.once('finish', () => req.destroy())
      return problem(res, code)
    }
    const presented = createHash('sha256')
      .update(token ?? '')
      .digest()
    if (token === null || token === '' || !timingSafeEqual(presented, expectedHash)) {
      options.onLogin({ source: sourceOf(req), via: 'token', outcome: 'failure', actor: null, reason: token === null || token === '' ? 'missing' : 'invalid' })
      return loginFailed(req, res, 'failed')
    }
    signIn(req, res, tokenActor, 'token')
    redirect(res, 303, '/dashboard/')
  }

  async function startOidc(req: IncomingMessage, res: ServerResponse, login: OidcLogin): Promise<void> {
    try {
      const { location, state } = await login.start(settings.origin ?? `http://${req.headers.host ?? ''}`)
      res.setHeader('set-cookie', cookie(OIDC_COOKIE, state, 600, 'Lax'))
      redirect(res, 303, location)
    } catch (error) {
      options.onError(error, 'dashboard OIDC log-in')
      loginFailed(req, res, 'oidc-failed', 503)
    }
  }

  async function finishOidc(req: IncomingMessage, res: ServerResponse, url: URL, login: OidcLogin): Promise<void> {
    res.setHeader('set-cookie', clearedCookie(OIDC_COOKIE, 'Lax'))
    let subject: string
    try {
      ;({ subject } = await login.finish(url.searchParams, readCookie(req, OIDC_COOKIE)))
    } catch (error) {
      const reason = error instanceof OidcLoginError ? error.reason : 'error'
      if (!(error instanceof OidcLoginError) || reason === 'discovery_failed' || reason === 'token_endpoint_failed') options.onError(error, 'dashboard OIDC callback')
      options.onLogin({ source: sourceOf(req), via: 'oidc', outcome: 'failure', actor: null, reason })
      return loginFailed(req, res, 'oidc-failed')
    }
    signIn(req, res, `dashboard:oidc:${subject.slice(0, 200)}`, 'oidc')
    sendHtml(res, 200, signedInPage())
  }

  /** A new session (a new id, whatever cookie came: no fixation), its cookie set on `res`. */
  function signIn(req: IncomingMessage, res: ServerResponse, actor: string, via: DashboardSession['via']): void {
    const previous = readCookie(req, SESSION_COOKIE)
    if (previous !== undefined) sessions.end(previous)
    const session = sessions.create(actor, via)
    const cookies = [cookie(SESSION_COOKIE, session.id, settings.sessionTtlSec)]
    const existing = res.getHeader('set-cookie')
    if (Array.isArray(existing)) cookies.unshift(...existing)
    else if (typeof existing === 'string') cookies.unshift(existing)
    res.setHeader('set-cookie', cookies)
    options.onLogin({ source: sourceOf(req), via, outcome: 'success', actor })
  }

  /** The log-in page again for a browser; problem+json for anything else. */
  function loginFailed(req: IncomingMessage, res: ServerResponse, notice: LoginNotice, status = 401): void {
    if ((req.headers.accept ?? '').includes('text/html')) return sendHtml(res, status, loginPage({ oidc: oidc !== null, notice }))
    problem(res, 'GW_ERR_DASHBOARD_LOGIN_FAILED')
  }

  function route(req: IncomingMessage, res: ServerResponse, url: URL, session: DashboardSession, rest: string): void {
    const segments = splitPath(rest)
    const routed =
      segments === null || options.routes === null
        ? null
        : options.routes({ method: req.method ?? 'GET', segments, query: url.searchParams, actor: { actor: session.actor, source: sourceOf(req) }, body: () => readJson(req) })
    if (routed === null) return problem(res, 'GW_ERR_ROUTE_NOT_FOUND')
    routed.then(
      (reply) => sendReply(res, reply),
      (error: unknown) => {
        const mapped = mapError(error)
        if (mapped.code === 'GW_ERR_ADMIN_STORE_UNAVAILABLE') options.onError(error, `dashboard ${req.method ?? ''} ${rest}`)
        problem(res, mapped.code, mapped.detail, {}, mapped.errors)
        if (error instanceof BodyError) res.once('finish', () => req.destroy())
      },
    )
  }

  return {
    handle,
    close: () => streams.close(),
  }
}

function readOnly(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true
  problem(res, 'GW_ERR_METHOD_NOT_ALLOWED', null, { allow: 'GET, HEAD' })
  return false
}

function asset(req: IncomingMessage, res: ServerResponse, found: Asset | undefined): void {
  if (found === undefined) return problem(res, 'GW_ERR_ROUTE_NOT_FOUND')
  if (!readOnly(req, res)) return
  send(res, 200, found, req.method === 'HEAD')
}

function send(res: ServerResponse, status: number, found: Asset | undefined, headOnly = false): void {
  if (found === undefined) return problem(res, 'GW_ERR_ROUTE_NOT_FOUND')
  res.writeHead(status, { 'content-type': found.type, 'content-length': found.body.length })
  res.end(headOnly ? undefined : found.body)
}

function redirect(res: ServerResponse, status: 303 | 308, location: string): void {
  res.writeHead(status, { location, 'content-length': 0 })
  res.end()
}

function noticeOf(value: string | null): LoginNotice {
  return value === 'signed-out' || value === 'expired' ? value : null
}

async function readForm(req: IncomingMessage): Promise<string> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_FORM_BYTES) throw new BodyError('GW_ERR_REQUEST_BODY_TOO_LARGE', `at most ${MAX_FORM_BYTES} bytes`)
  const type = req.headers['content-type'] ?? ''
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) throw new BodyError('GW_ERR_REQUEST_MALFORMED', 'the log-in form must be application/x-www-form-urlencoded')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_FORM_BYTES) throw new BodyError('GW_ERR_REQUEST_BODY_TOO_LARGE', `at most ${MAX_FORM_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
