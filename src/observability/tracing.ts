/**
 * Request tracing as the serving layer sees it: one server span per request, a child span per
 * policy phase that ran and one client span per upstream attempt, with the W3C `traceparent`
 * (and `tracestate`) of each attempt for its request. This module is the contract and the loader
 * only: the OpenTelemetry implementation (`tracing-otel.ts`) is imported when the config turns
 * tracing on, so a gateway without tracing loads no `@opentelemetry/*` module and its request
 * path pays a null check where a span would start or end.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Logger } from 'pino'

/** The policy phases that get a span when they have hooks (`onLog` runs after the response and gets none). */
export type TracedPhase = 'onRequest' | 'onRequestBody' | 'onResponse' | 'onResponseBody'

export interface TracingOptions {
  /** OTLP/HTTP traces URL, e.g. `http://127.0.0.1:4318/v1/traces`. */
  readonly endpoint: string
  /** Share of new traces (no sampled parent) that are recorded, 0…1. */
  readonly sampleRatio: number
  readonly serviceName: string
  readonly serviceVersion: string
  /** Fields sent with every export (collector credentials). */
  readonly headers: Readonly<Record<string, string>>
  /** Finished spans waiting for export; past it new ones are dropped. */
  readonly maxQueueSize: number
  /** How often queued spans are exported. */
  readonly exportIntervalMs: number
  readonly exportTimeoutMs: number
  /** Export failures are logged here, at most once per interval. */
  readonly logger: Logger
}

/** What the server span is started with, read from the request before routing. */
export interface TracedRequest {
  readonly method: string
  /** The path without the query (query strings may carry credentials and are never recorded). */
  readonly path: string
  readonly scheme: 'http' | 'https'
  /** The request's fields: `traceparent`, `tracestate`, `host`, `user-agent` are read. */
  readonly headers: IncomingHttpHeaders
  readonly peerAddress: string
  readonly peerPort: number
  /** `1.1`, `2`… */
  readonly protocolVersion: string
  /** `performance.now()` when the request arrived. */
  readonly startTime: number
}

/** One request sent to an upstream target. */
export interface TracedAttempt {
  readonly method: string
  /** The target's origin, e.g. `http://10.0.0.5:3000`. */
  readonly origin: string
  /** The path sent, without the query. */
  readonly path: string
  /** 0 for the first attempt, 1 for the first retry… */
  readonly resendCount: number
}

/** How the request ended, recorded on the server span. */
export interface RequestOutcome {
  readonly status: number
  readonly api: string | null
  /** The route template with the API's base path, e.g. `/orders/{id}`. */
  readonly route: string | null
  /** The client's address after the trusted-proxy list. */
  readonly clientAddress: string
  /** The stable problem code of a local answer. */
  readonly code: string | null
  /** The policy that answered locally. */
  readonly policy: string | null
}

/** The trace of one request. Every method is cheap and safe to call in any order, once ended too. */
export interface RequestTrace {
  /** 32 hex digits, for the access log. */
  readonly traceId: string
  /** The server span's id, 16 hex digits. */
  readonly spanId: string
  startPhase(phase: TracedPhase): void
  /** Ends the phase's span; `policy` and `code` when a policy's verdict answered the request. */
  endPhase(policy: string | null, code: string | null): void
  /** Starts an attempt's client span; returns `[name, value, …]` trace fields for its request. */
  startAttempt(attempt: TracedAttempt): readonly string[]
  /** The attempt's response status arrived. */
  attemptResponded(status: number): void
  /** The attempt ended: `failure` names why it failed (`timeout`, `connect`…), null when it completed. */
  endAttempt(failure: string | null): void
  /** Ends the server span (and any span still open). */
  end(outcome: RequestOutcome): void
}

export interface Tracing {
  startRequest(request: TracedRequest): RequestTrace
  /** Exports what is queued, then stops. */
  shutdown(): Promise<void>
}

/** Loads the OpenTelemetry implementation when `options` is given; null (nothing loaded) when tracing is off. */
export async function loadTracing(options: TracingOptions | null): Promise<Tracing | null> {
  if (options === null) return null
  const { createOtelTracing } = await import('./tracing-otel.js')
  return createOtelTracing(options)
}
