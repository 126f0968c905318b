/**
 * Where Redis's clock stands against this process's monotonic clock, as a lower bound learnt
 * from Redis's answers: a command that ran at Redis time `t` and whose answer was read here at
 * local time `r` proves the offset (Redis − local) is at least `t − r`, whatever the network
 * and queueing delays were. A deadline built from the bound (local deadline + bound, in Redis
 * time) is therefore never later than the moment the gateway gives up, so a command Redis runs
 * after its deadline — one the gateway gave up on — can refuse to count.
 *
 * Bounds are kept per hash tag (a Redis Cluster's shards have clocks of their own) and age out:
 * a clock stepped back on the server would otherwise leave a bound that is too high. The bound is
 * the tightest answer of the last one or two windows of `BOUND_WINDOW_MS`, never one answer alone
 * once the old ones age out: an answer read late (a batch of pipelined answers, a stalled event
 * loop) gives a loose bound, and a loose bound moves deadlines early, so every command sent on it
 * would refuse to count and fail (seen as bursts of 503s under load).
 */

/** How long answers count towards the bound: those of the current window and of the one before. */
const BOUND_WINDOW_MS = 10_000

interface Bound {
  /** The tightest offset of the window before the current one (-Infinity: none). */
  previousMs: number
  /** The tightest offset of the current window. */
  currentMs: number
  /** When the current window started (local time). */
  windowStartMs: number
}

export class ServerClock {
  readonly #bounds = new Map<string, Bound>()

  /** A command on `shard` ran at Redis time `serverMs`; its answer was read at local `receivedMs`. */
  observe(shard: string, serverMs: number, receivedMs: number): void {
    const offsetMs = serverMs - receivedMs
    const bound = this.#bounds.get(shard)
    const age = bound === undefined ? Number.POSITIVE_INFINITY : receivedMs - bound.windowStartMs
    if (bound === undefined || age > 2 * BOUND_WINDOW_MS) {
      this.#bounds.set(shard, { previousMs: Number.NEGATIVE_INFINITY, currentMs: offsetMs, windowStartMs: receivedMs })
      return
    }
    if (age > BOUND_WINDOW_MS) {
      bound.previousMs = bound.currentMs
      bound.currentMs = offsetMs
      bound.windowStartMs = receivedMs
      return
    }
    if (offsetMs > bound.currentMs) bound.currentMs = offsetMs
  }

  /** Redis time on `shard` is at least local time plus this; null until an answer was seen, or when none came in the last two windows (learn it again). */
  lowerBound(shard: string, nowMs: number): number | null {
    const bound = this.#bounds.get(shard)
    if (bound === undefined || nowMs - bound.windowStartMs > 2 * BOUND_WINDOW_MS) return null
    return Math.max(bound.previousMs, bound.currentMs)
  }

  /** After a reconnection: the server may be another one, with another clock. */
  forget(): void {
    this.#bounds.clear()
  }
}
