/** PostgreSQL data store (`pg`), shared by several gateway nodes. */
import pg from 'pg'
import type { ApiKeyRecord, AuditEntry, Consumer, ConsumerPatch, DataStore, DeprecatedUsageQuery, DeprecatedUsageRow, NewAuditEntry, NewConsumer, RevocationCursor, RevocationPage, SecurityEventCount, SecurityEventCountQuery, SecurityEventQuery, SecurityEventRow, StoredSecurityEvent } from './data-store.js'
import { DataConflictError } from './data-store.js'
import { MIGRATIONS } from './migrations.js'
import { SECURITY_EVENT_COLUMNS, securityEventCountFromRow, securityEventCountSql, securityEventValues, securityEventWhere, storedSecurityEventFromRow } from './security-event-sql.js'
import { REVOKED_CONSUMER_COLUMNS, apiKeyFromRow, auditFromRow, consumerFromRow, deprecatedUsageFromRow, revokedKeyFromRow, type Row } from './rows.js'

// Any constant: nodes starting together take turns migrating.
const MIGRATION_LOCK = 0x70637573

export class PostgresStore implements DataStore {
  readonly kind = 'postgres'
  readonly #pool: pg.Pool

  constructor(url: string) {
    // query_timeout: a store that stops answering (not only one that refuses) must fail a look-up, not hang it.
    this.#pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000, query_timeout: 5000 })
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.#pool.on('error', () => undefined)
  }

  async #query(text: string, values: unknown[] = []): Promise<Row[]> {
    const result = await this.#pool.query(text, values)
    return result.rows as Row[]
  }

  async migrate(): Promise<void> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      await client.query('CREATE TABLE IF NOT EXISTS portcullis_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)')
      const applied = new Set((await client.query('SELECT version FROM portcullis_migrations')).rows.map((r: Row) => Number(r.version)))
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue
        await client.query(migration.postgres)
        await client.query('INSERT INTO portcullis_migrations (version, description, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.description, Date.now()])
      }
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      client.release()
    }
  }

  async ping(): Promise<void> {
    await this.#query('SELECT 1')
  }

  async createConsumer(consumer: NewConsumer, now: number): Promise<Consumer> {
    try {
      const rows = await this.#query(
        'INSERT INTO consumers (id, name, roles, scopes, plan, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *',
        [consumer.id, consumer.name, JSON.stringify(consumer.roles ?? []), JSON.stringify(consumer.scopes ?? []), consumer.plan ?? null, JSON.stringify(consumer.metadata ?? {}), now],
      )
      return consumerFromRow(rows[0] as Row)
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new DataConflictError(`consumer ${consumer.id} already exists`)
      throw error
    }
  }

  async getConsumer(id: string): Promise<Consumer | null> {
    const rows = await this.#query('SELECT * FROM consumers WHERE id = $1', [id])
    return rows[0] === undefined ? null : consumerFromRow(rows[0])
  }

  async listConsumers(): Promise<Consumer[]> {
    return (await this.#query('SELECT * FROM consumers ORDER BY id')).map(consumerFromRow)
  }

  async updateConsumer(id: string, patch: ConsumerPatch, now: number): Promise<Consumer | null> {
    const current = await this.getConsumer(id)
    if (current === null) return null
    const next = { ...current, ...patch }
    const rows = await this.#query('UPDATE consumers SET name = $2, roles = $3, scopes = $4, plan = $5, metadata = $6, updated_at = $7 WHERE id = $1 RETURNING *', [
      id,
      next.name,
      JSON.stringify(next.roles),
      JSON.stringify(next.scopes),
      next.plan,
      JSON.stringify(next.metadata),
      now,
    ])
    return rows[0] === undefined ? null : consumerFromRow(rows[0])
  }

  async deleteConsumer(id: string): Promise<boolean> {
    return (await this.#query('DELETE FROM consumers WHERE id = $1 RETURNING id', [id])).length > 0
  }

  async insertApiKey(record: ApiKeyRecord): Promise<void> {
    await this.#query(
      'INSERT INTO api_keys (id, consumer_id, hash, label, scopes, plan, created_at, expires_at, revoked_at, rotated_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
      [record.id, record.consumerId, record.hash, record.label, JSON.stringify(record.scopes), record.plan, record.createdAt, record.expiresAt, record.revokedAt, record.rotatedFrom],
    )
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const rows = await this.#query('SELECT * FROM api_keys WHERE id = $1', [id])
    return rows[0] === undefined ? null : apiKeyFromRow(rows[0])
  }

  async listApiKeys(consumerId?: string): Promise<ApiKeyRecord[]> {
    const rows =
      consumerId === undefined
        ? await this.#query('SELECT * FROM api_keys ORDER BY created_at, id')
        : await this.#query('SELECT * FROM api_keys WHERE consumer_id = $1 ORDER BY created_at, id', [consumerId])
    return rows.map(apiKeyFromRow)
  }

  async updateApiKey(id: string, change: { expiresAt?: number | null; revokedAt?: number | null }): Promise<ApiKeyRecord | null> {
    const current = await this.getApiKey(id)
    if (current === null) return null
    const rows = await this.#query('UPDATE api_keys SET expires_at = $2, revoked_at = $3 WHERE id = $1 RETURNING *', [
      id,
      change.expiresAt === undefined ? current.expiresAt : change.expiresAt,
      change.revokedAt === undefined ? current.revokedAt : change.revokedAt,
    ])
    return rows[0] === undefined ? null : apiKeyFromRow(rows[0])
  }

  async listRevokedApiKeys(after: RevocationCursor, limit: number): Promise<RevocationPage> {
    // One round trip: the server's clock (now(): the transaction's start, here the statement's, so
    // not after the snapshot the rows come from) on a row of its own, joined with the page, which
    // may be empty.
    const rows = await this.#query(
      `SELECT (extract(epoch FROM now()) * 1000)::bigint AS store_now, page.* FROM (SELECT 1) AS one LEFT JOIN LATERAL (
         SELECT k.*, ${REVOKED_CONSUMER_COLUMNS} FROM api_keys k JOIN consumers c ON c.id = k.consumer_id
         WHERE k.revoked_at IS NOT NULL AND (k.revoked_at, k.id) > ($1, $2) ORDER BY k.revoked_at, k.id LIMIT $3) AS page ON true`,
      [after.revokedAt, after.id, limit],
    )
    const storeNow = Number(rows[0]?.store_now)
    return { storeNow, keys: rows.filter((row) => row.id !== null).map(revokedKeyFromRow) }
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const rows = await this.#query('INSERT INTO audit_log (at, actor, action, target, source, details) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *', [
      entry.at,
      entry.actor,
      entry.action,
      entry.target,
      entry.source,
      JSON.stringify(entry.details),
    ])
    return auditFromRow(rows[0] as Row)
  }

  async listAudit(options: { limit: number; before?: number }): Promise<AuditEntry[]> {
    const rows =
      options.before === undefined
        ? await this.#query('SELECT * FROM audit_log ORDER BY id DESC LIMIT $1', [options.limit])
        : await this.#query('SELECT * FROM audit_log WHERE id < $2 ORDER BY id DESC LIMIT $1', [options.limit, options.before])
    return rows.map(auditFromRow)
  }

  async appendSecurityEvents(rows: readonly SecurityEventRow[]): Promise<void> {
    if (rows.length === 0) return
    // One multi-row INSERT per batch: one round trip.
    const width = SECURITY_EVENT_COLUMNS.length
    const tuples = rows.map((_, r) => `(${SECURITY_EVENT_COLUMNS.map((__, c) => `$${r * width + c + 1}`).join(', ')})`)
    await this.#query(`INSERT INTO security_events (${SECURITY_EVENT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, rows.flatMap(securityEventValues))
  }

  async listSecurityEvents(query: SecurityEventQuery): Promise<StoredSecurityEvent[]> {
    const { where, values } = securityEventWhere(query, (n) => `$${n}`, 'ILIKE')
    const rows = await this.#query(`SELECT id, document FROM security_events ${where} ORDER BY id DESC LIMIT $${values.length + 1}`, [...values, query.limit])
    return rows.map(storedSecurityEventFromRow)
  }

  async countSecurityEvents(query: SecurityEventCountQuery): Promise<SecurityEventCount[]> {
    const { sql, values } = securityEventCountSql(query, (n) => `$${n}`)
    const counts = (await this.#query(sql, values)).map(securityEventCountFromRow)
    // BIGINT arrives as a string from pg.
    return query.by === 'time' ? counts.map((c) => ({ key: Number(c.key), count: c.count })) : counts
  }

  async pruneSecurityEvents(olderThan: number, keep: number, maxRows: number): Promise<number> {
    const rows = await this.#query(
      `DELETE FROM security_events WHERE id IN (
         SELECT id FROM security_events
         WHERE at < $1 OR id <= COALESCE((SELECT id FROM security_events ORDER BY id DESC LIMIT 1 OFFSET $2), 0)
         ORDER BY id LIMIT $3) RETURNING id`,
      [olderThan, keep, maxRows],
    )
    return rows.length
  }

  /** One multi-row statement: all rows or none (a failed batch retried whole is never counted twice). */
  async recordDeprecatedUsage(rows: readonly DeprecatedUsageRow[]): Promise<readonly boolean[]> {
    if (rows.length === 0) return []
    const tuples = rows.map((_, r) => `(${[1, 2, 3, 4, 5, 6, 7].map((c) => `$${r * 7 + c}`).join(', ')})`)
    const result = await this.#query(
      `INSERT INTO deprecated_usage (api, operation, consumer, version, calls, first_seen, last_seen) VALUES ${tuples.join(', ')}
       ON CONFLICT (api, operation, consumer) DO UPDATE SET calls = deprecated_usage.calls + EXCLUDED.calls, version = EXCLUDED.version,
         first_seen = LEAST(deprecated_usage.first_seen, EXCLUDED.first_seen), last_seen = GREATEST(deprecated_usage.last_seen, EXCLUDED.last_seen)
       RETURNING api, operation, consumer, (xmax = 0) AS inserted`,
      rows.flatMap((row) => [row.api, row.operation, row.consumer, row.version, row.calls, row.firstSeen, row.lastSeen]),
    )
    const inserted = new Map(result.map((r) => [`${String(r.api)}\u0000${String(r.operation)}\u0000${String(r.consumer)}`, r.inserted === true]))
    return rows.map((row) => inserted.get(`${row.api}\u0000${row.operation}\u0000${row.consumer}`) === true)
  }

  async listDeprecatedUsage(query: DeprecatedUsageQuery): Promise<DeprecatedUsageRow[]> {
    const rows = await this.#query('SELECT * FROM deprecated_usage WHERE ($1::text IS NULL OR api = $1) AND last_seen >= $2 ORDER BY last_seen DESC LIMIT $3', [
      query.api ?? null,
      query.since ?? 0,
      query.limit,
    ])
    return rows.map(deprecatedUsageFromRow)
  }

  async close(): Promise<void> {
    await this.#pool.end()
  }
}
