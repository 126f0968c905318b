/**
 * Rate-limit counters in this process's memory: exact for one process, and the fallback a node
 * uses while Redis cannot answer (`onFailure: open`). Entries expire when they no longer affect
 * any decision; a sweep bounds memory under many distinct keys.
 */
import type { CounterStore, LimitCheck, LimitOutcome } from './counter-store.js'
import { fixed, gcra, rollSliding, sliding, withoutConsumption, type SlidingState } from './limit-math.js'

type Entry = { kind: 'gcra'; tat: number; expiresAt: number } | { kind: 'sliding'; state: SlidingState; expiresAt: number } | { kind: 'fixed'; count: number; expiresAt: number }

const SWEEP_EVERY = 10000

/** The counter's key: a fixed window's id is part of it, so each window starts from zero. */
export function storageKey(check: LimitCheck): string {
  return check.algorithm.kind === 'fixed' ? `${check.key}:${check.algorithm.windowId}` : check.key
}

export class MemoryCounters implements CounterStore {
  readonly kind = 'memory'
  readonly #entries = new Map<string, Entry>()
  #operations = 0

  consume(checks: readonly LimitCheck[], cost: number, nowMs: number): readonly LimitOutcome[] {
    if (++this.#operations % SWEEP_EVERY === 0) this.#sweep(nowMs)
    return this.#evaluate(checks, cost, nowMs, true)
  }

  peek(checks: readonly LimitCheck[], nowMs: number): readonly LimitOutcome[] {
    return this.#evaluate(checks, 0, nowMs, false)
  }

  /** Keys held (for tests and metrics). */
  get size(): number {
    return this.#entries.size
  }

  close(): Promise<void> {
    this.#entries.clear()
    return Promise.resolve()
  }

  #evaluate(checks: readonly LimitCheck[], cost: number, nowMs: number, commit: boolean): readonly LimitOutcome[] {
    const outcomes: LimitOutcome[] = []
    const writes: (() => void)[] = []
    for (const check of checks) {
      const { algorithm } = check
      const key = storageKey(check)
      const entry = this.#live(key, nowMs)
      switch (algorithm.kind) {
        case 'gcra': {
          const { outcome, newTat } = gcra(entry?.kind === 'gcra' ? entry.tat : nowMs, nowMs, algorithm.intervalMs, algorithm.burst, cost)
          outcomes.push(outcome)
          writes.push(() => this.#entries.set(key, { kind: 'gcra', tat: newTat, expiresAt: newTat }))
          break
        }
        case 'sliding': {
          const state = rollSliding(entry?.kind === 'sliding' ? entry.state : { start: 0, current: 0, previous: 0 }, nowMs, algorithm.windowMs)
          outcomes.push(sliding(state, nowMs, algorithm.windowMs, algorithm.limit, cost))
          const next = { ...state, current: state.current + cost }
          writes.push(() => this.#entries.set(key, { kind: 'sliding', state: next, expiresAt: next.start + 2 * algorithm.windowMs }))
          break
        }
        case 'fixed': {
          const count = entry?.kind === 'fixed' ? entry.count : 0
          outcomes.push(fixed(count, nowMs, algorithm.endMs, algorithm.limit, cost))
          writes.push(() => this.#entries.set(key, { kind: 'fixed', count: count + cost, expiresAt: algorithm.endMs }))
          break
        }
      }
    }
    if (commit && cost > 0 && outcomes.every((o) => o.allowed)) for (const write of writes) write()
    return withoutConsumption(outcomes, checks.map((c) => c.algorithm), cost)
  }

  #live(key: string, nowMs: number): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry !== undefined && entry.expiresAt <= nowMs) {
      this.#entries.delete(key)
      return undefined
    }
    return entry
  }

  #sweep(nowMs: number): void {
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= nowMs) this.#entries.delete(key)
  }
}
