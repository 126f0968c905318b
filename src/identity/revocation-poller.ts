/**
 * Learns API-key revocations from the data store without waiting for a look-up. Every gateway
 * process (each worker, with `workers: N`) asks the store every `identity.apiKeys.cacheSec` (at
 * least 1 s) for the keys revoked since it last asked, and marks them final in its key cache. A
 * key revoked with the CLI, which writes the store and tells no gateway, is then refused by every
 * process that reached the store within `cacheSec` of the revocation — also through an outage that
 * starts later, even if the process last found the key valid or never looked it up.
 *
 * The window: keys come in (revokedAt, id) order, at most `pageSize` per poll, one poll in flight.
 * After a short page, the next poll starts `overlapMs` before the store's clock at this one rather
 * than after the last key read: `revokedAt` is written with the revoking client's clock, which may
 * lag the store's, and a revocation may commit after a later one was read. Keys read again are
 * marked again, which changes nothing. After a full page, the next poll goes on from its last key,
 * so a burst of revocations is read a page per poll. At start the window opens `overlapMs` before
 * this process's clock: the store's is not known yet, and the key cache is empty anyway.
 */
import type { Logger } from 'pino'
import type { DataStore, RevocationCursor, RevokedApiKey } from '../stores/data-store.js'

export interface RevocationPollerOptions {
  /** Time between the end of one poll and the start of the next. */
  intervalMs: number
  /** How far behind the store's clock each window opens: the lag of a revoking client's clock (or of a commit) that is tolerated. */
  overlapMs?: number
  /** Keys read per poll at most. */
  pageSize?: number
}

export interface RevocationPollerDeps {
  store: Pick<DataStore, 'listRevokedApiKeys'>
  clock: { now(): number }
  logger: Logger
  /** Called for every revoked key read (again for one read in an earlier window). */
  onRevoked: (key: RevokedApiKey) => void
}

const DEFAULT_OVERLAP_MS = 60_000
const DEFAULT_PAGE_SIZE = 500
/** Failed polls are logged at most this often (or once per interval, if longer), with their count. */
const FAILURE_LOG_INTERVAL_MS = 10_000

export class RevocationPoller {
  readonly #deps: RevocationPollerDeps
  readonly #intervalMs: number
  readonly #overlapMs: number
  readonly #pageSize: number
  #cursor: RevocationCursor | null = null
  #timer: NodeJS.Timeout | null = null
  #inFlight: Promise<void> | null = null
  #closed = false
  /** Polls failed since the last success, and since the last line logged about them. */
  #failing = { total: 0, unlogged: 0, loggedAt: Number.NEGATIVE_INFINITY }

  constructor(deps: RevocationPollerDeps, options: RevocationPollerOptions) {
    this.#deps = deps
    this.#intervalMs = options.intervalMs
    this.#overlapMs = options.overlapMs ?? DEFAULT_OVERLAP_MS
    this.#pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE
  }

  /** Opens the window and polls every interval until `close`; the timer does not keep the process alive. */
  start(): void {
    if (this.#cursor !== null || this.#closed) return
    this.#cursor = { revokedAt: this.#deps.clock.now() - this.#overlapMs, id: '' }
    this.#schedule()
  }

  close(): void {
    this.#closed = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }

  /** One poll (the one in flight, if any); never rejects: a failure is logged and the window kept. */
  poll(): Promise<void> {
    this.#inFlight ??= this.#pollOnce().finally(() => {
      this.#inFlight = null
    })
    return this.#inFlight
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.poll().then(() => {
        if (!this.#closed) this.#schedule()
      })
    }, this.#intervalMs)
    this.#timer.unref()
  }

  async #pollOnce(): Promise<void> {
    this.#cursor ??= { revokedAt: this.#deps.clock.now() - this.#overlapMs, id: '' }
    const cursor = this.#cursor
    try {
      const page = await this.#deps.store.listRevokedApiKeys(cursor, this.#pageSize)
      if (this.#closed) return
      for (const key of page.keys) this.#deps.onRevoked(key)
      this.#cursor = this.#next(page.keys, page.storeNow) ?? cursor
      this.#succeeded()
    } catch (error) {
      if (!this.#closed) this.#failed(error)
    }
  }

  /** Where the next poll starts: after a full page's last key, else `overlapMs` before the store's clock. */
  #next(keys: readonly RevokedApiKey[], storeNow: number): RevocationCursor | null {
    const last = keys.at(-1)?.record
    if (keys.length >= this.#pageSize && last !== undefined && last.revokedAt !== null) return { revokedAt: last.revokedAt, id: last.id }
    return Number.isFinite(storeNow) ? { revokedAt: storeNow - this.#overlapMs, id: '' } : null
  }

  #succeeded(): void {
    if (this.#failing.total === 0) return
    this.#deps.logger.info({ failedPolls: this.#failing.total }, 'polling the data store for revoked API keys again')
    this.#failing = { total: 0, unlogged: 0, loggedAt: Number.NEGATIVE_INFINITY }
  }

  #failed(error: unknown): void {
    this.#failing.total++
    this.#failing.unlogged++
    const now = this.#deps.clock.now()
    if (now - this.#failing.loggedAt < Math.max(this.#intervalMs, FAILURE_LOG_INTERVAL_MS)) return
    this.#deps.logger.warn(
      { err: { message: error instanceof Error ? error.message : String(error) }, failedPolls: this.#failing.unlogged },
      'cannot poll the data store for revoked API keys: keys revoked meanwhile (with the CLI, or on another node) are not known here until it answers',
    )
    this.#failing.unlogged = 0
    this.#failing.loggedAt = now
  }
}
