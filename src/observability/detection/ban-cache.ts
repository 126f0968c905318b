/**
 * The detection bans and throttles in force, held by every node: read from the shared ban store
 * every `banSyncMs` (so bans another node imposed, and lifts through the admin API, arrive within
 * that), and added to at once when this node imposes one. A request is checked against this map,
 * never against the store. While the store cannot answer, what was known stays in force until it
 * expires: an outage never lifts a ban.
 */
import type { CounterStore } from '../../stores/counter-store.js'

/** Every detection ban's subject starts with this (`{detection}:ip=…`, `{detection}:throttle:c=…`). */
export const BAN_PREFIX = '{detection}:'
export const THROTTLE_PREFIX = `${BAN_PREFIX}throttle:`

export class BanCache {
  #expiries = new Map<string, number>()
  readonly #max: number

  constructor(max: number) {
    this.#max = max
  }

  /** Remaining ms of a ban on any of `subjects` (`ip=…`, `c=…`), and which; null when none. */
  banned(subjects: readonly string[], nowMs: number): { subject: string; remainingMs: number } | null {
    return this.#find(BAN_PREFIX, subjects, nowMs)
  }

  throttled(subjects: readonly string[], nowMs: number): { subject: string; remainingMs: number } | null {
    return this.#find(THROTTLE_PREFIX, subjects, nowMs)
  }

  add(subject: string, expiresAt: number): void {
    if (this.#expiries.size < this.#max || this.#expiries.has(subject)) this.#expiries.set(subject, expiresAt)
  }

  /** Replaces what is known with the store's list. Rejects (keeping what was known) when the store cannot answer. */
  async sync(store: CounterStore, nowMs: number): Promise<void> {
    const entries = await store.listBans(BAN_PREFIX, nowMs, this.#max)
    this.#expiries = new Map(entries.map((entry) => [entry.subject, nowMs + entry.remainingMs]))
  }

  get size(): number {
    return this.#expiries.size
  }

  #find(prefix: string, subjects: readonly string[], nowMs: number): { subject: string; remainingMs: number } | null {
    if (this.#expiries.size === 0) return null
    for (const subject of subjects) {
      const expiresAt = this.#expiries.get(prefix + subject)
      if (expiresAt !== undefined && expiresAt > nowMs) return { subject, remainingMs: expiresAt - nowMs }
    }
    return null
  }
}
