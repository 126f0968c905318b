/**
 * Rate-limit counters in this process's memory: exact for one process, and the fallback a node
 * uses while Redis cannot answer (`onFailure: open`). Entries expire when they no longer affect
 * any decision; a few are examined on every call, which bounds memory under many distinct keys.
 */
import type { BanEntry, BanRule, ConsumeResult, CounterStore, LimitCheck, LimitOutcome } from './counter-store.js'
import { ExpiringMap } from './expiring-map.js'
import { fixed, gcra, rollSliding, sliding, withoutConsumption, type SlidingState } from './limit-math.js'

type Entry = { kind: 'gcra'; tat: number; expiresAt: number } | { kind: 'sliding'; state: SlidingState; expiresAt: number } | { kind: 'fixed'; count: number; expiresAt: number }

/** Entries examined for expiry per call: memory stays bounded without a pause to sweep it all. */
const SWEEP_STEP = 4

/** The counter's key: a fixed window's id is part of it, so each window starts from zero. */
export function storageKey(check: LimitCheck): string {
  return check.algorithm.kind === 'fixed' ? `${check.key}:${check.algorithm.windowId}` : check.key
}

export class MemoryCounters implements CounterStore {
  readonly kind = 'memory'
  readonly #entries = new ExpiringMap<Entry>()
  /** Banned subjects. */
  readonly #bans = new ExpiringMap<{ expiresAt: number }>()
  /** Refusals by subject within the ban rule's window. */
  readonly #violations = new ExpiringMap<{ count: number; expiresAt: number }>()

  consume(checks: readonly LimitCheck[], cost: number, nowMs: number, ban: BanRule | null): ConsumeResult {
    this.#entries.sweepStep(nowMs, SWEEP_STEP)
    this.#bans.sweepStep(nowMs, SWEEP_STEP)
    this.#violations.sweepStep(nowMs, SWEEP_STEP)
    if (ban !== null) {
      for (const { subject } of checks) {
        const banned = this.#bans.get(subject, nowMs)
        if (banned !== undefined) return { outcomes: [], ban: { subject, remainingMs: banned.expiresAt - nowMs } }
      }
    }
    const outcomes = this.#evaluate(checks, cost, nowMs, true)
    if (ban === null || outcomes.every((o) => o.allowed)) return { outcomes, ban: null }
    let banned: ConsumeResult['ban'] = null
    const counted = new Set<string>()
    outcomes.forEach((outcome, i) => {
      const subject = (checks[i] as LimitCheck).subject
      if (outcome.allowed || counted.has(subject)) return
      counted.add(subject)
      const violation = this.#violations.get(subject, nowMs) ?? { count: 0, expiresAt: nowMs + ban.withinMs }
      violation.count++
      this.#violations.set(subject, violation)
      if (violation.count >= ban.after) {
        this.#violations.delete(subject)
        this.#bans.set(subject, { expiresAt: nowMs + ban.forMs })
        banned ??= { subject, remainingMs: ban.forMs }
      }
    })
    return { outcomes, ban: banned }
  }

  listBans(prefix: string, nowMs: number, max: number): Promise<readonly BanEntry[]> {
    const entries: BanEntry[] = []
    for (const [subject, { expiresAt }] of this.#bans.entries()) {
      if (entries.length >= max) break
      if (expiresAt > nowMs && subject.startsWith(prefix)) entries.push({ subject, remainingMs: expiresAt - nowMs })
    }
    return Promise.resolve(entries)
  }

  liftBan(subject: string): Promise<boolean> {
    this.#violations.delete(subject)
    return Promise.resolve(this.#bans.delete(subject))
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
    this.#bans.clear()
    this.#violations.clear()
    return Promise.resolve()
  }

  #evaluate(checks: readonly LimitCheck[], cost: number, nowMs: number, commit: boolean): readonly LimitOutcome[] {
    const outcomes: LimitOutcome[] = []
    const writes: (() => void)[] = []
    for (const check of checks) {
      const { algorithm } = check
      const key = storageKey(check)
      const entry = this.#entries.get(key, nowMs)
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
}
