/**
 * The admin API's lifecycle routes (docs/lifecycle.md):
 *
 *   GET /lifecycle                         every API version: state, dates, successor, deprecated operations
 *   GET /lifecycle/usage[?api=&since=&limit=N]   who called deprecated versions and operations: calls, first and last seen
 *
 * Usage is read from `stores.data` (written by every worker and node); without a data store the
 * route answers 404.
 */
import type { LoadedConfig } from '../config/load-config.js'
import type { DataStore } from '../stores/data-store.js'
import { InvalidInputError } from './management-input.js'
import { NotFoundError } from './management.js'
import type { ManagementReply, ManagementRequest } from './management-routes.js'

export interface LifecycleRoutesOptions {
  readonly loaded: () => LoadedConfig
  readonly store: DataStore | null
}

const PAGE_DEFAULT = 100
const PAGE_MAX = 1000

export function createLifecycleRoutes(options: LifecycleRoutesOptions): (req: ManagementRequest) => Promise<ManagementReply> | null {
  function versions(): ManagementReply {
    const { config, routes } = options.loaded()
    const apis = config.apis.map((api, index) => {
      const deprecated = (routes[index] ?? [])
        .filter((route) => route.deprecated || typeof route.extensions['x-sunset'] === 'string')
        .map((route) => ({
          operation: `${route.method} ${route.template}`,
          ...(route.operationId === null ? {} : { operationId: route.operationId }),
          ...(typeof route.extensions['x-deprecated-at'] === 'string' ? { deprecatedAt: route.extensions['x-deprecated-at'] } : {}),
          ...(typeof route.extensions['x-sunset'] === 'string' ? { sunsetAt: route.extensions['x-sunset'] } : {}),
        }))
      const { state, deprecatedAt, sunsetAt, successor, brownouts } = api.lifecycle
      return { name: api.name, version: api.version ?? null, basePath: api.basePath, state, deprecatedAt: deprecatedAt ?? null, sunsetAt: sunsetAt ?? null, successor: successor ?? null, brownouts, deprecatedOperations: deprecated }
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
    return sub === undefined ? Promise.resolve(versions()) : usage(req)
  }
}
