/** Row ↔ record mapping shared by the SQL stores (lists and maps are JSON text in both dialects). */
import type { ApiKeyRecord, AuditEntry, Consumer, DeprecatedUsageRow, RevokedApiKey } from './data-store.js'

export type Row = Record<string, unknown>

function num(value: unknown): number {
  return typeof value === 'string' ? Number(value) : (value as number)
}

function optionalNum(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value)
}

function strings(value: unknown): string[] {
  return JSON.parse(value as string) as string[]
}

function object(value: unknown): Record<string, unknown> {
  return JSON.parse(value as string) as Record<string, unknown>
}

export function consumerFromRow(row: Row): Consumer {
  return {
    id: row.id as string,
    name: row.name as string,
    roles: strings(row.roles),
    scopes: strings(row.scopes),
    plan: (row.plan as string | null) ?? null,
    metadata: object(row.metadata),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  }
}

export function apiKeyFromRow(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    consumerId: row.consumer_id as string,
    hash: row.hash as string,
    label: (row.label as string | null) ?? null,
    scopes: strings(row.scopes),
    plan: (row.plan as string | null) ?? null,
    createdAt: num(row.created_at),
    expiresAt: optionalNum(row.expires_at),
    revokedAt: optionalNum(row.revoked_at),
    rotatedFrom: (row.rotated_from as string | null) ?? null,
  }
}

/** The consumer's columns as `listRevokedApiKeys` selects them beside the key's, prefixed `consumer_`. */
export const REVOKED_CONSUMER_COLUMNS = ['name', 'roles', 'scopes', 'plan', 'metadata', 'created_at', 'updated_at']
  .map((column) => `c.${column} AS consumer_${column}`)
  .join(', ')

/** A key row joined with its consumer's `REVOKED_CONSUMER_COLUMNS`. */
export function revokedKeyFromRow(row: Row): RevokedApiKey {
  const consumer: Row = { id: row.consumer_id }
  for (const [column, value] of Object.entries(row)) if (column.startsWith('consumer_') && column !== 'consumer_id') consumer[column.slice('consumer_'.length)] = value
  return { record: apiKeyFromRow(row), consumer: consumerFromRow(consumer) }
}

export function auditFromRow(row: Row): AuditEntry {
  return {
    id: num(row.id),
    at: num(row.at),
    actor: row.actor as string,
    action: row.action as string,
    target: row.target as string,
    source: row.source as string,
    details: object(row.details),
  }
}

export function deprecatedUsageFromRow(row: Row): DeprecatedUsageRow {
  return {
    api: row.api as string,
    version: (row.version as string | null) ?? null,
    operation: row.operation as string,
    consumer: row.consumer as string,
    calls: num(row.calls),
    firstSeen: num(row.first_seen),
    lastSeen: num(row.last_seen),
  }
}
