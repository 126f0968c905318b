/**
 * After the response: one access-log line, metrics, `onLog` hooks. Runs once per exchange, on the
 * response's `close` event or when its connection's queue abandons it, so aborted and never
 * served requests are accounted too (status 499, as nginx logs them); then the exchange's
 * buffered bytes are released and the next pipelined request of its connection may start.
 */
import type { Http2ServerResponse } from 'node:http2'
import type { AccessLogEntry } from '../observability/access-log.js'
import { runLogHooks, runUnroutedHooks } from '../pipeline/run-chain.js'
import type { Exchange } from './exchange.js'
import { emitRequestEvents } from './request-events.js'

/** `logged` false: counted in the metrics and the gauge, without an access line (a flood's requests, summarised elsewhere). */
export function finishExchange(exchange: Exchange, logged = true): void {
  if (exchange.finished) return
  exchange.finished = true
  const { state, runtime, res, route, ctx } = exchange
  const completed = responseCompleted(res)
  exchange.stopWatchingSend()
  // Whatever the response's state (a local answer may have ended it while the upstream still
  // runs), an attempt that has not ended is abandoned.
  exchange.abortUpstream()
  if (exchange.bufferedBytes > 0) {
    state.bufferBudget.release(exchange.bufferedBytes)
    exchange.bufferedBytes = 0
  }
  const status = completed ? res.statusCode : 499
  const now = performance.now()
  const durationMs = now - exchange.receivedAt
  const upstreamMs = exchange.upstreamStartedAt === null ? null : (exchange.upstreamEndedAt ?? now) - exchange.upstreamStartedAt
  const api = route?.api.name ?? ''
  const metrics = state.metrics

  state.inFlight--
  const stats = route === null ? state.unmatchedStats : (route.stats ??= metrics.routes.get(route.api.name, route.template))
  stats.record(status, durationMs / 1000, upstreamMs === null ? null : upstreamMs / 1000)
  if (route !== null) (route.api.traffic ??= metrics.versions.get(route.api.apiName, route.api.version)).record(state.clock.now())
  const policy = ctx?.decidingPolicy ?? null
  if (exchange.code !== null) metrics.denials.labels(api, policy ?? 'gateway', exchange.code).inc()
  const trace = exchange.trace
  if (trace !== null) {
    trace.end({
      status,
      api: route?.api.name ?? null,
      route: route === null ? null : (route.spanRoute ??= routeTemplate(route.api.basePath, route.template)),
      clientAddress: ctx?.client.address ?? exchange.peer,
      code: exchange.code,
      policy,
    })
  }
  // Only refused requests and those a policy noted (masking) pay for an event.
  if (state.events !== null && (exchange.code !== null || (ctx !== null && ctx.securityNotes !== null))) emitRequestEvents(state.events, exchange, status)

  const needEntry = logged && (state.accessLog !== null || (route !== null && route.chain.onLog.length > 0))
  if (needEntry) {
    const entry: AccessLogEntry = {
      requestId: exchange.requestId,
      client: ctx?.client.address ?? exchange.peer,
      method: exchange.req.method ?? '',
      api: route?.api.name ?? null,
      route: route?.template ?? null,
      status,
      bytesIn: Number(exchange.req.headers['content-length'] ?? 0),
      bytesOut: exchange.bodyBytesSent(),
      durationMs: round(durationMs),
      upstreamMs: upstreamMs === null ? null : round(upstreamMs),
      policy,
      code: exchange.code,
      upstream: exchange.target?.origin ?? null,
      protocol: exchange.req.httpVersion,
      fields: ctx?.logFields ?? null,
      traceId: trace === null ? null : trace.traceId,
      spanId: trace === null ? null : trace.spanId,
    }
    state.accessLog?.(entry)
    if (route !== null && ctx !== null) runLogHooks(route.chain, ctx, entry, state.reportPolicyFailure)
  }
  const unmatched = exchange.unmatched
  if (unmatched !== null) {
    const apiName = unmatched.route.api.name
    const request = { api: apiName, client: exchange.clientAddress(), method: exchange.req.method ?? '', relativePath: unmatched.relativePath, query: unmatched.query, status }
    runUnroutedHooks(unmatched.route.chain, request, (policy, error) => {
      metrics.policyFailures.labels(apiName, policy, 'open').inc()
      state.logger.debug({ policy, api: apiName, err: error }, 'policy failed on an unrouted request')
    })
  }

  runtime.inFlight--
  if (runtime.inFlight === 0 && state.runtime !== runtime) state.onRuntimeDrained(runtime)
  exchange.connection?.done(exchange)
}

/** The response reached the client's connection in full: an HTTP/2 stream the client reset did not, whatever its writable state. */
function responseCompleted(res: Exchange['res']): boolean {
  if (!res.writableFinished) return false
  const stream = (res as Http2ServerResponse).stream as Http2ServerResponse['stream'] | undefined
  return stream === undefined || (!stream.aborted && (stream.rstCode === undefined || stream.rstCode === 0))
}

/** The route as the client's path reads it: the API's base path and the template (`*` for an API without routes). */
function routeTemplate(basePath: string, template: string): string {
  const base = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath
  return template === '*' ? `${base}/*` : base + template
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
