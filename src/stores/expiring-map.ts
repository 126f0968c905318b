/**
 * A map whose entries carry an expiry time (ms, on the caller's clock): expired entries read as
 * absent, and each `sweepStep` drops the expired among the next few entries, so memory stays
 * bounded under many keys without ever pausing to sweep them all.
 */
export class ExpiringMap<V extends { readonly expiresAt: number }> {
  readonly #entries = new Map<string, V>()
  #sweeper: MapIterator<[string, V]> | null = null

  get(key: string, nowMs: number): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined || entry.expiresAt > nowMs) return entry
    this.#entries.delete(key)
    return undefined
  }

  set(key: string, value: V): void {
    this.#entries.set(key, value)
  }

  delete(key: string): boolean {
    return this.#entries.delete(key)
  }

  get size(): number {
    return this.#entries.size
  }

  entries(): IterableIterator<[string, V]> {
    return this.#entries.entries()
  }

  clear(): void {
    this.#entries.clear()
    this.#sweeper = null
  }

  sweepStep(nowMs: number, step: number): void {
    this.#sweeper ??= this.#entries.entries()
    for (let i = 0; i < step; i++) {
      const next = this.#sweeper.next()
      if (next.done === true) {
        this.#sweeper = null
        return
      }
      if (next.value[1].expiresAt <= nowMs) this.#entries.delete(next.value[0])
    }
  }
}
