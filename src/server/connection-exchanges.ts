/**
 * The exchanges of one HTTP/1 connection. HTTP/1 answers pipelined requests in the order they
 * came (RFC 9112 §9.3.2), so serving them at once gains nothing and costs a lot: Node queues
 * each response behind the previous one, and a client that sends many requests and reads
 * nothing makes the gateway hold an upstream request, a body and a pipeline slot for every one
 * of them (issue 21: four connections wedged an upstream pool for good). Like nginx and HAProxy,
 * the gateway serves one request of a connection at a time; the rest wait here, at most
 * `server.maxPipelinedRequests` of them. Past that the connection stops being read, the request
 * over the limit is answered 503 in its turn and the connection closes. When the connection
 * closes, every exchange still waiting is finished at once (logged as not answered): nothing is
 * left for a response that will never be written.
 */
import type { Socket } from 'node:net'

/** What the queue asks of an exchange. */
export interface QueuedExchange {
  /** The request it serves (the parser's errors name it). */
  readonly req: object
  /** Starts serving the request (its turn came). */
  begin(): void
  /** Answers 503 GW_ERR_PIPELINE_LIMIT and closes the connection after it (its turn came). */
  refuse(): void
  /**
   * Finishes the exchange without (any more of) an answer: the connection is gone, or refusing
   * (`code`); `logged` false counts it without an access line of its own.
   */
  abandon(code?: 'GW_ERR_PIPELINE_LIMIT', logged?: boolean): void
  /** One line for the requests past the limit that were counted without access lines of their own. */
  reportUnlogged(count: number): void
}

/**
 * Requests past the limit logged one by one; more (one read of a flooding client can hold
 * thousands) are counted in one line when the connection closes, so a flood cannot amplify
 * into the log.
 */
const LOGGED_PAST_LIMIT = 32

export class ConnectionExchanges<E extends QueuedExchange = QueuedExchange> {
  readonly #socket: Socket
  readonly #limit: number
  #active: E | null = null
  #waiting: E[] = []
  #refused: E | null = null
  #closed = false
  /** After a refusal, requests parsed from the same read are abandoned; one from a later read ends the connection. */
  #refusalRead = false
  #pastLimit = 0
  #whenIdle: (() => void) | null = null
  /** Answers owed to queued requests the parser failed on, given in their turn instead of serving them. */
  #answers: Map<E, () => void> | null = null

  constructor(socket: Socket, limit: number) {
    this.#socket = socket
    this.#limit = limit
    socket.once('close', () => this.#close())
  }

  /** The exchange being served, if any. */
  get active(): E | null {
    return this.#active
  }

  /** A request was read: serve it now, or queue it behind the one being served. */
  admit(exchange: E): void {
    if (this.#refused !== null) {
      exchange.abandon('GW_ERR_PIPELINE_LIMIT', this.#pastLimit++ < LOGGED_PAST_LIMIT)
      // Node parses a whole read at once; a client that sends more after being told to stop is cut off.
      if (!this.#refusalRead) this.#socket.destroy()
      return
    }
    if (this.#closed || this.#whenIdle !== null) return exchange.abandon()
    if (this.#active === null) {
      this.#active = exchange
      return exchange.begin()
    }
    if (this.#waiting.length >= this.#limit) {
      this.#stopReading()
      this.#refused = exchange
      this.#refusalRead = true
      setImmediate(() => (this.#refusalRead = false))
    }
    this.#waiting.push(exchange)
  }

  /** The exchange of `req`, while it is being served or waits. */
  find(req: unknown): E | null {
    if (this.#active !== null && this.#active.req === req) return this.#active
    return this.#waiting.find((exchange) => exchange.req === req) ?? null
  }

  /** `exchange` (waiting) is answered with `answer` in its turn instead of being served; nothing is read after it. */
  answerInTurn(exchange: E, answer: () => void): void {
    ;(this.#answers ??= new Map()).set(exchange, answer)
    this.#stopReading()
  }

  /** The exchange finished (its response ended or was destroyed): the next one may start. */
  done(exchange: E): void {
    if (exchange !== this.#active) return
    this.#active = null
    const next = this.#waiting.shift()
    if (next === undefined) {
      const answer = this.#whenIdle
      this.#whenIdle = null
      answer?.()
      return
    }
    // After a response that closed the connection nothing more is served (RFC 9112 §9.6); the
    // response's `close` can also come before its dead socket's.
    if (this.#closed || this.#socket.destroyed || !this.#socket.writable) {
      next.abandon()
      for (const rest of this.#waiting.splice(0)) rest.abandon()
      return
    }
    this.#active = next
    const answer = this.#answers?.get(next)
    if (answer !== undefined) answer()
    else if (next === this.#refused) next.refuse()
    else next.begin()
  }

  /**
   * Runs `answer` once every exchange of the connection has finished, so an answer the parser
   * owes (a malformed request after valid pipelined ones) goes after their responses. Returns
   * false when nothing is pending: the caller answers at once.
   */
  deferUntilIdle(answer: () => void): boolean {
    if (this.#active === null) return false
    this.#stopReading()
    this.#whenIdle = answer
    return true
  }

  /**
   * Pauses the socket as Node's server does for its own back-pressure (its flag too): a plain
   * pause would be undone when the parser finishes the current message.
   */
  #stopReading(): void {
    const socket = this.#socket as Socket & { _paused?: boolean; parser?: { pause(): void } | null }
    socket._paused = true
    socket.pause()
    socket.parser?.pause()
  }

  #close(): void {
    this.#closed = true
    this.#whenIdle = null
    const waiting = this.#waiting
    this.#waiting = []
    for (const exchange of waiting) exchange.abandon()
    // Node closes the response being written, which finishes it; this covers one never assigned.
    this.#active?.abandon()
    if (this.#pastLimit > LOGGED_PAST_LIMIT) this.#refused?.reportUnlogged(this.#pastLimit - LOGGED_PAST_LIMIT)
  }
}
