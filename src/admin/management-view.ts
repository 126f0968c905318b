/**
 * Consumers, keys and audit entries as operators see them (admin API bodies, `--json` CLI
 * output): times as ISO 8601 strings, never a key hash.
 */
import type { AuditEntry, Consumer } from '../stores/data-store.js'
import type { PublicKeyRecord } from './management.js'

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

export function viewConsumer(consumer: Consumer) {
  return { ...consumer, createdAt: iso(consumer.createdAt), updatedAt: iso(consumer.updatedAt) }
}

export function viewKey(record: PublicKeyRecord) {
  return { ...record, createdAt: iso(record.createdAt), expiresAt: iso(record.expiresAt), revokedAt: iso(record.revokedAt) }
}

export function viewAudit(entry: AuditEntry) {
  return { ...entry, at: iso(entry.at) }
}
