/** Finding the credentials a request carries, and the WWW-Authenticate challenges (RFC 6750 §3). */
import type { RequestContext } from '../../pipeline/context.js'

// RFC 6750 §2.1: "Bearer" 1*SP b64token; RFC 9449 §7.1: "DPoP" 1*SP token68
const BEARER = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i

export type Bearer = { kind: 'none' } | { kind: 'token'; token: string; scheme: 'bearer' | 'dpop' } | { kind: 'malformed' }

/** How many times the request carries header `name` (node keeps only the first Authorization). */
function headerCount(ctx: RequestContext, name: string): number {
  let count = 0
  const raw = ctx.rawHeaders
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).length === name.length && (raw[i] as string).toLowerCase() === name) count++
  return count
}

/** The access token of `Authorization: Bearer …`, or of `Authorization: DPoP …` when DPoP is accepted. */
export function bearerToken(ctx: RequestContext, dpopAccepted: boolean): Bearer {
  const value = ctx.headers.authorization
  if (value === undefined) return { kind: 'none' }
  if (headerCount(ctx, 'authorization') > 1) return { kind: 'malformed' }
  const match = BEARER.exec(value)
  if (match === null) return /^(bearer|dpop)\b/i.test(value) && (dpopAccepted || /^bearer\b/i.test(value)) ? { kind: 'malformed' } : { kind: 'none' }
  const scheme = (match[1] as string).toLowerCase() === 'dpop' ? 'dpop' : 'bearer'
  if (scheme === 'dpop' && !dpopAccepted) return { kind: 'none' }
  return { kind: 'token', token: match[2] as string, scheme }
}

/**
 * The URL the client addressed (scheme, host, path), as DPoP's `htu` names it: https on TLS, or
 * when a trusted proxy (one whose X-Forwarded-For was believed) says so in X-Forwarded-Proto.
 */
export function requestUrl(ctx: RequestContext): string {
  const viaTrustedProxy = ctx.client.address !== ctx.client.peerAddress
  const secure = ctx.client.tls !== null || (viaTrustedProxy && ctx.headers['x-forwarded-proto'] === 'https')
  const host = ctx.headers.host ?? (ctx.headers[':authority'] as string | undefined) ?? ''
  return `${secure ? 'https' : 'http'}://${host}${ctx.path}`
}

export type Proof = { kind: 'none' } | { kind: 'proof'; proof: string } | { kind: 'malformed' }

/** The `DPoP` proof header (RFC 9449 §4.1): exactly one. */
export function dpopProof(ctx: RequestContext): Proof {
  const value = ctx.headers.dpop
  if (value === undefined) return { kind: 'none' }
  if (typeof value !== 'string' || headerCount(ctx, 'dpop') > 1 || value === '') return { kind: 'malformed' }
  return { kind: 'proof', proof: value }
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
  /** Proof algorithms when DPoP is accepted (the `algs` of the DPoP challenge, RFC 9449 §7.1). */
  dpopAlgorithms: readonly string[] | null
  apiKeyHeader: string | null
}

export type ChallengeError = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof'

/** One challenge per accepted scheme; `error` (and `scope`) only where RFC 6750 and RFC 9449 ask for them. */
export function challenges(options: ChallengeOptions, error?: ChallengeError, scope?: readonly string[]): string[] {
  const params = [`realm="${options.realm}"`]
  const tokenError = error === 'invalid_dpop_proof' ? 'invalid_token' : error
  if (tokenError !== undefined) params.push(`error="${tokenError}"`)
  if (scope !== undefined && scope.length > 0) params.push(`scope="${scope.join(' ')}"`)
  const out: string[] = []
  if (options.bearer) out.push(`Bearer ${params.join(', ')}`)
  if (options.dpopAlgorithms !== null) {
    const dpopParams = error === 'invalid_dpop_proof' ? [params[0] as string, 'error="invalid_dpop_proof"'] : params
    out.push(`DPoP ${dpopParams.join(', ')}, algs="${options.dpopAlgorithms.join(' ')}"`)
  }
  if (options.apiKeyHeader !== null) out.push(`ApiKey ${params.join(', ')}, header="${options.apiKeyHeader}"`)
  if (out.length === 0) out.push(`Mutual ${params.join(', ')}`)
  return out
}
