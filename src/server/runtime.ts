/**
 * A runtime is one loaded config compiled for serving: the route table, each route's chain and
 * the upstreams. Reload builds a new one off the request path and swaps it in; requests keep
 * the runtime they started with, and the old one is retired once they have finished.
 */
import { RemoteDocuments } from '../openapi/remote-documents.js'
import { resolve } from 'node:path'
import type { Logger } from 'pino'
import type { LoadedConfig } from '../config/load-config.js'
import type { ResolvedRoute } from '../config/resolve-routes.js'
import type { GatewayConfig } from '../config/schema.js'
import { ConfigError, type ConfigProblem } from '../errors.js'
import { createIpMatcher, type IpMatcher } from '../net/ip-matcher.js'
import type { RouteStats } from '../observability/route-stats.js'
import { buildChain, type Chain, type PolicyInstance } from '../pipeline/chain.js'
import { NO_POLICY_METRICS, sectionValuesOf, type Counters, type OnFailure, type PolicyDefinition, type PolicyMetrics, type SecurityEventSink } from '../pipeline/define-policy.js'
import { createRouter, type Router, type RouterApi } from '../router/router.js'
import { Upstream, type UpstreamConfig } from '../upstream/upstream.js'
import type { DataStore } from '../stores/data-store.js'
import type { CounterStore } from '../stores/counter-store.js'
import { MemoryCounters } from '../stores/memory-counters.js'
import { PolicyServices } from './policy-services.js'
import { createLifecycleHooks, LIFECYCLE_PRIORITY } from '../policies/lifecycle/lifecycle-hooks.js'
import type { DeprecatedUsage } from '../policies/lifecycle/deprecated-usage.js'
import { apiIdentities, versioningOf } from '../config/api-versions.js'
import type { VersionTraffic } from '../observability/version-traffic.js'
import { createVersionSelector } from '../router/version-selector.js'
import { versionRefusalReply } from './version-refusal.js'
import { portalSiteFor } from '../portal/build-site.js'
import { createPortalServer, type PortalServer } from './portal-server.js'

export interface ApiRuntime {
  /** The API's name in metrics, logs and events: `name`, or `name@version` when versions share the name (api-versions.ts). */
  readonly name: string
  /** `name` and `version` as configured. */
  readonly apiName: string
  readonly version: string | null
  /** The request field its version was chosen by, for `Vary`; null when the path alone routes to it. */
  readonly vary: string | null
  /** Its requests' counters, kept across reloads; looked up at its first request. */
  traffic: VersionTraffic | null
  readonly basePath: string
  readonly stripBasePath: boolean
  readonly upstream: Upstream
}

export interface RouteRuntime {
  readonly api: ApiRuntime
  readonly template: string
  readonly operationId: string | null
  readonly chain: Chain
  /**
   * Request counters and latency histograms of this route, kept across reloads; looked up at the
   * route's first request, so loading many routes allocates none.
   */
  stats: RouteStats | null
  /** The route as a client's path reads it (`/orders/v2/items/{id}`), for span attributes; built at the route's first traced request. */
  spanRoute: string | null
}

export interface Runtime {
  readonly loaded: LoadedConfig
  readonly config: GatewayConfig
  readonly router: Router<RouteRuntime>
  readonly upstreams: ReadonlyMap<string, Upstream>
  readonly isTrustedProxy: IpMatcher
  readonly hasTrustedProxies: boolean
  /** The services the policies declared (auth's credential verifiers), each kept across reloads while its sections are unchanged. */
  readonly services: PolicyServices
  /** When the first config of this gateway was compiled: the date of a deprecation that names none. */
  readonly firstLoadedAt: number
  /** Each API's compiled routes by its digest, reused by the next reload while unchanged. */
  readonly compiledApis: ReadonlyMap<string, RouterApi<RouteRuntime>>
  /** Rate-limit counters; kept across reloads while `stores.counters` is unchanged, so limits survive them. */
  readonly counters: Counters
  readonly countersKey: string
  /** The developer portal (`portal`), served before routing; null when not configured. */
  readonly portal: PortalServer | null
  inFlight: number
}

export interface RuntimeDeps {
  logger: Logger
  clock: { now(): number }
  policies: readonly PolicyDefinition[]
  /** The data store, for the policies' services and for the policies that declare `needsDataStore`. */
  store: DataStore | null
  policyMetrics?: PolicyMetrics
  /** Opens the counter store `stores.counters` names; without it every store is in memory (nothing connects). */
  openCounters?: (url: string, timeoutMs: number) => CounterStore
  /** The security-event hub, for the policies' services; none when no sink is configured. */
  events?: SecurityEventSink | null
  /** Where calls of deprecated versions and operations are counted; none without a data store. */
  deprecatedUsage?: DeprecatedUsage | null
  /** Counts a call of a deprecated version or operation (the metric); none in compile-only use. */
  countDeprecated?: (api: string, version: string, operation: string) => void
  /** The config is only compiled, never served (`validate`): policies build now what they would build on first use. */
  compileOnly?: boolean
}

/** Dependencies for compiling a config without serving it (`validate`, benchmarks): no store, nothing started. */
export function compileOnlyDeps(policies: readonly PolicyDefinition[], logger: Logger): RuntimeDeps {
  return { logger, clock: { now: () => Date.now() }, policies, store: null, compileOnly: true }
}

/** Compiles a loaded config; throws ConfigError naming the API or policy that failed. */
export function buildRuntime(loaded: LoadedConfig, deps: RuntimeDeps, previous: Runtime | null): Runtime {
  const { config } = loaded
  const upstreams = new Map<string, Upstream>()
  const problems: ConfigProblem[] = []
  const routerApis: RouterApi<RouteRuntime>[] = []
  const metrics = deps.policyMetrics ?? NO_POLICY_METRICS
  const services = PolicyServices.build(deps.policies, config, { logger: deps.logger, clock: deps.clock, metrics, dataStore: deps.store, events: deps.events ?? null }, previous?.services ?? null)

  const countersKey = `${config.stores.counters} ${config.stores.countersTimeoutMs}`
  const counters: Counters =
    previous !== null && previous.countersKey === countersKey
      ? previous.counters
      : {
          store: deps.openCounters === undefined || config.stores.counters === 'memory' ? new MemoryCounters() : deps.openCounters(config.stores.counters, config.stores.countersTimeoutMs),
          fallback: previous?.counters.fallback ?? new MemoryCounters(),
        }

  const compiledApis = new Map<string, RouterApi<RouteRuntime>>()
  const memoized = new Map<string, unknown>()
  const memo = <T>(key: string, build: () => T): T => {
    if (!memoized.has(key)) memoized.set(key, build())
    return memoized.get(key) as T
  }
  const sections = declaredSections(deps.policies, config)
  // Compiled routes hold policy instances created with these; any change compiles every API anew.
  const reusable =
    previous !== null &&
    services.sameAs(previous.services) &&
    previous.counters === counters &&
    JSON.stringify([...declaredSections(deps.policies, previous.config)]) === JSON.stringify([...sections]) &&
    previous.loaded.baseDir === loaded.baseDir && previous.config.server.maxBufferedBodyBytes === config.server.maxBufferedBodyBytes

  const firstLoadedAt = previous?.firstLoadedAt ?? deps.clock.now()
  const identities = apiIdentities(config.apis)
  config.apis.forEach((api, index) => {
    const upstreamConfig = upstreamConfigOf(api.upstream)
    const key = JSON.stringify(upstreamConfig)
    const upstream = upstreams.get(key) ?? previous?.upstreams.get(key) ?? new Upstream(upstreamConfig)
    upstreams.set(key, upstream)
    const identity = identities[index] ?? api.name
    const versioning = versioningOf(config.apis, index)
    // What the API is compiled from beyond its own config: its name among the others and the versions mounted with it.
    const digest = loaded.apiDigests[index] === undefined ? '' : `${loaded.apiDigests[index]} ${identity} ${JSON.stringify(versioning)}`
    const unchanged = reusable ? previous.compiledApis.get(digest) : undefined
    // Same digest, same upstream config, so the same upstream object; checked on one route.
    const sample = unchanged?.catchAll ?? unchanged?.routes[0]?.value
    if (unchanged !== undefined && (sample === undefined || sample.api.upstream === upstream)) {
      routerApis.push(unchanged)
      compiledApis.set(digest, unchanged)
      return
    }
    const selector = versioning === null ? null : createVersionSelector(versioning.spec)
    const apiRuntime: ApiRuntime = {
      name: identity,
      apiName: api.name,
      version: api.version ?? null,
      vary: selector?.vary ?? null,
      traffic: null,
      basePath: api.basePath,
      stripBasePath: api.stripBasePath,
      upstream,
    }
    const operations = new Map((loaded.routes[index] ?? []).map((route) => [`${route.method} ${route.template}`, route]))

    const create = (name: string, value: unknown, path: string): PolicyInstance | null => {
      const definition = deps.policies.find((p) => p.name === name)
      if (definition === undefined) return null
      const policyConfig = value as Record<string, unknown> & { onFailure?: OnFailure }
      const service = services.of(name)
      try {
        const hooks = definition.create(policyConfig as never, {
          logger: deps.logger.child({ policy: name, api: identity }),
          clock: deps.clock,
          api: identity,
          baseDir: loaded.baseDir,
          basePath: api.basePath,
          operations,
          openapiFile: api.openapi === undefined ? null : resolve(loaded.baseDir, api.openapi),
          openapiRemote: new RemoteDocuments(api.openapiRemoteRefs, loaded.remoteDocuments[index]),
          memo,
          metrics,
          eager: deps.compileOnly === true || previous !== null,
          // What the policy declared, and only that.
          sections: sections.get(name) ?? {},
          ...(service !== undefined && { service }),
          ...(definition.receives.counters && { counters }),
          ...(definition.receives.dataStore && { dataStore: deps.store }),
        })
        return { name, priority: definition.priority, onFailure: policyConfig.onFailure ?? 'closed', hooks }
      } catch (error) {
        problems.push({ path, message: `cannot be set up: ${(error as Error).message}` })
        return null
      }
    }

    const apiInstances = new Map<string, PolicyInstance>()
    for (const [name, value] of Object.entries(api.policies)) {
      const instance = create(name, value, `apis[${index}].policies.${name}`)
      if (instance !== null) apiInstances.set(name, instance)
    }
    // A draft chosen by its version label must look like a version that does not exist.
    const hidden = selector === null || versioning === null ? null : versionRefusalReply(selector.refusal('unknown', versioning.listed), false)
    const lifecycle = createLifecycleHooks({ name: api.name, version: api.version ?? null, lifecycle: api.lifecycle }, operations, { clock: deps.clock, loadedAt: firstLoadedAt, usage: deps.deprecatedUsage ?? null, countDeprecated: deps.countDeprecated ?? null, hidden })
    if (lifecycle !== null) apiInstances.set('lifecycle', { name: 'lifecycle', priority: LIFECYCLE_PRIORITY, onFailure: 'closed', hooks: lifecycle })
    const apiChain = buildChain([...apiInstances.values()], config.server.maxBufferedBodyBytes)

    const routeRuntime = (route: ResolvedRoute | null): RouteRuntime => {
      const overrides = route?.overrides ?? {}
      let chain = apiChain
      if (Object.keys(overrides).length > 0) {
        const instances = new Map(apiInstances)
        for (const [name, value] of Object.entries(overrides)) {
          if (value === false) instances.delete(name)
          else {
            const instance = create(name, value, `apis[${index}].routes["${route?.method} ${route?.template}"].${name}`)
            if (instance !== null) instances.set(name, instance)
          }
        }
        chain = buildChain([...instances.values()], config.server.maxBufferedBodyBytes)
      }
      return { api: apiRuntime, template: route?.template ?? '*', operationId: route?.operationId ?? null, chain, stats: null, spanRoute: null }
    }

    const routes = loaded.routes[index] ?? null
    const compiled: RouterApi<RouteRuntime> = {
      name: identity,
      hosts: api.hosts.map((h) => h.toLowerCase()),
      basePath: api.basePath,
      routes: routes === null ? [] : routes.map((route) => ({ method: route.method, template: route.template, value: routeRuntime(route) })),
      catchAll: routes === null ? routeRuntime(null) : null,
      // Requests no route matches reach the API's `onUnrouted` hooks, when it has any.
      unmatched: routes !== null && apiChain.onUnrouted.length > 0 ? { api: apiRuntime, template: '', operationId: null, chain: apiChain, stats: null, spanRoute: null } : null,
      version: selector === null || versioning === null ? null : { selector, label: versioning.label, isDefault: versioning.isDefault, listed: api.lifecycle.state !== 'draft' },
    }
    routerApis.push(compiled)
    if (digest !== '') compiledApis.set(digest, compiled)
  })

  let portal: PortalServer | null = null
  if (config.portal !== undefined) {
    try {
      portal = createPortalServer(config.portal.path, portalSiteFor(loaded, config.portal, deps.clock.now()))
    } catch (error) {
      problems.push({ path: config.portal.dir === undefined ? 'portal' : 'portal.dir', message: `cannot serve the portal: ${(error as Error).message}` })
    }
  }

  let router: Router<RouteRuntime>
  try {
    router = createRouter(routerApis)
  } catch (error) {
    problems.push({ path: 'apis', message: (error as Error).message })
  }
  if (problems.length > 0) {
    services.notIn(previous?.services ?? null).close()
    if (counters !== previous?.counters) void counters.store.close()
    throw new ConfigError('GW_ERR_CONFIG_INVALID', problems)
  }

  return {
    loaded,
    config,
    router: router!,
    upstreams,
    isTrustedProxy: createIpMatcher(config.trustedProxies),
    hasTrustedProxies: config.trustedProxies.length > 0,
    services,
    firstLoadedAt,
    compiledApis,
    counters,
    countersKey,
    portal,
    inFlight: 0,
  }
}

/** Each policy's declared top-level sections (e.g. rate-limit's `plans`) with their values in `config`. */
function declaredSections(policies: readonly PolicyDefinition[], config: GatewayConfig): Map<string, Readonly<Record<string, unknown>>> {
  return new Map(policies.map((policy) => [policy.name, sectionValuesOf(policy, config)]))
}

function upstreamConfigOf(upstream: GatewayConfig['apis'][number]['upstream']): UpstreamConfig {
  return {
    targets: upstream.targets ?? [upstream.url as string],
    balance: upstream.balance,
    connectTimeoutMs: upstream.connectTimeoutMs,
    headersTimeoutMs: upstream.headersTimeoutMs,
    bodyTimeoutMs: upstream.bodyTimeoutMs,
    maxConnections: upstream.maxConnections,
    retries: upstream.retries,
    retryOnStatus: upstream.retryOnStatus,
    healthCheck: upstream.healthCheck,
    circuitBreaker: upstream.circuitBreaker,
  }
}

/** Upstreams of `old` that `current` no longer uses; closed once `old` has drained. */
export function retiredUpstreams(old: Runtime, current: Runtime): Upstream[] {
  const kept = new Set(current.upstreams.values())
  return [...old.upstreams.values()].filter((u) => !kept.has(u))
}
