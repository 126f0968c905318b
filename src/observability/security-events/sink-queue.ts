/**
 * One sink's bounded queue: events wait here, never on the request path, and leave in batches,
 * one batch in flight at a time. Past `maxQueued` an event is dropped and counted; a batch the
 * sink gave up on (after its own retries) is counted too. `drain` empties it within a deadline.
 */
import type { SecurityEvent } from './security-event.js'

export interface EventSink {
  /** `log`, `webhook`, `otlp`, `store`: the metric's label. */
  readonly name: string
  /** Delivers a batch; rejects once it gives up. `signal` aborts waits and requests at shutdown. */
  send(batch: readonly SecurityEvent[], signal: AbortSignal): Promise<void>
  close?(): Promise<void>
}

export interface SinkQueueOptions {
  readonly maxQueued: number
  readonly batchSize: number
  readonly flushIntervalMs: number
  /** Events lost: `queue_full`, `failed` (the sink gave up), `shutdown` (still queued at the deadline). */
  readonly onDropped: (sink: string, reason: 'queue_full' | 'failed' | 'shutdown', count: number) => void
  readonly onFailure: (sink: string, error: unknown) => void
}

export class SinkQueue {
  readonly sink: EventSink
  readonly #options: SinkQueueOptions
  #queue: SecurityEvent[] = []
  #sending: Promise<void> | null = null
  #scheduled = false
  readonly #abort = new AbortController()
  readonly #timer: NodeJS.Timeout

  constructor(sink: EventSink, options: SinkQueueOptions) {
    this.sink = sink
    this.#options = options
    this.#timer = setInterval(() => this.#pump(), options.flushIntervalMs).unref()
  }

  get queued(): number {
    return this.#queue.length
  }

  push(event: SecurityEvent): void {
    if (this.#queue.length >= this.#options.maxQueued) {
      this.#options.onDropped(this.sink.name, 'queue_full', 1)
      return
    }
    this.#queue.push(event)
    // A full batch leaves at once, but after the request that made it has been answered.
    if (this.#queue.length >= this.#options.batchSize && this.#sending === null && !this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => {
        this.#scheduled = false
        this.#pump()
      })
    }
  }

  #pump(): void {
    if (this.#sending !== null || this.#queue.length === 0 || this.#abort.signal.aborted) return
    const batch = this.#queue.length <= this.#options.batchSize ? this.#queue : this.#queue.slice(0, this.#options.batchSize)
    this.#queue = batch === this.#queue ? [] : this.#queue.slice(batch.length)
    let sending: Promise<void>
    try {
      sending = this.sink.send(batch, this.#abort.signal)
    } catch (error) {
      sending = Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
    this.#sending = sending.then(
      () => undefined,
      (error: unknown) => {
        this.#options.onDropped(this.sink.name, 'failed', batch.length)
        this.#options.onFailure(this.sink.name, error)
      },
    )
    void this.#sending.then(() => {
      this.#sending = null
      if (this.#queue.length >= this.#options.batchSize) this.#pump()
    })
  }

  /** Sends what is queued until empty or `deadline` (ms since the epoch); what is left is dropped. */
  async drain(deadline: number): Promise<void> {
    clearInterval(this.#timer)
    for (let i = 0; i < 10_000 && Date.now() < deadline && (this.#queue.length > 0 || this.#sending !== null); i++) {
      this.#pump()
      const sending = this.#sending
      if (sending === null) break
      let timer: NodeJS.Timeout | undefined
      await Promise.race([sending, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))])
      clearTimeout(timer)
      // Let the batch's own completion run first (it clears #sending).
      await new Promise((resolve) => setImmediate(resolve))
    }
    this.#abort.abort()
    if (this.#queue.length > 0) this.#options.onDropped(this.sink.name, 'shutdown', this.#queue.length)
    this.#queue = []
    await this.sink.close?.()
  }
}
