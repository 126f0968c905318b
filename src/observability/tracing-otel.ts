/**
 * The OpenTelemetry implementation of `tracing.ts`, imported only when tracing is on. Spans are
 * parented explicitly (no context manager, no AsyncLocalStorage, nothing registered globally):
 * the exchange holds its request's trace and hands it each step. Sampling is parent-based with a
 * trace-id ratio for new traces, decided by the SDK's sampler before any span is made: a request
 * that is not sampled costs two ids and that decision (the SDK's own non-recording span cost ~2 µs,
 * several per cent of a proxied request), and its upstreams still get a `traceparent` continuing
 * the trace.
 * Spans are exported over OTLP/HTTP (JSON) in batches from a bounded queue.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace, type Attributes, type Context, type Span, type TraceState, type Tracer } from '@opentelemetry/api'
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions'
import { LogThrottle, errorSummary } from './log-throttle.js'
import { PooledTraceIds } from './trace-ids.js'
import type { RequestOutcome, RequestTrace, TracedAttempt, TracedPhase, TracedRequest, Tracing, TracingOptions } from './tracing.js'

/** Portcullis's own span attributes. */
export const ATTR_PORTCULLIS_API = 'portcullis.api'
export const ATTR_PORTCULLIS_POLICY = 'portcullis.policy'
export const ATTR_PORTCULLIS_CODE = 'portcullis.code'
export const ATTR_PORTCULLIS_PHASE = 'portcullis.phase'

const EXPORT_FAILURE_LOG_INTERVAL_MS = 60_000

/** Methods recorded as they are; any other is `_OTHER` with the original beside it (HTTP semantic conventions). */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY'])

export function createOtelTracing(options: TracingOptions): Tracing {
  const exporter = new ThrottledFailureLog(
    new OTLPTraceExporter({ url: options.endpoint, headers: { ...options.headers }, timeoutMillis: options.exportTimeoutMs }),
    options.logger,
  )
  const ids = new PooledTraceIds()
  const sampler = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) })
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName, [ATTR_SERVICE_VERSION]: options.serviceVersion })),
    sampler,
    idGenerator: ids,
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        maxQueueSize: options.maxQueueSize,
        maxExportBatchSize: Math.min(512, options.maxQueueSize),
        scheduledDelayMillis: options.exportIntervalMs,
        exportTimeoutMillis: options.exportTimeoutMs,
      }),
    ],
  })
  const tracer = provider.getTracer('portcullis', options.serviceVersion)
  const propagator = new W3CTraceContextPropagator()

  return {
    startRequest(request) {
      const parent = request.headers.traceparent === undefined ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter)
      const remote = trace.getSpanContext(parent)
      const traceId = remote?.traceId ?? ids.generateTraceId()
      const name = spanMethod(request.method)
      if (sampler.shouldSample(parent, traceId, name, SpanKind.SERVER, {}, []).decision !== SamplingDecision.RECORD_AND_SAMPLED) {
        return new PropagatedTrace(traceId, ids.generateSpanId(), remote?.traceState)
      }
      // A new trace: the SDK draws its trace id, and must draw the one just sampled (it samples it again, alike).
      ids.useTraceIdOnce(remote === undefined ? traceId : null)
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, startTime: request.startTime }, parent)
      ids.useTraceIdOnce(null)
      span.setAttributes(requestAttributes(request))
      return new RecordedTrace(tracer, span, propagator, request.method)
    },
    async shutdown() {
      await provider.shutdown()
    },
  }
}

function spanMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'HTTP'
}

function methodAttributes(method: string, out: Attributes): Attributes {
  if (KNOWN_METHODS.has(method)) out[ATTR_HTTP_REQUEST_METHOD] = method
  else {
    out[ATTR_HTTP_REQUEST_METHOD] = '_OTHER'
    out[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = method
  }
  return out
}

function requestAttributes(request: TracedRequest): Attributes {
  const attributes = methodAttributes(request.method, {
    [ATTR_URL_PATH]: request.path,
    [ATTR_URL_SCHEME]: request.scheme,
    [ATTR_NETWORK_PROTOCOL_VERSION]: request.protocolVersion,
    [ATTR_NETWORK_PEER_ADDRESS]: request.peerAddress,
    [ATTR_NETWORK_PEER_PORT]: request.peerPort,
  })
  const host = request.headers.host ?? (request.headers[':authority'] as string | undefined)
  if (host !== undefined) {
    const { address, port } = splitHost(host)
    attributes[ATTR_SERVER_ADDRESS] = address
    if (port !== null) attributes[ATTR_SERVER_PORT] = port
  }
  const agent = request.headers['user-agent']
  if (agent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = agent
  return attributes
}

/** `host[:port]` or `[v6]:port` of a Host field or an origin's authority. */
function splitHost(authority: string): { address: string; port: number | null } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(authority)
  if (match === null) return { address: authority, port: null }
  const address = (match[1] as string).replace(/^\[(.*)\]$/, '$1')
  return { address, port: match[2] === undefined ? null : Number(match[2]) }
}

/** The `traceparent` (and `tracestate`) continuing the span in `context`, as `[name, value, …]`. */
function traceFields(propagator: W3CTraceContextPropagator, context: Context): string[] {
  const carrier: Record<string, string> = {}
  propagator.inject(context, carrier, defaultTextMapSetter)
  const fields: string[] = []
  for (const name in carrier) fields.push(name, carrier[name] as string)
  return fields
}

/**
 * A request the sampler left out: nothing is recorded, and every upstream attempt carries the
 * same `traceparent` (the trace id, this hop's span id, sampled flag off) and the client's
 * `tracestate`, so the upstream's own spans and logs can still join the trace.
 */
class PropagatedTrace implements RequestTrace {
  readonly traceId: string
  readonly spanId: string
  readonly #traceState: TraceState | undefined
  #fields: string[] | null = null

  constructor(traceId: string, spanId: string, traceState: TraceState | undefined) {
    this.traceId = traceId
    this.spanId = spanId
    this.#traceState = traceState
  }

  startPhase(): void {}
  endPhase(): void {}
  startAttempt(): readonly string[] {
    return (this.#fields ??= this.#traceFields())
  }
  // W3C Trace Context §3.2: version 00, trace id, parent id, flags (not sampled).
  #traceFields(): string[] {
    const fields = ['traceparent', `00-${this.traceId}-${this.spanId}-00`]
    const state = this.#traceState?.serialize()
    if (state !== undefined && state !== '') fields.push('tracestate', state)
    return fields
  }
  attemptResponded(): void {}
  endAttempt(): void {}
  end(): void {}
}

/** A sampled request: the server span, and at most one phase span and one attempt span open at a time (they run in turn). */
class RecordedTrace implements RequestTrace {
  readonly traceId: string
  readonly spanId: string
  readonly #tracer: Tracer
  readonly #span: Span
  readonly #context: Context
  readonly #propagator: W3CTraceContextPropagator
  readonly #method: string
  #phase: Span | null = null
  #attempt: Span | null = null
  #ended = false

  constructor(tracer: Tracer, span: Span, propagator: W3CTraceContextPropagator, method: string) {
    const context = span.spanContext()
    this.traceId = context.traceId
    this.spanId = context.spanId
    this.#tracer = tracer
    this.#span = span
    this.#context = trace.setSpan(ROOT_CONTEXT, span)
    this.#propagator = propagator
    this.#method = method
  }

  startPhase(phase: TracedPhase): void {
    if (this.#ended) return
    this.#phase?.end()
    this.#phase = this.#tracer.startSpan(phase, { kind: SpanKind.INTERNAL, attributes: { [ATTR_PORTCULLIS_PHASE]: phase } }, this.#context)
  }

  endPhase(policy: string | null, code: string | null): void {
    const span = this.#phase
    if (span === null) return
    this.#phase = null
    if (policy !== null) span.setAttribute(ATTR_PORTCULLIS_POLICY, policy)
    if (code !== null) span.setAttribute(ATTR_PORTCULLIS_CODE, code)
    span.end()
  }

  startAttempt(attempt: TracedAttempt): readonly string[] {
    if (this.#ended) return []
    this.endAttempt('abandoned')
    const { address, port } = splitHost(attempt.origin.slice(attempt.origin.indexOf('//') + 2))
    const attributes = methodAttributes(attempt.method, {
      [ATTR_SERVER_ADDRESS]: address,
      [ATTR_SERVER_PORT]: port ?? (attempt.origin.startsWith('https:') ? 443 : 80),
      [ATTR_URL_FULL]: attempt.origin + attempt.path,
    })
    if (attempt.resendCount > 0) attributes[ATTR_HTTP_REQUEST_RESEND_COUNT] = attempt.resendCount
    const span = this.#tracer.startSpan(spanMethod(attempt.method), { kind: SpanKind.CLIENT, attributes }, this.#context)
    this.#attempt = span
    return traceFields(this.#propagator, trace.setSpan(ROOT_CONTEXT, span))
  }

  attemptResponded(status: number): void {
    const span = this.#attempt
    if (span === null) return
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
    // HTTP semantic conventions: a client span with a 4xx or 5xx answer is an error.
    if (status >= 400) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status))
      span.setStatus({ code: SpanStatusCode.ERROR })
    }
  }

  endAttempt(failure: string | null): void {
    const span = this.#attempt
    if (span === null) return
    this.#attempt = null
    if (failure !== null) {
      span.setAttribute(ATTR_ERROR_TYPE, failure)
      span.setStatus({ code: SpanStatusCode.ERROR })
    }
    span.end()
  }

  end(outcome: RequestOutcome): void {
    if (this.#ended) return
    // Whatever is still open was cut short by the request's end (the client went away).
    this.endPhase(null, null)
    this.endAttempt('aborted')
    this.#ended = true
    const span = this.#span
    const attributes: Attributes = { [ATTR_HTTP_RESPONSE_STATUS_CODE]: outcome.status, [ATTR_CLIENT_ADDRESS]: outcome.clientAddress }
    if (outcome.route !== null) {
      attributes[ATTR_HTTP_ROUTE] = outcome.route
      span.updateName(`${spanMethod(this.#method)} ${outcome.route}`)
    }
    if (outcome.api !== null) attributes[ATTR_PORTCULLIS_API] = outcome.api
    if (outcome.policy !== null) attributes[ATTR_PORTCULLIS_POLICY] = outcome.policy
    if (outcome.code !== null) attributes[ATTR_PORTCULLIS_CODE] = outcome.code
    // HTTP semantic conventions: a server span is an error on 5xx only; 4xx is the client's.
    if (outcome.status >= 500) {
      attributes[ATTR_ERROR_TYPE] = outcome.code ?? String(outcome.status)
      span.setStatus({ code: SpanStatusCode.ERROR })
    }
    span.setAttributes(attributes)
    span.end()
  }
}

/** Passes batches to the OTLP exporter and says a failing collector in the log, once per interval with a count. */
class ThrottledFailureLog implements SpanExporter {
  readonly #inner: SpanExporter
  readonly #logger: TracingOptions['logger']
  readonly #throttle = new LogThrottle(EXPORT_FAILURE_LOG_INTERVAL_MS)

  constructor(inner: SpanExporter, logger: TracingOptions['logger']) {
    this.#inner = inner
    this.#logger = logger
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        const failures = this.#throttle.occurred(Date.now())
        if (failures > 0) this.#logger.warn({ failures, spans: spans.length, err: result.error === undefined ? undefined : errorSummary(result.error) }, 'trace export failed; these spans are dropped')
      }
      done(result)
    })
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown()
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve()
  }
}
