/**
 * Where an upstream response body goes: the client response itself (a ServerResponse already is
 * a sink), a collector for `onResponseBody` hooks, or nowhere.
 */

export interface BodySink {
  /** Returns false when the sink wants no more until it drains (backpressure). */
  write(chunk: Buffer): boolean
  end(): void
}

/** Drops what it receives: bodies of retried or locally replaced responses. */
export const DISCARD: BodySink = {
  write: () => true,
  end: () => {},
}

/**
 * Collects a response body for `onResponseBody` hooks, up to a limit per response and within the
 * process's buffered-bytes budget (`reserve`); past either it drops the rest and says which.
 */
export class BodyCollector implements BodySink {
  readonly #limit: number
  readonly #reserve: (bytes: number) => boolean
  #chunks: Buffer[] = []
  #size = 0
  overflowed = false
  overBudget = false

  constructor(limit: number, reserve: (bytes: number) => boolean) {
    this.#limit = limit
    this.#reserve = reserve
  }

  write(chunk: Buffer): boolean {
    if (this.overflowed || this.overBudget) return true
    this.#size += chunk.length
    if (this.#size > this.#limit) this.overflowed = true
    else if (!this.#reserve(chunk.length)) this.overBudget = true
    else this.#chunks.push(chunk)
    if (this.overflowed || this.overBudget) this.#chunks = []
    return true
  }

  end(): void {}

  /** The body, once: the chunks are let go, so only the joined copy stays alive. */
  body(): Buffer {
    const body = Buffer.concat(this.#chunks)
    this.#chunks = []
    return body
  }
}
