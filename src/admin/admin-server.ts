/**
 * The admin listener: `/metrics` and the management API (consumers, keys, audit log) behind a
 * bearer token whose SHA-256 is in the config (compared in constant time), `/healthz` and
 * `/readyz` for probes, and the dashboard under `/dashboard/` (cookie sessions of its own). Bound to loopback unless the config explicitly allows otherwise.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Actor } from './management.js'
import type { ManagementReply, ManagementRequest } from './management-routes.js'
import { BodyError, json, mapError, methodNotAllowed, problem, readJson, sendReply, splitPath } from './admin-replies.js'
import type { Dashboard } from './dashboard/dashboard.js'

export interface AdminOptions {
  tokenHash: string
  publicProbes: boolean
  isReady(): boolean
  metrics(): Promise<{ contentType: string; body: string }>
  /** The management routes; null when the gateway has no data store. */
  management: ((req: ManagementRequest) => Promise<ManagementReply> | null) | null
  onError(error: unknown, context: string): void
  /** The dashboard under /dashboard/ (its own cookie sessions); null when disabled. */
  dashboard?: Dashboard | null
  /** A request without a valid admin token (a security event). */
  onAuthFailure?(source: string, method: string, path: string, reason: 'missing' | 'invalid' | 'ambiguous'): void
}

/** RFC 9110 §11.1 and §11.4: the scheme is case-insensitive, then one or more spaces, then the token. */
const BEARER = /^bearer +(\S.*)$/i
const CHALLENGE = 'Bearer realm="portcullis-admin"'

export function createAdminServer(options: AdminOptions): Server {
  const expected = Buffer.from(options.tokenHash, 'hex')
  // Names the admin token in the audit log without revealing anything usable.
  const actor = `admin-token:${options.tokenHash.slice(0, 12).toLowerCase()}`
  const authorized = (req: IncomingMessage): boolean => {
    const match = BEARER.exec(req.headers.authorization ?? '')
    if (match === null) return false
    const presented = createHash('sha256').update(match[1] as string).digest()
    return timingSafeEqual(presented, expected)
  }

  const server = createServer((req, res) => {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://admin.invalid')
    } catch {
      return problem(res, 'GW_ERR_REQUEST_MALFORMED')
    }
    const path = url.pathname
    if (options.dashboard != null && (path === '/dashboard' || path.startsWith('/dashboard/'))) return options.dashboard.handle(req, res, url)
    const isProbe = path === '/healthz' || path === '/readyz'
    if (!(isProbe && options.publicProbes)) {
      // Node keeps only the first Authorization header; a proxy in front may keep another one, so
      // two of them are ambiguous, not a choice to make here (RFC 6750 §3.1: invalid_request, 400).
      if ((req.headersDistinct.authorization?.length ?? 0) > 1) {
        options.onAuthFailure?.(req.socket.remoteAddress ?? 'unknown', req.method ?? '', path, 'ambiguous')
        return problem(res, 'GW_ERR_AUTH_MALFORMED', 'the request carries more than one Authorization header', { 'www-authenticate': `${CHALLENGE}, error="invalid_request"` })
      }
      if (!authorized(req)) {
        options.onAuthFailure?.(req.socket.remoteAddress ?? 'unknown', req.method ?? '', path, req.headers.authorization === undefined ? 'missing' : 'invalid')
        return problem(res, 'GW_ERR_ADMIN_UNAUTHORIZED', null, { 'www-authenticate': CHALLENGE })
      }
    }
    const readOnly = req.method === 'GET' || req.method === 'HEAD'
    switch (path) {
      case '/healthz':
        return readOnly ? json(res, 200, { status: 'ok' }) : methodNotAllowed(res, 'GET, HEAD')
      case '/readyz':
        if (!readOnly) return methodNotAllowed(res, 'GET, HEAD')
        return options.isReady() ? json(res, 200, { status: 'ready' }) : json(res, 503, { status: 'starting' })
      case '/metrics':
        if (!readOnly) return methodNotAllowed(res, 'GET, HEAD')
        options.metrics().then(
          ({ contentType, body }) => {
            res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' })
            res.end(body)
          },
          (error: unknown) => {
            options.onError(error, 'metrics')
            problem(res, 'GW_ERR_INTERNAL')
          },
        )
        return
    }
    const segments = splitPath(path)
    const source = req.socket.remoteAddress ?? 'unknown'
    const routed =
      segments === null || options.management === null
        ? null
        : options.management({ method: req.method ?? 'GET', segments, query: url.searchParams, actor: { actor, source } satisfies Actor, body: () => readJson(req) })
    if (routed === null) return problem(res, 'GW_ERR_ROUTE_NOT_FOUND')
    routed.then(
      (reply) => sendReply(res, reply),
      (error: unknown) => {
        const mapped = mapError(error)
        if (mapped.code === 'GW_ERR_ADMIN_STORE_UNAVAILABLE') options.onError(error, `${req.method ?? ''} ${path}`)
        problem(res, mapped.code, mapped.detail, {}, mapped.errors)
        // An unread or oversized body must not be parsed as the next request.
        if (error instanceof BodyError) res.once('finish', () => req.destroy())
      },
    )
  })
  if (options.dashboard != null) {
    const dashboard = options.dashboard
    server.once('close', () => dashboard.close())
  }
  server.headersTimeout = 5000
  server.requestTimeout = 10000
  return server
}
