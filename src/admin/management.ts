/**
 * Changes to consumers and API keys, each written to the audit log (who, what, when, from
 * where) in the same call. Shared by the admin API and the CLI. Keys are returned once, at
 * creation or rotation; records never carry the key, and audit entries never carry a hash.
 */
import { generateApiKey, type NewKeyOptions } from '../identity/api-keys.js'
import { DataConflictError, type ApiKeyRecord, type AuditEntry, type Consumer, type ConsumerPatch, type DataStore, type NewAuditEntry, type NewConsumer } from '../stores/data-store.js'

export interface Actor {
  /** `admin-token:<fingerprint>` or `cli:<user>` */
  readonly actor: string
  /** client address or `cli@<host>` */
  readonly source: string
}

/** A key record as shown to operators: everything but the hash. */
export type PublicKeyRecord = Omit<ApiKeyRecord, 'hash'>

export class NotFoundError extends Error {}

/** The change conflicts with the current state (an id taken, a key already revoked). */
export class ConflictError extends Error {}

export function publicKey(record: ApiKeyRecord): PublicKeyRecord {
  const { hash: _hash, ...rest } = record
  return rest
}

export class Management {
  readonly #store: DataStore
  readonly #clock: { now(): number }
  readonly #onAudited: ((entry: NewAuditEntry) => void) | null

  /** `onAudited` hears of each change once its audit entry is written (the gateway makes it a security event). */
  constructor(store: DataStore, clock: { now(): number } = { now: () => Date.now() }, onAudited: ((entry: NewAuditEntry) => void) | null = null) {
    this.#store = store
    this.#clock = clock
    this.#onAudited = onAudited
  }

  async #audit(by: Actor, action: string, target: string, details: Record<string, unknown>): Promise<void> {
    const entry: NewAuditEntry = { at: this.#clock.now(), actor: by.actor, source: by.source, action, target, details }
    await this.#store.appendAudit(entry)
    this.#onAudited?.(entry)
  }

  /** Records an admin change made elsewhere (e.g. a rate-limit ban lifted) in the audit log. */
  recordChange(by: Actor, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
    return this.#audit(by, action, target, details)
  }

  listConsumers(): Promise<Consumer[]> {
    return this.#store.listConsumers()
  }

  async getConsumer(id: string): Promise<Consumer> {
    const consumer = await this.#store.getConsumer(id)
    if (consumer === null) throw new NotFoundError(`no consumer ${id}`)
    return consumer
  }

  async createConsumer(by: Actor, input: NewConsumer): Promise<Consumer> {
    let consumer: Consumer
    try {
      consumer = await this.#store.createConsumer(input, this.#clock.now())
    } catch (error) {
      if (error instanceof DataConflictError) throw new ConflictError(error.message, { cause: error })
      throw error
    }
    await this.#audit(by, 'consumer.create', consumer.id, { name: consumer.name, roles: consumer.roles, scopes: consumer.scopes, plan: consumer.plan })
    return consumer
  }

  async updateConsumer(by: Actor, id: string, patch: ConsumerPatch): Promise<Consumer> {
    const consumer = await this.#store.updateConsumer(id, patch, this.#clock.now())
    if (consumer === null) throw new NotFoundError(`no consumer ${id}`)
    await this.#audit(by, 'consumer.update', id, { ...patch })
    return consumer
  }

  async deleteConsumer(by: Actor, id: string): Promise<void> {
    if (!(await this.#store.deleteConsumer(id))) throw new NotFoundError(`no consumer ${id}`)
    await this.#audit(by, 'consumer.delete', id, {})
  }

  async listKeys(consumerId?: string): Promise<PublicKeyRecord[]> {
    return (await this.#store.listApiKeys(consumerId)).map(publicKey)
  }

  async getKey(id: string): Promise<PublicKeyRecord> {
    const record = await this.#store.getApiKey(id)
    if (record === null) throw new NotFoundError(`no API key ${id}`)
    return publicKey(record)
  }

  async createKey(by: Actor, consumerId: string, options: NewKeyOptions): Promise<{ key: string; record: PublicKeyRecord }> {
    await this.getConsumer(consumerId)
    const { key, record } = generateApiKey(consumerId, options, this.#clock.now())
    await this.#store.insertApiKey(record)
    await this.#audit(by, 'key.create', record.id, { consumer: consumerId, label: record.label, scopes: record.scopes, plan: record.plan, expiresAt: record.expiresAt })
    return { key, record: publicKey(record) }
  }

  /** A new key with the old one's owner, scopes and plan; the old one stays valid for `overlapMs`. */
  async rotateKey(by: Actor, id: string, overlapMs: number): Promise<{ key: string; record: PublicKeyRecord; previous: PublicKeyRecord }> {
    const old = await this.#store.getApiKey(id)
    if (old === null) throw new NotFoundError(`no API key ${id}`)
    if (old.revokedAt !== null) throw new ConflictError(`API key ${id} is revoked`)
    const now = this.#clock.now()
    const { key, record } = generateApiKey(old.consumerId, { label: old.label, scopes: old.scopes, plan: old.plan, expiresAt: old.expiresAt }, now, old.id)
    await this.#store.insertApiKey(record)
    const overlapEnds = now + overlapMs
    const previous = (await this.#store.updateApiKey(id, { expiresAt: old.expiresAt === null ? overlapEnds : Math.min(old.expiresAt, overlapEnds) })) as ApiKeyRecord
    await this.#audit(by, 'key.rotate', id, { replacement: record.id, oldKeyExpiresAt: previous.expiresAt })
    return { key, record: publicKey(record), previous: publicKey(previous) }
  }

  async revokeKey(by: Actor, id: string): Promise<PublicKeyRecord> {
    const current = await this.#store.getApiKey(id)
    if (current === null) throw new NotFoundError(`no API key ${id}`)
    if (current.revokedAt !== null) throw new ConflictError(`API key ${id} is already revoked`)
    const record = await this.#store.updateApiKey(id, { revokedAt: this.#clock.now() })
    if (record === null) throw new NotFoundError(`no API key ${id}`)
    await this.#audit(by, 'key.revoke', id, { consumer: record.consumerId })
    return publicKey(record)
  }

  listAudit(limit: number, before?: number): Promise<AuditEntry[]> {
    return this.#store.listAudit({ limit, before })
  }
}
