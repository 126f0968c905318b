/**
 * The admin API's overview, for the dashboard's first page and for operators' scripts:
 *
 *   GET /overview[?window=SECONDS]
 *
 * Traffic figures (requests by status class, denials by policy and code, the WAF and
 * authorization rules that decided most often, upstream failures) are counters since the process
 * (or, under a cluster primary, every worker) started, read from the Prometheus registry. Event
 * figures (by action, code, consumer and client address, and a timeline) cover the last `window`
 * seconds (default 3600, at most 7 days), read from the security-event store when there is one.
 */
import type { DataStore, SecurityEventCount, SecurityEventGroup } from '../stores/data-store.js'
import { parsePrometheusText, type Sample } from '../observability/prometheus-text.js'
import { InvalidInputError } from './management-input.js'
import type { ManagementReply, ManagementRequest } from './management-routes.js'

export interface OverviewRoutesOptions {
  /** The Prometheus text of this process's registry, or of the cluster's aggregate. */
  readonly metricsText: () => Promise<string>
  readonly store: DataStore | null
  readonly clock: { now(): number }
}

const WINDOW_DEFAULT_SEC = 3600
const WINDOW_MAX_SEC = 7 * 86400
/** Entries of each top list. */
const TOP = 10
/** Buckets of the timeline: the window is cut into at most this many. */
const TIMELINE_BUCKETS = 60

const METRICS = new Set(['portcullis_requests_total', 'portcullis_denials_total', 'portcullis_waf_matches_total', 'portcullis_authz_total', 'portcullis_upstream_errors_total'])

export interface Overview {
  generatedAt: string
  windowSec: number
  requests: { total: number; byStatusClass: Record<string, number>; serverErrorRatio: number }
  denials: { total: number; byReason: { policy: string; code: string; count: number }[] }
  topRules: { source: 'waf' | 'authz'; rule: string; count: number }[]
  upstreamErrors: { api: string; kind: string; count: number }[]
  events: EventFigures | null
}

interface EventFigures {
  since: string
  total: number
  alerts: number
  byAction: SecurityEventCount[]
  byCode: SecurityEventCount[]
  topConsumers: SecurityEventCount[]
  topSources: SecurityEventCount[]
  timeline: { bucketMs: number; points: SecurityEventCount[] }
}

/** Computes the overview; shared by the route and the dashboard's live stream. */
export async function buildOverview(options: OverviewRoutesOptions, windowSec: number): Promise<Overview> {
  const now = options.clock.now()
  const samples = parsePrometheusText(await options.metricsText(), METRICS)
  const byStatusClass: Record<string, number> = {}
  for (const s of named(samples, 'portcullis_requests_total')) byStatusClass[s.labels.status_class ?? ''] = (byStatusClass[s.labels.status_class ?? ''] ?? 0) + s.value
  const total = Object.values(byStatusClass).reduce((a, b) => a + b, 0)
  const byReason = top(
    named(samples, 'portcullis_denials_total').map((s) => ({ policy: s.labels.policy ?? '', code: s.labels.code ?? '', count: s.value })),
    (d) => `${d.policy}\u0000${d.code}`,
  )
  const rules = [
    ...named(samples, 'portcullis_waf_matches_total').map((s) => ({ source: 'waf' as const, rule: s.labels.rule ?? '', count: s.value })),
    ...named(samples, 'portcullis_authz_total')
      .filter((s) => s.labels.decision === 'deny')
      .map((s) => ({ source: 'authz' as const, rule: s.labels.rule ?? '', count: s.value })),
  ]
  const upstream = named(samples, 'portcullis_upstream_errors_total').map((s) => ({ api: s.labels.api ?? '', kind: s.labels.kind ?? '', count: s.value }))
  return {
    generatedAt: new Date(now).toISOString(),
    windowSec,
    requests: { total, byStatusClass, serverErrorRatio: total === 0 ? 0 : (byStatusClass['5xx'] ?? 0) / total },
    denials: { total: byReason.reduce((a, d) => a + d.count, 0), byReason: byReason.slice(0, TOP * 2) },
    topRules: top(rules, (r) => `${r.source}\u0000${r.rule}`).slice(0, TOP),
    upstreamErrors: top(upstream, (u) => `${u.api}\u0000${u.kind}`).slice(0, TOP),
    events: options.store === null ? null : await eventFigures(options.store, now, windowSec),
  }
}

async function eventFigures(store: DataStore, now: number, windowSec: number): Promise<EventFigures> {
  const since = now - windowSec * 1000
  const count = (by: SecurityEventGroup, extra: { kind?: string; bucketMs?: number; limit?: number } = {}) => store.countSecurityEvents({ by, since, limit: TOP, ...extra })
  const bucketMs = Math.max(1000, Math.ceil((windowSec * 1000) / TIMELINE_BUCKETS / 1000) * 1000)
  const [kinds, byAction, byCode, topConsumers, topSources, points] = await Promise.all([
    count('kind'),
    count('action'),
    count('code'),
    count('consumer'),
    count('sourceIp'),
    count('time', { bucketMs, limit: TIMELINE_BUCKETS + 1 }),
  ])
  return {
    since: new Date(since).toISOString(),
    total: kinds.reduce((a, k) => a + k.count, 0),
    alerts: kinds.find((k) => k.key === 'alert')?.count ?? 0,
    byAction,
    byCode: byCode.filter((c) => c.key !== null),
    topConsumers: topConsumers.filter((c) => c.key !== null),
    topSources: topSources.filter((c) => c.key !== null),
    timeline: { bucketMs, points: everyBucket(points, since, now, bucketMs) },
  }
}

/** The timeline with a point for each bucket of the window, empty ones included (a chart's x axis). */
function everyBucket(points: readonly SecurityEventCount[], since: number, now: number, bucketMs: number): SecurityEventCount[] {
  const counts = new Map(points.map((p) => [p.key, p.count]))
  const all: SecurityEventCount[] = []
  for (let at = Math.floor(since / bucketMs) * bucketMs; at <= now && all.length <= TIMELINE_BUCKETS + 1; at += bucketMs) all.push({ key: at, count: counts.get(at) ?? 0 })
  return all
}

function named(samples: readonly Sample[], name: string): Sample[] {
  return samples.filter((s) => s.name === name)
}

/** Sums entries with the same key (a cluster's workers report one sample each) and sorts, largest first. */
function top<T extends { count: number }>(entries: readonly T[], keyOf: (entry: T) => string): T[] {
  const merged = new Map<string, T>()
  for (const entry of entries) {
    const key = keyOf(entry)
    const seen = merged.get(key)
    merged.set(key, seen === undefined ? { ...entry } : { ...seen, count: seen.count + entry.count })
  }
  return [...merged.values()].filter((e) => e.count > 0).sort((a, b) => b.count - a.count)
}

export function createOverviewRoutes(options: OverviewRoutesOptions): (req: ManagementRequest) => Promise<ManagementReply> | null {
  async function overview(req: ManagementRequest): Promise<ManagementReply> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return { kind: 'method-not-allowed', allow: 'GET, HEAD' }
    const raw = req.query.get('window')
    const windowSec = raw === null ? WINDOW_DEFAULT_SEC : Number(raw)
    if (raw !== null && (!/^\d+$/.test(raw) || windowSec < 60 || windowSec > WINDOW_MAX_SEC)) {
      throw new InvalidInputError([{ path: 'window', message: `must be an integer from 60 to ${WINDOW_MAX_SEC} (seconds)` }])
    }
    return { kind: 'json', status: 200, body: await buildOverview(options, windowSec) }
  }
  return (req) => (req.segments.length === 1 && req.segments[0] === 'overview' ? overview(req) : null)
}
