/**
 * Who still calls what is deprecated: calls of deprecated versions and operations, by consumer,
 * summed in memory and written to the data store every few seconds (shared by every worker and,
 * on PostgreSQL, every node), with first and last seen times. A consumer's first call of a
 * deprecated operation is a `deprecated-operation-first-call` event (to the webhook, when one is
 * configured), so owners can reach them.
 */
import type { Logger } from 'pino'
import type { SecurityEventSink } from '../../pipeline/define-policy.js'
import { classOfAction } from '../../observability/security-events/security-event.js'
import type { DataStore, DeprecatedUsageRow } from '../../stores/data-store.js'

interface Pending {
  api: string
  version: string | null
  operation: string
  consumer: string
  calls: number
  firstSeen: number
  lastSeen: number
}

export interface DeprecatedUsageDeps {
  readonly store: DataStore | null
  readonly events: SecurityEventSink | null
  readonly logger: Logger
  readonly clock: { now(): number }
  readonly flushMs?: number
}

/** Distinct (operation, consumer) pairs held between two flushes; past it calls are dropped and counted. */
const MAX_PENDING = 10_000
const FLUSH_MS = 5000

export class DeprecatedUsage {
  readonly #deps: DeprecatedUsageDeps
  #pending = new Map<string, Pending>()
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<void> | null = null
  /** Calls not recorded because the pending map was full. */
  dropped = 0

  constructor(deps: DeprecatedUsageDeps) {
    this.#deps = deps
  }

  record(api: string, version: string | null, operation: string, consumer: string): void {
    if (this.#deps.store === null) return
    const key = `${api}\u0000${operation}\u0000${consumer}`
    const now = this.#deps.clock.now()
    const entry = this.#pending.get(key)
    if (entry !== undefined) {
      entry.calls++
      entry.lastSeen = now
    } else if (this.#pending.size >= MAX_PENDING) this.dropped++
    else this.#pending.set(key, { api, version, operation, consumer, calls: 1, firstSeen: now, lastSeen: now })
  }

  start(): void {
    if (this.#deps.store === null || this.#timer !== null) return
    this.#timer = setInterval(() => void this.flush(), this.#deps.flushMs ?? FLUSH_MS)
    this.#timer.unref()
  }

  /** Writes what was counted; a store failure keeps it for the next flush (merged with what comes). */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => (this.#flushing = null))
    return this.#flushing
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    await this.flush()
  }

  async #flush(): Promise<void> {
    const store = this.#deps.store
    if (store === null || this.#pending.size === 0) return
    const batch = this.#pending
    this.#pending = new Map()
    const rows: DeprecatedUsageRow[] = [...batch.values()]
    let inserted: readonly boolean[]
    try {
      inserted = await store.recordDeprecatedUsage(rows)
    } catch (error) {
      for (const [key, row] of batch) {
        const newer = this.#pending.get(key)
        if (newer === undefined) this.#pending.set(key, row)
        else Object.assign(newer, { calls: newer.calls + row.calls, firstSeen: row.firstSeen })
      }
      this.#deps.logger.warn({ err: error }, 'deprecated usage could not be written; kept for the next attempt')
      return
    }
    rows.forEach((row, i) => {
      if (inserted[i] !== true) return
      this.#deps.events?.emit({
        class: classOfAction('deprecated-operation-first-call'),
        message: `deprecated-operation-first-call: ${row.consumer} called ${row.api} ${row.operation}`,
        ...(row.consumer === 'anonymous' ? {} : { user: { id: row.consumer } }),
        labels: { api: row.api },
        portcullis: { policy: 'lifecycle', api: row.api, route: row.operation, details: { version: row.version, consumer: row.consumer } },
      })
    })
  }
}
