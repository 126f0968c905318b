/**
 * Counters for rate limits and quotas: one interface, kept in memory (one process) or in Redis
 * (shared by every node). A request names all the limits it is subject to; the store checks them
 * together and consumes them only when every one passes, in one atomic step — a request refused
 * by one limit uses none of the others, and two nodes never both take the last unit.
 */

/** How a limit counts. Times in milliseconds. */
export type Algorithm =
  /**
   * GCRA (a token bucket without a refill timer): one unit every `intervalMs`, at most `burst`
   * units at once. The state is one time, the theoretical arrival time.
   */
  | { readonly kind: 'gcra'; readonly intervalMs: number; readonly burst: number }
  /**
   * Sliding-window counter: the current fixed window's count plus the previous window's,
   * weighted by how much of it still overlaps the trailing window. Two numbers per key.
   */
  | { readonly kind: 'sliding'; readonly windowMs: number; readonly limit: number }
  /** A fixed window with given bounds (calendar quotas); the window's id is part of the key. */
  | { readonly kind: 'fixed'; readonly limit: number; readonly windowId: string; readonly startMs: number; readonly endMs: number }

export interface LimitCheck {
  /** Identifies the counter (limit, API and the request's key parts). */
  readonly key: string
  readonly algorithm: Algorithm
  /** Who the counter counts (API and key parts, without the limit): what a ban applies to. */
  readonly subject: string
}

/** A subject refused `after` times within `withinMs` is refused everything for `forMs`. */
export interface BanRule {
  readonly after: number
  readonly withinMs: number
  readonly forMs: number
}

export interface ConsumeResult {
  readonly outcomes: readonly LimitOutcome[]
  /** Set when a subject of the request is banned (the limits were then not evaluated, or this request's refusal banned it). */
  readonly ban: { readonly subject: string; readonly remainingMs: number } | null
}

export interface BanEntry {
  readonly subject: string
  readonly remainingMs: number
}

export interface LimitOutcome {
  readonly allowed: boolean
  /** Units the limit allows in all (the burst for GCRA). */
  readonly limit: number
  /** Units left after this request (when allowed) or now (when not). */
  readonly remaining: number
  /** Until the limit is whole again (GCRA, sliding) or the window ends (fixed), ms. */
  readonly resetMs: number
  /** When refused: until a request of this cost could pass, ms; 0 when allowed. */
  readonly retryAfterMs: number
}

/**
 * A counter's state as another store holds it, relative to that store's now (clocks need not
 * agree): what a node counted on its own while the shared store failed, handed back to it.
 */
export type CarriedState =
  /** GCRA: how far the theoretical arrival time is ahead of now, ms (> 0). */
  | { readonly kind: 'gcra'; readonly aheadMs: number }
  /** Sliding window: the counts of the window holding now and of the one before. */
  | { readonly kind: 'sliding'; readonly current: number; readonly previous: number }
  /** Fixed window (the window's id is in the key): units used. */
  | { readonly kind: 'fixed'; readonly count: number }

/**
 * A tally kept in buckets of `bucketMs` and read over the trailing `windowMs` (whole buckets): a
 * count (`add` units) or the distinct `members` seen (approximate in Redis: HyperLogLog, ±0.81 %).
 * Keys are the caller's; every node adding to a key adds to the same tally.
 */
export type TallyUpdate =
  | { readonly key: string; readonly windowMs: number; readonly bucketMs: number; readonly add: number }
  | { readonly key: string; readonly windowMs: number; readonly bucketMs: number; readonly members: readonly string[] }

/** Distinct members one bucket of a tally holds in memory; past it the bucket counts no more (a bound, far above any threshold). */
export const MAX_TALLY_MEMBERS = 10_000

export interface CounterStore {
  readonly kind: 'memory' | 'redis'
  /**
   * Unless a subject is banned: checks every limit for `cost` units at `nowMs` and, only if all
   * pass, consumes them; with a ban rule, a refusal counts against the refused limits' subjects
   * and may ban them. Outcomes are in the order of `checks`. Rejects when the store cannot answer
   * (Redis: in time — and a command given up on then consumes nothing, whenever Redis runs it).
   *
   * `carried` (by check, null for none): state another store kept for the same counters, merged
   * first by taking the more used of the two (so merging twice changes nothing), whether or not
   * this request then passes.
   */
  consume(
    checks: readonly LimitCheck[],
    cost: number,
    nowMs: number,
    ban: BanRule | null,
    carried?: readonly (CarriedState | null)[],
  ): Promise<ConsumeResult> | ConsumeResult
  /** The limits' current state without consuming (admin usage reads). */
  peek(checks: readonly LimitCheck[], nowMs: number): Promise<readonly LimitOutcome[]> | readonly LimitOutcome[]
  /** Subjects banned now whose subject starts with `prefix`, at most `max`. */
  listBans(prefix: string, nowMs: number, max: number): Promise<readonly BanEntry[]>
  /** Bans `subject` for `forMs` unless it is banned already (then nothing changes); true when this call banned it. */
  imposeBan(subject: string, forMs: number, nowMs: number): Promise<boolean>
  /** The bans `imposeBan` made that are still in force, at most `max` (read from an index, not a scan of the keyspace). */
  imposedBans(nowMs: number, max: number): Promise<readonly BanEntry[]>
  /** Adds to each tally at `nowMs` and answers each one's total over its window, in order. Rejects when the store cannot answer. */
  tally(updates: readonly TallyUpdate[], nowMs: number): Promise<readonly number[]>
  /** Lifts a ban (and forgets the subject's refusals); false when there was none. */
  liftBan(subject: string): Promise<boolean>
  close(): Promise<void>
}
