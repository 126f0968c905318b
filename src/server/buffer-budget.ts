/**
 * The bytes of request and response bodies buffered at once in this process, for policies that
 * read them. Each exchange reserves what it buffers and releases it when it finishes (its
 * response sent or abandoned), so a body written to a client that does not read still counts.
 * Without this bound, clients that make the gateway buffer large responses and never read them
 * could take all of its memory (issue 21: 5 GB in 25 s).
 */
export class BufferBudget {
  readonly limit: number
  #used = 0

  constructor(limit: number) {
    this.limit = limit
  }

  /** Takes `bytes` if they fit; false (and nothing taken) when they would pass the limit. */
  tryReserve(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false
    this.#used += bytes
    return true
  }

  /** Counts `bytes` even past the limit: memory already taken (a policy's body larger than what was read). */
  forceReserve(bytes: number): void {
    this.#used += bytes
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes)
  }

  /** Bytes reserved now (the buffered-bytes gauge). */
  get used(): number {
    return this.#used
  }
}
