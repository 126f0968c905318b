/**
 * Every error a client or an operator can see, in one registry.
 *
 * Codes are stable: clients and dashboards switch on them. `docs/errors.md` lists each one and a
 * test keeps the two in sync.
 */

/** Client-facing error codes with the HTTP status and title they are answered with. */
export const ERROR_CODES = {
  GW_ERR_ROUTE_NOT_FOUND: { status: 404, title: 'No API or route matches this request' },
  GW_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'The method is not allowed on this path' },
  GW_ERR_API_GONE: { status: 410, title: 'This API or operation is no longer served' },
  GW_ERR_API_VERSION_REQUIRED: { status: 400, title: 'The request must name a version of this API' },
  GW_ERR_API_VERSION_UNKNOWN: { status: 400, title: 'The request names no version of this API' },
  GW_ERR_API_VERSION_NOT_ACCEPTABLE: { status: 406, title: 'No version of this API matches the Accept header' },
  GW_ERR_REQUEST_MALFORMED: { status: 400, title: 'The request could not be parsed' },
  GW_ERR_REQUEST_PATH_INVALID: { status: 400, title: 'The request path is not valid' },
  GW_ERR_REQUEST_TIMEOUT: { status: 408, title: 'The request was not received in time' },
  GW_ERR_REQUEST_URL_TOO_LONG: { status: 414, title: 'The request URL is too long' },
  GW_ERR_REQUEST_HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  GW_ERR_REQUEST_BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  GW_ERR_REQUEST_INVALID: { status: 400, title: 'The request does not match the API description' },
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body’s media type is not accepted here' },
  GW_ERR_REQUEST_BODY_INCOMPLETE: { status: 400, title: 'The request body ended early or is malformed' },
  GW_ERR_TRANSFER_CODING_UNSUPPORTED: { status: 501, title: 'The request’s transfer coding is not supported' },
  GW_ERR_HTTP_VERSION_NOT_SUPPORTED: { status: 505, title: 'The HTTP version is not supported' },
  GW_ERR_EXPECTATION_FAILED: { status: 417, title: 'The request’s expectation cannot be met' },
  GW_ERR_PIPELINE_LIMIT: { status: 503, title: 'Too many pipelined requests on this connection' },
  GW_ERR_GATEWAY_OVERLOADED: { status: 503, title: 'The gateway is temporarily overloaded' },
  GW_ERR_IP_DENIED: { status: 403, title: 'Requests from this address are not allowed' },
  GW_ERR_WAF_BLOCKED: { status: 403, title: 'The request was blocked by the web application firewall' },
  GW_ERR_CORS_ORIGIN_DENIED: { status: 403, title: 'This origin is not allowed' },
  GW_ERR_CORS_PREFLIGHT_DENIED: { status: 403, title: 'The CORS preflight request is not allowed' },
  GW_ERR_AUTH_REQUIRED: { status: 401, title: 'Authentication is required' },
  GW_ERR_AUTH_INVALID: { status: 401, title: 'The credential is not valid' },
  GW_ERR_AUTH_MALFORMED: { status: 400, title: 'The credential is malformed or ambiguous' },
  GW_ERR_AUTH_INSUFFICIENT_SCOPE: { status: 403, title: 'The credential lacks a required scope' },
  GW_ERR_AUTH_UNAVAILABLE: { status: 503, title: 'Authentication is temporarily unavailable' },
  GW_ERR_AUTHZ_DENIED: { status: 403, title: 'The credential does not allow this operation' },
  GW_ERR_AUTHZ_EVALUATION_FAILED: { status: 403, title: 'The authorization policy could not be evaluated' },
  GW_ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  GW_ERR_QUOTA_EXCEEDED: { status: 429, title: 'The quota for this period is used up' },
  GW_ERR_CONCURRENCY_LIMITED: { status: 503, title: 'Too many requests in flight' },
  GW_ERR_RATE_LIMIT_BANNED: { status: 429, title: 'Too many refused requests: temporarily banned' },
  GW_ERR_CLIENT_BANNED: { status: 403, title: 'Requests from this client are temporarily refused' },
  GW_ERR_RATE_LIMIT_UNAVAILABLE: { status: 503, title: 'Rate limiting is temporarily unavailable' },
  GW_ERR_POLICY_FAILED: { status: 500, title: 'A security policy could not be evaluated' },
  GW_ERR_UPSTREAM_UNAVAILABLE: { status: 502, title: 'The upstream service could not be reached' },
  GW_ERR_UPSTREAM_BAD_RESPONSE: { status: 502, title: 'The upstream service sent an invalid response' },
  GW_ERR_UPSTREAM_RESPONSE_INVALID: { status: 502, title: 'The upstream’s response does not match the API description' },
  GW_ERR_UPSTREAM_TIMEOUT: { status: 504, title: 'The upstream service did not answer in time' },
  GW_ERR_UPSTREAM_CIRCUIT_OPEN: { status: 503, title: 'The upstream service is temporarily unavailable' },
  GW_ERR_INTERNAL: { status: 500, title: 'The gateway failed to process the request' },
  GW_ERR_ADMIN_UNAUTHORIZED: { status: 401, title: 'A valid admin token is required' },
  GW_ERR_ADMIN_INVALID_INPUT: { status: 400, title: 'The admin request is not valid' },
  GW_ERR_ADMIN_NOT_FOUND: { status: 404, title: 'The consumer or key does not exist' },
  GW_ERR_ADMIN_CONFLICT: { status: 409, title: 'The change conflicts with the current state' },
  GW_ERR_ADMIN_STORE_UNAVAILABLE: { status: 503, title: 'The data store is unavailable' },
  GW_ERR_DASHBOARD_UNAUTHENTICATED: { status: 401, title: 'A dashboard session is required' },
  GW_ERR_DASHBOARD_LOGIN_FAILED: { status: 401, title: 'The dashboard log-in failed' },
  GW_ERR_DASHBOARD_CSRF: { status: 403, title: 'The request failed the cross-site request check' },
  GW_ERR_DASHBOARD_HOST_DENIED: { status: 421, title: 'The dashboard is not served under this host name' },
  GW_ERR_DASHBOARD_STREAMS_EXHAUSTED: { status: 503, title: 'Too many live dashboard streams are open' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ERROR_CODES

/** Operator-facing error codes: configuration and startup problems. Never sent to clients. */
export const OPERATOR_ERROR_CODES = {
  GW_ERR_CONFIG_INVALID: 'The configuration does not satisfy the schema or a cross-field check',
  GW_ERR_CONFIG_UNREADABLE: 'The configuration file or a file it references could not be read or parsed',
  GW_ERR_CONFIG_REFERENCE: 'An ${env:…} or ${file:…} reference could not be resolved',
  GW_ERR_LISTEN_FAILED: 'A listener could not bind its address',
  GW_ERR_DATA_STORE_UNAVAILABLE: 'The data store (stores.data) could not be opened or migrated',
} as const

export type OperatorErrorCode = keyof typeof OPERATOR_ERROR_CODES

/** An error that maps to a client-facing problem response. */
export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly status: number

  constructor(code: ErrorCode, message?: string, options?: ErrorOptions) {
    super(message ?? ERROR_CODES[code].title, options)
    this.name = 'GatewayError'
    this.code = code
    this.status = ERROR_CODES[code].status
  }
}

/** One problem in a configuration, located by its path (`apis[0].upstream.url`). */
export interface ConfigProblem {
  path: string
  message: string
}

/** A configuration that cannot be used; carries every problem found, not just the first. */
export class ConfigError extends Error {
  readonly code: OperatorErrorCode
  readonly problems: readonly ConfigProblem[]

  constructor(code: OperatorErrorCode, problems: readonly ConfigProblem[], options?: ErrorOptions) {
    super(problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n'), options)
    this.name = 'ConfigError'
    this.code = code
    this.problems = problems
  }
}
