/**
 * The gateway in one process: loads the config, starts listeners and the admin API, reloads on
 * demand or on file change, and drains on stop. `main.ts` adds signals and worker processes.
 */
import type { AddressInfo } from 'node:net'
import type { ServerHttp2Session } from 'node:http2'
import type { Logger } from 'pino'
import { adminHost, adminPort, checkContextOf, policySettingsOf } from './config/check-config.js'
import { createConfigLoader, type ConfigLoader, type LoadedConfig } from './config/load-config.js'
import { watchFiles } from './config/watch-files.js'
import { ConfigError, type ConfigProblem } from './errors.js'
import { createAdminServer } from './admin/admin-server.js'
import { Management } from './admin/management.js'
import { createManagementRoutes, type ManagementRequest } from './admin/management-routes.js'
import { createRateLimitRoutes } from './admin/rate-limit-routes.js'
import { createEventRoutes } from './admin/event-routes.js'
import { createInventoryRoutes } from './admin/inventory-routes.js'
import { createLifecycleRoutes } from './admin/lifecycle-routes.js'
import { DeprecatedUsage } from './policies/lifecycle/deprecated-usage.js'
import { DocumentHistory } from './lifecycle/document-history.js'
import { createOverviewRoutes } from './admin/overview-routes.js'
import { configuredDashboard } from './admin/dashboard/configured-dashboard.js'
import type { InventoryService, InventorySnapshot } from './policies/inventory/inventory-service.js'
import { createAccessLog } from './observability/access-log.js'
import { createRequestIds } from './observability/request-id.js'
import { createLoggers, flushLogger } from './observability/logger.js'
import { errorSummary, LogThrottle } from './observability/log-throttle.js'
import { createMetrics, type GatewayMetrics } from './observability/metrics.js'
import { createSecurityEvents, type SecurityEvents } from './observability/security-events/security-events.js'
import { classOfAction } from './observability/security-events/security-event.js'
import { adminEventHooks } from './admin/admin-events.js'
import { loadTracing, type Tracing, type TracingOptions } from './observability/tracing.js'
import { PORTCULLIS_VERSION } from './cli/version.js'
import type { PolicyDefinition } from './pipeline/define-policy.js'
import type { PolicyFailureReporter } from './pipeline/run-chain.js'
import { builtinPolicies } from './policies/index.js'
import { BufferBudget } from './server/buffer-budget.js'
import { CertificateStore, loadCertificates, type CertificateSet } from './server/certificate-store.js'
import { handleRequest } from './server/exchange.js'
import { answerClientError, answerConnect } from './server/client-errors.js'
import { createHttpListener, createHttpsListener, listen, type AnyServer, type ListenerHandlers } from './server/listeners.js'
import { buildRuntime, retiredUpstreams, type Runtime, type RuntimeDeps } from './server/runtime.js'
import { openCounterStore } from './stores/open-counter-store.js'
import { RedisCounters } from './stores/redis-counters.js'
import type { DataStore } from './stores/data-store.js'
import { openConfiguredDataStore } from './stores/open-data-store.js'
import type { GatewayConfig } from './config/schema.js'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ServingState } from './server/serving-state.js'

export interface GatewayOptions {
  configFile: string
  env?: NodeJS.ProcessEnv
  policies?: readonly PolicyDefinition[]
  /** Serve the admin listener here (cluster workers leave it to the primary). */
  admin?: boolean
  clock?: { now(): number }
  /** A loader already compiled for these policies (the CLI's, which has read the config once). */
  loader?: ConfigLoader
}

export interface ReloadResult {
  ok: boolean
  problems: readonly ConfigProblem[]
}

export interface Gateway {
  readonly addresses: { http?: AddressInfo; https?: AddressInfo; admin?: AddressInfo }
  readonly metrics: GatewayMetrics
  readonly logger: Logger
  /** The security-event hub; null when `events` configures no sink. */
  readonly events: SecurityEvents | null
  isReady(): boolean
  /** Writes buffered log lines now (tests, shutdown). */
  flushLogs(): void
  /** Forgets cached data-store look-ups (one API key, or every key and consumer): the admin API changed the store. */
  forgetStoreLookups(keyId?: string): void
  /** What the `inventory` policy learned in this process: every API's, or `api`'s (null when it has none, or the policy is not loaded). */
  inventorySnapshot(api?: string): InventorySnapshot | null
  reload(): Promise<ReloadResult>
  stop(): Promise<void>
}

/** Starts a gateway; rejects with ConfigError when the config is unusable. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const policies = options.policies ?? builtinPolicies
  const loader = options.loader ?? createConfigLoader(policies, options.env)
  let loaded: LoadedConfig = loader.load(options.configFile)
  const documents = new DocumentHistory()
  documents.remember(loaded.config.apis)
  const { config } = loaded
  const { logger, accessSink } = createLoggers(config.log)
  const clock = options.clock ?? { now: () => Date.now() }
  const metrics = createMetrics({ defaultMetrics: true, inFlight: () => state.inFlight, bufferedBytes: () => state.bufferBudget.used, clock })

  // While a dependency fails every request fails alike: the first failure is logged in full, the
  // rest once per interval with a count (the metric counts each).
  const failureLogs = new Map<string, LogThrottle>()
  const reportPolicyFailure: PolicyFailureReporter = (policy, error, failedOpen, ctx) => {
    metrics.policyFailures.labels(ctx.route.api, policy, failedOpen ? 'open' : 'closed').inc()
    const key = `${ctx.route.api}\u0000${policy}`
    let throttle = failureLogs.get(key)
    if (throttle === undefined) failureLogs.set(key, (throttle = new LogThrottle(POLICY_FAILURE_LOG_INTERVAL_MS)))
    const count = throttle.occurred(clock.now())
    if (count === 0) return
    const err = count === 1 ? error : errorSummary(error)
    logger.error({ requestId: ctx.requestId, policy, api: ctx.route.api, failedOpen, failures: count, err }, 'policy failed')
  }
  let store: DataStore | null = null
  if (needsDataStore(config, policies, options.admin !== false)) store = await openConfiguredDataStore(config.stores.data, loaded.baseDir)
  const events: SecurityEvents | null = createSecurityEvents(config.events, { logger, metrics, clock, store, version: PORTCULLIS_VERSION })
  const deprecatedUsage = store === null ? null : new DeprecatedUsage({ store, events, logger, clock })
  const runtimeDeps: RuntimeDeps = {
    logger,
    clock,
    policies,
    store,
    events,
    deprecatedUsage,
    countDeprecated: (api, version, operation) => metrics.deprecatedRequests.inc(api, version, operation),
    policyMetrics: {
      validation: (api, direction, outcome) => metrics.validationViolations.inc(api, direction, outcome),
      maskingUninspected: (api, reason, outcome) => metrics.maskingUninspected.inc(api, reason, outcome),
      waf: (api, rule, outcome) => metrics.wafMatches.inc(api, rule, outcome),
      authOutcome: (api, method, outcome, reason) => metrics.authOutcomes.inc(api, method, outcome, reason),
      jwksFetch: (outcome, reason) => metrics.jwksFetches.labels(outcome, reason).inc(),
      authzDecision: (api, decision, rule) => metrics.authzDecisions.inc(api, decision, rule),
    },
    openCounters: (url, timeoutMs) => openCounterStore(url, timeoutMs, options.clock !== undefined),
  }
  let initialRuntime: Runtime
  try {
    initialRuntime = buildRuntime(loaded, runtimeDeps, null)
  } catch (error) {
    await events?.close(0)
    await store?.close()
    throw error
  }
  initialRuntime.services.start()
  deprecatedUsage?.start()
  await waitForCounters(initialRuntime, logger)
  let tracing: Tracing | null
  try {
    tracing = await loadTracing(tracingOptionsOf(config, logger))
  } catch (error) {
    initialRuntime.services.close()
    await initialRuntime.counters.store.close()
    await store?.close()
    throw error
  }
  const state: ServingState = {
    runtime: initialRuntime,
    inFlight: 0,
    draining: false,
    logger,
    accessLog: config.log.access ? createAccessLog(accessSink) : null,
    tracing,
    metrics,
    events,
    unmatchedStats: metrics.routes.get('', ''),
    clock,
    nextRequestId: createRequestIds(),
    maxBufferedResponseBytes: config.server.maxBufferedResponseBytes,
    bufferBudget: new BufferBudget(config.server.maxBufferedBytesTotal),
    maxPipelinedRequests: config.server.maxPipelinedRequests,
    sendTimeoutMs: config.server.sendTimeoutMs,
    reportPolicyFailure,
    onRuntimeDrained: (runtime) => void closeRetired(runtime),
  }
  const retiring = new Map<Runtime, Runtime>()
  async function closeRetired(old: Runtime): Promise<void> {
    const successor = retiring.get(old)
    if (successor === undefined) return
    retiring.delete(old)
    old.services.notIn(successor.services).close()
    if (old.counters.store !== successor.counters.store) await old.counters.store.close()
    await Promise.all(retiredUpstreams(old, successor).map((u) => u.close()))
  }

  const handlers: ListenerHandlers = {
    request: (req, res) => handleRequest(state, req, res),
    clientError: (error, socket) => answerClientError(state, error, socket),
    connect: (req, socket) => answerConnect(state, req, socket),
  }
  const servers: AnyServer[] = []
  const sessions = new Set<ServerHttp2Session>()
  const addresses: Gateway['addresses'] = {}
  let certificates: CertificateStore | null = null
  let ready = false

  if (config.listen.http !== undefined) {
    const server = createHttpListener(config.server, handlers)
    servers.push(server)
    addresses.http = await listenOrThrow(server, config.listen.http.port, config.listen.http.host, 'listen.http')
  }
  if (config.listen.https !== undefined) {
    certificates = new CertificateStore(loadCertificates(config.listen.https))
    const server = createHttpsListener(config.listen.https, config.server, certificates, handlers, logger)
    server.on('session', (session: ServerHttp2Session) => {
      sessions.add(session)
      session.once('close', () => sessions.delete(session))
    })
    servers.push(server)
    addresses.https = await listenOrThrow(server, config.listen.https.port, config.listen.https.host, 'listen.https')
  }
  const adminRoutes = (management: Management | null) => {
    const managementRoutes = management === null ? null : createManagementRoutes({ management, clock, onChange: forgetStoreLookups })
    const rateLimitRoutes = createRateLimitRoutes({ source: () => ({ loaded: state.runtime.loaded, store: state.runtime.counters.store }), clock, management })
    const inventoryRoutes = createInventoryRoutes({ snapshot: (api) => Promise.resolve(inventorySnapshot(api)), clock })
    const eventRoutes = createEventRoutes({ store })
    const metricsText = () => metrics.registry.metrics()
    const lifecycleRoutes = createLifecycleRoutes({ loaded: () => state.runtime.loaded, store, metricsText })
    const overviewRoutes = createOverviewRoutes({ metricsText, store, clock })
    return (req: ManagementRequest) => managementRoutes?.(req) ?? rateLimitRoutes(req) ?? eventRoutes(req) ?? inventoryRoutes(req) ?? overviewRoutes(req) ?? lifecycleRoutes(req)
  }
  let adminServer: AnyServer | null = null
  const adminEvents = adminEventHooks(events)
  if (options.admin !== false && config.admin !== undefined) {
    const routes = adminRoutes(store === null ? null : new Management(store, clock, adminEvents.onAudited))
    adminServer = createAdminServer({
      tokenHash: config.admin.auth.tokenHash,
      publicProbes: config.admin.publicProbes,
      isReady,
      onError: (error, context) => logger.error({ err: error, call: context }, 'admin request failed'),
      onAuthFailure: adminEvents.onAuthFailure,
      management: routes,
      metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
      dashboard: configuredDashboard(config.admin, { routes, store, metricsText: () => metrics.registry.metrics(), clock, logger, onLogin: adminEvents.onDashboardLogin }),
    })
    addresses.admin = await listenOrThrow(adminServer, adminPort(config.admin.listen), adminHost(config.admin.listen), 'admin.listen')
  }

  let reloading: Promise<ReloadResult> | null = null
  let reloadAgain = false
  async function reloadOnce(): Promise<ReloadResult> {
    let next: LoadedConfig
    let runtime: Runtime
    let certificateSet: CertificateSet | null = null
    try {
      next = await loader.loadOffThread(options.configFile, state.runtime.loaded)
      refuseBreakingChanges(next)
      if (certificates !== null && next.config.listen.https !== undefined) certificateSet = loadCertificates(next.config.listen.https)
      runtime = buildRuntime(next, runtimeDeps, state.runtime)
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [{ path: '', message: (error as Error).message }]
      metrics.reloads.labels('refused').inc()
      logger.error({ problems }, 'config reload refused; the previous config keeps serving')
      emitReloadEvent('config-reload-refused', { problems: problems.slice(0, 20) })
      return { ok: false, problems }
    }
    warnAboutRestartOnlyChanges(loaded, next, logger)
    // New services (e.g. new key sources): let them get ready before they serve, so tokens are not refused meanwhile.
    const fresh = runtime.services.notIn(state.runtime.services)
    fresh.start()
    await waitUntil(() => fresh.isReady(), SERVICE_READY_WAIT_MS)
    if (!fresh.isReady()) logger.warn('a policy service of the new config is not ready yet (e.g. a key set not loaded); applying it anyway')
    if (certificateSet !== null && certificates !== null) {
      certificates.replace(certificateSet)
      for (const server of servers) if ('setSecureContext' in server) server.setSecureContext(certificateSet.defaultOptions)
    }
    const old = state.runtime
    state.runtime = runtime
    loaded = next
    documents.remember(next.config.apis)
    retiring.set(old, runtime)
    if (old.inFlight === 0) await closeRetired(old)
    restartWatch()
    metrics.reloads.labels('applied').inc()
    logger.info({ apis: next.config.apis.length }, 'config reloaded')
    emitReloadEvent('config-reloaded', { apis: next.config.apis.map((api) => api.name) })
    flushLogger(logger)
    return { ok: true, problems: [] }
  }

  /**
   * Logs what a reload's documents break for clients (`portcullis diff`'s checks); throws a
   * ConfigError when a published version whose lifecycle says `breakingChanges: refuse` would break.
   */
  function refuseBreakingChanges(next: LoadedConfig): void {
    const { changes, unchecked } = documents.changes(next.config.apis)
    if (unchecked.length > 0) logger.warn({ apis: unchecked }, 'reload: documents too large or unreadable for the breaking-change check were not compared')
    const problems: ConfigProblem[] = []
    for (const change of changes) {
      if (change.breaking.length === 0 && change.possiblyBreaking.length === 0) continue
      const summary = (list: typeof change.breaking) => list.slice(0, 20).map((c) => `${c.id}${c.operation === undefined ? '' : ` ${c.operation}`}: ${c.message}`)
      logger.warn({ api: change.api, breaking: summary(change.breaking), possiblyBreaking: summary(change.possiblyBreaking) }, 'reload: the API’s document changes what its clients rely on')
      const lifecycle = next.config.apis[change.index]?.lifecycle
      if (change.breaking.length > 0 && lifecycle?.breakingChanges === 'refuse' && lifecycle.state === 'published') {
        problems.push({
          path: `apis[${change.index}].openapi`,
          message: `${change.breaking.length} breaking change(s) for the clients of a published version (lifecycle.breakingChanges: refuse): ${summary(change.breaking).slice(0, 5).join('; ')}`,
        })
      }
    }
    if (problems.length > 0) throw new ConfigError('GW_ERR_CONFIG_INVALID', problems)
  }

  async function reload(): Promise<ReloadResult> {
    if (reloading !== null) {
      reloadAgain = true
      return reloading
    }
    reloading = reloadOnce()
    try {
      let result = await reloading
      while (reloadAgain) {
        reloadAgain = false
        reloading = reloadOnce()
        result = await reloading
      }
      return result
    } finally {
      reloading = null
    }
  }

  function emitReloadEvent(action: 'config-reloaded' | 'config-reload-refused', details: Record<string, unknown>): void {
    events?.emit({ class: classOfAction(action), message: action, portcullis: { policy: 'config', details } })
  }

  let stopWatching: (() => void) | null = null
  function restartWatch(): void {
    stopWatching?.()
    stopWatching = loaded.config.watch ? watchFiles(loaded.files, () => void reload()) : null
  }
  restartWatch()
  // Reloads parse on a worker thread; starting it now keeps its start-up out of the first reload.
  loader.warm()
  ready = true
  logger.info({ addresses: Object.fromEntries(Object.entries(addresses).map(([k, a]) => [k, `${a.address}:${a.port}`])) }, 'gateway started')
  flushLogger(logger)

  let stopping: Promise<void> | null = null
  async function stop(): Promise<void> {
    state.draining = true
    stopWatching?.()
    const deadline = loaded.config.server.shutdownTimeoutMs
    const closed = servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          if ('closeIdleConnections' in server) server.closeIdleConnections()
        }),
    )
    for (const session of sessions) session.close()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadline)))
    await Promise.race([Promise.all(closed), timedOut])
    clearTimeout(timer)
    for (const server of servers) if ('closeAllConnections' in server) server.closeAllConnections()
    for (const session of sessions) session.destroy()
    await Promise.all([...state.runtime.upstreams.values()].map((u) => u.destroy()))
    if (adminServer !== null) {
      const admin = adminServer
      await new Promise<void>((resolve) => {
        admin.close(() => resolve())
        if ('closeAllConnections' in admin) admin.closeAllConnections()
      })
    }
    await loader.close()
    // Each service once, though runtimes share them.
    const runtimes = [state.runtime, ...retiring.keys()]
    runtimes.forEach((runtime, index) => runtime.services.notIn(...runtimes.slice(0, index).map((r) => r.services)).close())
    await Promise.all([state.runtime, ...retiring.keys()].map((r) => r.counters.store.close()))
    // Before the data store closes: the store sink writes into it.
    await deprecatedUsage?.close().catch((error: unknown) => logger.warn({ err: error }, 'deprecated usage could not be written at shutdown'))
    await events?.close(loaded.config.events.shutdownFlushMs)
    await store?.close().catch((error: unknown) => logger.warn({ err: error }, 'data store did not close cleanly'))
    // Spans of the last requests are exported before the process may exit.
    await tracing?.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'traces did not flush cleanly'))
    logger.info('gateway stopped')
    flushLogs()
  }

  /**
   * Binds one of this gateway's listeners. When it cannot, what the start has opened so far
   * (listeners already bound, upstream pools, key sources, stores) is released before the error
   * propagates: a failed start must neither serve half-configured nor keep the process alive.
   * A function declaration, hoisted: the listener code above calls it.
   */
  async function listenOrThrow(server: AnyServer, port: number, host: string, path: string): Promise<AddressInfo> {
    try {
      return await bindListener(server, port, host, path)
    } catch (error) {
      await releaseFailedStart().catch((cleanup: unknown) => logger.warn({ err: cleanup }, 'a failed start did not release everything cleanly'))
      throw error
    }
  }

  async function releaseFailedStart(): Promise<void> {
    const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))
    // A client may have connected in the moment the listener was up: nothing was promised to it.
    for (const server of servers) if ('closeAllConnections' in server) server.closeAllConnections()
    await Promise.all(closed)
    await Promise.all([...state.runtime.upstreams.values()].map((u) => u.destroy()))
    state.runtime.services.close()
    await state.runtime.counters.store.close()
    await events?.close(0)
    await store?.close()
    await tracing?.shutdown()
    await loader.close()
    flushLogs()
  }

  function forgetStoreLookups(keyId?: string): void {
    state.runtime.services.onDataStoreChange(keyId)
  }

  function inventorySnapshot(api?: string): InventorySnapshot | null {
    return (state.runtime.services.of('inventory') as InventoryService | undefined)?.snapshot(api) ?? null
  }

  function isReady(): boolean {
    return ready && !state.draining && state.runtime.services.isReady()
  }

  function flushLogs(): void {
    accessSink.flushSync()
    flushLogger(logger)
  }

  return {
    addresses,
    metrics,
    logger,
    events,
    flushLogs,
    forgetStoreLookups,
    inventorySnapshot,
    isReady,
    reload,
    stop: () => (stopping ??= stop()),
  }
}

/** Tracing's settings for this process, or null when tracing is off. */
function tracingOptionsOf(config: GatewayConfig, logger: Logger): TracingOptions | null {
  const tracing = config.telemetry.tracing
  if (!tracing.enabled) return null
  return {
    endpoint: tracing.endpoint,
    sampleRatio: tracing.sampleRatio,
    serviceName: tracing.serviceName,
    serviceVersion: PORTCULLIS_VERSION,
    headers: tracing.headers,
    maxQueueSize: tracing.maxQueueSize,
    exportIntervalMs: tracing.exportIntervalMs,
    exportTimeoutMs: tracing.exportTimeoutMs,
    logger,
  }
}

const SERVICE_READY_WAIT_MS = 10_000
const POLICY_FAILURE_LOG_INTERVAL_MS = 10_000

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let i = 0; i < 1000 && !condition() && Date.now() < deadline; i++) await sleep(20)
}

/** The data store is opened when something uses it: the admin API, or a policy setting that says it does (API keys, certificate consumers). */
function needsDataStore(config: GatewayConfig, policies: readonly PolicyDefinition[], servesAdmin: boolean): boolean {
  if (servesAdmin && config.admin !== undefined) return true
  if (config.events.store !== undefined) return true
  return config.apis.some((api) =>
    policySettingsOf(api).some(([name, setting]) => {
      const policy = policies.find((p) => p.name === name)
      return policy !== undefined && policy.needsDataStore(setting as never, checkContextOf(config, policy))
    }),
  )
}

/**
 * Binds `server`, or throws a ConfigError naming the config path and the address, e.g.
 * `listen.http: cannot listen on 127.0.0.1:8080: EADDRINUSE (address already in use)`.
 */
export async function bindListener(server: AnyServer, port: number, host: string, path: string): Promise<AddressInfo> {
  try {
    return await listen(server, port, host)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    const meaning = LISTEN_ERRORS[code]
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
    throw new ConfigError('GW_ERR_LISTEN_FAILED', [{ path, message: `cannot listen on ${address}: ${code}${meaning === undefined ? '' : ` (${meaning})`}` }], { cause: error })
  }
}

/** What the usual bind failures mean, for the operator reading the message. */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied; ports below 1024 need privileges',
  EADDRNOTAVAIL: 'no such address on this machine',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
}

/**
 * Listeners, workers and the admin address are bound at start; a reload cannot move them.
 * Certificates and `server.encodedSlashes` (read per request from the runtime) reload live.
 */
function warnAboutRestartOnlyChanges(previous: LoadedConfig, next: LoadedConfig, logger: Logger): void {
  const fixed = ['listen', 'admin', 'workers', 'log', 'telemetry', 'server', 'stores', 'events'] as const
  const boundAtStart = (config: LoadedConfig['config'], key: (typeof fixed)[number]): unknown =>
    key === 'listen' ? stripCertificates(config.listen) : key === 'server' ? { ...config.server, encodedSlashes: undefined } : config[key]
  for (const key of fixed) {
    const before = boundAtStart(previous.config, key)
    const after = boundAtStart(next.config, key)
    if (JSON.stringify(before) !== JSON.stringify(after)) logger.warn({ key }, `${key} changed; it takes effect at the next restart`)
  }
}

function stripCertificates(listen: LoadedConfig['config']['listen']): unknown {
  return { ...listen, https: listen.https === undefined ? undefined : { ...listen.https, certificates: undefined, ciphers: undefined } }
}

/** A Redis counter store gets a moment to connect, so the first requests are not all refused or limited per node. */
async function waitForCounters(runtime: Runtime, logger: Logger): Promise<void> {
  const { store } = runtime.counters
  if (!(store instanceof RedisCounters)) return
  try {
    await store.waitUntilConnected(3000)
  } catch (error) {
    logger.warn({ err: error }, 'the rate-limit counter store is not answering; limits follow each policy’s onFailure until it does')
  }
}
