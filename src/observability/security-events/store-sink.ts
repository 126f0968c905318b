/**
 * The store sink: events into the data store's `security_events` table (SQLite or PostgreSQL, as
 * `stores.data` says), where the dashboard and `GET /events` read them; older than `maxAgeDays`
 * or beyond the newest `maxRows` they are pruned a slice at a time, every `pruneIntervalSec`.
 */
import type { DataStore, SecurityEventRow } from '../../stores/data-store.js'
import type { SecurityEvent } from './security-event.js'
import type { EventSink } from './sink-queue.js'

export interface StoreSinkOptions {
  readonly maxAgeDays: number
  readonly maxRows: number
  readonly pruneIntervalSec: number
  readonly clock: { now(): number }
  readonly onPruneFailure: (error: unknown) => void
}

/** Rows deleted per statement: SQLite runs on the event loop, so one prune must stay short. */
const PRUNE_SLICE = 5000
const PRUNE_SLICES_PER_RUN = 20

export function securityEventRow(event: SecurityEvent): SecurityEventRow {
  return {
    at: Date.parse(event['@timestamp']),
    eventId: event.event.id,
    kind: event.event.kind,
    categories: event.event.category,
    action: event.event.action,
    outcome: event.event.outcome,
    severity: event.event.severity,
    code: event.event.code ?? null,
    sourceIp: event.source?.ip ?? null,
    consumer: event.user?.id ?? null,
    api: event.portcullis.api ?? null,
    document: event as unknown as Record<string, unknown>,
  }
}

export function createStoreSink(store: DataStore, options: StoreSinkOptions): EventSink {
  let pruning: Promise<void> | null = null
  const prune = async () => {
    const olderThan = options.clock.now() - options.maxAgeDays * 86_400_000
    for (let i = 0; i < PRUNE_SLICES_PER_RUN; i++) {
      if ((await store.pruneSecurityEvents(olderThan, options.maxRows, PRUNE_SLICE)) < PRUNE_SLICE) break
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const timer = setInterval(() => {
    pruning ??= prune()
      .catch(options.onPruneFailure)
      .finally(() => (pruning = null))
  }, options.pruneIntervalSec * 1000).unref()
  return {
    name: 'store',
    send(batch) {
      return store.appendSecurityEvents(batch.map(securityEventRow))
    },
    async close() {
      clearInterval(timer)
      await pruning
    },
  }
}
