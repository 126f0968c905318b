/**
 * The per-request object every hook sees. It is transport-neutral: the server adapter fills it
 * from node:http or node:http2, and tests build one directly.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { HeaderValue } from './reply.js'

/** The verified client certificate of an mTLS connection, as handed to policies. */
export interface ClientCertificate {
  readonly subject: Readonly<Record<string, string>>
  readonly issuer: Readonly<Record<string, string>>
  readonly subjectAltNames: readonly string[]
  readonly serialNumber: string
  /** SHA-256 of the DER certificate, hex upper-case with colons as node prints it. */
  readonly fingerprint256: string
  /** Base64url SHA-256 thumbprint of the DER certificate (RFC 8705 `x5t#S256`). */
  readonly thumbprintS256: string
  readonly validTo: string
}

export interface TlsInfo {
  readonly protocol: string | null
  readonly cipher: string | null
  readonly alpnProtocol: string | null
  readonly serverName: string | null
  /** Present only when the certificate chain verified against the configured CA. */
  readonly clientCertificate: ClientCertificate | null
}

export interface ClientInfo {
  /** The client's address after applying the trusted-proxy list. */
  readonly address: string
  /** The socket peer's address (the last hop). */
  readonly peerAddress: string
  readonly peerPort: number
  readonly tls: TlsInfo | null
}

export interface MatchedRoute {
  readonly api: string
  /** Route template relative to the API's base path, e.g. `/orders/{id}`; `*` for catch-all APIs. */
  readonly template: string
  readonly operationId: string | null
  readonly params: Readonly<Record<string, string>>
}

/**
 * Typed per-request state for policies. Policies add their fields by declaration merging:
 * `declare module '../pipeline/context.js' { interface RequestState { principal?: Principal } }`
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- extended by declaration merging
export interface RequestState {}

/**
 * What a policy records about one of its security decisions, for the request's security event.
 * Never values from the request or response: reasons, rule ids, names, counts, masked excerpts.
 */
export interface SecurityNote {
  /** Why, in a word or a short phrase: `expired`, `insufficient_scope`, the unmet requirement. */
  readonly reason?: string
  /** Ids of the rules that decided (WAF rule ids). */
  readonly ruleIds?: readonly string[]
  /** Name of the rule that decided (authz's `requirements`, a rate limit's name). */
  readonly ruleName?: string
  /**
   * The event's action when it differs from what the reply's code says (a ban that starts now), or
   * for a decision that let the request through (`sensitive-data-masked`, a report-only match):
   * such a note is an event of its own.
   */
  readonly action?: string
  /** Policy-specific fields, shown under `portcullis.details`. */
  readonly details?: Readonly<Record<string, unknown>>
}

/** The upstream's response as seen by response hooks. */
export interface UpstreamResponse {
  status: number
  headers: Record<string, HeaderValue>
}

export class RequestContext {
  readonly requestId: string
  readonly method: string
  /** Raw path without the query, exactly as received. */
  readonly path: string
  /** Raw query string without `?`, or the empty string. */
  readonly query: string
  readonly headers: Readonly<IncomingHttpHeaders>
  /** Header names and values in arrival order, duplicates kept (node's `rawHeaders`). */
  readonly rawHeaders: readonly string[]
  readonly client: ClientInfo
  readonly route: MatchedRoute
  /** True for a CORS preflight routed to the route of the method it asks about. */
  readonly isPreflight: boolean
  /** `performance.now()` when the request arrived, in ms. */
  readonly receivedAt: number
  // Created on first use: most requests through most chains never touch them.
  #upstreamHeaders: Map<string, string | null> | null = null
  #responseHeaders: Map<string, HeaderValue> | null = null
  #removedResponseHeaders: Set<string> | null = null
  #state: RequestState | null = null
  #logFields: Record<string, unknown> | null = null
  #securityNotes: Map<string, SecurityNote> | null = null

  /** Headers to set (string) or remove (null) on the request sent upstream. */
  get upstreamHeaders(): Map<string, string | null> {
    return (this.#upstreamHeaders ??= new Map())
  }

  /** Headers to set on the response sent to the client, whatever produced it. */
  get responseHeaders(): Map<string, HeaderValue> {
    return (this.#responseHeaders ??= new Map())
  }

  /** Adds a field name to the response's `Vary` (it lists what the answer depends on, so it is added to, never replaced). */
  addVary(field: string): void {
    const headers = this.responseHeaders
    const existing = headers.get('vary')
    headers.set('vary', typeof existing === 'string' && existing !== '' ? `${existing}, ${field}` : field)
  }

  /** Headers to remove from the upstream's response. */
  get removedResponseHeaders(): Set<string> {
    return (this.#removedResponseHeaders ??= new Set())
  }

  get state(): RequestState {
    return (this.#state ??= {})
  }

  /**
   * Adds a field to this request's access-log line (e.g. `authz` with the decision). Names must
   * not be those of the line's own fields; a value must be JSON-serialisable.
   */
  setLogField(name: string, value: unknown): void {
    ;(this.#logFields ??= {})[name] = value
  }

  /** Fields policies added to the access-log line, or null. */
  get logFields(): Readonly<Record<string, unknown>> | null {
    return this.#logFields
  }

  /**
   * Records what `policy` decided, for the request's security event: the deciding policy's note
   * completes the denial's event; a note with an `action` from a policy that did not refuse the
   * request is an event of its own. A second note of the same policy replaces the first.
   */
  noteSecurity(policy: string, note: SecurityNote): void {
    ;(this.#securityNotes ??= new Map()).set(policy, note)
  }

  /** The policies' security notes, or null (most requests). */
  get securityNotes(): ReadonlyMap<string, SecurityNote> | null {
    return this.#securityNotes
  }

  // Read by the gateway without creating empty collections.
  get upstreamHeaderEdits(): ReadonlyMap<string, string | null> | null {
    return this.#upstreamHeaders
  }

  get addedResponseHeaders(): ReadonlyMap<string, HeaderValue> | null {
    return this.#responseHeaders
  }

  get responseHeaderRemovals(): ReadonlySet<string> | null {
    return this.#removedResponseHeaders
  }
  /** The policy whose verdict answered the request locally, for logs and metrics. */
  decidingPolicy: string | null = null
  /** The buffered request body, when a policy asked for it. */
  requestBody: Buffer | null = null
  /**
   * The upstream response, from the onResponse phase on; left null when the route has neither
   * `onResponse` nor `onResponseBody` hooks (the response is then relayed without an object).
   */
  response: UpstreamResponse | null = null
  /** The buffered response body, when a policy asked for it; hooks may replace it. */
  responseBody: Buffer | null = null

  constructor(init: {
    requestId: string
    method: string
    path: string
    query: string
    headers: IncomingHttpHeaders
    rawHeaders: readonly string[]
    client: ClientInfo
    route: MatchedRoute
    isPreflight: boolean
    receivedAt: number
  }) {
    this.requestId = init.requestId
    this.method = init.method
    this.path = init.path
    this.query = init.query
    this.headers = init.headers
    this.rawHeaders = init.rawHeaders
    this.client = init.client
    this.route = init.route
    this.isPreflight = init.isPreflight
    this.receivedAt = init.receivedAt
  }
}
