/**
 * One request through the gateway: route → request hooks → (body hooks) → upstream → response
 * hooks → client, then log and metrics. The upstream response is streamed from undici's
 * dispatcher straight into the client response unless a policy asked for the body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import type { Readable, Writable } from 'node:stream'
import { util as undiciUtil } from 'undici'
import { GatewayError, type ErrorCode } from '../errors.js'
import { resolveClientAddress } from '../net/client-address.js'
import type { RequestTrace, Tracing } from '../observability/tracing.js'
import { RequestContext, type TlsInfo } from '../pipeline/context.js'
import { respond, type HeaderValue, type Reply } from '../pipeline/reply.js'
import { runRequestBodyHooks, runRequestHooks, runResponseBodyHooks, runResponseHooks } from '../pipeline/run-chain.js'
import { refusesToForward, type PathHazard } from '../router/normalize-path.js'
import { classifyUpstreamError, isGatewayFailureStatus } from '../upstream/classify-error.js'
import { buildUpstreamHeaders } from '../upstream/request-headers.js'
import { buildClientResponseHeaders, clientFieldList } from '../upstream/response-headers.js'
import type { Target } from '../upstream/target.js'
import { BodyCollector, DISCARD, type BodySink } from './body-sinks.js'
import { connectionInfo } from './client-info.js'
import { ConnectionExchanges, type QueuedExchange } from './connection-exchanges.js'
import { finishExchange } from './finish-exchange.js'
import { limitBody, readBody } from './read-body.js'
import type { RouteRuntime, Runtime } from './runtime.js'
import { sendReply, type ClientResponse } from './send-reply.js'
import { SendWatchdog } from './send-watchdog.js'
import { UpstreamAttempt, type AttemptOwner } from './upstream-attempt.js'
import { versionRefusalReply } from './version-refusal.js'
import type { ServingState } from './serving-state.js'

export type ClientRequest = IncomingMessage | Http2ServerRequest

const { parseHeaders } = undiciUtil
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])
const REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/

const CONNECTION = Symbol('portcullis.connection')
type QueuedSocket = import('node:net').Socket & { [CONNECTION]?: ConnectionExchanges<Exchange> }

/** Entry point from the listeners. */
export function handleRequest(state: ServingState, req: ClientRequest, res: ClientResponse): void {
  let exchange: Exchange
  try {
    exchange = new Exchange(state, state.runtime, req, res)
  } catch (error) {
    // A connection torn down before the request was read; nothing can be answered on it.
    state.logger.debug({ err: error }, 'request dropped before it was read')
    res.destroy()
    return
  }
  if ((req as Http2ServerRequest).stream !== undefined) return exchange.begin()
  // HTTP/1: one request of a connection is served at a time, the rest wait in order.
  const socket = req.socket as QueuedSocket
  const connection = (socket[CONNECTION] ??= new ConnectionExchanges<Exchange>(socket, state.maxPipelinedRequests))
  exchange.connection = connection
  connection.admit(exchange)
}

/** The HTTP/1 connection's queue of exchanges, if the socket has served one (parser errors defer to it). */
export function connectionOf(socket: import('node:net').Socket): ConnectionExchanges<Exchange> | undefined {
  return (socket as QueuedSocket)[CONNECTION]
}

export class Exchange implements AttemptOwner, QueuedExchange {
  readonly state: ServingState
  readonly runtime: Runtime
  readonly req: ClientRequest
  readonly res: ClientResponse
  readonly receivedAt = performance.now()
  readonly requestId: string
  readonly peer: string
  readonly peerPort: number
  readonly tls: TlsInfo | null
  route: RouteRuntime | null = null
  ctx: RequestContext | null = null
  /** Problem code of a local error reply, for logs and metrics. */
  code: ErrorCode | null = null
  upstreamStartedAt: number | null = null
  upstreamEndedAt: number | null = null
  target: Target | null = null
  attempts = 0
  /** The API a path matched none of the routes of, for its `onUnrouted` hooks; null otherwise. */
  unmatched: { route: RouteRuntime; relativePath: string; query: string } | null = null
  /** This request's trace; null when tracing is off. */
  trace: RequestTrace | null = null
  /** The HTTP/1 connection's queue; null on HTTP/2. */
  connection: ConnectionExchanges<Exchange> | null = null
  /** Set once the exchange is accounted (logged, counted); it happens once whatever closes it. */
  finished = false
  /** Bytes of buffered bodies this exchange holds in `state.bufferBudget`, released when it finishes. */
  bufferedBytes = 0
  #sendWatchdog: SendWatchdog | null = null
  #continued = false
  #relativePath = ''
  #pathHazard: PathHazard = 'none'
  #query = ''
  #body: Buffer | Readable | null = null
  #retryStatus = 0
  /** Status of the upstream response being relayed (0 before one arrived). */
  #upstreamStatus = 0
  #collector: BodyCollector | null = null
  #attempt: UpstreamAttempt | null = null
  #declaredResponseLength: string | null = null
  /** Whether a policy may want the response's body (asked once the request hooks passed). */
  #mayReadResponse = false

  constructor(state: ServingState, runtime: Runtime, req: ClientRequest, res: ClientResponse) {
    this.state = state
    this.runtime = runtime
    this.req = req
    this.res = res
    const offered = req.headers['x-request-id']
    this.requestId = typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : state.nextRequestId()
    const socket = socketOf(req)
    const info = connectionInfo(socket)
    this.peer = info.peer
    this.peerPort = socket.remotePort ?? 0
    this.tls = info.tls
    runtime.inFlight++
    state.inFlight++
    if (state.draining && req.httpVersionMajor === 1) (res as { shouldKeepAlive: boolean }).shouldKeepAlive = false
    ;(res as ClientResponse & { [EXCHANGE]?: Exchange })[EXCHANGE] = this
    // `on`, not `once`: a response closes once, and `once` allocates a wrapper per request.
    res.on('close', onResponseClose)
  }

  /** Serves the request; any throw ends in `fail`. */
  /** The client's address: the peer, or from X-Forwarded-For when the peer is a trusted proxy. */
  clientAddress(): string {
    const runtime = this.runtime
    return runtime.hasTrustedProxies ? resolveClientAddress(this.peer, this.req.headers['x-forwarded-for'] as string | undefined, runtime.isTrustedProxy) : this.peer
  }

  begin(): void {
    try {
      this.start()
    } catch (error) {
      this.fail(error)
    }
  }

  /** The connection sent more pipelined requests than it may: this one is refused and the connection ends after it. */
  refuse(): void {
    this.problem('GW_ERR_PIPELINE_LIMIT', { 'retry-after': '1', connection: 'close' })
  }

  /** Finishes without an answer: the connection closed first, or it was refused before this request's turn. */
  abandon(code: ErrorCode | null = null, logged = true): void {
    if (this.finished) return
    if (code !== null) this.code = code
    finishExchange(this, logged)
  }

  reportUnlogged(count: number): void {
    this.state.logger.info({ client: this.peer, requests: count, code: 'GW_ERR_PIPELINE_LIMIT' }, 'pipelined requests past server.maxPipelinedRequests were not served (counted, not logged one by one)')
  }

  start(): void {
    const { req } = this
    const method = req.method ?? 'GET'
    const tracing = this.state.tracing
    if (tracing !== null) this.#startTrace(tracing, method)
    const refusal = this.connection === null ? null : protocolRefusal(req)
    if (refusal !== null) return this.problem(refusal, { connection: 'close' })
    const expect = req.headers.expect
    // RFC 9110 §10.1.1: the only expectation is 100-continue; the body of a refused one is not read.
    if (expect !== undefined && !CONTINUE.test(expect)) return this.problem('GW_ERR_EXPECTATION_FAILED', { connection: 'close' })
    const target = requestTarget(req)
    if (target === null) return this.problem('GW_ERR_REQUEST_PATH_INVALID')
    const { path, query, host } = target
    this.#query = query
    const headers = req.headers
    const portal = this.runtime.portal
    if (portal !== null && portal.covers(path)) return this.reply(portal.answer(method, path, headers))
    const preflight = method === 'OPTIONS' && headers.origin !== undefined ? (headers['access-control-request-method'] ?? null) : null
    const lookup = method === 'CONNECT' ? null : this.runtime.router.lookup(host, method, path, preflight, headers)
    if (lookup === null) return this.problem('GW_ERR_METHOD_NOT_ALLOWED')
    if (lookup.kind === 'version-refused') return this.reply(versionRefusalReply(lookup.refusal, true))
    if (lookup.kind !== 'match' && lookup.kind !== 'bad-path' && lookup.unmatched !== undefined) {
      this.unmatched = { route: lookup.unmatched.value, relativePath: lookup.unmatched.relativePath, query }
    }
    switch (lookup.kind) {
      case 'not-found':
        return this.problem('GW_ERR_ROUTE_NOT_FOUND', lookup.vary === undefined ? {} : { vary: lookup.vary })
      case 'bad-path':
        return this.problem('GW_ERR_REQUEST_PATH_INVALID')
      case 'method-not-allowed':
        return this.problem('GW_ERR_METHOD_NOT_ALLOWED', lookup.vary === undefined ? { allow: lookup.allow } : { allow: lookup.allow, vary: lookup.vary })
    }
    const route = lookup.value
    this.route = route
    this.#relativePath = route.api.stripBasePath ? lookup.relativePath : path
    this.#pathHazard = lookup.pathHazard
    const ctx = new RequestContext({
      requestId: this.requestId,
      method,
      path,
      query,
      headers,
      rawHeaders: req.rawHeaders,
      client: {
        address: this.clientAddress(),
        peerAddress: this.peer,
        peerPort: this.peerPort,
        tls: this.tls,
      },
      route: { api: route.api.name, template: route.template, operationId: route.operationId, params: lookup.params },
      isPreflight: lookup.isPreflight,
      receivedAt: this.receivedAt,
    })
    this.ctx = ctx
    // The version was chosen by a request field: every answer, the policies' and the upstream's, depends on it.
    if (route.api.vary !== null) ctx.addVary(route.api.vary)
    if (this.trace !== null && route.chain.onRequest.length > 0) this.trace.startPhase('onRequest')
    const verdict = runRequestHooks(route.chain, ctx, this.state.reportPolicyFailure)
    if (verdict instanceof Promise) this.#then(verdict, (reply) => this.#afterRequestHooks(reply))
    else this.#afterRequestHooks(verdict)
  }

  #startTrace(tracing: Tracing, method: string): void {
    const req = this.req
    this.trace = tracing.startRequest({
      method,
      path: tracedPath(req.url ?? '/'),
      scheme: this.tls === null ? 'http' : 'https',
      headers: req.headers,
      peerAddress: this.peer,
      peerPort: this.peerPort,
      protocolVersion: req.httpVersionMajor === 2 ? '2' : req.httpVersion,
      startTime: this.receivedAt,
    })
  }

  #afterRequestHooks(reply: Reply | undefined): void {
    if (reply !== undefined) return this.reply(reply)
    if (this.trace !== null) this.trace.endPhase(null, null)
    if (this.ctx?.isPreflight === true) {
      // No policy answered the preflight: the path has no OPTIONS operation of its own.
      return this.problem('GW_ERR_METHOD_NOT_ALLOWED')
    }
    const chain = (this.route as RouteRuntime).chain
    const ctx = this.ctx as RequestContext
    const readsBody = chain.onRequestBody.length > 0 && chain.wantsRequestBody(ctx)
    if (!readsBody && this.#refusesPath()) return
    this.#mayReadResponse = chain.onResponseBody.length > 0 && chain.wantsResponseBody(ctx)
    // Policies that read the response need it as the API describes it, not compressed.
    if (this.#mayReadResponse) ctx.upstreamHeaders.set('accept-encoding', 'identity')
    const declared = declaredLength(this.req)
    if (readsBody) {
      // A request without a body (most GETs) has nothing to wait for: no listeners, no extra turn of the loop.
      if (!hasBody(this.req)) this.#afterBody(NO_BODY)
      else if (declared !== null && declared > chain.bufferLimit) this.problem('GW_ERR_REQUEST_BODY_TOO_LARGE')
      else {
        this.#sendContinue()
        this.#then(readBody(this.req as Readable, chain.bufferLimit, declared, this.#reserver), (body) => this.#afterBody(body))
      }
      return
    }
    if (hasBody(this.req)) {
      const limit = chain.requestBodyLimit
      if (limit !== null && declared !== null && declared > limit) return this.problem('GW_ERR_REQUEST_BODY_TOO_LARGE')
      this.#sendContinue()
      this.#body = limit !== null && declared === null ? limitBody(this.req, limit) : (this.req)
    }
    this.forward(null)
  }

  /**
   * A path the upstream could read as another resource than the one routed (normalize-path.ts)
   * is refused where it would be forwarded, not before the policies: it was routed on its decoded
   * segments, so the policies judge what the gateway understood, and the WAF gets to refuse (403)
   * and log an attack hidden in it first.
   */
  #refusesPath(): boolean {
    if (!refusesToForward(this.#pathHazard, this.runtime.config.server.encodedSlashes)) return false
    this.problem('GW_ERR_REQUEST_PATH_INVALID')
    return true
  }

  /**
   * `Expect: 100-continue` is answered only once the body is wanted (RFC 9110 §10.1.1): a request
   * refused on its headers or its declared length gets its final answer without a 100 first.
   */
  #sendContinue(): void {
    // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
    if (this.#continued || this.req.headers.expect === undefined || (this.req.httpVersionMajor === 1 && this.req.httpVersionMinor === 0)) return
    this.#continued = true
    if (!this.res.headersSent) (this.res as ServerResponse).writeContinue()
  }

  /** Takes `bytes` from the process's buffered-bytes budget for this exchange; false when they do not fit or it has finished. */
  reserveBuffer(bytes: number): boolean {
    if (this.finished || !this.state.bufferBudget.tryReserve(bytes)) return false
    this.bufferedBytes += bytes
    return true
  }

  /** `reserveBuffer` as a function for the body readers (made only for exchanges that buffer). */
  get #reserver(): (bytes: number) => boolean {
    return (bytes) => this.reserveBuffer(bytes)
  }

  /** The response is pushing back (or bytes wait after its end): the client must read within `server.sendTimeoutMs`. */
  watchSend(): void {
    if (this.finished) return
    this.#sendWatchdog ??= new SendWatchdog(this.res, this.state.sendTimeoutMs, () => {
      this.state.logger.info({ requestId: this.requestId, client: this.peer }, 'the client read none of the response in server.sendTimeoutMs; connection closed')
      this.res.destroy()
    })
    this.#sendWatchdog.arm()
  }

  /** Stops the send timeout (the exchange finished). */
  stopWatchingSend(): void {
    this.#sendWatchdog?.stop()
  }

  #afterBody(body: Buffer): void {
    const ctx = this.ctx as RequestContext
    ctx.requestBody = body
    if (this.trace !== null) this.trace.startPhase('onRequestBody')
    this.#thenMaybe(runRequestBodyHooks((this.route as RouteRuntime).chain, ctx, this.state.reportPolicyFailure), (reply) => {
      if (reply !== undefined) return this.reply(reply)
      if (this.trace !== null) this.trace.endPhase(null, null)
      if (this.#refusesPath()) return
      this.#body = ctx.requestBody
      this.forward(null)
    })
  }

  /** Sends the request to a target; `failed` is the target that just failed, avoided if possible. */
  forward(failed: Target | null): void {
    // A hook that settles after the exchange finished (client gone, connection closed) sends nothing.
    if (this.finished || this.res.destroyed) return
    const route = this.route as RouteRuntime
    const ctx = this.ctx as RequestContext
    const upstream = route.api.upstream
    const now = this.state.clock.now()
    if (!upstream.breaker.allowRequest(now)) {
      this.state.metrics.upstreamErrors.labels(route.api.name, 'circuit_open').inc()
      return this.problem('GW_ERR_UPSTREAM_CIRCUIT_OPEN', { 'retry-after': String(Math.ceil(upstream.config.circuitBreaker.openMs / 1000)) })
    }
    const target = upstream.pick(now, failed)
    this.target = target
    target.pending++
    this.upstreamStartedAt ??= performance.now()
    const body = this.#body
    const relativePath = target.pathPrefix + this.#relativePath
    const trace = this.trace === null ? null : this.trace.startAttempt({ method: ctx.method, origin: target.origin, path: relativePath, resendCount: this.attempts })
    const headers = buildUpstreamHeaders(
      this.req.headers,
      {
        peerAddress: this.peer,
        peerTrusted: this.runtime.hasTrustedProxies && this.runtime.isTrustedProxy(this.peer),
        protocol: this.tls === null ? 'http' : 'https',
        requestId: this.requestId,
        upstreamHost: target.host,
        bodyLength: Buffer.isBuffer(body) ? body.length : null,
        trace,
      },
      ctx.upstreamHeaderEdits,
    )
    const path = this.#query === '' ? relativePath : `${relativePath}?${this.#query}`
    const attempt = new UpstreamAttempt(this, target)
    this.#attempt = attempt
    target.pool.dispatch({ path, method: ctx.method, headers, body }, attempt)
  }

  /** The upstream's status and header fields arrived; returns where its body goes. */
  upstreamHeaders(status: number, rawHeaders: readonly (Buffer | string)[]): BodySink {
    if (this.finished) return DISCARD
    if (this.trace !== null) this.trace.attemptResponded(status)
    const route = this.route as RouteRuntime
    const ctx = this.ctx as RequestContext
    if (route.api.upstream.retryOnStatus.has(status) && this.#canRetry()) {
      this.#retryStatus = status
      return DISCARD
    }
    this.#upstreamStatus = status
    const chain = route.chain
    if (chain.onResponse.length === 0 && !this.#mayReadResponse && this.req.httpVersionMajor === 1) {
      this.#writeFieldList(status, clientFieldList(rawHeaders, this.requestId, ctx.addedResponseHeaders, ctx.responseHeaderRemovals))
      return this.res
    }
    ctx.response = { status, headers: parseHeaders(rawHeaders as Buffer[]) }
    if (chain.onResponse.length > 0) {
      if (this.trace !== null) this.trace.startPhase('onResponse')
      const reply = runResponseHooks(chain, ctx, this.state.reportPolicyFailure)
      if (reply !== undefined) {
        this.reply(reply)
        return DISCARD
      }
      if (this.trace !== null) this.trace.endPhase(null, null)
    }
    if (this.#mayReadResponse && chain.wantsResponseBody(ctx)) {
      this.#collector = new BodyCollector(this.state.maxBufferedResponseBytes, this.#reserver)
      return this.#collector
    }
    this.#writeHead()
    return this.res
  }

  #writeFieldList(status: number, fields: string[]): void {
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'content-length') {
        this.#declaredResponseLength = fields[i + 1] as string
        break
      }
    }
    ;(this.res as ServerResponse).writeHead(status, fields)
  }

  #writeHead(): void {
    const ctx = this.ctx as RequestContext
    const response = ctx.response as NonNullable<RequestContext['response']>
    const out = buildClientResponseHeaders(response.headers, ctx.addedResponseHeaders, ctx.responseHeaderRemovals)
    out['x-request-id'] = this.requestId
    const length = out['content-length']
    this.#declaredResponseLength = typeof length === 'string' ? length : null
    this.res.writeHead(response.status, out as Record<string, string | string[]>)
  }

  upstreamComplete(target: Target): void {
    this.upstreamEndedAt = performance.now()
    if (this.trace !== null) this.trace.endAttempt(null)
    target.pending--
    const upstream = (this.route as RouteRuntime).api.upstream
    const now = this.state.clock.now()
    const status = this.#retryStatus !== 0 ? this.#retryStatus : this.#upstreamStatus
    const failed = isGatewayFailureStatus(status)
    upstream.breaker.record(!failed, now)
    if (failed) target.recordFailure(now)
    else target.recordSuccess()
    if (this.#retryStatus !== 0) {
      this.state.metrics.upstreamErrors.labels((this.route as RouteRuntime).api.name, 'status').inc()
      this.#retryStatus = 0
      this.attempts++
      return this.forward(target)
    }
    const collector = this.#collector
    if (collector !== null) this.#afterResponseBody(collector)
    else this.#watchIfQueued()
  }

  /** After a response's end: bytes the client has not taken yet are watched by the send timeout. */
  #watchIfQueued(): void {
    const res = this.res as unknown as { writableLength: number; writableFinished: boolean }
    if (!res.writableFinished && res.writableLength > 0) this.watchSend()
  }

  #afterResponseBody(collector: BodyCollector): void {
    const ctx = this.ctx as RequestContext
    if (collector.overBudget) return this.problem('GW_ERR_GATEWAY_OVERLOADED', { 'retry-after': '1' })
    if (collector.overflowed) return this.problem('GW_ERR_UPSTREAM_BAD_RESPONSE')
    this.#collector = null
    ctx.responseBody = collector.body()
    if (this.trace !== null) this.trace.startPhase('onResponseBody')
    this.#thenMaybe(runResponseBodyHooks((this.route as RouteRuntime).chain, ctx, this.state.reportPolicyFailure), (reply) => {
      if (reply !== undefined) return this.reply(reply)
      if (this.trace !== null) this.trace.endPhase(null, null)
      const body = ctx.responseBody ?? Buffer.alloc(0)
      // A hook's body larger than what was read still counts until it is sent (it may pass the limit).
      if (body.length > this.bufferedBytes) {
        this.state.bufferBudget.forceReserve(body.length - this.bufferedBytes)
        this.bufferedBytes = body.length
      }
      const response = ctx.response as NonNullable<RequestContext['response']>
      delete response.headers['transfer-encoding']
      response.headers['content-length'] = String(body.length)
      this.#writeHead()
      ;(this.res as unknown as Writable).end(body)
      this.#watchIfQueued()
    })
  }

  upstreamFailed(target: Target, error: unknown): void {
    this.upstreamEndedAt = performance.now()
    if (this.trace !== null) this.trace.endAttempt(attemptFailure(error, this.#attempt?.aborted === true))
    target.pending--
    if (error instanceof GatewayError) return this.fail(error)
    if (this.res.destroyed || this.#attempt?.aborted === true) return
    const failure = classifyUpstreamError(error)
    const route = this.route as RouteRuntime
    const now = this.state.clock.now()
    route.api.upstream.breaker.record(false, now)
    target.recordFailure(now)
    this.state.metrics.upstreamErrors.labels(route.api.name, failure.kind).inc()
    if (this.res.headersSent) {
      // A reply already sent in full (a policy answered locally) stays; a cut stream is cut.
      if (!this.res.writableEnded) this.res.destroy()
      return
    }
    if (failure.retryable && this.#canRetry()) {
      this.attempts++
      return this.forward(target)
    }
    this.state.logger.warn({ requestId: this.requestId, api: route.api.name, upstream: target.origin, err: { code: (error as { code?: string }).code, kind: failure.kind } }, 'upstream request failed')
    this.problem(failure.code)
  }

  #canRetry(): boolean {
    const route = this.route as RouteRuntime
    return (
      this.attempts < route.api.upstream.config.retries &&
      IDEMPOTENT.has((this.ctx as RequestContext).method) &&
      (this.#body === null || Buffer.isBuffer(this.#body)) &&
      !this.res.headersSent
    )
  }

  /** Continues with `next` once `pending` settles; a rejection or a throw in `next` ends in `fail`. */
  #then<T>(pending: Promise<T>, next: (value: T) => void): void {
    pending.then(next).catch((error: unknown) => this.fail(error))
  }

  /** `#then` for a value that may have arrived already: synchronous hooks go on at once, failures handled alike. */
  #thenMaybe<T>(value: T | Promise<T>, next: (value: T) => void): void {
    if (value instanceof Promise) return this.#then(value, next)
    try {
      next(value)
    } catch (error) {
      this.fail(error)
    }
  }

  reply(reply: Reply): void {
    if (this.finished) return
    if (reply.code !== null) this.code = reply.code
    // A local answer ends the phase that gave it (if one is open), with the policy that decided.
    if (this.trace !== null) this.trace.endPhase(this.ctx?.decidingPolicy ?? null, reply.code)
    const headers = reply.code === 'GW_ERR_REQUEST_BODY_TOO_LARGE' && this.req.httpVersionMajor === 1 ? { ...reply.headers, connection: 'close' } : reply.headers
    const length = sendReply(this.res, this.requestId, headers === reply.headers ? reply : { ...reply, headers }, this.ctx?.addedResponseHeaders ?? null)
    this.#declaredResponseLength = String(length)
    this.#watchIfQueued()
  }

  problem(code: ErrorCode, headers: Record<string, HeaderValue> = {}): void {
    this.reply(respond.problem(code, { headers }))
  }

  /** Any throw that is not a verdict: a GatewayError keeps its code; anything else is a 500 without internals. */
  fail(error: unknown): void {
    if (error instanceof GatewayError) return this.problem(error.code, error.code === 'GW_ERR_GATEWAY_OVERLOADED' ? { 'retry-after': '1' } : {})
    this.state.logger.error({ requestId: this.requestId, err: error }, 'request failed')
    this.problem('GW_ERR_INTERNAL')
  }

  /** Body bytes sent, as declared by Content-Length; null for a streamed (chunked) body. */
  bodyBytesSent(): number | null {
    const declared = this.#declaredResponseLength
    return declared === null ? null : Number(declared)
  }

  /** Aborts the upstream exchange when the client went away before the response ended. */
  abortUpstream(): void {
    this.#attempt?.abort()
  }
}

const EXCHANGE = Symbol('portcullis.exchange')

function onResponseClose(this: ClientResponse & { [EXCHANGE]?: Exchange }): void {
  const exchange = this[EXCHANGE]
  if (exchange !== undefined) finishExchange(exchange)
}

/** The path of a request target for a span: origin-form or absolute-form, without the query (it may carry credentials). */
function tracedPath(url: string): string {
  let start = 0
  if (url.charCodeAt(0) !== 47 /* / */) {
    const scheme = url.indexOf('://')
    start = scheme === -1 ? 0 : url.indexOf('/', scheme + 3)
    if (start === -1) return '/'
  }
  const q = url.indexOf('?', start)
  return q === -1 ? (start === 0 ? url : url.slice(start)) : url.slice(start, q)
}

/** Why an attempt failed, for its span. */
function attemptFailure(error: unknown, aborted: boolean): string {
  if (aborted) return 'aborted'
  if (error instanceof GatewayError) return error.code
  return classifyUpstreamError(error).kind
}

const CHUNKED_ONLY = /^[\t ]*chunked[\t ]*$/i
const CONTINUE = /^[\t ]*100-continue[\t ]*$/i

/**
 * What an HTTP/1 request line and framing must satisfy before anything else looks at it; Node's
 * parser lets these through. The answer closes the connection: after a framing the gateway does
 * not understand, nothing more on it can be trusted.
 */
function protocolRefusal(req: ClientRequest): ErrorCode | null {
  // RFC 9112 §2.3: HTTP/2 is negotiated (ALPN), never named in an HTTP/1 request line.
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) return 'GW_ERR_HTTP_VERSION_NOT_SUPPORTED'
  const headers = req.headers
  // RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host field.
  if (headers.host === undefined ? req.httpVersionMinor === 1 : hostCount(req.rawHeaders) > 1) return 'GW_ERR_REQUEST_MALFORMED'
  // RFC 9112 §6.1: a transfer coding the gateway does not implement (anything but `chunked` alone) is 501.
  const coding = headers['transfer-encoding']
  if (coding !== undefined && !CHUNKED_ONLY.test(coding)) return 'GW_ERR_TRANSFER_CODING_UNSUPPORTED'
  return null
}

function hostCount(raw: readonly string[]): number {
  let count = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    // `host` in any case, by character codes (| 0x20 folds ASCII letters): no string per header.
    if (name.length === 4 && (name.charCodeAt(0) | 0x20) === 104 && (name.charCodeAt(1) | 0x20) === 111 && (name.charCodeAt(2) | 0x20) === 115 && (name.charCodeAt(3) | 0x20) === 116) count++
  }
  return count
}

function socketOf(req: ClientRequest): import('node:net').Socket {
  const stream = (req as Http2ServerRequest).stream as Http2ServerRequest['stream'] | undefined
  return (stream?.session?.socket ?? req.socket)
}

/** Splits the request target; absolute-form (RFC 9112 §3.2.2) is accepted and its authority wins. */
function requestTarget(req: ClientRequest): { path: string; query: string; host: string | undefined } | null {
  let url = req.url ?? '/'
  let host = req.headers.host ?? (req.headers[':authority'] as string | undefined)
  if (url.charCodeAt(0) !== 47 /* / */) {
    const match = /^https?:\/\/([^/?#]+)(\/[^#]*)?$/i.exec(url)
    if (match === null) return null
    host = match[1]
    url = match[2] ?? '/'
  }
  const q = url.indexOf('?')
  return q === -1 ? { path: url, query: '', host } : { path: url.slice(0, q), query: url.slice(q + 1), host }
}

function declaredLength(req: ClientRequest): number | null {
  const value = req.headers['content-length']
  return value === undefined ? null : Number(value)
}

const NO_BODY = Buffer.alloc(0)

function hasBody(req: ClientRequest): boolean {
  const headers = req.headers
  if (headers['transfer-encoding'] !== undefined) return true
  const length = headers['content-length']
  if (length !== undefined) return length !== '0'
  const stream = (req as Http2ServerRequest).stream as Http2ServerRequest['stream'] | undefined
  return stream !== undefined && !stream.endAfterHeaders
}
