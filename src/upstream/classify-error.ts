/** Maps an upstream failure to what the client is told and how health checks count it. */
import type { ErrorCode } from '../errors.js'

export type UpstreamFailureKind = 'connect' | 'timeout' | 'reset' | 'bad_response'

export interface UpstreamFailure {
  kind: UpstreamFailureKind
  code: ErrorCode
  /** Whether the request can safely be sent again (nothing reached the upstream's app, or it is idempotent). */
  retryable: boolean
}

export function classifyUpstreamError(error: unknown): UpstreamFailure {
  const code = (error as { code?: string }).code ?? ''
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return { kind: 'timeout', code: 'GW_ERR_UPSTREAM_TIMEOUT', retryable: false }
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { kind: 'connect', code: 'GW_ERR_UPSTREAM_UNAVAILABLE', retryable: true }
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { kind: 'reset', code: 'GW_ERR_UPSTREAM_UNAVAILABLE', retryable: true }
    default:
      return { kind: 'bad_response', code: 'GW_ERR_UPSTREAM_BAD_RESPONSE', retryable: false }
  }
}

/** Upstream statuses that count as failures for health and the breaker (gateway failures). */
export function isGatewayFailureStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504
}
