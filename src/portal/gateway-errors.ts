/**
 * The problem responses the gateway itself may send for an operation: those of the gateway core
 * (any request), and those of each policy in force on the route. The table of policy codes is
 * kept in step with the policies' sources by a test (gateway-errors.test.ts).
 */
import { ERROR_CODES, type ErrorCode } from '../errors.js'

/** Codes any request may be answered with, whatever the policies: malformed requests, overload, the upstream's failures. */
export const CORE_ERROR_CODES: readonly ErrorCode[] = [
  'GW_ERR_REQUEST_MALFORMED',
  'GW_ERR_REQUEST_PATH_INVALID',
  'GW_ERR_METHOD_NOT_ALLOWED',
  'GW_ERR_REQUEST_TIMEOUT',
  'GW_ERR_REQUEST_HEADERS_TOO_LARGE',
  'GW_ERR_REQUEST_BODY_INCOMPLETE',
  'GW_ERR_GATEWAY_OVERLOADED',
  'GW_ERR_UPSTREAM_UNAVAILABLE',
  'GW_ERR_UPSTREAM_BAD_RESPONSE',
  'GW_ERR_UPSTREAM_TIMEOUT',
  'GW_ERR_UPSTREAM_CIRCUIT_OPEN',
  'GW_ERR_INTERNAL',
]

/** Codes each policy answers with (a policy that fails closed adds GW_ERR_POLICY_FAILED). */
export const POLICY_ERROR_CODES: Readonly<Record<string, readonly ErrorCode[]>> = {
  'request-limits': ['GW_ERR_REQUEST_URL_TOO_LONG', 'GW_ERR_REQUEST_HEADERS_TOO_LARGE', 'GW_ERR_REQUEST_BODY_TOO_LARGE'],
  'ip-filter': ['GW_ERR_IP_DENIED'],
  cors: ['GW_ERR_CORS_ORIGIN_DENIED', 'GW_ERR_CORS_PREFLIGHT_DENIED'],
  auth: ['GW_ERR_AUTH_REQUIRED', 'GW_ERR_AUTH_INVALID', 'GW_ERR_AUTH_MALFORMED', 'GW_ERR_AUTH_INSUFFICIENT_SCOPE', 'GW_ERR_AUTH_UNAVAILABLE'],
  authz: ['GW_ERR_AUTH_REQUIRED', 'GW_ERR_AUTHZ_DENIED', 'GW_ERR_AUTHZ_EVALUATION_FAILED'],
  'rate-limit': ['GW_ERR_RATE_LIMITED', 'GW_ERR_QUOTA_EXCEEDED', 'GW_ERR_CONCURRENCY_LIMITED', 'GW_ERR_RATE_LIMIT_BANNED', 'GW_ERR_RATE_LIMIT_UNAVAILABLE'],
  'openapi-validation': ['GW_ERR_REQUEST_INVALID', 'GW_ERR_UNSUPPORTED_MEDIA_TYPE', 'GW_ERR_REQUEST_BODY_TOO_LARGE', 'GW_ERR_UPSTREAM_RESPONSE_INVALID'],
  waf: ['GW_ERR_WAF_BLOCKED', 'GW_ERR_REQUEST_BODY_TOO_LARGE'],
  masking: ['GW_ERR_UPSTREAM_BAD_RESPONSE'],
  detection: ['GW_ERR_CLIENT_BANNED', 'GW_ERR_RATE_LIMITED'],
  'security-headers': [],
  inventory: [],
}

export interface GatewayErrorEntry {
  readonly code: ErrorCode
  readonly status: number
  readonly title: string
  /** What may send it: `gateway`, or the policies' names. */
  readonly sources: readonly string[]
}

/** The codes a route with these policies may be answered with, and the `extra` ones with their sources (the API's lifecycle, its versioning), by status then code. */
export function gatewayErrorsFor(policies: readonly string[], extra: readonly (readonly [ErrorCode, string])[] = []): GatewayErrorEntry[] {
  const sources = new Map<ErrorCode, string[]>()
  const add = (code: ErrorCode, source: string) => {
    const list = sources.get(code) ?? []
    if (!list.includes(source)) list.push(source)
    sources.set(code, list)
  }
  for (const code of CORE_ERROR_CODES) add(code, 'gateway')
  for (const policy of policies) {
    for (const code of POLICY_ERROR_CODES[policy] ?? []) add(code, policy)
    add('GW_ERR_POLICY_FAILED', policy)
  }
  for (const [code, source] of extra) add(code, source)
  return [...sources]
    .map(([code, from]) => ({ code, status: ERROR_CODES[code].status, title: ERROR_CODES[code].title, sources: from }))
    .sort((a, b) => a.status - b.status || a.code.localeCompare(b.code))
}
