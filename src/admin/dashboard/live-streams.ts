/**
 * The dashboard's live updates over Server-Sent Events (`GET /dashboard/stream`). One ticker
 * serves every open stream: each tick it reads the security events stored after the last id it
 * sent (so events written by any worker or node arrive) and the overview figures, and sends them
 * to each stream. A stream resumes after `Last-Event-ID`; it ends when its session does, and a
 * client that stops reading is cut off before its buffer passes a bound. Streams are bounded in
 * number.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { DataStore } from '../../stores/data-store.js'
import type { DashboardSessions } from './sessions.js'

export interface LiveStreamsOptions {
  readonly store: DataStore | null
  readonly overview: () => Promise<unknown>
  readonly sessions: DashboardSessions
  readonly intervalMs: number
  readonly maxStreams: number
  readonly onError: (error: unknown) => void
}

interface Stream {
  readonly res: ServerResponse
  readonly sessionId: string
  lastWriteAt: number
}

/** Events sent per tick (and on resume); a burst beyond it is left for the events page. */
const EVENTS_PER_TICK = 100
const HEARTBEAT_MS = 15_000
/** Bytes a stream may have waiting to be sent before the client is deemed gone. */
const MAX_BUFFERED_BYTES = 512 * 1024

export class LiveStreams {
  readonly #options: LiveStreamsOptions
  readonly #streams = new Set<Stream>()
  #timer: NodeJS.Timeout | null = null
  #cursor: number | null = null
  #ticking = false

  constructor(options: LiveStreamsOptions) {
    this.#options = options
    options.sessions.onEnd((id) => {
      for (const stream of this.#streams) if (stream.sessionId === id) this.#end(stream, 'session-ended')
    })
  }

  get size(): number {
    return this.#streams.size
  }

  /** Serves a stream for the session; false (nothing written) when `maxStreams` are open. */
  open(req: IncomingMessage, res: ServerResponse, sessionId: string): boolean {
    if (this.#streams.size >= this.#options.maxStreams) return false
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' })
    res.flushHeaders()
    const stream: Stream = { res, sessionId, lastWriteAt: Date.now() }
    this.#streams.add(stream)
    req.socket.setTimeout(0)
    req.socket.setNoDelay(true)
    res.once('close', () => this.#remove(stream))
    this.#write(stream, `retry: 3000\n\n`)
    this.#start()
    const resumeFrom = Number(req.headers['last-event-id'])
    void this.#welcome(stream, Number.isSafeInteger(resumeFrom) && resumeFrom >= 0 ? resumeFrom : null)
    return true
  }

  /** Ends every stream and stops the ticker. */
  close(): void {
    for (const stream of this.#streams) this.#end(stream, 'closing')
    this.#stop()
  }

  async #welcome(stream: Stream, resumeFrom: number | null): Promise<void> {
    try {
      // Streams show what happens from the first one's opening on (and what a resumed one missed).
      if (this.#cursor === null && this.#options.store !== null) this.#cursor = await this.#newestId(this.#options.store)
      if (resumeFrom !== null && this.#options.store !== null) {
        const missed = await this.#options.store.listSecurityEvents({ after: resumeFrom, limit: EVENTS_PER_TICK })
        for (const event of missed.reverse()) if (this.#cursor === null || event.id <= this.#cursor) this.#sendEvent(stream, event.id, event.document)
      }
      this.#send(stream, 'overview', await this.#options.overview())
    } catch (error) {
      this.#options.onError(error)
    }
  }

  #start(): void {
    if (this.#timer !== null) return
    this.#timer = setInterval(() => void this.#tick(), this.#options.intervalMs)
    this.#timer.unref()
  }

  #stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    this.#cursor = null
  }

  async #tick(): Promise<void> {
    if (this.#ticking) return
    this.#ticking = true
    try {
      for (const stream of this.#streams) if (this.#options.sessions.get(stream.sessionId) === null) this.#end(stream, 'session-ended')
      if (this.#streams.size === 0) return this.#stop()
      await this.#pollEvents()
      const overview = await this.#options.overview()
      const now = Date.now()
      for (const stream of this.#streams) {
        this.#send(stream, 'overview', overview)
        if (now - stream.lastWriteAt >= HEARTBEAT_MS) this.#write(stream, ': keep-alive\n\n')
      }
    } catch (error) {
      this.#options.onError(error)
    } finally {
      this.#ticking = false
    }
  }

  async #pollEvents(): Promise<void> {
    const store = this.#options.store
    if (store === null) return
    if (this.#cursor === null) {
      this.#cursor = await this.#newestId(store)
      return
    }
    const fresh = await store.listSecurityEvents({ after: this.#cursor, limit: EVENTS_PER_TICK })
    if (fresh.length === 0) return
    this.#cursor = fresh[0]?.id ?? this.#cursor
    for (const event of fresh.reverse()) for (const stream of this.#streams) this.#sendEvent(stream, event.id, event.document)
  }

  async #newestId(store: DataStore): Promise<number> {
    return (await store.listSecurityEvents({ limit: 1 }))[0]?.id ?? 0
  }

  #sendEvent(stream: Stream, id: number, document: unknown): void {
    this.#write(stream, `id: ${id}\nevent: security-event\ndata: ${JSON.stringify(document)}\n\n`)
  }

  #send(stream: Stream, event: string, data: unknown): void {
    this.#write(stream, `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  }

  #write(stream: Stream, text: string): void {
    if (stream.res.writableEnded) return
    if (stream.res.writableLength > MAX_BUFFERED_BYTES) return void stream.res.destroy()
    stream.res.write(text)
    stream.lastWriteAt = Date.now()
  }

  #end(stream: Stream, reason: string): void {
    this.#write(stream, `event: end\ndata: ${JSON.stringify({ reason })}\n\n`)
    stream.res.end()
    this.#remove(stream)
  }

  #remove(stream: Stream): void {
    this.#streams.delete(stream)
  }
}
