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

/** Collects a response body for `onResponseBody` hooks, up to a limit (then drops the rest). */
export class BodyCollector implements BodySink {
  readonly #limit: number
  readonly #chunks: Buffer[] = []
  #size = 0
  overflowed = false

  constructor(limit: number) {
    this.#limit = limit
  }

  write(chunk: Buffer): boolean {
    this.#size += chunk.length
    if (this.#size > this.#limit) this.overflowed = true
    else this.#chunks.push(chunk)
    return true
  }

  end(): void {}

  body(): Buffer {
    return Buffer.concat(this.#chunks)
  }
}
