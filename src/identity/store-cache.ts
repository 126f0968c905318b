/**
 * Look-ups in the data store (API keys, certificate consumers), remembered for `cacheSec`;
 * concurrent look-ups of one key share a query; while the store fails, an entry stays usable
 * for `staleIfErrorSec` past its expiry (a revocation cannot reach a gateway that cannot reach
 * its store either).
 */
import { ExpiringCache } from './expiring-cache.js'

export interface StoreCacheOptions {
  /** How long a look-up is used before the store is asked again. */
  cacheSec: number
  /** How long past that a look-up still serves while the store is unreachable. */
  staleIfErrorSec: number
  /** Called when a look-up is answered from a stale entry because the store failed. */
  onStale?: (error: unknown) => void
}

const CACHE_ENTRIES = 50_000

export class StoreCache<V> {
  readonly #cache: ExpiringCache<V>
  readonly #pending = new Map<string, Promise<V>>()
  readonly #cacheMs: number
  readonly #onStale: (error: unknown) => void
  readonly #clock: { now(): number }

  constructor(options: StoreCacheOptions, clock: { now(): number }) {
    this.#cache = new ExpiringCache(CACHE_ENTRIES, options.staleIfErrorSec * 1000)
    this.#cacheMs = options.cacheSec * 1000
    this.#onStale = options.onStale ?? (() => undefined)
    this.#clock = clock
  }

  /** The value while it is fresh, without waiting; undefined when the store must be asked. */
  fresh(key: string): V | undefined {
    return this.#cache.get(key, this.#clock.now())
  }

  /** The fresh value, or the store's answer (`read`), or a stale value if the store fails. */
  get(key: string, read: () => Promise<V>): Promise<V> {
    const fresh = this.fresh(key)
    if (fresh !== undefined) return Promise.resolve(fresh)
    let pending = this.#pending.get(key)
    if (pending === undefined) {
      pending = this.#load(key, read).finally(() => this.#pending.delete(key))
      this.#pending.set(key, pending)
    }
    return pending
  }

  forget(key?: string): void {
    if (key === undefined) this.#cache.clear()
    else this.#cache.delete(key)
  }

  async #load(key: string, read: () => Promise<V>): Promise<V> {
    try {
      const value = await read()
      const now = this.#clock.now()
      this.#cache.set(key, value, now + this.#cacheMs, now)
      return value
    } catch (error) {
      const stale = this.#cache.getStale(key, this.#clock.now())
      if (stale === undefined) throw error
      this.#onStale(error)
      return stale
    }
  }
}
