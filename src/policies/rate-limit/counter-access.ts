/**
 * How one `rate-limit` instance reaches its counters: the configured store and, while it fails,
 * the policy's `onFailure` — closed: the request is refused; open: the node's own counters (the
 * stand-in) decide. The stand-in carries state across every switch, so a flapping store hands out
 * no extra burst either way: it is charged with what the store admits for this node, so it takes
 * over where the store was; and what it decides on its own goes back to the store with the next
 * request for the same counters, merged there before the store decides.
 *
 * Failures are logged once per interval with a count and the error's message (log-throttle.ts),
 * not with a stack per request, and the store's recovery is said once.
 */
import type { Logger } from 'pino'
import { errorSummary, LogThrottle } from '../../observability/log-throttle.js'
import type { BanRule, ConsumeResult, CounterStore, LimitCheck } from '../../stores/counter-store.js'
import { MemoryCounters, type Carry } from '../../stores/memory-counters.js'

/** How often a failing store is said again, with the count of requests it affected meanwhile. */
const FAILURE_LOG_INTERVAL_MS = 10_000

const STORE_FAILED_CLOSED = 'rate-limit counter store failed; request refused (onFailure: closed)'
const STORE_FAILED_OPEN = 'rate-limit counter store failed; this node limits on its own until it answers (onFailure: open)'
const STORE_RECOVERED = 'rate-limit counter store answers again'

export interface CounterAccessOptions {
  readonly onFailure: 'open' | 'closed'
  readonly ban: BanRule | null
  /** `stores.counters`, and the per-process store used while it fails. */
  readonly counters: { readonly store: CounterStore; readonly fallback: CounterStore }
  readonly logger: Logger
}

/** One request's limits decided; null when the store failed and the policy fails closed. */
export type Access = ConsumeResult | null

export interface CounterAccess {
  /** Checks and consumes one unit of every limit in `checks` at `nowMs`. */
  consume(checks: readonly LimitCheck[], nowMs: number): Access | Promise<Access>
}

/** Builds the access for one policy instance (once per config load). */
export function createCounterAccess(options: CounterAccessOptions): CounterAccess {
  const { ban, logger } = options
  const { store, fallback } = options.counters
  const open = options.onFailure === 'open'
  // Memory counters are the store itself when `stores.counters` is memory: nothing to carry.
  const standIn = open && store.kind !== 'memory' && fallback instanceof MemoryCounters ? fallback : null
  const failures = new LogThrottle(FAILURE_LOG_INTERVAL_MS)
  const countField = open ? 'decidedLocally' : 'refused'

  const answered = (checks: readonly LimitCheck[], nowMs: number, result: ConsumeResult, carry: Carry | null): ConsumeResult => {
    if (standIn !== null) {
      if (carry !== null) standIn.settle(checks, carry, nowMs)
      if (result.outcomes.length > 0 && result.outcomes.every((o) => o.allowed)) standIn.charge(checks, 1, nowMs)
    }
    const unsaid = failures.settled(nowMs)
    if (unsaid !== null) logger.info({ [countField]: unsaid }, STORE_RECOVERED)
    return result
  }

  const failed = (checks: readonly LimitCheck[], nowMs: number, error: unknown): Access => {
    const count = failures.occurred(nowMs)
    if (count > 0) logger[open ? 'warn' : 'error']({ [countField]: count, error: errorSummary(error) }, open ? STORE_FAILED_OPEN : STORE_FAILED_CLOSED)
    return open ? (fallback.consume(checks, 1, nowMs, ban) as ConsumeResult) : null
  }

  return {
    consume(checks, nowMs) {
      const carry = standIn?.owed(checks, nowMs) ?? null
      let pending: ConsumeResult | Promise<ConsumeResult>
      try {
        pending = store.consume(checks, 1, nowMs, ban, carry?.states)
      } catch (error) {
        return failed(checks, nowMs, error)
      }
      if (!(pending instanceof Promise)) return answered(checks, nowMs, pending, carry)
      return pending.then(
        (result) => answered(checks, nowMs, result, carry),
        (error: unknown) => failed(checks, nowMs, error),
      )
    },
  }
}
