/**
 * The arithmetic of each algorithm on plain numbers, shared by the memory store and mirrored by
 * the Redis script (redis-counters.ts), whose tests run the same cases against both.
 */
import type { Algorithm, LimitOutcome } from './counter-store.js'

/**
 * When another limit refused the request nothing was consumed: a limit that would have passed
 * reports its state without this request's units.
 */
export function withoutConsumption(outcomes: readonly LimitOutcome[], algorithms: readonly Algorithm[], cost: number): readonly LimitOutcome[] {
  if (cost === 0 || outcomes.every((o) => o.allowed) || outcomes.every((o) => !o.allowed)) return outcomes
  return outcomes.map((o, i) => {
    if (!o.allowed) return o
    const algorithm = algorithms[i] as Algorithm
    const resetMs = algorithm.kind === 'gcra' ? Math.max(0, Math.ceil(o.resetMs - algorithm.intervalMs * cost)) : o.resetMs
    return { ...o, remaining: Math.min(o.limit, o.remaining + cost), resetMs }
  })
}

/** GCRA: `tat` is the theoretical arrival time (ms), ≤ now when the bucket is full. */
export function gcra(tat: number, nowMs: number, intervalMs: number, burst: number, cost: number): { outcome: LimitOutcome; newTat: number } {
  const tolerance = intervalMs * burst
  const base = Math.max(tat, nowMs)
  const newTat = base + intervalMs * cost
  const ahead = newTat - nowMs
  if (ahead <= tolerance) {
    return { outcome: { allowed: true, limit: burst, remaining: Math.floor((tolerance - ahead) / intervalMs), resetMs: Math.ceil(ahead), retryAfterMs: 0 }, newTat }
  }
  const current = base - nowMs
  return {
    outcome: { allowed: false, limit: burst, remaining: Math.max(0, Math.floor((tolerance - current) / intervalMs)), resetMs: Math.ceil(current), retryAfterMs: Math.ceil(ahead - tolerance) },
    newTat: tat,
  }
}

export interface SlidingState {
  /** Start of the window `current` counts, ms. */
  start: number
  current: number
  previous: number
}

/** Rolls a sliding-window state forward to the window holding `nowMs`. */
export function rollSliding(state: SlidingState, nowMs: number, windowMs: number): SlidingState {
  const start = Math.floor(nowMs / windowMs) * windowMs
  if (state.start === start) return state
  if (state.start === start - windowMs) return { start, current: 0, previous: state.current }
  return { start, current: 0, previous: 0 }
}

/** Sliding-window counter on a state already rolled to `nowMs`'s window. */
export function sliding(state: SlidingState, nowMs: number, windowMs: number, limit: number, cost: number): LimitOutcome {
  const elapsed = (nowMs - state.start) / windowMs
  const estimate = state.previous * (1 - elapsed) + state.current
  // Until nothing counted so far weighs any more: the next window's end once this one has counts.
  const windowEnd = state.start + windowMs
  const after = estimate + cost <= limit ? state.current + cost : state.current
  const resetMs = Math.ceil((after > 0 ? windowEnd + windowMs : state.previous > 0 ? windowEnd : nowMs) - nowMs)
  if (estimate + cost <= limit) return { allowed: true, limit, remaining: Math.max(0, Math.floor(limit - estimate - cost)), resetMs, retryAfterMs: 0 }
  return { allowed: false, limit, remaining: Math.max(0, Math.floor(limit - estimate)), resetMs, retryAfterMs: slidingRetryAfter(state, nowMs, windowMs, limit, cost) }
}

/** When the weighted estimate will have fallen enough for `cost` more units. */
function slidingRetryAfter(state: SlidingState, nowMs: number, windowMs: number, limit: number, cost: number): number {
  const windowEnd = state.start + windowMs
  // Still in this window: the previous window's weight falls linearly.
  if (state.current + cost <= limit && state.previous > 0) {
    const fraction = 1 - (limit - state.current - cost) / state.previous
    return Math.max(1, Math.ceil(state.start + fraction * windowMs - nowMs))
  }
  // In the next window the current count becomes the weighted one.
  if (cost > limit) return Math.ceil(windowEnd + windowMs - nowMs)
  const fraction = state.current === 0 ? 0 : Math.max(0, 1 - (limit - cost) / state.current)
  return Math.max(1, Math.ceil(windowEnd + fraction * windowMs - nowMs))
}

/** Fixed window: `count` units used so far in the window ending at `endMs`. */
export function fixed(count: number, nowMs: number, endMs: number, limit: number, cost: number): LimitOutcome {
  const resetMs = Math.max(0, Math.ceil(endMs - nowMs))
  if (count + cost <= limit) return { allowed: true, limit, remaining: limit - count - cost, resetMs, retryAfterMs: 0 }
  return { allowed: false, limit, remaining: Math.max(0, limit - count), resetMs, retryAfterMs: Math.max(1, resetMs) }
}
