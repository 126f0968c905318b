/**
 * nginx's `send_timeout` for one response: once the client has stopped taking bytes (the
 * response pushes back, or bytes are still queued after its end), it must take some within
 * `server.sendTimeoutMs`, or the response is destroyed — which closes an HTTP/1 connection or
 * resets an HTTP/2 stream, aborts the upstream exchange behind it and finishes the exchange.
 * A slow reader that keeps reading is never cut; a client that never reads cannot hold an
 * upstream connection, buffered bytes or a pipeline slot for longer than the timeout.
 */
import type { Http2ServerResponse } from 'node:http2'
import type { ClientResponse } from './send-reply.js'

interface Queue {
  readonly writableLength: number
}

/** Bytes written for this response and not yet taken by the client's connection. */
function queuedBytes(res: ClientResponse): number {
  const stream = (res as Http2ServerResponse).stream as Queue | undefined
  // A ServerResponse's own length counts its socket's queue as well as what waits to reach it.
  return (stream ?? res).writableLength
}

export class SendWatchdog {
  readonly #res: ClientResponse
  readonly #timeoutMs: number
  readonly #onTimeout: () => void
  #timer: NodeJS.Timeout | null = null
  #drains = 0
  #drainsAtCheck = 0
  #queuedAtCheck = 0
  readonly #onDrain = () => {
    this.#drains++
  }

  constructor(res: ClientResponse, timeoutMs: number, onTimeout: () => void) {
    this.#res = res
    this.#timeoutMs = timeoutMs
    this.#onTimeout = onTimeout
  }

  /** Starts watching (no-op while already watching): the client must take bytes from now on. */
  arm(): void {
    if (this.#timer !== null || this.#res.destroyed || this.#res.writableFinished) return
    this.#res.on('drain', this.#onDrain)
    this.#drainsAtCheck = this.#drains
    this.#queuedAtCheck = queuedBytes(this.#res)
    this.#timer = setTimeout(() => this.#check(), this.#timeoutMs)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer === null) return
    clearTimeout(this.#timer)
    this.#timer = null
    this.#res.off('drain', this.#onDrain)
  }

  #check(): void {
    this.#timer = null
    const res = this.#res
    if (res.destroyed || res.writableFinished) return this.stop()
    const queued = queuedBytes(res)
    const progressed = this.#drains !== this.#drainsAtCheck || queued < this.#queuedAtCheck
    if (queued === 0 || progressed) {
      // Nothing waits on the client now, or it took some: a new period starts.
      this.#drainsAtCheck = this.#drains
      this.#queuedAtCheck = queued
      this.#timer = setTimeout(() => this.#check(), this.#timeoutMs)
      this.#timer.unref()
      return
    }
    this.stop()
    this.#onTimeout()
  }
}
