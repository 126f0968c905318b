/** Writable ends for upstream bodies that do not go straight to the client. */
import { Writable } from 'node:stream'

/** A sink that drops what it receives: bodies of retried or locally replaced responses. */
export function DISCARD(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback()
    },
  })
}

/** Collects a response body for `onResponseBody` hooks, up to a limit (then drops the rest). */
export class BodyCollector extends Writable {
  readonly #limit: number
  readonly #chunks: Buffer[] = []
  #size = 0
  overflowed = false

  constructor(limit: number) {
    super()
    this.#limit = limit
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#size += chunk.length
    if (this.#size > this.#limit) this.overflowed = true
    else this.#chunks.push(chunk)
    callback()
  }

  body(): Buffer {
    return Buffer.concat(this.#chunks)
  }
}
