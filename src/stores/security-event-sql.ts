/**
 * The SQL of the `security_events` table shared by both stores: the insert's values and the
 * search's WHERE clause, with placeholders written by the caller's dialect (`?` or `$n`).
 */
import type { SecurityEventCount, SecurityEventCountQuery, SecurityEventQuery, SecurityEventRow, StoredSecurityEvent } from './data-store.js'
import type { Row } from './rows.js'

export const SECURITY_EVENT_COLUMNS = ['at', 'event_id', 'kind', 'categories', 'action', 'outcome', 'severity', 'code', 'source_ip', 'consumer', 'api', 'document'] as const

/** Categories are stored space-separated between spaces (` api web `), so one is found with LIKE. */
export function securityEventValues(row: SecurityEventRow): unknown[] {
  return [row.at, row.eventId, row.kind, ` ${row.categories.join(' ')} `, row.action, row.outcome, row.severity, row.code, row.sourceIp, row.consumer, row.api, JSON.stringify(row.document)]
}

/** `WHERE …` (or '') and its values, for a query; `placeholder(n)` writes the n-th (1-based) parameter. */
export function securityEventWhere(query: SecurityEventQuery, placeholder: (n: number) => string, like: 'LIKE' | 'ILIKE' = 'LIKE'): { where: string; values: unknown[] } {
  const clauses: string[] = []
  const values: unknown[] = []
  const add = (sql: string, value: unknown) => {
    values.push(value)
    clauses.push(sql.replace('?', placeholder(values.length)))
  }
  if (query.before !== undefined) add('id < ?', query.before)
  if (query.after !== undefined) add('id > ?', query.after)
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
  if (query.text !== undefined) add(`document ${like} ? ESCAPE '\\'`, `%${query.text.replace(/[%_\\]/g, (c) => `\\${c}`)}%`)
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, values }
}

export function storedSecurityEventFromRow(row: Row): StoredSecurityEvent {
  return { id: typeof row.id === 'string' ? Number(row.id) : (row.id as number), document: JSON.parse(row.document as string) as Record<string, unknown> }
}

const GROUP_COLUMNS = { action: 'action', code: 'code', consumer: 'consumer', sourceIp: 'source_ip', api: 'api', kind: 'kind' } as const

/** The `SELECT` counting events by `query.by`, and its values; `placeholder(n)` as for the WHERE clause. */
export function securityEventCountSql(query: SecurityEventCountQuery, placeholder: (n: number) => string): { sql: string; values: unknown[] } {
  const { where, values } = securityEventWhere({ limit: query.limit, since: query.since, until: query.until, kind: query.kind }, placeholder)
  const next = () => placeholder(values.length + 1)
  if (query.by === 'time') {
    const bucket = Math.min(Math.max(1, Math.floor(query.bucketMs ?? 60_000)), 366 * 86_400_000)
    // A literal, not a parameter: an integer column divided by an integer literal is integer
    // division in both dialects, where a bound number may be a float (the width is ours, an integer).
    const key = `(at / ${bucket}) * ${bucket}`
    return { sql: `SELECT ${key} AS key, COUNT(*) AS count FROM security_events ${where} GROUP BY 1 ORDER BY 1 LIMIT ${next()}`, values: [...values, query.limit] }
  }
  const column = GROUP_COLUMNS[query.by]
  return { sql: `SELECT ${column} AS key, COUNT(*) AS count FROM security_events ${where} GROUP BY ${column} ORDER BY count DESC, key LIMIT ${next()}`, values: [...values, query.limit] }
}

export function securityEventCountFromRow(row: Row): SecurityEventCount {
  const key = row.key
  return { key: typeof key === 'bigint' ? Number(key) : (key as string | number | null), count: Number(row.count) }
}
