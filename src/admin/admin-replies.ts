/**
 * How the admin listener answers: JSON, problem+json with a stable code, management replies, and
 * the bounded JSON body reader. Shared by the admin API and the dashboard.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import type { ErrorCode } from '../errors.js'
import { ERROR_CODES } from '../errors.js'
import { renderProblem } from '../pipeline/reply.js'
import { ConflictError, NotFoundError } from './management.js'
import { InvalidInputError } from './management-input.js'
import type { ManagementReply } from './management-routes.js'

const MAX_BODY_BYTES = 64 * 1024

/** A request body refused before it reached a route: too large, not JSON. */
export class BodyError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

export function mapError(error: unknown): { code: ErrorCode; detail: string | null; errors?: readonly { path: string; message: string }[] } {
  if (error instanceof InvalidInputError) return { code: 'GW_ERR_ADMIN_INVALID_INPUT', detail: null, errors: error.problems }
  if (error instanceof BodyError) return { code: error.code, detail: error.message }
  if (error instanceof NotFoundError) return { code: 'GW_ERR_ADMIN_NOT_FOUND', detail: error.message }
  if (error instanceof ConflictError) return { code: 'GW_ERR_ADMIN_CONFLICT', detail: error.message }
  return { code: 'GW_ERR_ADMIN_STORE_UNAVAILABLE', detail: null }
}

/** The JSON body, at most 64 KiB, `{}` when empty. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
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

export function sendReply(res: ServerResponse, reply: ManagementReply): void {
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

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export function methodNotAllowed(res: ServerResponse, allow: string): void {
  problem(res, 'GW_ERR_METHOD_NOT_ALLOWED', null, { allow })
}

export function problem(res: ServerResponse, code: ErrorCode, detail: string | null = null, headers: Record<string, string> = {}, errors?: readonly { path: string; message: string }[]): void {
  const { status } = ERROR_CODES[code]
  const body = renderProblem(code, status, randomUUID(), detail, errors === undefined ? undefined : { errors })
  res.writeHead(status, { ...headers, 'content-type': 'application/problem+json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** Decoded path segments, or null when one is not valid percent-encoding. */
export function splitPath(path: string): string[] | null {
  try {
    return path.split('/').filter((s) => s !== '').map(decodeURIComponent)
  } catch {
    return null
  }
}
