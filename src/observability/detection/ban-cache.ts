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
const RECENT_MS = 5000

export class BanCache {
  #expiries = new Map<string, number>()
  /** Bans this node imposed in the last RECENT_MS that the store has not confirmed yet, kept through a sync that read the store before they reached it. */
  readonly #recent = new Map<string, { expiresAt: number; addedAt: number }>()
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

  add(subject: string, expiresAt: number, nowMs: number): void {
    if (this.#expiries.size < this.#max || this.#expiries.has(subject)) this.#expiries.set(subject, expiresAt)
    if (this.#recent.size < this.#max) this.#recent.set(subject, { expiresAt, addedAt: nowMs })
  }

  /** The store has `subject`'s ban: a sync reads it from there (and a lift there ends it here). */
  confirm(subject: string): void {
    this.#recent.delete(subject)
  }

  /** Replaces what is known with the store's imposed bans. Rejects (keeping what was known) when the store cannot answer. */
  async sync(store: CounterStore, nowMs: number): Promise<void> {
    const entries = await store.imposedBans(nowMs, this.#max)
    const expiries = new Map(entries.filter((entry) => entry.subject.startsWith(BAN_PREFIX)).map((entry) => [entry.subject, nowMs + entry.remainingMs]))
    // A ban this node imposed a moment ago may not have reached the store when it was read.
    for (const [subject, recent] of this.#recent) {
      if (nowMs - recent.addedAt > RECENT_MS) this.#recent.delete(subject)
      else if (!expiries.has(subject) && recent.expiresAt > nowMs) expiries.set(subject, recent.expiresAt)
    }
    this.#expiries = expiries
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
