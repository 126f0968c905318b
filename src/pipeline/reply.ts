/**
 * Verdicts: what a hook returns. `undefined` continues the chain; a `Reply` answers the client
 * locally and stops it. Expected denials are replies, not exceptions.
 */
import { ERROR_CODES, type ErrorCode } from '../errors.js'

export type HeaderValue = string | readonly string[]

/** A local answer from the gateway instead of (or in place of) the upstream's. */
export interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, HeaderValue>>
  readonly body: string | Buffer | null
  /** Stable problem code when the reply is an error; logged and counted. */
  readonly code: ErrorCode | null
  readonly detail: string | null
  /** Extra problem members (RFC 9457 extensions), e.g. the list of validation `errors`. */
  readonly extensions?: Readonly<Record<string, unknown>>
}

// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- hooks that fall off their end continue
export type Verdict = Reply | undefined | void

/** Builders for replies, so policies never hand-roll problem bodies. */
export const respond = {
  /** A problem reply (RFC 9457); the body is rendered with the request id when sent. */
  problem(code: ErrorCode, options: { detail?: string; headers?: Record<string, HeaderValue>; status?: number; extensions?: Record<string, unknown> } = {}): Reply {
    return {
      status: options.status ?? ERROR_CODES[code].status,
      headers: options.headers ?? {},
      body: null,
      code,
      detail: options.detail ?? null,
      ...(options.extensions === undefined ? {} : { extensions: options.extensions }),
    }
  },
  /** A reply with no problem: preflight answers, redirects, static content. */
  send(status: number, headers: Record<string, HeaderValue> = {}, body: string | Buffer | null = null): Reply {
    return { status, headers, body, code: null, detail: null }
  },
}

/** Renders a problem reply body; the request id lets operators find the log line. */
export function renderProblem(code: ErrorCode, status: number, requestId: string, detail: string | null, extensions?: Readonly<Record<string, unknown>>): string {
  const problem: Record<string, unknown> = {
    type: `urn:portcullis:error:${code}`,
    title: ERROR_CODES[code].title,
    status,
    code,
    requestId,
  }
  if (detail !== null) problem.detail = detail
  return JSON.stringify(extensions === undefined ? problem : { ...problem, ...extensions })
}

export function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && 'status' in value && 'code' in value
}
