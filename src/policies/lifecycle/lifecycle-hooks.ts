/**
 * An API version's lifecycle on the wire (docs/lifecycle.md): deprecated APIs and operations
 * answer with `Deprecation` (RFC 9745), `Sunset` (RFC 8594) and `Link` (`rel="deprecation"`,
 * `rel="successor-version"`); after the sunset, and in brownout windows before it, requests are
 * answered 410 without calling the upstream; a draft API is served only to its preview consumers.
 * Everything is computed when the config loads; a request pays a map look-up and a clock read,
 * and an API with nothing deprecated gets no hooks at all.
 */
import type { PolicyHooks } from '../../pipeline/define-policy.js'
import { respond, type Reply } from '../../pipeline/reply.js'
import type { LifecycleConfig } from '../../config/lifecycle-schema.js'
import type { DeprecatedUsage } from './deprecated-usage.js'

/** What the lifecycle needs of an operation (an OpenAPI operation or a config route). */
export interface LifecycleOperation {
  readonly deprecated: boolean
  readonly extensions: Readonly<Record<string, unknown>>
}

interface Retirement {
  /** `[name, value]` response fields: Deprecation, Sunset, Link. */
  readonly headers: readonly (readonly [string, string])[]
  /** From then on: 410. */
  readonly sunsetAt: number | null
  /** Whether brownout windows apply (the API's, or an operation with a sunset of its own). */
  readonly brownout: boolean
}

/** The lifecycle hooks' priority: after `auth` (2000), which a draft's preview needs, before everything that reaches further. */
export const LIFECYCLE_PRIORITY = 1990

const instant = (value: string | undefined): number | null => (value === undefined ? null : Date.parse(value))

/** The version whose lifecycle the hooks apply: its name and label (for usage records) and its `lifecycle`. */
export interface LifecycleApi {
  readonly name: string
  readonly version: string | null
  readonly lifecycle: LifecycleConfig
}

/** What the hooks need beyond the version's config. */
export interface LifecycleDeps {
  readonly clock: { now(): number }
  /** Dates a deprecation that names no date (ms since the epoch). */
  readonly loadedAt: number
  readonly usage: DeprecatedUsage | null
  /** The `portcullis_deprecated_requests_total` metric; null when nothing counts. */
  readonly countDeprecated: ((api: string, version: string, operation: string) => void) | null
  /** What a draft answers anyone but its preview consumers: the router's answer to an unknown version when a header or `Accept` selects it, else null (404). */
  readonly hidden: Reply | null
}

/** The API's lifecycle hooks, or null when nothing about it is deprecated, sunset or draft. */
export function createLifecycleHooks(apiConfig: LifecycleApi, operations: ReadonlyMap<string, LifecycleOperation>, deps: LifecycleDeps): PolicyHooks | null {
  const { clock, loadedAt, usage, countDeprecated } = deps
  const config = apiConfig.lifecycle
  const apiDeprecated = config.state === 'deprecated' || config.state === 'retired' || config.deprecatedAt !== undefined || config.sunsetAt !== undefined
  const apiSunset = instant(config.sunsetAt)
  const apiDeprecatedAt = instant(config.deprecatedAt)
  const links = linkValue(config)
  const brownouts = config.brownouts.map((w) => ({ start: Date.parse(w.start), end: Date.parse(w.end) }))

  const retirement = (deprecatedAt: number | null, sunsetAt: number | null, brownout: boolean): Retirement => {
    const headers: [string, string][] = [['deprecation', `@${Math.floor((deprecatedAt ?? apiDeprecatedAt ?? loadedAt) / 1000)}`]]
    if (sunsetAt !== null) headers.push(['sunset', new Date(sunsetAt).toUTCString()])
    if (links !== null) headers.push(['link', links])
    return { headers, sunsetAt, brownout }
  }

  const api = apiDeprecated ? retirement(apiDeprecatedAt, apiSunset, true) : null
  const byOperation = new Map<string, Retirement>()
  for (const [key, operation] of operations) {
    const sunset = typeof operation.extensions['x-sunset'] === 'string' ? Date.parse(operation.extensions['x-sunset']) : Number.NaN
    const deprecatedAt = typeof operation.extensions['x-deprecated-at'] === 'string' ? Date.parse(operation.extensions['x-deprecated-at']) : Number.NaN
    if (!operation.deprecated && Number.isNaN(sunset)) continue
    // The API's own sunset is the latest an operation of it can be served.
    const sunsetAt = Number.isNaN(sunset) ? apiSunset : apiSunset === null ? sunset : Math.min(sunset, apiSunset)
    byOperation.set(key, retirement(Number.isNaN(deprecatedAt) ? null : deprecatedAt, sunsetAt, apiDeprecated || !Number.isNaN(sunset)))
  }
  if (api === null && byOperation.size === 0 && config.state !== 'draft') return null

  const preview = new Set(config.preview)
  const hidden = deps.hidden ?? respond.problem('GW_ERR_ROUTE_NOT_FOUND')
  const gone = (detail: string) =>
    respond.problem('GW_ERR_API_GONE', { detail, ...(config.successor === undefined ? {} : { extensions: { successor: config.successor } }) })

  return {
    onRequest(ctx) {
      if (config.state === 'draft') {
        const principal = ctx.state.principal
        if (principal === undefined || !preview.has(principal.id)) return hidden
      }
      const found = byOperation.get(`${ctx.method} ${ctx.route.template}`) ?? api
      if (found === null) return undefined
      for (const [name, value] of found.headers) ctx.responseHeaders.set(name, value)
      const now = clock.now()
      if (found.sunsetAt !== null && now >= found.sunsetAt) return gone(`no longer served since ${new Date(found.sunsetAt).toISOString()}`)
      if (found.brownout && brownouts.some((w) => now >= w.start && now < w.end)) return gone('a scheduled brownout before the sunset: this will soon be no longer served')
      return undefined
    },
    onLog(ctx) {
      if ((usage === null && countDeprecated === null) || ctx.isPreflight) return
      const operation = `${ctx.method} ${ctx.route.template}`
      if (!byOperation.has(operation) && api === null) return
      const named = ctx.route.template === '*' ? '*' : operation
      countDeprecated?.(apiConfig.name, apiConfig.version ?? '', named)
      usage?.record(apiConfig.name, apiConfig.version, named, ctx.state.principal?.id ?? 'anonymous')
    },
  }
}

/** `Link` to the migration guide (`rel="deprecation"`, RFC 9745 §3) and the successor (`rel="successor-version"`, RFC 5829). */
function linkValue(config: LifecycleConfig): string | null {
  const links: string[] = []
  if (config.migrationGuide !== undefined) links.push(`<${config.migrationGuide}>; rel="deprecation"; type="text/html"`)
  if (config.successor !== undefined) links.push(`<${config.successor}>; rel="successor-version"`)
  return links.length === 0 ? null : links.join(', ')
}
