/**
 * The admin listener: `/metrics` and the management API (consumers, keys, audit log) behind a
 * bearer token whose SHA-256 is in the config (compared in constant time), `/healthz` and
 * `/readyz` for probes. Bound to loopback unless the config explicitly allows otherwise.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { ErrorCode } from '../errors.js'
import { ERROR_CODES } from '../errors.js'
import { renderProblem } from '../pipeline/reply.js'
import { ConflictError, NotFoundError, type Actor } from './management.js'
import { InvalidInputError } from './management-input.js'
import type { ManagementReply, ManagementRequest } from './management-routes.js'

export interface AdminOptions {
  tokenHash: string
  publicProbes: boolean
  isReady(): boolean
  metrics(): Promise<{ contentType: string; body: string }>
  /** The management routes; null when the gateway has no data store. */
  management: ((req: ManagementRequest) => Promise<ManagementReply> | null) | null
  onError(error: unknown, context: string): void
  /** A request without a valid admin token (a security event). */
  onAuthFailure?(source: string, method: string, path: string, reason: 'missing' | 'invalid' | 'ambiguous'): void
}

const MAX_BODY_BYTES = 64 * 1024
/** RFC 9110 §11.1 and §11.4: the scheme is case-insensitive, then one or more spaces, then the token. */
const BEARER = /^bearer +(\S.*)$/i
const CHALLENGE = 'Bearer realm="portcullis-admin"'

class BodyError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

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
  server.headersTimeout = 5000
  server.requestTimeout = 10000
  return server
}

function splitPath(path: string): string[] | null {
  try {
    return path.split('/').filter((s) => s !== '').map(decodeURIComponent)
  } catch {
    return null
  }
}

function mapError(error: unknown): { code: ErrorCode; detail: string | null; errors?: readonly { path: string; message: string }[] } {
  if (error instanceof InvalidInputError) return { code: 'GW_ERR_ADMIN_INVALID_INPUT', detail: null, errors: error.problems }
  if (error instanceof BodyError) return { code: error.code, detail: error.message }
  if (error instanceof NotFoundError) return { code: 'GW_ERR_ADMIN_NOT_FOUND', detail: error.message }
  if (error instanceof ConflictError) return { code: 'GW_ERR_ADMIN_CONFLICT', detail: error.message }
  return { code: 'GW_ERR_ADMIN_STORE_UNAVAILABLE', detail: null }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_BODY_BYTES) throw new BodyError('GW_ERR_REQUEST_BODY_TOO_LARGE', `at most ${MAX_BODY_BYTES} bytes`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new BodyError('GW_ERR_REQUEST_BODY_TOO_LARGE', `at most ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  if (size === 0) return {}
  const type = req.headers['content-type'] ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new BodyError('GW_ERR_ADMIN_INVALID_INPUT', 'the body must be application/json')
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
  } catch {
    throw new BodyError('GW_ERR_ADMIN_INVALID_INPUT', 'the body is not valid JSON')
  }
}

function sendReply(res: ServerResponse, reply: ManagementReply): void {
  switch (reply.kind) {
    case 'method-not-allowed':
      return methodNotAllowed(res, reply.allow)
    case 'empty':
      res.writeHead(204, { 'cache-control': 'no-store' })
      res.end()
      return
    case 'json':
      return json(res, reply.status, reply.body, reply.location === undefined ? {} : { location: reply.location })
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  problem(res, 'GW_ERR_METHOD_NOT_ALLOWED', null, { allow })
}

function problem(res: ServerResponse, code: ErrorCode, detail: string | null = null, headers: Record<string, string> = {}, errors?: readonly { path: string; message: string }[]): void {
  const { status } = ERROR_CODES[code]
  const body = renderProblem(code, status, randomUUID(), detail, errors === undefined ? undefined : { errors })
  res.writeHead(status, { ...headers, 'content-type': 'application/problem+json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}
