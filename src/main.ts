/**
 * Process entry: one gateway in this process, or with `workers: N` a primary that serves the
 * admin API (aggregating the workers' metrics) and N workers sharing the listeners. A start fails
 * as a whole: a listener that cannot bind, in this process or in any worker, rejects with the
 * problem and leaves nothing running. Signals: SIGHUP reloads; the first SIGTERM or SIGINT drains
 * and exits, later ones are ignored while it drains. Buffered log lines are written on every exit
 * the process can observe (a stop, an uncaught exception, a worker's exit), never only on the
 * orderly one.
 */
import cluster, { type Worker } from 'node:cluster'
import type { Server } from 'node:http'
import { AggregatorRegistry, Registry } from 'prom-client'
import type { Logger } from 'pino'
import { createAdminServer } from './admin/admin-server.js'
import { adminHost, adminPort } from './config/check-config.js'
import { createConfigLoader, type ConfigLoader, type LoadedConfig } from './config/load-config.js'
import { Management } from './admin/management.js'
import { createManagementRoutes, type ManagementRequest } from './admin/management-routes.js'
import { createRateLimitRoutes } from './admin/rate-limit-routes.js'
import { createInventoryRoutes } from './admin/inventory-routes.js'
import { createLifecycleRoutes } from './admin/lifecycle-routes.js'
import { createEventRoutes } from './admin/event-routes.js'
import { createOverviewRoutes } from './admin/overview-routes.js'
import { configuredDashboard } from './admin/dashboard/configured-dashboard.js'
import { adminEventHooks } from './admin/admin-events.js'
import { createSecurityEventMetrics } from './observability/metrics.js'
import { PORTCULLIS_VERSION } from './cli/version.js'
import { createSecurityEvents, type SecurityEvents } from './observability/security-events/security-events.js'
import { ConfigError, type ConfigProblem, type OperatorErrorCode } from './errors.js'
import { openCounterStore } from './stores/open-counter-store.js'
import type { DataStore } from './stores/data-store.js'
import { openConfiguredDataStore } from './stores/open-data-store.js'
import { bindListener, startGateway, type Gateway } from './gateway.js'
import { createLoggers, flushLogger } from './observability/logger.js'
import { builtinPolicies } from './policies/index.js'
import type { InventorySnapshot } from './policies/inventory/inventory-service.js'
import { mergeSnapshots } from './policies/inventory/merge-snapshots.js'

type WorkerMessage =
  | { type: 'ready'; addresses: Gateway['addresses'] }
  /** `code` and `problems` of a ConfigError (null for any other error), so the primary can report it as its own. */
  | { type: 'failed'; code: OperatorErrorCode | null; problems: ConfigProblem[]; message: string }
  | { type: 'inventory'; id: number; snapshot: InventorySnapshot | null }
type PrimaryMessage = { type: 'reload' } | { type: 'stop' } | { type: 'forget-store-lookups'; keyId?: string } | { type: 'inventory'; id: number; api?: string }

/** Exit codes: a stop that failed part-way (logged), a start that failed (reported). */
const EXIT_STOP_FAILED = 1
const EXIT_START_FAILED = 2
const INVENTORY_REPLY_TIMEOUT_MS = 2000

/**
 * Runs until a terminating signal; resolves with the process exit code. A start that fails
 * rejects (a ConfigError for an unusable config or a listener that cannot bind) after closing
 * whatever it had opened.
 */
export async function runGatewayProcess(configFile: string): Promise<number> {
  if (cluster.isWorker) return runWorker(configFile)
  const loader = createConfigLoader(builtinPolicies)
  const loaded = loader.load(configFile)
  if (loaded.config.workers === 1) return runSingle(configFile, loader)
  return runPrimary(configFile, loaded)
}

async function runSingle(configFile: string, loader: ConfigLoader): Promise<number> {
  const gateway = await startGateway({ configFile, loader })
  process.on('exit', () => gateway.flushLogs())
  process.on('SIGHUP', () => void gateway.reload())
  return new Promise((resolve) => onStopSignals(gateway.logger, () => void stopGateway(gateway).then(resolve)))
}

async function runWorker(configFile: string): Promise<number> {
  let gateway: Gateway | null = null
  let stop: (() => void) | null = null
  // Listening from the start: the primary asks a worker that is still starting to stop when
  // another worker could not start.
  let stopAsked = false
  process.on('message', (message: PrimaryMessage) => {
    if (message.type === 'stop') {
      stopAsked = true
      stop?.()
    } else if (message.type === 'reload') void gateway?.reload()
    else if (message.type === 'forget-store-lookups') gateway?.forgetStoreLookups(message.keyId)
    else if (message.type === 'inventory') void sendToPrimary({ type: 'inventory', id: message.id, snapshot: gateway?.inventorySnapshot(message.api) ?? null })
  })
  try {
    gateway = await startGateway({ configFile, admin: false })
  } catch (error) {
    // The primary reports it (once, not once per worker) and stops the others.
    await sendToPrimary(failureMessage(error))
    leaveCluster()
    return EXIT_START_FAILED
  }
  const started = gateway
  // A worker that ends any other way (an uncaught exception, the primary gone) still writes its lines.
  process.on('exit', () => started.flushLogs())
  // Constructing one installs prom-client's worker-side listener for the primary's requests.
  new AggregatorRegistry()
  AggregatorRegistry.setRegistries([started.metrics.registry])
  // The primary relays SIGHUP as a message; a group-wide SIGHUP must not kill the worker.
  process.on('SIGHUP', () => undefined)
  const code = await new Promise<number>((resolve) => {
    let stopping: Promise<number> | null = null
    stop = () => void (stopping ??= stopGateway(started)).then(resolve)
    onStopSignals(started.logger, stop)
    if (stopAsked) stop()
    else void sendToPrimary({ type: 'ready', addresses: started.addresses })
  })
  leaveCluster()
  return code
}

async function runPrimary(configFile: string, loaded: LoadedConfig): Promise<number> {
  const { config } = loaded
  const workers = config.workers
  const logger: Logger = createLoggers(config.log).logger
  process.on('exit', () => flushLogger(logger))
  const aggregator = new AggregatorRegistry()
  const ready = new Set<Worker>()
  let starting = true
  let stopping = false
  let restarts = 0

  const broadcast = (message: PrimaryMessage) => {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker?.isConnected() === true) worker.send(message)
  }
  // `GET /inventory` on the primary: each worker learned its own share of the traffic.
  const inventoryReplies = new Map<number, (snapshot: InventorySnapshot | null) => void>()
  let inventoryRequests = 0
  const workerInventories = async (api: string | undefined): Promise<InventorySnapshot | null> => {
    const targets = [...ready].filter((worker) => worker.isConnected())
    const id = ++inventoryRequests
    const snapshots: InventorySnapshot[] = []
    await new Promise<void>((resolve) => {
      let waiting = targets.length
      const finish = () => {
        clearTimeout(timer)
        inventoryReplies.delete(id)
        resolve()
      }
      // A worker that does not answer in time (busy, exiting) is left out rather than holding the answer.
      const timer = setTimeout(finish, INVENTORY_REPLY_TIMEOUT_MS)
      inventoryReplies.set(id, (snapshot) => {
        if (snapshot !== null) snapshots.push(snapshot)
        if (--waiting === 0) finish()
      })
      if (waiting === 0) return finish()
      for (const worker of targets) worker.send({ type: 'inventory', id, ...(api !== undefined && { api }) } satisfies PrimaryMessage)
    })
    return snapshots.length === 0 ? null : mergeSnapshots(snapshots, Date.now())
  }

  let admin: Server | null = null
  let store: DataStore | null = null
  // The primary's own events (admin changes and refused admin calls); the workers have theirs.
  let events: SecurityEvents | null = null
  const counters = openCounterStore(config.stores.counters, config.stores.countersTimeoutMs)
  const closeShared = async () => {
    if (admin !== null) await closeServer(admin)
    await events?.close(config.events.shutdownFlushMs)
    await counters.close()
    await store?.close().catch((error: unknown) => logger.warn({ err: error }, 'data store did not close cleanly'))
  }
  // The admin listener first: a taken admin port fails the start before any worker exists.
  if (config.admin !== undefined) {
    try {
      store = await openConfiguredDataStore(config.stores.data, loaded.baseDir)
      events = createSecurityEvents(config.events, { logger, metrics: createSecurityEventMetrics(new Registry()), clock: { now: () => Date.now() }, store, version: PORTCULLIS_VERSION })
      admin = createPrimaryAdmin(config.admin, store)
      const address = await bindListener(admin, adminPort(config.admin.listen), adminHost(config.admin.listen), 'admin.listen')
      logger.info({ admin: `${address.address}:${address.port}` }, 'admin listening')
      flushLogger(logger)
    } catch (error) {
      await closeShared()
      throw error
    }
  }

  let startFailed: (error: Error) => void = () => undefined
  let allReady: () => void = () => undefined
  const startup = new Promise<void>((resolve, reject) => {
    allReady = resolve
    startFailed = reject
  })
  const fork = (): Worker => {
    const worker = cluster.fork()
    // A message to a worker that is exiting fails with EPIPE; its exit is handled on 'exit'.
    worker.on('error', (error: NodeJS.ErrnoException) => logger.debug({ worker: worker.process.pid, err: { code: error.code } }, 'message to a worker failed'))
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'inventory') {
        inventoryReplies.get(message.id)?.(message.snapshot)
        return
      }
      if (message.type === 'ready') {
        // A stop sent while the worker was still loading may have found no listener yet.
        if (stopping) {
          if (worker.isConnected()) worker.send({ type: 'stop' } satisfies PrimaryMessage)
          return
        }
        ready.add(worker)
        if (ready.size === workers) {
          logger.info({ workers, addresses: describe(message.addresses) }, 'gateway started')
          flushLogger(logger)
          allReady()
        }
      } else if (starting && !stopping) {
        startFailed(workerFailure(message))
      } else {
        logger.error({ worker: worker.process.pid, message: message.message }, 'a replacement worker failed to start')
      }
    })
    worker.on('exit', (code, signal) => {
      ready.delete(worker)
      if (stopping) return
      // A worker that cannot start would fail again at once: the start fails instead of spinning.
      if (starting) return startFailed(new Error(`a worker exited while starting (${signal ?? `exit code ${code}`})`))
      restarts++
      logger.error({ worker: worker.process.pid, code, signal, restarts }, 'worker exited; starting a replacement')
      // Back off so a worker that always crashes cannot spin the machine.
      setTimeout(fork, Math.min(5000, 100 * restarts)).unref()
    })
    return worker
  }

  /** Asks every worker to drain and waits for them all to exit; SIGKILL past the shutdown timeout. */
  const stopWorkers = async () => {
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead())
    for (const worker of alive) if (worker.isConnected()) worker.send({ type: 'stop' } satisfies PrimaryMessage)
    const deadline = setTimeout(() => alive.forEach((w) => w.process.kill('SIGKILL')), config.server.shutdownTimeoutMs + 2000)
    await Promise.all(alive.map((w) => new Promise((r) => (w.isDead() ? r(null) : w.once('exit', r)))))
    clearTimeout(deadline)
  }

  let teardown: Promise<void> | null = null
  const stopAll = () => (teardown ??= stopWorkers().then(closeShared))
  // Installed before the workers exist: started workers serve as soon as they listen, so a stop
  // during start-up must drain them too, and a group-wide SIGHUP must not end the primary.
  process.on('SIGHUP', () => {
    logger.info('reloading workers')
    broadcast({ type: 'reload' })
  })
  const stopped = new Promise<void>((resolve) =>
    onStopSignals(logger, () => {
      stopping = true
      void stopAll().then(() => {
        logger.info({ configFile }, 'gateway stopped')
        flushLogger(logger)
        resolve()
      })
    }),
  )
  for (let i = 0; i < workers; i++) fork()
  try {
    await Promise.race([startup, stopped])
  } catch (error) {
    stopping = true
    await stopAll()
    logger.error({ err: error }, 'gateway did not start')
    flushLogger(logger)
    throw error
  }
  starting = false
  await stopped
  return 0

  function createPrimaryAdmin(adminConfig: NonNullable<LoadedConfig['config']['admin']>, dataStore: DataStore): Server {
    const clock = { now: () => Date.now() }
    const adminEvents = adminEventHooks(events)
    const management = new Management(dataStore, clock, adminEvents.onAudited)
    const managementRoutes = createManagementRoutes({
      management,
      clock,
      onChange: (keyId) => broadcast({ type: 'forget-store-lookups', ...(keyId === undefined ? {} : { keyId }) }),
    })
    // The workers count in the shared store (a memory store is refused with workers > 1); the
    // primary reads and lifts bans there too, against the config it started with.
    const rateLimitRoutes = createRateLimitRoutes({ source: () => ({ loaded, store: counters }), clock, management })
    const inventoryRoutes = createInventoryRoutes({ snapshot: workerInventories, clock })
    const eventRoutes = createEventRoutes({ store: dataStore })
    const metricsText = () => aggregator.clusterMetrics()
    const overviewRoutes = createOverviewRoutes({ metricsText, store: dataStore, clock })
    const lifecycleRoutes = createLifecycleRoutes({ loaded: () => loaded, store: dataStore, metricsText })
    const routes = (req: ManagementRequest) => managementRoutes(req) ?? rateLimitRoutes(req) ?? eventRoutes(req) ?? inventoryRoutes(req) ?? overviewRoutes(req) ?? lifecycleRoutes(req)
    return createAdminServer({
      management: routes,
      dashboard: configuredDashboard(adminConfig, { routes, store: dataStore, metricsText, clock, logger, onLogin: adminEvents.onDashboardLogin }),
      onAuthFailure: adminEvents.onAuthFailure,
      tokenHash: adminConfig.auth.tokenHash,
      publicProbes: adminConfig.publicProbes,
      isReady: () => !stopping && ready.size === workers,
      onError: (error, context) => logger.error({ err: error, call: context }, 'admin request failed'),
      metrics: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
    })
  }
}

/**
 * Calls `stop` on the first SIGTERM or SIGINT and ignores (logs) the ones after it while the
 * gateway drains: GNU `timeout`, container runtimes and many supervisors signal the whole process
 * group, often twice, and the default action would end the process mid-drain, cutting responses
 * in flight and losing the access lines still buffered. Draining is bounded by
 * `server.shutdownTimeoutMs`; SIGKILL remains the way to end it at once.
 */
function onStopSignals(logger: Logger, stop: () => void): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.info({ signal }, 'shutdown already in progress; ignoring the signal until draining ends')
      return
    }
    stopping = true
    logger.info({ signal }, 'stopping: draining connections')
    stop()
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}

/** Stops the gateway; resolves with the exit code (a failure is logged, its lines flushed at exit). */
async function stopGateway(gateway: Gateway): Promise<number> {
  try {
    await gateway.stop()
    return 0
  } catch (error) {
    gateway.logger.error({ err: error }, 'the gateway did not stop cleanly')
    return EXIT_STOP_FAILED
  }
}

function sendToPrimary(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) return resolve()
    process.send(message, undefined, {}, () => resolve())
  })
}

/** Closes the IPC channel so the worker can end; the primary then sees it exit. */
function leaveCluster(): void {
  if (cluster.worker?.isConnected() === true) cluster.worker.disconnect()
}

function failureMessage(error: unknown): WorkerMessage {
  if (error instanceof ConfigError) return { type: 'failed', code: error.code, problems: [...error.problems], message: error.message }
  return { type: 'failed', code: null, problems: [], message: (error as Error).message }
}

/** A worker's start-up failure as the primary's own, so the CLI reports it as for one process. */
function workerFailure(message: Extract<WorkerMessage, { type: 'failed' }>): Error {
  return message.code === null ? new Error(`a worker could not start: ${message.message}`) : new ConfigError(message.code, message.problems)
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

function describe(addresses: Gateway['addresses']): Record<string, string> {
  return Object.fromEntries(Object.entries(addresses).map(([k, a]) => [k, `${a.address}:${a.port}`]))
}
