/** Finding the credentials a request carries, and the WWW-Authenticate challenges (RFC 6750 §3). */
import type { RequestContext } from '../../pipeline/context.js'

// RFC 6750 §2.1: "Bearer" 1*SP b64token
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

export type Bearer = { kind: 'none' } | { kind: 'token'; token: string } | { kind: 'malformed' }

/** How many times the request carries header `name` (node keeps only the first Authorization). */
function headerCount(ctx: RequestContext, name: string): number {
  let count = 0
  const raw = ctx.rawHeaders
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).length === name.length && (raw[i] as string).toLowerCase() === name) count++
  return count
}

export function bearerToken(ctx: RequestContext): Bearer {
  const value = ctx.headers.authorization
  if (value === undefined) return { kind: 'none' }
  if (headerCount(ctx, 'authorization') > 1) return { kind: 'malformed' }
  const match = BEARER.exec(value)
  if (match === null) return /^bearer\b/i.test(value) ? { kind: 'malformed' } : { kind: 'none' }
  return { kind: 'token', token: match[1] as string }
}

export type PresentedKey = { kind: 'none' } | { kind: 'key'; key: string; from: 'header' | 'query' } | { kind: 'malformed' }

export function apiKey(ctx: RequestContext, header: string, queryParameter: string | undefined): PresentedKey {
  const value = ctx.headers[header]
  if (value !== undefined) {
    if (Array.isArray(value) || headerCount(ctx, header) > 1) return { kind: 'malformed' }
    return value === '' ? { kind: 'malformed' } : { kind: 'key', key: value, from: 'header' }
  }
  if (queryParameter !== undefined && ctx.query !== '') {
    const values = new URLSearchParams(ctx.query).getAll(queryParameter)
    if (values.length > 1) return { kind: 'malformed' }
    if (values.length === 1) return { kind: 'key', key: values[0] as string, from: 'query' }
  }
  return { kind: 'none' }
}

/** A JWS compact serialisation has three base64url parts; anything else is an opaque token. */
export function looksLikeJwt(token: string): boolean {
  const first = token.indexOf('.')
  return first > 0 && token.indexOf('.', first + 1) > first + 1 && token.split('.').length === 3
}

export interface ChallengeOptions {
  realm: string
  bearer: boolean
  apiKeyHeader: string | null
}

/** One challenge per accepted scheme; `error` (and `scope`) only where RFC 6750 asks for them. */
export function challenges(options: ChallengeOptions, error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope', scope?: readonly string[]): string[] {
  const params = [`realm="${options.realm}"`]
  if (error !== undefined) params.push(`error="${error}"`)
  if (scope !== undefined && scope.length > 0) params.push(`scope="${scope.join(' ')}"`)
  const out: string[] = []
  if (options.bearer) out.push(`Bearer ${params.join(', ')}`)
  if (options.apiKeyHeader !== null) out.push(`ApiKey ${params.join(', ')}, header="${options.apiKeyHeader}"`)
  if (out.length === 0) out.push(`Mutual ${params.join(', ')}`)
  return out
}
