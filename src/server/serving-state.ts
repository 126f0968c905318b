/** What the request path reads from the gateway: the current runtime and process-wide services. */
import type { Logger } from 'pino'
import type { GatewayMetrics } from '../observability/metrics.js'
import type { RouteStats } from '../observability/route-stats.js'
import type { AccessLogEntry } from '../observability/access-log.js'
import type { Tracing } from '../observability/tracing.js'
import type { PolicyFailureReporter } from '../pipeline/run-chain.js'
import type { SecurityEvents } from '../observability/security-events/security-events.js'
import type { BufferBudget } from './buffer-budget.js'
import type { Runtime } from './runtime.js'

export interface ServingState {
  /** Swapped atomically on reload; each request keeps the one it started with. */
  runtime: Runtime
  /** Requests in flight across all runtimes (the in-flight gauge reads it at scrape time). */
  inFlight: number
  /** Set on shutdown: responses then ask clients to close their connections. */
  draining: boolean
  readonly logger: Logger
  /** Writes one access-log line; null when access logging is off. */
  readonly accessLog: ((entry: AccessLogEntry) => void) | null
  /** Request tracing; null when it is off (no OpenTelemetry module is loaded then). */
  readonly tracing: Tracing | null
  readonly metrics: GatewayMetrics
  /** Where security events go; null when the `events` section configures no sink. */
  readonly events: SecurityEvents | null
  /** Counters of requests that matched no route. */
  readonly unmatchedStats: RouteStats
  readonly clock: { now(): number }
  /** A new request id when the client sent none (or an invalid one). */
  readonly nextRequestId: () => string
  readonly maxBufferedResponseBytes: number
  /** Bytes of bodies buffered at once in this process (`server.maxBufferedBytesTotal`). */
  readonly bufferBudget: BufferBudget
  /** Requests an HTTP/1 connection may queue behind the one being served. */
  readonly maxPipelinedRequests: number
  /** How long a response may wait for the client to take any of it. */
  readonly sendTimeoutMs: number
  readonly reportPolicyFailure: PolicyFailureReporter
  /** Called when a retired runtime's last request finished. */
  readonly onRuntimeDrained: (runtime: Runtime) => void
}
