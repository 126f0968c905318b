/**
 * Rate-limit counters in this process's memory: exact for one process, and the stand-in a node
 * uses while Redis cannot answer (`onFailure: open`). As a stand-in it carries state across each
 * switch, so flapping hands out no extra bursts: it is charged with what Redis admits for this
 * node (`charge`), and what it decides on its own is marked owed until Redis has merged it
 * (`owed`, `settle`). Entries expire when they no longer affect any decision; a few are examined
 * on every call, which bounds memory under many distinct keys.
 */
import { MAX_TALLY_MEMBERS, type BanEntry, type BanRule, type CarriedState, type ConsumeResult, type CounterStore, type LimitCheck, type LimitOutcome, type TallyUpdate } from './counter-store.js'
import { ExpiringMap } from './expiring-map.js'
import { fixed, gcra, rollSliding, sliding, withoutConsumption, type SlidingState } from './limit-math.js'

/** `owed`: 0, or the mark of this store's last own decision on the counter not yet handed back. */
type Entry = ({ kind: 'gcra'; tat: number } | { kind: 'sliding'; state: SlidingState } | { kind: 'fixed'; count: number }) & { expiresAt: number; owed: number }

/** Entries examined for expiry per call: memory stays bounded without a pause to sweep it all. */
const SWEEP_STEP = 4

/** The counter's key: a fixed window's id is part of it, so each window starts from zero. */
export function storageKey(check: LimitCheck): string {
  return check.algorithm.kind === 'fixed' ? `${check.key}:${check.algorithm.windowId}` : check.key
}

/** What a stand-in decided on its own, by check (null: nothing), with the marks `settle` clears. */
export interface Carry {
  readonly states: readonly (CarriedState | null)[]
  readonly marks: readonly number[]
}

export class MemoryCounters implements CounterStore {
  readonly kind = 'memory'
  readonly #entries = new ExpiringMap<Entry>()
  /** Banned subjects. */
  readonly #bans = new ExpiringMap<{ expiresAt: number }>()
  /** Refusals by subject within the ban rule's window. */
  readonly #violations = new ExpiringMap<{ count: number; expiresAt: number }>()
  /** Subjects `imposeBan` banned (the index `imposedBans` reads; lifted or expired ones are dropped as it reads). */
  readonly #imposed = new Set<string>()
  /** Tallies by key and bucket index: a count or the distinct members seen. */
  readonly #tallies = new ExpiringMap<{ value: number | Set<string>; expiresAt: number }>()
  /** Numbers this store's own decisions, so a hand-back settles only what it carried. */
  #lastMark = 0

  consume(checks: readonly LimitCheck[], cost: number, nowMs: number, ban: BanRule | null, carried?: readonly (CarriedState | null)[]): ConsumeResult {
    this.#entries.sweepStep(nowMs, SWEEP_STEP)
    this.#bans.sweepStep(nowMs, SWEEP_STEP)
    this.#violations.sweepStep(nowMs, SWEEP_STEP)
    if (carried !== undefined) checks.forEach((check, i) => this.#merge(check, carried[i] ?? null, nowMs))
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

  imposeBan(subject: string, forMs: number, nowMs: number): Promise<boolean> {
    if (this.#bans.get(subject, nowMs) !== undefined) return Promise.resolve(false)
    this.#bans.set(subject, { expiresAt: nowMs + forMs })
    this.#imposed.add(subject)
    return Promise.resolve(true)
  }

  imposedBans(nowMs: number, max: number): Promise<readonly BanEntry[]> {
    const entries: BanEntry[] = []
    for (const subject of this.#imposed) {
      const ban = this.#bans.get(subject, nowMs)
      if (ban === undefined) this.#imposed.delete(subject)
      else if (entries.length < max) entries.push({ subject, remainingMs: ban.expiresAt - nowMs })
    }
    return Promise.resolve(entries)
  }

  tally(updates: readonly TallyUpdate[], nowMs: number): Promise<readonly number[]> {
    this.#tallies.sweepStep(nowMs, SWEEP_STEP * updates.length)
    return Promise.resolve(updates.map((update) => this.#tallyOne(update, nowMs)))
  }

  #tallyOne(update: TallyUpdate, nowMs: number): number {
    const bucket = Math.floor(nowMs / update.bucketMs)
    const buckets = Math.max(1, Math.ceil(update.windowMs / update.bucketMs))
    const key = `${update.key}:${bucket}`
    const expiresAt = (bucket + buckets + 1) * update.bucketMs
    if ('add' in update) {
      const entry = this.#tallies.get(key, nowMs) ?? { value: 0, expiresAt }
      entry.value = (entry.value as number) + update.add
      this.#tallies.set(key, entry)
      let total = 0
      for (let b = bucket - buckets + 1; b <= bucket; b++) total += (this.#tallies.get(`${update.key}:${b}`, nowMs)?.value as number | undefined) ?? 0
      return total
    }
    const entry = this.#tallies.get(key, nowMs) ?? { value: new Set<string>(), expiresAt }
    const members = entry.value as Set<string>
    for (const member of update.members) if (members.size < MAX_TALLY_MEMBERS) members.add(member)
    this.#tallies.set(key, entry)
    if (buckets === 1) return members.size
    const union = new Set<string>(members)
    for (let b = bucket - buckets + 1; b < bucket; b++) {
      const older = this.#tallies.get(`${update.key}:${b}`, nowMs)?.value as Set<string> | undefined
      if (older !== undefined) for (const member of older) union.add(member)
    }
    return union.size
  }

  liftBan(subject: string): Promise<boolean> {
    this.#violations.delete(subject)
    return Promise.resolve(this.#bans.delete(subject))
  }

  peek(checks: readonly LimitCheck[], nowMs: number): readonly LimitOutcome[] {
    return this.#evaluate(checks, 0, nowMs, false)
  }

  /**
   * Records `cost` units another store admitted (Redis, for this node) without deciding: the
   * stand-in's counters then start where the shared ones were for this node, not full.
   */
  charge(checks: readonly LimitCheck[], cost: number, nowMs: number): void {
    for (const check of checks) {
      const key = storageKey(check)
      const entry = this.#entries.get(key, nowMs)
      const owed = entry?.owed ?? 0
      const { algorithm } = check
      if (algorithm.kind === 'gcra') {
        const tat = Math.max(entry?.kind === 'gcra' ? entry.tat : nowMs, nowMs) + algorithm.intervalMs * cost
        this.#entries.set(key, { kind: 'gcra', tat, expiresAt: tat, owed })
      } else if (algorithm.kind === 'sliding') {
        const state = rollSliding(entry?.kind === 'sliding' ? entry.state : { start: 0, current: 0, previous: 0 }, nowMs, algorithm.windowMs)
        this.#entries.set(key, { kind: 'sliding', state: { ...state, current: state.current + cost }, expiresAt: state.start + 2 * algorithm.windowMs, owed })
      } else {
        this.#entries.set(key, { kind: 'fixed', count: (entry?.kind === 'fixed' ? entry.count : 0) + cost, expiresAt: algorithm.endMs, owed })
      }
    }
  }

  /** The state of the counters this store decided on its own since they were last settled, or null. */
  owed(checks: readonly LimitCheck[], nowMs: number): Carry | null {
    let any = false
    const states: (CarriedState | null)[] = []
    const marks: number[] = []
    for (const check of checks) {
      const entry = this.#entries.get(storageKey(check), nowMs)
      const state = entry === undefined || entry.owed === 0 ? null : carriedState(entry, check, nowMs)
      states.push(state)
      marks.push(state === null ? 0 : (entry as Entry).owed)
      any ||= state !== null
    }
    return any ? { states, marks } : null
  }

  /** The shared store merged `carry`: those decisions are no longer owed (later ones still are). */
  settle(checks: readonly LimitCheck[], carry: Carry, nowMs: number): void {
    checks.forEach((check, i) => {
      const mark = carry.marks[i] ?? 0
      if (mark === 0) return
      const key = storageKey(check)
      const entry = this.#entries.get(key, nowMs)
      if (entry?.owed === mark) this.#entries.set(key, { ...entry, owed: 0 })
    })
  }

  /** Keys held (for tests and metrics). */
  get size(): number {
    return this.#entries.size
  }

  close(): Promise<void> {
    this.#entries.clear()
    this.#bans.clear()
    this.#tallies.clear()
    this.#imposed.clear()
    this.#violations.clear()
    return Promise.resolve()
  }

  #evaluate(checks: readonly LimitCheck[], cost: number, nowMs: number, commit: boolean): readonly LimitOutcome[] {
    const outcomes: LimitOutcome[] = []
    // The entries a consumption writes (key, entry), flat: written only when every check allows.
    const writes: (string | Entry)[] = []
    for (const check of checks) {
      const { algorithm } = check
      const key = storageKey(check)
      const entry = this.#entries.get(key, nowMs)
      switch (algorithm.kind) {
        case 'gcra': {
          const { outcome, newTat } = gcra(entry?.kind === 'gcra' ? entry.tat : nowMs, nowMs, algorithm.intervalMs, algorithm.burst, cost)
          outcomes.push(outcome)
          writes.push(key, { kind: 'gcra', tat: newTat, expiresAt: newTat, owed: 0 })
          break
        }
        case 'sliding': {
          const state = rollSliding(entry?.kind === 'sliding' ? entry.state : { start: 0, current: 0, previous: 0 }, nowMs, algorithm.windowMs)
          outcomes.push(sliding(state, nowMs, algorithm.windowMs, algorithm.limit, cost))
          const next = { ...state, current: state.current + cost }
          writes.push(key, { kind: 'sliding', state: next, expiresAt: next.start + 2 * algorithm.windowMs, owed: 0 })
          break
        }
        case 'fixed': {
          const count = entry?.kind === 'fixed' ? entry.count : 0
          outcomes.push(fixed(count, nowMs, algorithm.endMs, algorithm.limit, cost))
          writes.push(key, { kind: 'fixed', count: count + cost, expiresAt: algorithm.endMs, owed: 0 })
          break
        }
      }
    }
    if (commit && cost > 0 && outcomes.every((o) => o.allowed)) {
      const mark = ++this.#lastMark
      for (let i = 0; i < writes.length; i += 2) {
        const entry = writes[i + 1] as Entry
        entry.owed = mark
        this.#entries.set(writes[i] as string, entry)
      }
    }
    return withoutConsumption(outcomes, checks.map((c) => c.algorithm), cost)
  }

  /** Takes the more used of this store's state and `carried`, kept whatever the request's fate. */
  #merge(check: LimitCheck, carried: CarriedState | null, nowMs: number): void {
    if (carried === null || carried.kind !== check.algorithm.kind) return
    const key = storageKey(check)
    const entry = this.#entries.get(key, nowMs)
    const owed = entry?.owed ?? 0
    const { algorithm } = check
    if (carried.kind === 'gcra') {
      const tat = Math.max(entry?.kind === 'gcra' ? entry.tat : nowMs, nowMs + carried.aheadMs)
      this.#entries.set(key, { kind: 'gcra', tat, expiresAt: tat, owed })
    } else if (carried.kind === 'sliding' && algorithm.kind === 'sliding') {
      const state = rollSliding(entry?.kind === 'sliding' ? entry.state : { start: 0, current: 0, previous: 0 }, nowMs, algorithm.windowMs)
      const merged = { start: state.start, current: Math.max(state.current, carried.current), previous: Math.max(state.previous, carried.previous) }
      this.#entries.set(key, { kind: 'sliding', state: merged, expiresAt: merged.start + 2 * algorithm.windowMs, owed })
    } else if (carried.kind === 'fixed' && algorithm.kind === 'fixed') {
      this.#entries.set(key, { kind: 'fixed', count: Math.max(entry?.kind === 'fixed' ? entry.count : 0, carried.count), expiresAt: algorithm.endMs, owed })
    }
  }
}

/** An entry's state relative to `nowMs`, or null when it no longer weighs anything. */
function carriedState(entry: Entry, check: LimitCheck, nowMs: number): CarriedState | null {
  const { algorithm } = check
  if (entry.kind === 'gcra') return entry.tat > nowMs ? { kind: 'gcra', aheadMs: entry.tat - nowMs } : null
  if (entry.kind === 'sliding' && algorithm.kind === 'sliding') {
    const { current, previous } = rollSliding(entry.state, nowMs, algorithm.windowMs)
    return current > 0 || previous > 0 ? { kind: 'sliding', current, previous } : null
  }
  return entry.kind === 'fixed' && entry.count > 0 ? { kind: 'fixed', count: entry.count } : null
}
