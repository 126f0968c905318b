/**
 * What the `auth` policy verifies credentials with: its shared service (policies/auth), built once
 * per runtime from the `identity` section and the data store, and reused across reloads while the
 * section is unchanged. Its lifecycle (start, isReady, onDataStoreChange, close) is the one the
 * runtime drives for every policy's service.
 */
import type { Logger } from 'pino'
import type { IdentityConfig } from './identity-schema.js'
import type { Consumer, DataStore } from '../stores/data-store.js'
import { ApiKeyAuthenticator } from './api-keys.js'
import { DpopVerifier } from './dpop-verifier.js'
import { RevocationPoller } from './revocation-poller.js'
import { StoreCache } from './store-cache.js'
import { Introspector } from './introspector.js'
import { JwtVerifier } from './jwt-verifier.js'
import type { JwksFetchOutcome } from './jwks-source.js'

export interface IdentityMetrics {
  /** One fetch of a JSON Web Key Set and why it ended so. */
  jwksFetch(outcome: JwksFetchOutcome, reason: string): void
}

export interface IdentityServices {
  readonly config: IdentityConfig
  readonly jwt: JwtVerifier | null
  readonly introspection: Introspector | null
  /** DPoP proof checks; null when `identity.dpop` is not configured. */
  readonly dpop: DpopVerifier | null
  /** Null when the gateway has no data store open. */
  readonly apiKeys: ApiKeyAuthenticator | null
  /** Consumers by id (certificate consumers), cached like API keys; null without a data store. */
  readonly consumers: { get(id: string): Promise<Consumer | null> } | null
  readonly store: DataStore | null
  /** Starts background work (key-set loading, polling for revoked keys); a runtime that is only compiled never starts. */
  start(): void
  /** Whether the key set is loaded (when `identity.jwt` is configured). */
  isReady(): boolean
  close(): void
  /**
   * After an admin change: one key, or (no id) every key and consumer, is looked up again, and
   * meanwhile cannot fall back on a good answer from before the change; revocations already seen stay.
   */
  onDataStoreChange(keyId?: string): void
}

const STALE_WARNING_INTERVAL_MS = 10_000

/** Logs loudly, at most every 10 s, that API keys are being served from a stale cache. */
function staleWarning(logger: Logger, clock: { now(): number }): (error: unknown) => void {
  let last = Number.NEGATIVE_INFINITY
  return (error) => {
    const now = clock.now()
    if (now - last < STALE_WARNING_INTERVAL_MS) return
    last = now
    logger.warn({ err: { message: (error as Error).message } }, 'data store unreachable: API keys are served from the stale cache (identity.apiKeys.staleIfErrorSec)')
  }
}

export function createIdentityServices(
  config: IdentityConfig,
  deps: { store: DataStore | null; clock: { now(): number }; logger: Logger; metrics: IdentityMetrics },
): IdentityServices {
  const jwt = config.jwt === undefined ? null : new JwtVerifier(config.jwt, { clock: deps.clock, logger: deps.logger.child({ component: 'jwks' }), onJwksFetch: (outcome, reason) => deps.metrics.jwksFetch(outcome, reason) })
  const introspection = config.introspection === undefined ? null : new Introspector(config.introspection, deps.clock)
  const store = deps.store
  const cacheOptions = { ...config.apiKeys, onStale: staleWarning(deps.logger, deps.clock) }
  const apiKeys = store === null ? null : new ApiKeyAuthenticator(store, cacheOptions, deps.clock)
  const consumerCache = store === null ? null : new StoreCache<Consumer>(cacheOptions, deps.clock)
  const revocations =
    store === null || apiKeys === null
      ? null
      : new RevocationPoller(
          { store, clock: deps.clock, logger: deps.logger.child({ component: 'revocations' }), onRevoked: (key) => apiKeys.noteRevoked(key) },
          // As often as a look-up is cached: a revocation reaches this process within cacheSec either way.
          { intervalMs: Math.max(1, config.apiKeys.cacheSec) * 1000 },
        )
  return {
    config,
    jwt,
    introspection,
    dpop: config.dpop === undefined ? null : new DpopVerifier(config.dpop, deps.clock),
    apiKeys,
    consumers: store === null || consumerCache === null ? null : { get: (id) => consumerCache.get(id, () => store.getConsumer(id)) },
    store,
    start: () => {
      jwt?.start()
      revocations?.start()
    },
    isReady: () => jwt === null || jwt.isReady(),
    close: () => {
      jwt?.close()
      revocations?.close()
    },
    onDataStoreChange: (keyId) => {
      apiKeys?.forget(keyId)
      if (keyId === undefined) consumerCache?.forget()
    },
  }
}
