/**
 * One request to one upstream target, as an undici dispatch handler. `pool.stream()` did this
 * before; its per-request machinery (an AsyncResource entered twice, a promise, `finished()`
 * hanging half a dozen listeners on the client response, a listener on the abort signal) is
 * 10–20 % of a bare proxy's CPU per request (bench/README.md). The handler forwards undici's
 * events to the exchange and nothing else.
 */
import { errors, type Dispatcher } from 'undici'
import type { BodySink } from './body-sinks.js'
import type { Target } from '../upstream/target.js'

/** What an attempt reports to: the exchange that made it. */
export interface AttemptOwner {
  /** Status and header fields (undici's raw `[name, value, …]`) arrived; returns where the body goes. */
  upstreamHeaders(status: number, rawHeaders: readonly (Buffer | string)[]): BodySink
  /** The body ended and was handed to the sink. */
  upstreamComplete(target: Target): void
  /** The attempt failed before or after the headers (connect, timeout, reset, abort). */
  upstreamFailed(target: Target, error: unknown): void
  /** Any throw from the callbacks above. */
  fail(error: unknown): void
  /** The client response pushes back: it must take bytes within the send timeout. */
  watchSend(): void
  /** The client response, which gets a drain listener the first time it pushes back. */
  readonly res: { on(event: 'drain', listener: () => void): unknown }
}

export class UpstreamAttempt implements Dispatcher.DispatchHandler {
  readonly #owner: AttemptOwner
  readonly #target: Target
  #sink: BodySink | null = null
  #abortRequest: ((error: Error) => void) | null = null
  #aborted = false
  /** The attempt ended (completed or failed): nothing is left to abort. */
  #ended = false
  #resume: (() => void) | null = null
  #drainListening = false

  constructor(owner: AttemptOwner, target: Target) {
    this.#owner = owner
    this.#target = target
  }

  /** Abandons the attempt unless it has ended (the exchange finished first); undici then reports it through `onError`. */
  abort(): void {
    if (this.#aborted || this.#ended) return
    this.#aborted = true
    this.#abortRequest?.(new errors.RequestAbortedError())
  }

  get aborted(): boolean {
    return this.#aborted
  }

  onConnect(abort: (error: Error) => void): void {
    if (this.#aborted) abort(new errors.RequestAbortedError())
    else this.#abortRequest = abort
  }

  onHeaders(status: number, rawHeaders: Buffer[] | string[], resume: () => void): boolean {
    // 1xx responses are the upstream's business with the gateway; the client gets the final one.
    if (status < 200) return true
    const sink = this.#owner.upstreamHeaders(status, rawHeaders)
    this.#sink = sink
    this.#resume = resume
    if (sink === (this.#owner.res as unknown) && (sink as { writableNeedDrain?: boolean }).writableNeedDrain === true) {
      this.#listenForDrain()
      return false
    }
    return true
  }

  onData(chunk: Buffer): boolean {
    const sink = this.#sink
    if (sink === null || sink.write(chunk)) return true
    // Only the client response pushes back; collectors and the discard sink never do.
    this.#listenForDrain()
    return false
  }

  onComplete(): void {
    this.#ended = true
    try {
      this.#sink?.end()
      this.#owner.upstreamComplete(this.#target)
    } catch (error) {
      this.#owner.fail(error)
    }
  }

  onError(error: Error): void {
    this.#ended = true
    try {
      this.#owner.upstreamFailed(this.#target, error)
    } catch (thrown) {
      this.#owner.fail(thrown)
    }
  }

  #listenForDrain(): void {
    this.#owner.watchSend()
    if (this.#drainListening || this.#resume === null) return
    this.#drainListening = true
    this.#owner.res.on('drain', this.#resume)
  }
}
