/**
 * The SQL of the `security_events` table shared by both stores: the insert's values and the
 * search's WHERE clause, with placeholders written by the caller's dialect (`?` or `$n`).
 */
import type { SecurityEventQuery, SecurityEventRow, StoredSecurityEvent } from './data-store.js'
import type { Row } from './rows.js'

export const SECURITY_EVENT_COLUMNS = ['at', 'event_id', 'kind', 'categories', 'action', 'outcome', 'severity', 'code', 'source_ip', 'consumer', 'api', 'document'] as const

/** Categories are stored space-separated between spaces (` api web `), so one is found with LIKE. */
export function securityEventValues(row: SecurityEventRow): unknown[] {
  return [row.at, row.eventId, row.kind, ` ${row.categories.join(' ')} `, row.action, row.outcome, row.severity, row.code, row.sourceIp, row.consumer, row.api, JSON.stringify(row.document)]
}

/** `WHERE …` (or '') and its values, for a query; `placeholder(n)` writes the n-th (1-based) parameter. */
export function securityEventWhere(query: SecurityEventQuery, placeholder: (n: number) => string): { where: string; values: unknown[] } {
  const clauses: string[] = []
  const values: unknown[] = []
  const add = (sql: string, value: unknown) => {
    values.push(value)
    clauses.push(sql.replace('?', placeholder(values.length)))
  }
  if (query.before !== undefined) add('id < ?', query.before)
  if (query.since !== undefined) add('at >= ?', query.since)
  if (query.until !== undefined) add('at < ?', query.until)
  if (query.kind !== undefined) add('kind = ?', query.kind)
  if (query.category !== undefined) add('categories LIKE ?', `% ${query.category.replace(/[%_\\]/g, '')} %`)
  if (query.action !== undefined) add('action = ?', query.action)
  if (query.code !== undefined) add('code = ?', query.code)
  if (query.sourceIp !== undefined) add('source_ip = ?', query.sourceIp)
  if (query.consumer !== undefined) add('consumer = ?', query.consumer)
  if (query.api !== undefined) add('api = ?', query.api)
  if (query.minSeverity !== undefined) add('severity >= ?', query.minSeverity)
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, values }
}

export function storedSecurityEventFromRow(row: Row): StoredSecurityEvent {
  return { id: typeof row.id === 'string' ? Number(row.id) : (row.id as number), document: JSON.parse(row.document as string) as Record<string, unknown> }
}
