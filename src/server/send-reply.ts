/** Writes a local reply (problem or not) to the client. */
import type { ServerResponse } from 'node:http'
import type { Http2ServerResponse } from 'node:http2'
import type { ErrorCode } from '../errors.js'
import { ERROR_CODES } from '../errors.js'
import { renderProblem, type HeaderValue, type Reply } from '../pipeline/reply.js'
import { mergeAdded } from '../upstream/response-headers.js'

export type ClientResponse = ServerResponse | Http2ServerResponse

const NO_HEADERS: ReadonlyMap<string, HeaderValue> = new Map()

export function sendReply(res: ClientResponse, requestId: string, reply: Reply, added: ReadonlyMap<string, HeaderValue> = NO_HEADERS): void {
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return
  }
  const headers: Record<string, HeaderValue> = {}
  mergeAdded(headers, added)
  Object.assign(headers, reply.headers)
  headers['x-request-id'] = requestId
  let body = reply.body
  if (reply.code !== null) {
    body = renderProblem(reply.code, reply.status, requestId, reply.detail)
    headers['content-type'] = 'application/problem+json'
    headers['cache-control'] = 'no-store'
    headers['x-content-type-options'] = 'nosniff'
  }
  if (body !== null) headers['content-length'] = String(Buffer.byteLength(body))
  ;(res as ServerResponse).writeHead(reply.status, headers as Record<string, string | string[]>)
  if (body === null) res.end()
  else (res as ServerResponse).end(body)
}

/** A problem reply without a request context (before routing, or outside any route). */
export function sendProblem(res: ClientResponse, requestId: string, code: ErrorCode, headers: Record<string, HeaderValue> = {}): void {
  sendReply(res, requestId, { status: ERROR_CODES[code].status, headers, body: null, code, detail: null })
}
