/**
 * Trace and span ids from a pool of cryptographically random bytes (W3C Trace Context asks for
 * random ids; the SDK's default draws them from `Math.random`), refilled 4 KiB at a time so an id
 * costs a slice of hex, not a system call. Tracing decides a request's sampling on a trace id
 * before the SDK starts its span; `useTraceIdOnce` makes the SDK's root span take that very id.
 */
import { randomFillSync } from 'node:crypto'

const POOL_BYTES = 4096
const INVALID_TRACE_ID = '0'.repeat(32)
const INVALID_SPAN_ID = '0'.repeat(16)

/** An `IdGenerator` of `@opentelemetry/sdk-trace-base`, by shape. */
export class PooledTraceIds {
  readonly #pool = Buffer.allocUnsafe(POOL_BYTES)
  #at = POOL_BYTES
  #next: string | null = null

  generateTraceId(): string {
    const next = this.#next
    if (next !== null) {
      this.#next = null
      return next
    }
    return this.#take(16, INVALID_TRACE_ID)
  }

  generateSpanId(): string {
    return this.#take(8, INVALID_SPAN_ID)
  }

  /** The next `generateTraceId` returns `traceId`; `null` withdraws it. */
  useTraceIdOnce(traceId: string | null): void {
    this.#next = traceId
  }

  #take(bytes: number, invalid: string): string {
    for (;;) {
      if (this.#at + bytes > POOL_BYTES) {
        randomFillSync(this.#pool)
        this.#at = 0
      }
      const id = this.#pool.toString('hex', this.#at, this.#at + bytes)
      this.#at += bytes
      // All zeros is the one invalid id (W3C Trace Context §3.2.2.3), drawn once in 2^64 tries.
      if (id !== invalid) return id
    }
  }
}
