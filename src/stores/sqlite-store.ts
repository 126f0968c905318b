/**
 * Embedded SQLite data store (`better-sqlite3`, synchronous: each call is a few microseconds on
 * a local file, and the async interface keeps it interchangeable with PostgreSQL). WAL mode, so
 * a CLI process can write while the gateway reads.
 */
import Database from 'better-sqlite3'
import type { ApiKeyRecord, AuditEntry, Consumer, ConsumerPatch, DataStore, DeprecatedUsageQuery, DeprecatedUsageRow, NewAuditEntry, NewConsumer, RevocationCursor, RevocationPage, SecurityEventCount, SecurityEventCountQuery, SecurityEventQuery, SecurityEventRow, StoredSecurityEvent } from './data-store.js'
import { DataConflictError } from './data-store.js'
import { MIGRATIONS } from './migrations.js'
import { SECURITY_EVENT_COLUMNS, securityEventCountFromRow, securityEventCountSql, securityEventValues, securityEventWhere, storedSecurityEventFromRow } from './security-event-sql.js'
import { REVOKED_CONSUMER_COLUMNS, apiKeyFromRow, auditFromRow, consumerFromRow, deprecatedUsageFromRow, revokedKeyFromRow, type Row } from './rows.js'

export class SqliteStore implements DataStore {
  readonly kind = 'sqlite'
  readonly #db: Database.Database

  constructor(file: string) {
    this.#db = new Database(file)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('foreign_keys = ON')
    this.#db.pragma('busy_timeout = 5000')
  }

  #all(sql: string, ...values: unknown[]): Row[] {
    return this.#db.prepare(sql).all(...values) as Row[]
  }

  #get(sql: string, ...values: unknown[]): Row | undefined {
    return this.#db.prepare(sql).get(...values) as Row | undefined
  }

  migrate(): Promise<void> {
    const db = this.#db
    db.exec('CREATE TABLE IF NOT EXISTS portcullis_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)')
    // IMMEDIATE takes the write lock first: two processes starting together do not both migrate.
    db.transaction(() => {
      const applied = new Set(this.#all('SELECT version FROM portcullis_migrations').map((r) => Number(r.version)))
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue
        db.exec(migration.sqlite)
        db.prepare('INSERT INTO portcullis_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.description, Date.now())
      }
    }).immediate()
    return Promise.resolve()
  }

  ping(): Promise<void> {
    this.#get('SELECT 1')
    return Promise.resolve()
  }

  createConsumer(consumer: NewConsumer, now: number): Promise<Consumer> {
    try {
      const row = this.#get(
        'INSERT INTO consumers (id, name, roles, scopes, plan, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
        consumer.id,
        consumer.name,
        JSON.stringify(consumer.roles ?? []),
        JSON.stringify(consumer.scopes ?? []),
        consumer.plan ?? null,
        JSON.stringify(consumer.metadata ?? {}),
        now,
        now,
      )
      return Promise.resolve(consumerFromRow(row as Row))
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return Promise.reject(new DataConflictError(`consumer ${consumer.id} already exists`))
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
  }

  getConsumer(id: string): Promise<Consumer | null> {
    const row = this.#get('SELECT * FROM consumers WHERE id = ?', id)
    return Promise.resolve(row === undefined ? null : consumerFromRow(row))
  }

  listConsumers(): Promise<Consumer[]> {
    return Promise.resolve(this.#all('SELECT * FROM consumers ORDER BY id').map(consumerFromRow))
  }

  async updateConsumer(id: string, patch: ConsumerPatch, now: number): Promise<Consumer | null> {
    const current = await this.getConsumer(id)
    if (current === null) return null
    const next = { ...current, ...patch }
    const row = this.#get(
      'UPDATE consumers SET name = ?, roles = ?, scopes = ?, plan = ?, metadata = ?, updated_at = ? WHERE id = ? RETURNING *',
      next.name,
      JSON.stringify(next.roles),
      JSON.stringify(next.scopes),
      next.plan,
      JSON.stringify(next.metadata),
      now,
      id,
    )
    return row === undefined ? null : consumerFromRow(row)
  }

  deleteConsumer(id: string): Promise<boolean> {
    return Promise.resolve(this.#db.prepare('DELETE FROM consumers WHERE id = ?').run(id).changes > 0)
  }

  insertApiKey(record: ApiKeyRecord): Promise<void> {
    this.#db
      .prepare('INSERT INTO api_keys (id, consumer_id, hash, label, scopes, plan, created_at, expires_at, revoked_at, rotated_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(record.id, record.consumerId, record.hash, record.label, JSON.stringify(record.scopes), record.plan, record.createdAt, record.expiresAt, record.revokedAt, record.rotatedFrom)
    return Promise.resolve()
  }

  getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const row = this.#get('SELECT * FROM api_keys WHERE id = ?', id)
    return Promise.resolve(row === undefined ? null : apiKeyFromRow(row))
  }

  listApiKeys(consumerId?: string): Promise<ApiKeyRecord[]> {
    const rows =
      consumerId === undefined
        ? this.#all('SELECT * FROM api_keys ORDER BY created_at, id')
        : this.#all('SELECT * FROM api_keys WHERE consumer_id = ? ORDER BY created_at, id', consumerId)
    return Promise.resolve(rows.map(apiKeyFromRow))
  }

  async updateApiKey(id: string, change: { expiresAt?: number | null; revokedAt?: number | null }): Promise<ApiKeyRecord | null> {
    const current = await this.getApiKey(id)
    if (current === null) return null
    const row = this.#get(
      'UPDATE api_keys SET expires_at = ?, revoked_at = ? WHERE id = ? RETURNING *',
      change.expiresAt === undefined ? current.expiresAt : change.expiresAt,
      change.revokedAt === undefined ? current.revokedAt : change.revokedAt,
      id,
    )
    return row === undefined ? null : apiKeyFromRow(row)
  }

  listRevokedApiKeys(after: RevocationCursor, limit: number): Promise<RevocationPage> {
    // A file on this host: the store's clock is this process's, read before the rows are.
    const storeNow = Date.now()
    const rows = this.#all(
      `SELECT k.*, ${REVOKED_CONSUMER_COLUMNS} FROM api_keys k JOIN consumers c ON c.id = k.consumer_id
       WHERE k.revoked_at IS NOT NULL AND (k.revoked_at, k.id) > (?, ?) ORDER BY k.revoked_at, k.id LIMIT ?`,
      after.revokedAt,
      after.id,
      limit,
    )
    return Promise.resolve({ storeNow, keys: rows.map(revokedKeyFromRow) })
  }

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const row = this.#get(
      'INSERT INTO audit_log (at, actor, action, target, source, details) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
      entry.at,
      entry.actor,
      entry.action,
      entry.target,
      entry.source,
      JSON.stringify(entry.details),
    )
    return Promise.resolve(auditFromRow(row as Row))
  }

  listAudit(options: { limit: number; before?: number }): Promise<AuditEntry[]> {
    const rows =
      options.before === undefined
        ? this.#all('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?', options.limit)
        : this.#all('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?', options.before, options.limit)
    return Promise.resolve(rows.map(auditFromRow))
  }

  appendSecurityEvents(rows: readonly SecurityEventRow[]): Promise<void> {
    const insert = this.#db.prepare(`INSERT INTO security_events (${SECURITY_EVENT_COLUMNS.join(', ')}) VALUES (${SECURITY_EVENT_COLUMNS.map(() => '?').join(', ')})`)
    // One transaction per batch: one fsync instead of one per event.
    this.#db.transaction(() => {
      for (const row of rows) insert.run(...securityEventValues(row))
    })()
    return Promise.resolve()
  }

  listSecurityEvents(query: SecurityEventQuery): Promise<StoredSecurityEvent[]> {
    const { where, values } = securityEventWhere(query, () => '?')
    return Promise.resolve(this.#all(`SELECT id, document FROM security_events ${where} ORDER BY id DESC LIMIT ?`, ...values, query.limit).map(storedSecurityEventFromRow))
  }

  countSecurityEvents(query: SecurityEventCountQuery): Promise<SecurityEventCount[]> {
    const { sql, values } = securityEventCountSql(query, () => '?')
    return Promise.resolve(this.#all(sql, ...values).map(securityEventCountFromRow))
  }

  pruneSecurityEvents(olderThan: number, keep: number, maxRows: number): Promise<number> {
    const newestKept = this.#get('SELECT id FROM security_events ORDER BY id DESC LIMIT 1 OFFSET ?', keep)
    const cutoff = newestKept === undefined ? 0 : Number(newestKept.id)
    const result = this.#db
      .prepare('DELETE FROM security_events WHERE id IN (SELECT id FROM security_events WHERE at < ? OR id <= ? ORDER BY id LIMIT ?)')
      .run(olderThan, cutoff, maxRows)
    return Promise.resolve(result.changes)
  }

  recordDeprecatedUsage(rows: readonly DeprecatedUsageRow[]): Promise<readonly boolean[]> {
    const insert = this.#db.prepare('INSERT OR IGNORE INTO deprecated_usage (api, operation, consumer, version, calls, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)')
    const update = this.#db.prepare(
      'UPDATE deprecated_usage SET calls = calls + ?, version = ?, first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) WHERE api = ? AND operation = ? AND consumer = ?',
    )
    return Promise.resolve(
      this.#db.transaction(() =>
        rows.map((row) => {
          if (insert.run(row.api, row.operation, row.consumer, row.version, row.calls, row.firstSeen, row.lastSeen).changes === 1) return true
          update.run(row.calls, row.version, row.firstSeen, row.lastSeen, row.api, row.operation, row.consumer)
          return false
        }),
      )(),
    )
  }

  listDeprecatedUsage(query: DeprecatedUsageQuery): Promise<DeprecatedUsageRow[]> {
    const rows = this.#all(
      'SELECT * FROM deprecated_usage WHERE (? IS NULL OR api = ?) AND last_seen >= ? ORDER BY last_seen DESC LIMIT ?',
      query.api ?? null,
      query.api ?? null,
      query.since ?? 0,
      query.limit,
    )
    return Promise.resolve(rows.map(deprecatedUsageFromRow))
  }

  close(): Promise<void> {
    this.#db.close()
    return Promise.resolve()
  }
}
