/**
 * The durable data store behind consumers, API keys and the admin audit log. One interface,
 * two implementations (embedded SQLite, PostgreSQL for several gateway nodes) that pass the
 * same test suite. Times are milliseconds since the epoch.
 */

export interface Consumer {
  readonly id: string
  readonly name: string
  readonly roles: readonly string[]
  readonly scopes: readonly string[]
  readonly plan: string | null
  readonly metadata: Readonly<Record<string, unknown>>
  readonly createdAt: number
  readonly updatedAt: number
}

export type NewConsumer = Pick<Consumer, 'id' | 'name'> & Partial<Pick<Consumer, 'roles' | 'scopes' | 'plan' | 'metadata'>>
export type ConsumerPatch = Partial<Pick<Consumer, 'name' | 'roles' | 'scopes' | 'plan' | 'metadata'>>

export interface ApiKeyRecord {
  /** Public id, also the readable part of the key (`pcl_<id>_…`). */
  readonly id: string
  readonly consumerId: string
  /** Hex SHA-256 of the whole key; the key itself is never stored. */
  readonly hash: string
  readonly label: string | null
  /** Scopes of this key; empty means the consumer's. */
  readonly scopes: readonly string[]
  readonly plan: string | null
  readonly createdAt: number
  readonly expiresAt: number | null
  readonly revokedAt: number | null
  /** The key this one replaced by rotation. */
  readonly rotatedFrom: string | null
}

/** A revoked key with its owner: enough for a gateway to refuse the key as revoked without asking again. */
export interface RevokedApiKey {
  readonly record: ApiKeyRecord
  readonly consumer: Consumer
}

/** Where a page of revocations starts: strictly after this (revokedAt, id), in that order. */
export interface RevocationCursor {
  readonly revokedAt: number
  /** '' for every key revoked at `revokedAt` or later. */
  readonly id: string
}

export interface RevocationPage {
  /** The store's own clock when it read the page: what a poller's next window is measured from. */
  readonly storeNow: number
  /** In (revokedAt, id) order; as many as the limit when there may be more. */
  readonly keys: readonly RevokedApiKey[]
}

export interface AuditEntry {
  readonly id: number
  readonly at: number
  /** Who: `admin-token:<fingerprint>` or `cli:<user>`. */
  readonly actor: string
  readonly action: string
  readonly target: string
  /** From where: a client address or `cli@<host>`. */
  readonly source: string
  readonly details: Readonly<Record<string, unknown>>
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>

/** A security event as the store keeps it: the columns it is searched by, and the whole document. */
export interface SecurityEventRow {
  /** When it happened, ms since the epoch. */
  readonly at: number
  /** The event's own id (a UUID). */
  readonly eventId: string
  readonly kind: string
  readonly categories: readonly string[]
  readonly action: string
  readonly outcome: string
  readonly severity: number
  readonly code: string | null
  readonly sourceIp: string | null
  /** The principal's id. */
  readonly consumer: string | null
  readonly api: string | null
  /** The whole event (ECS document). */
  readonly document: Readonly<Record<string, unknown>>
}

export interface StoredSecurityEvent {
  /** The store's sequence number: newest first, and the cursor of the next page. */
  readonly id: number
  readonly document: Readonly<Record<string, unknown>>
}

/** A page of events, newest first; every filter given must match. */
export interface SecurityEventQuery {
  readonly limit: number
  /** Only events with a store id below this (the next page). */
  readonly before?: number
  /** Only events with a store id above this (what a live view has not seen yet). */
  readonly after?: number
  /** ms since the epoch, inclusive. */
  readonly since?: number
  /** ms since the epoch, exclusive. */
  readonly until?: number
  readonly kind?: string
  readonly category?: string
  readonly action?: string
  readonly code?: string
  readonly sourceIp?: string
  readonly consumer?: string
  readonly api?: string
  readonly minSeverity?: number
  /** Text anywhere in the event's document (case-insensitive for ASCII); a scan, so bound it with `since`. */
  readonly text?: string
}

/** What events are counted by: a searchable column, or time buckets of `bucketMs`. */
export type SecurityEventGroup = 'action' | 'code' | 'consumer' | 'sourceIp' | 'api' | 'kind' | 'time'

/** Counts of the events in a time range, grouped. */
export interface SecurityEventCountQuery {
  readonly by: SecurityEventGroup
  /** ms since the epoch, inclusive. */
  readonly since: number
  /** ms since the epoch, exclusive. */
  readonly until?: number
  readonly kind?: string
  /** For `by: 'time'`: the bucket width. */
  readonly bucketMs?: number
  /** At most this many groups: the largest counts first, or for `time` the earliest buckets. */
  readonly limit: number
}

export interface SecurityEventCount {
  /** The column's value (null when the events have none), or a bucket's start (ms) for `time`. */
  readonly key: string | number | null
  readonly count: number
}

export class DataConflictError extends Error {}

/** Calls of a deprecated API version or operation by one consumer (`anonymous` without credentials). */
export interface DeprecatedUsageRow {
  readonly api: string
  readonly version: string | null
  /** `METHOD /template`, or `*` for a version deprecated as a whole and called on a path without a route. */
  readonly operation: string
  readonly consumer: string
  readonly calls: number
  /** ms since the epoch */
  readonly firstSeen: number
  readonly lastSeen: number
}

export interface DeprecatedUsageQuery {
  readonly api?: string
  /** Only consumers seen since (ms since the epoch). */
  readonly since?: number
  readonly limit: number
}

export interface DataStore {
  readonly kind: 'sqlite' | 'postgres'
  /** Applies pending schema migrations; safe to run from several nodes at once. */
  migrate(): Promise<void>
  ping(): Promise<void>

  createConsumer(consumer: NewConsumer, now: number): Promise<Consumer>
  getConsumer(id: string): Promise<Consumer | null>
  listConsumers(): Promise<Consumer[]>
  updateConsumer(id: string, patch: ConsumerPatch, now: number): Promise<Consumer | null>
  /** Deletes the consumer and its keys. */
  deleteConsumer(id: string): Promise<boolean>

  insertApiKey(record: ApiKeyRecord): Promise<void>
  getApiKey(id: string): Promise<ApiKeyRecord | null>
  listApiKeys(consumerId?: string): Promise<ApiKeyRecord[]>
  updateApiKey(id: string, change: { expiresAt?: number | null; revokedAt?: number | null }): Promise<ApiKeyRecord | null>
  /**
   * Keys revoked after `after`, at most `limit`, with their consumers, read through the index on
   * (revoked_at, id): how gateways learn revocations written by others (the CLI, another node).
   */
  listRevokedApiKeys(after: RevocationCursor, limit: number): Promise<RevocationPage>

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>
  /** Newest first. */
  listAudit(options: { limit: number; before?: number }): Promise<AuditEntry[]>

  appendSecurityEvents(rows: readonly SecurityEventRow[]): Promise<void>
  listSecurityEvents(query: SecurityEventQuery): Promise<StoredSecurityEvent[]>
  /** Events counted by a column or by time, read through the `at` index. */
  countSecurityEvents(query: SecurityEventCountQuery): Promise<SecurityEventCount[]>
  /**
   * Deletes at most `maxRows` of the oldest events that are older than `olderThan` or beyond the
   * newest `keep`: called again and again, so no single call holds the store for long. Returns how
   * many it deleted.
   */
  pruneSecurityEvents(olderThan: number, keep: number, maxRows: number): Promise<number>
  /** Adds calls (summed, first and last seen kept); answers, by row, whether the consumer had never called that operation. */
  recordDeprecatedUsage(rows: readonly DeprecatedUsageRow[]): Promise<readonly boolean[]>
  /** Most recently seen first. */
  listDeprecatedUsage(query: DeprecatedUsageQuery): Promise<DeprecatedUsageRow[]>

  close(): Promise<void>
}
