/**
 * Look-ups in the data store (API keys, certificate consumers), remembered in three bounded LRU
 * tiers so that no kind of answer can push out another:
 * - found: what the store returned, fresh for `cacheSec`, then a fallback for `staleIfErrorSec`
 *   more while the store fails or is slow;
 * - missing: ids the store does not know, so a flood of made-up ids churns only this tier and
 *   never evicts a key in use;
 * - final: answers that can never turn good again (a revoked or expired key), answered without
 *   the store and never replaced by a good answer — not by a look-up that started before the
 *   revocation, not after a `forget`, not by a store that answers from before it (a lagging
 *   replica, a restored backup).
 *
 * `markFinal` puts an answer in the final tier without a look-up: a revocation learnt from the
 * store's list of revoked keys, so that a node refuses the key during an outage even when it last
 * looked it up before the revocation (or never did).
 *
 * One look-up per id is in flight at a time; requests for the id share it. A request whose entry
 * is past `cacheSec` but within the stale window waits for that look-up only `revalidateWaitMs`,
 * and not at all while the store is known to be failing: the stale entry answers and the look-up
 * finishes in the background. A healthy store answers within the wait, so a revocation still
 * reaches this node within `cacheSec`. An id with no usable entry waits for the store (bounded by
 * the store's own timeouts) and gets its error.
 *
 * `forget` says the store changed for an id (or for every id), which may be a revocation: good
 * entries go, since serving one as a fallback could resurrect a revoked key; negative entries
 * stay as fallbacks, marked for refresh; final ones stay; a look-up already in flight still
 * answers the requests waiting on it but no longer fills the cache with a good answer.
 */
import { LRUCache } from 'lru-cache'

export interface StoreCacheOptions {
  /** How long a look-up is used before the store is asked again. */
  cacheSec: number
  /** How long past that a look-up still serves while the store fails or is slow to answer. */
  staleIfErrorSec: number
  /** Called when a look-up is answered from a stale entry because the store failed or was slow. */
  onStale?: (error: unknown) => void
}

/** What the cached values are and how much is kept; the defaults suit every store look-up. */
export interface StoreCacheTuning<V> {
  /** True for an answer that no later look-up may turn good again (a revoked or expired key). */
  isFinal: (value: V, now: number) => boolean
  /** Entries for values the store returned. */
  maxFound: number
  /** Entries for ids the store does not know. */
  maxMissing: number
  /** Final answers, kept until evicted by newer ones. */
  maxFinal: number
  /** Look-ups in flight at once; past it, an id with no usable entry fails at once. */
  maxPending: number
  /** How long a request holding a stale entry waits for its refresh before the entry answers. */
  revalidateWaitMs: number
}

const DEFAULT_TUNING: StoreCacheTuning<unknown> = {
  isFinal: () => false,
  maxFound: 50_000,
  maxMissing: 10_000,
  maxFinal: 10_000,
  maxPending: 1_000,
  // A look-up by primary key takes about a millisecond; a loaded store stays well within this.
  revalidateWaitMs: 250,
}

/** Too many look-ups are waiting for the store already (it is slow or down). */
export class StoreBusyError extends Error {
  constructor() {
    super('too many data store look-ups in flight')
    this.name = 'StoreBusyError'
  }
}

interface Entry<T> {
  readonly value: T
  /** Mutable so that `forget` can mark a negative entry for refresh without moving it in the LRU. */
  freshUntil: number
  readonly staleUntil: number
}

interface Load<V> {
  promise: Promise<V | null>
  /** Set by `forget`: the answer may predate a change, so it must not be cached as good. */
  detached: boolean
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown }

export class StoreCache<V extends object> {
  readonly #found: LRUCache<string, Entry<V>>
  readonly #missing: LRUCache<string, Entry<null>>
  readonly #final: LRUCache<string, V>
  readonly #pending = new Map<string, Load<V>>()
  readonly #cacheMs: number
  readonly #staleMs: number
  readonly #onStale: (error: unknown) => void
  readonly #clock: { now(): number }
  readonly #tuning: StoreCacheTuning<V>
  /** The last look-up's error while none has succeeded since: the store is failing. */
  #failure: { error: unknown } | null = null

  constructor(options: StoreCacheOptions, clock: { now(): number }, tuning: Partial<StoreCacheTuning<V>> = {}) {
    this.#tuning = { ...(DEFAULT_TUNING as StoreCacheTuning<V>), ...tuning }
    this.#found = new LRUCache({ max: this.#tuning.maxFound })
    this.#missing = new LRUCache({ max: this.#tuning.maxMissing })
    this.#final = new LRUCache({ max: this.#tuning.maxFinal })
    this.#cacheMs = options.cacheSec * 1000
    this.#staleMs = options.staleIfErrorSec * 1000
    this.#onStale = options.onStale ?? (() => undefined)
    this.#clock = clock
  }

  /** The value (null: the store does not know the id) without waiting; undefined when the store must be asked. */
  fresh(key: string): V | null | undefined {
    const final = this.#final.get(key)
    if (final !== undefined) return final
    const now = this.#clock.now()
    const entry = this.#usable(key, now)
    return entry !== undefined && now < entry.freshUntil ? entry.value : undefined
  }

  /** The fresh value, or the store's answer (`read`, shared by concurrent callers), or a stale value if the store fails or is slow. */
  get(key: string, read: () => Promise<V | null>): Promise<V | null> {
    const final = this.#final.get(key)
    if (final !== undefined) return Promise.resolve(final)
    const now = this.#clock.now()
    const entry = this.#usable(key, now)
    if (entry !== undefined && now < entry.freshUntil) return Promise.resolve(entry.value)
    const load = this.#load(key, read)
    if (entry !== undefined) return this.#stale(entry, load)
    return load === null ? Promise.reject(new StoreBusyError()) : load.promise
  }

  /** The store changed for `key` (no key: for any): see the module comment. */
  forget(key?: string): void {
    const now = this.#clock.now()
    const markDue = (entry: Entry<null> | undefined) => {
      if (entry !== undefined) entry.freshUntil = Math.min(entry.freshUntil, now)
    }
    const detach = (load: Load<V> | undefined) => {
      if (load !== undefined) load.detached = true
    }
    if (key === undefined) {
      this.#found.clear()
      for (const entry of this.#missing.values()) markDue(entry)
      for (const load of this.#pending.values()) detach(load)
      this.#pending.clear()
      return
    }
    this.#found.delete(key)
    markDue(this.#missing.peek(key))
    detach(this.#pending.get(key))
    this.#pending.delete(key)
  }

  /**
   * `value` is final for `key` (revoked): it answers from now on, in place of any entry, and a
   * look-up in flight cannot replace it. A key already final keeps its first answer.
   */
  markFinal(key: string, value: V): void {
    if (this.#final.has(key)) return
    this.#final.set(key, value)
    this.#found.delete(key)
    this.#missing.delete(key)
  }

  /** The entry for `key` while within its stale window; one past it is dropped. */
  #usable(key: string, now: number): Entry<V> | Entry<null> | undefined {
    const entry = this.#found.get(key) ?? this.#missing.get(key)
    if (entry === undefined || now < entry.staleUntil) return entry
    if (entry.value === null) this.#missing.delete(key)
    else this.#found.delete(key)
    return undefined
  }

  /** A stale entry answers unless its refresh does within the wait; at once while the store is failing. */
  async #stale(entry: Entry<V> | Entry<null>, load: Load<V> | null): Promise<V | null> {
    if (load === null) {
      this.#onStale(new StoreBusyError())
      return entry.value
    }
    if (this.#failure !== null) {
      this.#onStale(this.#failure.error)
      return entry.value
    }
    const outcome = await settledWithin(load.promise, this.#tuning.revalidateWaitMs)
    if (outcome.ok) return outcome.value
    this.#onStale(outcome.error)
    return entry.value
  }

  /** The look-up in flight for `key`, or a new one; null when too many are in flight. */
  #load(key: string, read: () => Promise<V | null>): Load<V> | null {
    const pending = this.#pending.get(key)
    if (pending !== undefined) return pending
    if (this.#pending.size >= this.#tuning.maxPending) return null
    const load: Load<V> = { promise: Promise.resolve(null), detached: false }
    load.promise = (async () => read())()
      .then(
        (value) => {
          this.#remember(key, value, load.detached)
          return value
        },
        (error: unknown) => {
          this.#failure = { error }
          throw error
        },
      )
      .finally(() => {
        if (this.#pending.get(key) === load) this.#pending.delete(key)
      })
    // A refresh in the background may have no one waiting on it; its failure is recorded above.
    load.promise.catch(() => undefined)
    this.#pending.set(key, load)
    return load
  }

  #remember(key: string, value: V | null, detached: boolean): void {
    this.#failure = null
    // A final answer stands, whatever the store says later.
    if (this.#final.has(key)) return
    const now = this.#clock.now()
    if (value !== null && this.#tuning.isFinal(value, now)) return this.markFinal(key, value)
    const freshUntil = now + this.#cacheMs
    const staleUntil = freshUntil + this.#staleMs
    if (value === null) {
      this.#found.delete(key)
      this.#missing.set(key, { value, freshUntil, staleUntil })
    } else if (!detached) {
      this.#missing.delete(key)
      this.#found.set(key, { value, freshUntil, staleUntil })
    }
  }
}

/** How `promise` settled, or a timeout error if it has not within `ms`. */
function settledWithin<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, error: new Error(`the data store did not answer within ${ms} ms`) }), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve({ ok: true, value })
      },
      (error: unknown) => {
        clearTimeout(timer)
        resolve({ ok: false, error })
      },
    )
  })
}
