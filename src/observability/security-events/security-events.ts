/**
 * The security-event hub: builds each event once and hands it to every configured sink's bounded
 * queue (log, webhook, OTLP, store). Nothing here waits: a sink that is slow or down fills its own
 * queue and drops, counted in `portcullis_security_events_dropped_total`, while the others go on.
 */
import type { Logger } from 'pino'
import type { DataStore } from '../../stores/data-store.js'
import { errorSummary, LogThrottle } from '../log-throttle.js'
import type { GatewayMetrics } from '../metrics.js'
import type { EventsConfig } from './events-schema.js'
import { createLogSink } from './log-sink.js'
import { createOtlpSink } from './otlp-sink.js'
import { buildSecurityEvent, createObserver, type EventFields, type SecurityEvent } from './security-event.js'
import { SinkQueue, type EventSink } from './sink-queue.js'
import { createStoreSink } from './store-sink.js'
import { createWebhookSink } from './webhook-sink.js'

/** The two counters the hub keeps (the gateway's, or a cluster primary's own). */
export type SecurityEventMetrics = Pick<GatewayMetrics, 'securityEvents' | 'securityEventsDropped'>

export interface SecurityEventsDeps {
  readonly logger: Logger
  readonly metrics: SecurityEventMetrics
  readonly clock: { now(): number }
  /** The data store, for the `store` sink; null when none is open. */
  readonly store: DataStore | null
  readonly version: string
}

const FAILURE_LOG_INTERVAL_MS = 30_000

export class SecurityEvents {
  readonly #queues: readonly SinkQueue[]
  readonly #observer: SecurityEvent['observer']
  readonly #metrics: SecurityEventMetrics
  readonly #clock: { now(): number }
  readonly #minSeverity: number
  #closing: Promise<void> | null = null

  constructor(queues: readonly SinkQueue[], deps: Pick<SecurityEventsDeps, 'metrics' | 'clock' | 'version'>, minSeverity: number) {
    this.#queues = queues
    this.#observer = createObserver(deps.version)
    this.#metrics = deps.metrics
    this.#clock = deps.clock
    this.#minSeverity = minSeverity
  }

  /** Builds the event and queues it for every sink; returns it (null when below `minSeverity` or closed). */
  emit(fields: EventFields): SecurityEvent | null {
    if (fields.class.severity < this.#minSeverity || this.#closing !== null) return null
    const event = buildSecurityEvent(fields, this.#observer, this.#clock.now())
    this.#metrics.securityEvents.labels(event.event.action).inc()
    for (const queue of this.#queues) queue.push(event)
    return event
  }

  /** Events waiting, by sink (tests, diagnostics). */
  queued(): Record<string, number> {
    return Object.fromEntries(this.#queues.map((q) => [q.sink.name, q.queued]))
  }

  /** Sends what is queued, for at most `timeoutMs`; what is left is dropped and counted. */
  close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    return (this.#closing ??= Promise.all(this.#queues.map((q) => q.drain(deadline))).then(() => undefined))
  }
}

/** The hub for the `events` section, or null when no sink is configured. */
export function createSecurityEvents(config: EventsConfig, deps: SecurityEventsDeps): SecurityEvents | null {
  const sinks: EventSink[] = []
  if (config.log) sinks.push(createLogSink(deps.logger))
  if (config.webhook !== undefined) sinks.push(createWebhookSink(config.webhook))
  if (config.otlp !== undefined) sinks.push(createOtlpSink({ ...config.otlp, version: deps.version }))
  if (config.store !== undefined && deps.store !== null) {
    sinks.push(createStoreSink(deps.store, { ...config.store, clock: deps.clock, onPruneFailure: (error) => deps.logger.warn({ err: error }, 'security events: pruning the store failed') }))
  }
  if (sinks.length === 0) return null
  const throttles = new Map<string, LogThrottle>()
  const queues = sinks.map(
    (sink) =>
      new SinkQueue(sink, {
        maxQueued: config.queueSize,
        batchSize: config.batchSize,
        flushIntervalMs: config.flushIntervalMs,
        onDropped: (name, reason, count) => deps.metrics.securityEventsDropped.labels(name, reason).inc(count),
        onFailure: (name, error) => {
          let throttle = throttles.get(name)
          if (throttle === undefined) throttles.set(name, (throttle = new LogThrottle(FAILURE_LOG_INTERVAL_MS)))
          const failures = throttle.occurred(Date.now())
          if (failures === 0) return
          deps.logger.warn({ sink: name, failures, err: failures === 1 ? error : errorSummary(error) }, 'security events: a sink could not deliver a batch; it was dropped')
        },
      }),
  )
  return new SecurityEvents(queues, deps, config.minSeverity)
}
