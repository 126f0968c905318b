/**
 * The admin listener: `/metrics` behind a bearer token whose SHA-256 is in the config (compared
 * in constant time), `/healthz` and `/readyz` for probes. Bound to loopback unless the config
 * explicitly allows otherwise.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { ErrorCode } from '../errors.js'
import { ERROR_CODES } from '../errors.js'
import { renderProblem } from '../pipeline/reply.js'

export interface AdminOptions {
  tokenHash: string
  publicProbes: boolean
  isReady(): boolean
  metrics(): Promise<{ contentType: string; body: string }>
  onError(error: unknown): void
}

export function createAdminServer(options: AdminOptions): Server {
  const expected = Buffer.from(options.tokenHash, 'hex')
  const authorized = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization
    if (header === undefined || !header.startsWith('Bearer ')) return false
    const presented = createHash('sha256').update(header.slice(7)).digest()
    return timingSafeEqual(presented, expected)
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const isProbe = path === '/healthz' || path === '/readyz'
    if (req.method !== 'GET' && req.method !== 'HEAD') return problem(res, 'GW_ERR_METHOD_NOT_ALLOWED', { allow: 'GET, HEAD' })
    if (!(isProbe && options.publicProbes) && !authorized(req)) {
      return problem(res, 'GW_ERR_ADMIN_UNAUTHORIZED', { 'www-authenticate': 'Bearer realm="portcullis-admin"' })
    }
    switch (path) {
      case '/healthz':
        return json(res, 200, { status: 'ok' })
      case '/readyz':
        return options.isReady() ? json(res, 200, { status: 'ready' }) : json(res, 503, { status: 'starting' })
      case '/metrics':
        options.metrics().then(
          ({ contentType, body }) => {
            res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' })
            res.end(body)
          },
          (error: unknown) => {
            options.onError(error)
            problem(res, 'GW_ERR_INTERNAL')
          },
        )
        return
      default:
        return problem(res, 'GW_ERR_ROUTE_NOT_FOUND')
    }
  })
  server.headersTimeout = 5000
  server.requestTimeout = 10000
  return server
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function problem(res: ServerResponse, code: ErrorCode, headers: Record<string, string> = {}): void {
  const { status } = ERROR_CODES[code]
  const body = renderProblem(code, status, randomUUID(), null)
  res.writeHead(status, { ...headers, 'content-type': 'application/problem+json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}
