/**
 * Consumers, keys and audit entries as the CLI prints them: pure functions to a string.
 * Tables for lists, `field  value` blocks for one record; times in ISO 8601 (UTC).
 */
import type { PublicKeyRecord } from '../../admin/management.js'
import type { AuditEntry, Consumer } from '../../stores/data-store.js'

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString()
}

function list(values: readonly string[]): string {
  return values.length === 0 ? '-' : values.join(',')
}

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return `${[header, ...rows].map(line).join('\n')}\n`
}

export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([name]) => name.length))
  return fields.map(([name, value]) => `${name.padEnd(width)}  ${value}\n`).join('')
}

export function formatConsumers(consumers: readonly Consumer[]): string {
  if (consumers.length === 0) return 'no consumers\n'
  return formatTable(
    ['ID', 'NAME', 'PLAN', 'ROLES', 'SCOPES'],
    consumers.map((c) => [c.id, c.name, c.plan ?? '-', list(c.roles), list(c.scopes)]),
  )
}

export function formatConsumer(consumer: Consumer): string {
  return formatFields([
    ['id', consumer.id],
    ['name', consumer.name],
    ['plan', consumer.plan ?? '-'],
    ['roles', list(consumer.roles)],
    ['scopes', list(consumer.scopes)],
    ['metadata', JSON.stringify(consumer.metadata)],
    ['created', iso(consumer.createdAt)],
    ['updated', iso(consumer.updatedAt)],
  ])
}

function keyState(record: PublicKeyRecord, now: number): string {
  if (record.revokedAt !== null) return 'revoked'
  if (record.expiresAt !== null && record.expiresAt <= now) return 'expired'
  return 'active'
}

export function formatKeys(records: readonly PublicKeyRecord[], now: number): string {
  if (records.length === 0) return 'no API keys\n'
  return formatTable(
    ['ID', 'CONSUMER', 'STATE', 'LABEL', 'EXPIRES', 'SCOPES'],
    records.map((r) => [r.id, r.consumerId, keyState(r, now), r.label ?? '-', iso(r.expiresAt), list(r.scopes)]),
  )
}

export function formatKey(record: PublicKeyRecord, now: number): string {
  return formatFields([
    ['id', record.id],
    ['consumer', record.consumerId],
    ['state', keyState(record, now)],
    ['label', record.label ?? '-'],
    ['scopes', list(record.scopes)],
    ['plan', record.plan ?? '-'],
    ['created', iso(record.createdAt)],
    ['expires', iso(record.expiresAt)],
    ['revoked', iso(record.revokedAt)],
    ['rotated from', record.rotatedFrom ?? '-'],
  ])
}

export function formatAudit(entries: readonly AuditEntry[]): string {
  if (entries.length === 0) return 'no audit entries\n'
  return formatTable(
    ['ID', 'AT', 'ACTOR', 'SOURCE', 'ACTION', 'TARGET', 'DETAILS'],
    entries.map((e) => [String(e.id), iso(e.at), e.actor, e.source, e.action, e.target, JSON.stringify(e.details)]),
  )
}
