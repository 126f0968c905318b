/**
 * A bounded map whose entries expire at a given instant: verified tokens, introspection results,
 * API-key look-ups. Insertion-ordered; when full, the oldest entry goes first. With
 * `keepExpiredMs`, an expired entry stays that much longer for `getStale` (a look-up whose
 * source is down may fall back on it).
 */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>()
  readonly #maxEntries: number
  readonly #keepExpiredMs: number

  constructor(maxEntries: number, keepExpiredMs = 0) {
    this.#maxEntries = maxEntries
    this.#keepExpiredMs = keepExpiredMs
  }

  get(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      if (entry.expiresAt + this.#keepExpiredMs <= now) this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  /** The entry even if it has expired, within `keepExpiredMs` of its expiry. */
  getStale(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined || entry.expiresAt + this.#keepExpiredMs <= now) return undefined
    return entry.value
  }

  set(key: string, value: V, expiresAt: number, now: number): void {
    if (expiresAt + this.#keepExpiredMs <= now) return
    this.#entries.delete(key)
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { value, expiresAt })
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
  }

  get size(): number {
    return this.#entries.size
  }
}
