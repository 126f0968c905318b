/**
 * Process entry: one gateway in this process, or with `workers: N` a primary that serves the
 * admin API (aggregating the workers' metrics) and N workers sharing the listeners. Signals:
 * SIGHUP reloads, SIGTERM/SIGINT drain and exit.
 */
import cluster, { type Worker } from 'node:cluster'
import type { AddressInfo } from 'node:net'
import { AggregatorRegistry } from 'prom-client'
import type { Logger } from 'pino'
import { createAdminServer } from './admin/admin-server.js'
import { adminHost, adminPort } from './config/check-config.js'
import { createConfigLoader, type ConfigLoader, type LoadedConfig } from './config/load-config.js'
import { Management } from './admin/management.js'
import { createManagementRoutes, type ManagementRequest } from './admin/management-routes.js'
import { createRateLimitRoutes } from './admin/rate-limit-routes.js'
import { openCounterStore } from './stores/open-counter-store.js'
import type { DataStore } from './stores/data-store.js'
import { openConfiguredDataStore } from './stores/open-data-store.js'
import { startGateway, type Gateway } from './gateway.js'
import { createLoggers, flushLogger } from './observability/logger.js'
import { builtinPolicies } from './policies/index.js'
import { listen } from './server/listeners.js'

type WorkerMessage = { type: 'ready'; addresses: Gateway['addresses'] } | { type: 'failed'; message: string }
type PrimaryMessage = { type: 'reload' } | { type: 'stop' } | { type: 'forget-store-lookups'; keyId?: string }

/** Runs until a terminating signal; resolves with the process exit code. */
export async function runGatewayProcess(configFile: string): Promise<number> {
  if (cluster.isWorker) return runWorker(configFile)
  const loader = createConfigLoader(builtinPolicies)
  const loaded = loader.load(configFile)
  if (loaded.config.workers === 1) return runSingle(configFile, loader)
  return runPrimary(configFile, loaded)
}

async function runSingle(configFile: string, loader: ConfigLoader): Promise<number> {
  const gateway = await startGateway({ configFile, loader })
  return new Promise((resolve) => {
    process.on('SIGHUP', () => void gateway.reload())
    const shutdown = () => void gateway.stop().then(() => resolve(0))
    process.once('SIGTERM', shutdown)
    process.once('SIGINT', shutdown)
  })
}

async function runWorker(configFile: string): Promise<number> {
  let gateway: Gateway
  try {
    gateway = await startGateway({ configFile, admin: false })
  } catch (error) {
    process.send?.({ type: 'failed', message: (error as Error).message } satisfies WorkerMessage)
    return 2
  }
  // Constructing one installs prom-client's worker-side listener for the primary's requests.
  new AggregatorRegistry()
  AggregatorRegistry.setRegistries([gateway.metrics.registry])
  process.send?.({ type: 'ready', addresses: gateway.addresses } satisfies WorkerMessage)
  return new Promise((resolve) => {
    const shutdown = () => void gateway.stop().then(() => resolve(0))
    // The primary relays SIGHUP as a message; a group-wide SIGHUP must not kill the worker.
    process.on('SIGHUP', () => undefined)
    process.once('SIGTERM', shutdown)
    process.once('SIGINT', shutdown)
    process.on('message', (message: PrimaryMessage) => {
      if (message.type === 'reload') void gateway.reload()
      else if (message.type === 'stop') shutdown()
      else if (message.type === 'forget-store-lookups') gateway.forgetStoreLookups(message.keyId)
    })
  })
}

async function runPrimary(configFile: string, loaded: LoadedConfig): Promise<number> {
  const { config } = loaded
  const workers = config.workers
  const logger: Logger = createLoggers(config.log).logger
  const aggregator = new AggregatorRegistry()
  const ready = new Set<Worker>()
  let stopping = false
  let restarts = 0

  const fork = (): Worker => {
    const worker = cluster.fork()
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        ready.add(worker)
        if (ready.size === workers) logger.info({ workers, addresses: describe(message.addresses) }, 'gateway started')
        flushLogger(logger)
      } else {
        logger.error({ worker: worker.process.pid, message: message.message }, 'worker failed to start')
      }
    })
    worker.on('exit', (code) => {
      ready.delete(worker)
      if (stopping) return
      restarts++
      logger.error({ worker: worker.process.pid, code, restarts }, 'worker exited; starting a replacement')
      // Back off so a worker that always crashes cannot spin the machine.
      setTimeout(fork, Math.min(5000, 100 * restarts)).unref()
    })
    return worker
  }
  for (let i = 0; i < workers; i++) fork()

  const broadcast = (message: PrimaryMessage) => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send(message)
  }
  let admin: ReturnType<typeof createAdminServer> | null = null
  let store: DataStore | null = null
  const counters = openCounterStore(config.stores.counters, config.stores.countersTimeoutMs)
  if (config.admin !== undefined) {
    store = await openConfiguredDataStore(config.stores.data, loaded.baseDir)
    const clock = { now: () => Date.now() }
    admin = createAdminServer({
      management: (() => {
        const management = new Management(store, clock)
        const managementRoutes = createManagementRoutes({
          management,
          clock,
          onChange: (keyId) => broadcast({ type: 'forget-store-lookups', ...(keyId === undefined ? {} : { keyId }) }),
        })
        // The workers count in the shared store (a memory store is refused with workers > 1); the
        // primary reads and lifts bans there too, against the config it started with.
        const rateLimitRoutes = createRateLimitRoutes({ source: () => ({ loaded, store: counters }), clock, management })
        return (req: ManagementRequest) => managementRoutes(req) ?? rateLimitRoutes(req)
      })(),
      tokenHash: config.admin.auth.tokenHash,
      publicProbes: config.admin.publicProbes,
      isReady: () => !stopping && ready.size === workers,
      onError: (error, context) => logger.error({ err: error, call: context }, 'admin request failed'),
      metrics: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
    })
    const address: AddressInfo = await listen(admin, adminPort(config.admin.listen), adminHost(config.admin.listen))
    logger.info({ admin: `${address.address}:${address.port}` }, 'admin listening')
    flushLogger(logger)
  }

  return new Promise((resolve) => {
    process.on('SIGHUP', () => {
      logger.info('reloading workers')
      broadcast({ type: 'reload' })
    })
    const shutdown = () => {
      if (stopping) return
      stopping = true
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)
      for (const worker of alive) worker.send({ type: 'stop' } satisfies PrimaryMessage)
      const deadline = setTimeout(() => alive.forEach((w) => w.process.kill('SIGKILL')), config.server.shutdownTimeoutMs + 2000)
      void Promise.all(alive.map((w) => new Promise((r) => (w.isDead() ? r(null) : w.once('exit', r))))).then(() => {
        clearTimeout(deadline)
        admin?.close()
        void counters.close()
        void store?.close().catch((error: unknown) => logger.warn({ err: error }, 'data store did not close cleanly'))
        logger.info({ configFile }, 'gateway stopped')
        flushLogger(logger)
        resolve(0)
      })
    }
    process.once('SIGTERM', shutdown)
    process.once('SIGINT', shutdown)
  })
}

function describe(addresses: Gateway['addresses']): Record<string, string> {
  return Object.fromEntries(Object.entries(addresses).map(([k, a]) => [k, `${a.address}:${a.port}`]))
}
