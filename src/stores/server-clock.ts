/**
 * Where Redis's clock stands against this process's monotonic clock, as a lower bound learnt
 * from Redis's answers: a command that ran at Redis time `t` and whose answer was read here at
 * local time `r` proves the offset (Redis − local) is at least `t − r`, whatever the network
 * and queueing delays were. A deadline built from the bound (local deadline + bound, in Redis
 * time) is therefore never later than the moment the gateway gives up, so a command Redis runs
 * after its deadline — one the gateway gave up on — can refuse to count.
 *
 * Bounds are kept per hash tag (a Redis Cluster's shards have clocks of their own) and age out:
 * a clock stepped back on the server would otherwise leave a bound that is too high.
 */

/** How long one answer's bound is trusted before a newer (if looser) one replaces it. */
const BOUND_TRUSTED_MS = 10_000

export class ServerClock {
  readonly #bounds = new Map<string, { offsetMs: number; atMs: number }>()

  /** A command on `shard` ran at Redis time `serverMs`; its answer was read at local `receivedMs`. */
  observe(shard: string, serverMs: number, receivedMs: number): void {
    const offsetMs = serverMs - receivedMs
    const bound = this.#bounds.get(shard)
    if (bound === undefined || offsetMs >= bound.offsetMs || receivedMs - bound.atMs > BOUND_TRUSTED_MS) this.#bounds.set(shard, { offsetMs, atMs: receivedMs })
  }

  /** Redis time on `shard` is at least local time plus this; null until an answer was seen. */
  lowerBound(shard: string): number | null {
    return this.#bounds.get(shard)?.offsetMs ?? null
  }

  /** After a reconnection: the server may be another one, with another clock. */
  forget(): void {
    this.#bounds.clear()
  }
}
