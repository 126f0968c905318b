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
  /** Starts serving the request (its turn came). */
  begin(): void
  /** Answers 503 GW_ERR_PIPELINE_LIMIT and closes the connection after it (its turn came). */
  refuse(): void
  /** Finishes the exchange without (any more of) an answer: the connection is gone, or refusing (`code`). */
  abandon(code?: 'GW_ERR_PIPELINE_LIMIT'): void
}

export class ConnectionExchanges<E extends QueuedExchange = QueuedExchange> {
  readonly #socket: Socket
  readonly #limit: number
  #active: E | null = null
  #waiting: E[] = []
  #refused: E | null = null
  #closed = false
  #whenIdle: (() => void) | null = null

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
    if (this.#refused !== null) return exchange.abandon('GW_ERR_PIPELINE_LIMIT')
    if (this.#closed || this.#whenIdle !== null) return exchange.abandon()
    if (this.#active === null) {
      this.#active = exchange
      return exchange.begin()
    }
    if (this.#waiting.length >= this.#limit) {
      // Stop reading: what the client sends next waits in the kernel, not in this process.
      this.#socket.pause()
      this.#refused = exchange
    }
    this.#waiting.push(exchange)
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
    // The response's `close` can come before the socket's: a dead connection starts nothing more.
    if (this.#closed || this.#socket.destroyed) return next.abandon()
    this.#active = next
    if (next === this.#refused) next.refuse()
    else next.begin()
  }

  /**
   * Runs `answer` once every exchange of the connection has finished, so an answer the parser
   * owes (a malformed request after valid pipelined ones) goes after their responses. Returns
   * false when nothing is pending: the caller answers at once.
   */
  deferUntilIdle(answer: () => void): boolean {
    if (this.#active === null) return false
    this.#socket.pause()
    this.#whenIdle = answer
    return true
  }

  #close(): void {
    this.#closed = true
    this.#whenIdle = null
    const waiting = this.#waiting
    this.#waiting = []
    for (const exchange of waiting) exchange.abandon()
    // Node closes the response being written, which finishes it; this covers one never assigned.
    this.#active?.abandon()
  }
}
