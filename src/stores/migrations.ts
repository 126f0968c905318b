/**
 * Versioned schema migrations, one list per dialect; each version runs once, in order, inside a
 * transaction, and is recorded in `portcullis_migrations`. Append new versions; never edit old ones.
 */
export interface Migration {
  readonly version: number
  readonly description: string
  readonly sqlite: string
  readonly postgres: string
}

/** The dashboard's and `GET /events`' searches: newest by time, by consumer, by client address, by API. */
const SECURITY_EVENT_INDEXES = `
      CREATE INDEX security_events_at ON security_events(at);
      CREATE INDEX security_events_consumer ON security_events(consumer, at);
      CREATE INDEX security_events_source_ip ON security_events(source_ip, at);
      CREATE INDEX security_events_api ON security_events(api, at);`

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'consumers, API keys, append-only admin audit log',
    sqlite: `
      CREATE TABLE consumers (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, roles TEXT NOT NULL, scopes TEXT NOT NULL, plan TEXT,
        metadata TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, consumer_id TEXT NOT NULL REFERENCES consumers(id) ON DELETE CASCADE, hash TEXT NOT NULL,
        label TEXT, scopes TEXT NOT NULL, plan TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER,
        rotated_from TEXT);
      CREATE INDEX api_keys_consumer ON api_keys(consumer_id);
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        target TEXT NOT NULL, source TEXT NOT NULL, details TEXT NOT NULL);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`,
    postgres: `
      CREATE TABLE consumers (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, roles TEXT NOT NULL, scopes TEXT NOT NULL, plan TEXT,
        metadata TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, consumer_id TEXT NOT NULL REFERENCES consumers(id) ON DELETE CASCADE, hash TEXT NOT NULL,
        label TEXT, scopes TEXT NOT NULL, plan TEXT, created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT,
        rotated_from TEXT);
      CREATE INDEX api_keys_consumer ON api_keys(consumer_id);
      CREATE TABLE audit_log (
        id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        target TEXT NOT NULL, source TEXT NOT NULL, details TEXT NOT NULL);
      CREATE FUNCTION portcullis_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION portcullis_audit_append_only();`,
  },
  {
    version: 2,
    description: 'index of revoked API keys, for gateways polling for revocations',
    // Partial: only revoked keys are in it, so it stays small however many keys are issued.
    sqlite: 'CREATE INDEX IF NOT EXISTS api_keys_revoked ON api_keys(revoked_at, id) WHERE revoked_at IS NOT NULL;',
    postgres: 'CREATE INDEX IF NOT EXISTS api_keys_revoked ON api_keys(revoked_at, id) WHERE revoked_at IS NOT NULL;',
  },
  {
    version: 3,
    description: 'security events for the dashboard and GET /events, searchable by time, consumer, client address and API',
    sqlite: `
      CREATE TABLE security_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, event_id TEXT NOT NULL, kind TEXT NOT NULL,
        categories TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL, severity INTEGER NOT NULL, code TEXT,
        source_ip TEXT, consumer TEXT, api TEXT, document TEXT NOT NULL);
      ${SECURITY_EVENT_INDEXES}`,
    postgres: `
      CREATE TABLE security_events (
        id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, event_id TEXT NOT NULL, kind TEXT NOT NULL,
        categories TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL, severity INTEGER NOT NULL, code TEXT,
        source_ip TEXT, consumer TEXT, api TEXT, document TEXT NOT NULL);
      ${SECURITY_EVENT_INDEXES}`,
  },
  {
    version: 4,
    description: 'who still calls deprecated APIs and operations: calls, first and last seen, by consumer',
    sqlite: `
      CREATE TABLE deprecated_usage (
        api TEXT NOT NULL, operation TEXT NOT NULL, consumer TEXT NOT NULL, version TEXT, calls INTEGER NOT NULL,
        first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY (api, operation, consumer));
      CREATE INDEX deprecated_usage_last_seen ON deprecated_usage(last_seen);`,
    postgres: `
      CREATE TABLE deprecated_usage (
        api TEXT NOT NULL, operation TEXT NOT NULL, consumer TEXT NOT NULL, version TEXT, calls BIGINT NOT NULL,
        first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, PRIMARY KEY (api, operation, consumer));
      CREATE INDEX deprecated_usage_last_seen ON deprecated_usage(last_seen);`,
  },
]
