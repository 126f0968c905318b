/**
 * Prometheus metrics of the gateway, one registry per process (workers' registries are
 * aggregated by the primary). Label sets are bounded: API and route template, never raw paths.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import { FastCounter } from './fast-counter.js'
import { RouteStatsTable } from './route-stats.js'
import { VersionTrafficTable } from './version-traffic.js'

export interface GatewayMetrics {
  readonly registry: Registry
  /** Per-route requests and latencies (custom metrics on the same registry). */
  readonly routes: RouteStatsTable
  /** Requests per API version: total, last hour, last seen (custom metrics on the same registry). */
  readonly versions: VersionTrafficTable
  readonly upstreamErrors: Counter<'api' | 'kind'>
  readonly denials: Counter<'api' | 'policy' | 'code'>
  readonly policyFailures: Counter<'api' | 'policy' | 'mode'>
  readonly reloads: Counter<'result'>
  readonly authOutcomes: FastCounter<'api' | 'method' | 'outcome' | 'reason'>
  readonly jwksFetches: Counter<'outcome' | 'reason'>
  readonly authzDecisions: FastCounter<'api' | 'decision' | 'rule'>
  readonly validationViolations: FastCounter<'api' | 'direction' | 'outcome'>
  readonly maskingUninspected: FastCounter<'api' | 'reason' | 'outcome'>
  readonly wafMatches: FastCounter<'api' | 'rule' | 'outcome'>
  readonly deprecatedRequests: FastCounter<'api' | 'version' | 'operation'>
  readonly inFlight: Gauge
  readonly bufferedBodyBytes: Gauge
  readonly circuitOpen: Gauge<'api'>
  readonly securityEvents: Counter<'action'>
  readonly securityEventsDropped: Counter<'sink' | 'reason'>
}

/** `inFlight` and `bufferedBytes` are read at scrape time instead of being updated on every request. */
export function createMetrics(options: { defaultMetrics: boolean; inFlight: () => number; bufferedBytes?: () => number; clock?: { now(): number } }): GatewayMetrics {
  const registry = new Registry()
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'portcullis_process_' })
  const registers = [registry]
  const routes = new RouteStatsTable()
  routes.register(registry)
  const versions = new VersionTrafficTable(options.clock ?? { now: () => Date.now() })
  versions.register(registry)
  return {
    registry,
    routes,
    versions,
    upstreamErrors: new Counter({
      name: 'portcullis_upstream_errors_total',
      help: 'Upstream failures by API and kind (connect, timeout, reset, bad_response, circuit_open, status).',
      labelNames: ['api', 'kind'],
      registers,
    }),
    denials: new Counter({
      name: 'portcullis_denials_total',
      help: 'Requests answered locally with an error, by API, deciding policy and code.',
      labelNames: ['api', 'policy', 'code'],
      registers,
    }),
    policyFailures: new Counter({
      name: 'portcullis_policy_failures_total',
      help: 'Policy errors (not denials), by API, policy and whether they failed open or closed.',
      labelNames: ['api', 'policy', 'mode'],
      registers,
    }),
    reloads: new Counter({ name: 'portcullis_config_reloads_total', help: 'Config reloads by result.', labelNames: ['result'], registers }),
    authOutcomes: new FastCounter({
      name: 'portcullis_auth_total',
      help: 'Authentication outcomes by API, method, outcome (allowed, denied, unavailable) and reason (e.g. expired, bad_signature, revoked).',
      labelNames: ['api', 'method', 'outcome', 'reason'],
      registers,
    }),
    authzDecisions: new FastCounter({
      name: 'portcullis_authz_total',
      help: 'Authorization decisions by API, decision (allow, deny) and rule (public, requirements, undeclared, admin, cedar, cedar_error, unreadable_body, response_owner).',
      labelNames: ['api', 'decision', 'rule'],
      registers,
    }),
    validationViolations: new FastCounter({
      name: 'portcullis_openapi_violations_total',
      help: 'Requests and responses that did not match the API description, by API, direction and outcome (blocked, reported, stripped).',
      labelNames: ['api', 'direction', 'outcome'],
      registers,
    }),
    maskingUninspected: new FastCounter({
      name: 'portcullis_masking_uninspected_total',
      help: 'Response bodies masking could not inspect, by API, reason (too_large, encoded, not_json) and outcome (blocked, passed).',
      labelNames: ['api', 'reason', 'outcome'],
      registers,
    }),
    wafMatches: new FastCounter({
      name: 'portcullis_waf_matches_total',
      help: 'WAF rules that matched blocked or reported requests, by API, rule id and outcome (blocked, reported).',
      labelNames: ['api', 'rule', 'outcome'],
      registers,
    }),
    deprecatedRequests: new FastCounter({
      name: 'portcullis_deprecated_requests_total',
      help: 'Calls of deprecated (or sunset) versions and operations, their 410s included, by API, version label and operation (`METHOD /template`, `*` for a catch-all); who made them: GET /lifecycle/usage.',
      labelNames: ['api', 'version', 'operation'],
      registers,
    }),
    jwksFetches: new Counter({
      name: 'portcullis_jwks_fetches_total',
      help: 'Key-set fetches by outcome (loaded, not_modified, failed) and reason (initial, scheduled, unknown_kid).',
      labelNames: ['outcome', 'reason'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'portcullis_requests_in_flight',
      help: 'Requests being processed.',
      registers,
      collect() {
        this.set(options.inFlight())
      },
    }),
    bufferedBodyBytes: new Gauge({
      name: 'portcullis_buffered_body_bytes',
      help: 'Bytes of request and response bodies buffered for policies now (bounded by server.maxBufferedBytesTotal).',
      registers,
      collect() {
        this.set(options.bufferedBytes?.() ?? 0)
      },
    }),
    circuitOpen: new Gauge({ name: 'portcullis_circuit_open', help: '1 while an upstream circuit is open.', labelNames: ['api'], registers }),
    ...createSecurityEventMetrics(registry),
  }
}

/** The security-event counters, on `registry` (the gateway's; a cluster primary's own for its admin events). */
export function createSecurityEventMetrics(registry: Registry): Pick<GatewayMetrics, 'securityEvents' | 'securityEventsDropped'> {
  const registers = [registry]
  return {
    securityEvents: new Counter({
      name: 'portcullis_security_events_total',
      help: 'Security events made, by ECS event.action (authentication-failed, waf-blocked, …).',
      labelNames: ['action'],
      registers,
    }),
    securityEventsDropped: new Counter({
      name: 'portcullis_security_events_dropped_total',
      help: 'Security events a sink lost, by sink (log, webhook, otlp, store) and reason (queue_full, failed, shutdown).',
      labelNames: ['sink', 'reason'],
      registers,
    }),
  }
}
