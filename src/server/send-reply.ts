/** Writes a local reply (problem or not) to the client. */
import type { ServerResponse } from 'node:http'
import type { Http2ServerResponse } from 'node:http2'
import { renderProblem, type HeaderValue, type Reply } from '../pipeline/reply.js'
import { mergeAdded } from '../upstream/response-headers.js'

export type ClientResponse = ServerResponse | Http2ServerResponse

/** Sends `reply`; returns the body length (0 when the response could no longer be sent). */
export function sendReply(res: ClientResponse, requestId: string, reply: Reply, added: ReadonlyMap<string, HeaderValue> | null = null): number {
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return 0
  }
  const headers: Record<string, HeaderValue> = {}
  mergeAdded(headers, added)
  const addedVary = headers.vary
  Object.assign(headers, reply.headers)
  // `Vary` lists what the answer depends on: the reply's own (a preflight's) adds to the request's.
  if (typeof addedVary === 'string' && typeof reply.headers.vary === 'string') headers.vary = `${reply.headers.vary}, ${addedVary}`
  headers['x-request-id'] = requestId
  let body = reply.body
  if (reply.code !== null) {
    body = renderProblem(reply.code, reply.status, requestId, reply.detail, reply.extensions)
    headers['content-type'] = 'application/problem+json'
    headers['cache-control'] = 'no-store'
    headers['x-content-type-options'] = 'nosniff'
  }
  const length = body === null ? 0 : Buffer.byteLength(body)
  headers['content-length'] = String(length)
  ;(res as ServerResponse).writeHead(reply.status, headers as Record<string, string | string[]>)
  if (body === null) res.end()
  else (res as ServerResponse).end(body)
  return length
}
