/**
 * The admin API's lifecycle routes (docs/lifecycle.md):
 *
 *   GET /lifecycle                         every API version: state, dates, successor, how it is selected, deprecated operations, traffic
 *   GET /lifecycle/usage[?api=&since=&limit=N]   who called deprecated versions and operations: calls, first and last seen
 *
 * Traffic (requests in total and in the last hour, the last one's time) is read from the
 * Prometheus registry: this process's, or under a cluster primary the sum over its workers.
 * Usage is read from `stores.data` (written by every worker and node); without a data store the
 * route answers 404.
 */
import { versioningOf } from '../config/api-versions.js'
import type { LoadedConfig } from '../config/load-config.js'
import { parsePrometheusText } from '../observability/prometheus-text.js'
import { VERSION_TRAFFIC_METRICS } from '../observability/version-traffic.js'
import type { DataStore } from '../stores/data-store.js'
import { InvalidInputError } from './management-input.js'
import { NotFoundError } from './management.js'
import type { ManagementReply, ManagementRequest } from './management-routes.js'

export interface LifecycleRoutesOptions {
  readonly loaded: () => LoadedConfig
  readonly store: DataStore | null
  /** The Prometheus text of this process's registry, or of the cluster's aggregate. */
  readonly metricsText: () => Promise<string>
}

interface Traffic {
  total: number
  lastHour: number
  lastSeen: string | null
}

const TRAFFIC_METRICS = new Set<string>(Object.values(VERSION_TRAFFIC_METRICS))

const PAGE_DEFAULT = 100
const PAGE_MAX = 1000

export function createLifecycleRoutes(options: LifecycleRoutesOptions): (req: ManagementRequest) => Promise<ManagementReply> | null {
  async function versions(): Promise<ManagementReply> {
    const { config, routes } = options.loaded()
    // Traffic is what the metrics say; a failed scrape (a worker not answering) leaves it out, not the listing.
    const traffic = await options.metricsText().then(trafficOf, () => null)
    const apis = config.apis.map((api, index) => {
      const deprecated = (routes[index] ?? [])
        .filter((route) => route.deprecated || typeof route.extensions['x-sunset'] === 'string')
        .map((route) => ({
          operation: `${route.method} ${route.template}`,
          ...(route.operationId === null ? {} : { operationId: route.operationId }),
          ...(typeof route.extensions['x-deprecated-at'] === 'string' ? { deprecatedAt: route.extensions['x-deprecated-at'] } : {}),
          ...(typeof route.extensions['x-sunset'] === 'string' ? { sunsetAt: route.extensions['x-sunset'] } : {}),
        }))
      const { state, deprecatedAt, sunsetAt, successor, migrationGuide, brownouts } = api.lifecycle
      const versioning = versioningOf(config.apis, index)
      return {
        name: api.name,
        version: api.version ?? null,
        basePath: api.basePath,
        hosts: api.hosts,
        selectedBy: versioning === null ? null : { ...versioning.spec, default: versioning.defaultLabel },
        state,
        deprecatedAt: deprecatedAt ?? null,
        sunsetAt: sunsetAt ?? null,
        successor: successor ?? null,
        migrationGuide: migrationGuide ?? null,
        brownouts,
        deprecatedOperations: deprecated,
        traffic: traffic === null ? null : (traffic.get(`${api.name}\u0000${api.version ?? ''}`) ?? { total: 0, lastHour: 0, lastSeen: null }),
      }
    })
    return { kind: 'json', status: 200, body: { apis } }
  }

  async function usage(req: ManagementRequest): Promise<ManagementReply> {
    const store = options.store
    if (store === null) throw new NotFoundError('usage of deprecated operations is kept in stores.data, which this gateway does not have')
    const rawLimit = req.query.get('limit')
    const limit = rawLimit === null ? PAGE_DEFAULT : Number(rawLimit)
    if (rawLimit !== null && (!/^\d+$/.test(rawLimit) || limit < 1 || limit > PAGE_MAX)) throw new InvalidInputError([{ path: 'limit', message: `must be an integer from 1 to ${PAGE_MAX}` }])
    const rawSince = req.query.get('since')
    const since = rawSince === null ? undefined : /^\d+$/.test(rawSince) ? Number(rawSince) : Date.parse(rawSince)
    if (since !== undefined && Number.isNaN(since)) throw new InvalidInputError([{ path: 'since', message: 'must be an ISO 8601 time or ms since the epoch' }])
    const api = req.query.get('api') ?? undefined
    const rows = await store.listDeprecatedUsage({ limit, ...(api === undefined ? {} : { api }), ...(since === undefined ? {} : { since }) })
    return {
      kind: 'json',
      status: 200,
      body: { usage: rows.map((row) => ({ ...row, firstSeen: new Date(row.firstSeen).toISOString(), lastSeen: new Date(row.lastSeen).toISOString() })) },
    }
  }

  return (req) => {
    const [collection, sub, ...rest] = req.segments
    if (collection !== 'lifecycle' || rest.length > 0 || (sub !== undefined && sub !== 'usage')) return null
    if (req.method !== 'GET' && req.method !== 'HEAD') return Promise.resolve({ kind: 'method-not-allowed', allow: 'GET, HEAD' })
    return sub === undefined ? versions() : usage(req)
  }
}

/** Each version's traffic by name and label; a cluster's workers report one sample each, summed (the time stamp is already the latest). */
function trafficOf(text: string): Map<string, Traffic> {
  const traffic = new Map<string, Traffic>()
  for (const sample of parsePrometheusText(text, TRAFFIC_METRICS)) {
    const key = `${sample.labels.api ?? ''}\u0000${sample.labels.version ?? ''}`
    let entry = traffic.get(key)
    if (entry === undefined) traffic.set(key, (entry = { total: 0, lastHour: 0, lastSeen: null }))
    if (sample.name === VERSION_TRAFFIC_METRICS.total) entry.total += sample.value
    else if (sample.name === VERSION_TRAFFIC_METRICS.lastHour) entry.lastHour += sample.value
    else if (sample.value > 0) {
      const seen = new Date(sample.value * 1000).toISOString()
      if (entry.lastSeen === null || seen > entry.lastSeen) entry.lastSeen = seen
    }
  }
  return traffic
}
