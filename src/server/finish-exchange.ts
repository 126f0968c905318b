/**
 * After the response: one access-log line, metrics, `onLog` hooks. Runs on the response's
 * `close` event, so aborted requests are accounted too (status 499, as nginx logs them).
 */
import type { AccessLogEntry } from '../pipeline/define-policy.js'
import { runLogHooks } from '../pipeline/run-chain.js'
import type { Exchange } from './exchange.js'

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const
const NS_PER_MS = 1e6

export function finishExchange(exchange: Exchange): void {
  const { state, runtime, res, route, ctx } = exchange
  exchange.abortUpstream()
  const completed = res.writableFinished
  const status = completed ? res.statusCode : 499
  const durationMs = Number(process.hrtime.bigint() - exchange.receivedAt) / NS_PER_MS
  const upstreamMs =
    exchange.upstreamStartedAt === null ? null : Number((exchange.upstreamEndedAt ?? process.hrtime.bigint()) - exchange.upstreamStartedAt) / NS_PER_MS
  const api = route?.api.name ?? ''
  const template = route?.template ?? ''
  const metrics = state.metrics

  metrics.inFlight.dec()
  const statusClass = STATUS_CLASSES[Math.floor(status / 100) - 1] ?? '5xx'
  metrics.requests.labels(api, template, statusClass).inc()
  metrics.duration.labels(api, template).observe(durationMs / 1000)
  if (upstreamMs !== null) metrics.upstreamDuration.labels(api).observe(upstreamMs / 1000)
  const policy = ctx?.decidingPolicy ?? null
  if (exchange.code !== null) metrics.denials.labels(api, policy ?? 'gateway', exchange.code).inc()

  const needEntry = state.accessLogger !== null || (route !== null && route.chain.onLog.length > 0)
  if (needEntry) {
    const entry: AccessLogEntry = {
      requestId: exchange.requestId,
      client: ctx?.client.address ?? exchange.peer,
      method: exchange.req.method ?? '',
      api: route?.api.name ?? null,
      route: route?.template ?? null,
      status,
      bytesIn: Number(exchange.req.headers['content-length'] ?? 0),
      bytesOut: exchange.bytesWritten(),
      durationMs: round(durationMs),
      upstreamMs: upstreamMs === null ? null : round(upstreamMs),
      policy,
      code: exchange.code,
      upstream: exchange.target?.origin ?? null,
      protocol: exchange.req.httpVersion,
    }
    state.accessLogger?.info(entry)
    if (route !== null && ctx !== null) runLogHooks(route.chain, ctx, entry, state.reportPolicyFailure)
  }

  runtime.inFlight--
  if (runtime.inFlight === 0 && state.runtime !== runtime) state.onRuntimeDrained(runtime)
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
