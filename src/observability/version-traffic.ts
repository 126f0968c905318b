/**
 * Requests per API version: the total since the process started, the last hour by the minute,
 * and when the last one arrived. A request costs a counter increment, a time stamp and, once a
 * minute, a slot reset; the figures are computed when scraped, as Prometheus metrics that a
 * cluster primary aggregates across its workers (sums, and the latest time stamp).
 */
import type { Registry } from 'prom-client'

const MINUTE_MS = 60_000
/** Slots of the last-hour window, one per minute. */
const SLOTS = 60

export const VERSION_TRAFFIC_METRICS = {
  total: 'portcullis_api_version_requests_total',
  lastHour: 'portcullis_api_version_requests_last_hour',
  lastSeen: 'portcullis_api_version_last_request_timestamp_seconds',
} as const

export class VersionTraffic {
  readonly api: string
  /** The version label, '' for an entry without one. */
  readonly version: string
  total = 0
  /** ms since the epoch; 0 before the first request. */
  lastSeenMs = 0
  readonly #counts = new Float64Array(SLOTS)
  /** The minute (since the epoch) each slot counts. */
  readonly #minutes = new Float64Array(SLOTS)

  constructor(api: string, version: string) {
    this.api = api
    this.version = version
  }

  record(nowMs: number): void {
    this.total++
    this.lastSeenMs = nowMs
    const minute = Math.floor(nowMs / MINUTE_MS)
    const slot = minute % SLOTS
    const counts = this.#counts
    if (this.#minutes[slot] !== minute) {
      this.#minutes[slot] = minute
      counts[slot] = 0
    }
    counts[slot] = (counts[slot] as number) + 1
  }

  /** Requests in the current minute and the 59 before it. */
  lastHour(nowMs: number): number {
    const oldest = Math.floor(nowMs / MINUTE_MS) - SLOTS + 1
    let sum = 0
    for (let slot = 0; slot < SLOTS; slot++) if ((this.#minutes[slot] as number) >= oldest) sum += this.#counts[slot] as number
    return sum
  }
}

interface MetricValue {
  labels: Record<string, string>
  value: number
}

/** Every version's traffic, kept across reloads by API name and version label. */
export class VersionTrafficTable {
  readonly #traffic = new Map<string, VersionTraffic>()
  readonly #clock: { now(): number }

  constructor(clock: { now(): number }) {
    this.#clock = clock
  }

  get(api: string, version: string | null): VersionTraffic {
    const key = `${api}\u0000${version ?? ''}`
    let traffic = this.#traffic.get(key)
    if (traffic === undefined) this.#traffic.set(key, (traffic = new VersionTraffic(api, version ?? '')))
    return traffic
  }

  /** Registers the three metrics on `registry`. */
  register(registry: Registry): void {
    const values = (value: (traffic: VersionTraffic, now: number) => number) => (): MetricValue[] => {
      const now = this.#clock.now()
      return [...this.#traffic.values()].filter((t) => t.total > 0).map((t) => ({ labels: { api: t.api, version: t.version }, value: value(t, now) }))
    }
    const custom = (name: string, help: string, type: 'counter' | 'gauge', aggregator: 'sum' | 'max', read: () => MetricValue[]) => ({
      name,
      help,
      type,
      aggregator,
      get: () => Promise.resolve({ name, help, type, aggregator, values: read() }),
    })
    const metrics = [
      custom(VERSION_TRAFFIC_METRICS.total, 'Requests routed to each API version (name and version label).', 'counter', 'sum', values((t) => t.total)),
      custom(VERSION_TRAFFIC_METRICS.lastHour, 'Requests routed to each API version in the last hour (by the minute).', 'gauge', 'sum', values((t, now) => t.lastHour(now))),
      custom(VERSION_TRAFFIC_METRICS.lastSeen, 'When the last request routed to each API version arrived (seconds since the epoch).', 'gauge', 'max', values((t) => t.lastSeenMs / 1000)),
    ]
    for (const metric of metrics) registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0])
  }
}
