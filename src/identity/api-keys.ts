/**
 * API keys issued by the gateway: `pcl_<id>_<secret>`. The id (12 base32 characters, 60 bits)
 * is public — it names the key in lists and logs without revealing it; the secret is 256 bits.
 * Only the SHA-256 of the whole key is stored: keys are random and long, so a slow password
 * hash would add latency to every request without adding strength. Hashes are compared in
 * constant time. Look-ups are cached for `cacheSec`, which bounds how long a revocation takes
 * to reach every node whose store answers; while the store is unreachable or slow, a key seen
 * valid keeps working `staleIfErrorSec` longer, but a key this node has seen revoked or expired
 * stays refused (see StoreCache), and so does one revoked before the outage: every process polls
 * the store for revocations (see RevocationPoller).
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ApiKeyRecord, Consumer, DataStore, RevokedApiKey } from '../stores/data-store.js'
import { StoreCache, type StoreCacheOptions } from './store-cache.js'
import { TokenRejectedError } from './jwt-verifier.js'

const KEY_FORMAT = /^pcl_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

export interface AuthenticatedKey {
  readonly record: ApiKeyRecord
  readonly consumer: Consumer
}

export interface NewKeyOptions {
  label?: string | null
  scopes?: readonly string[]
  plan?: string | null
  expiresAt?: number | null
}

function hashKey(key: string): Buffer {
  return hash('sha256', key, 'buffer')
}

function randomId(): string {
  const bytes = randomBytes(12)
  let id = ''
  for (const byte of bytes) id += BASE32.charAt(byte & 31)
  return id
}

/** A new key and its record; the key is returned once and never stored. */
export function generateApiKey(consumerId: string, options: NewKeyOptions, now: number, rotatedFrom: string | null = null): { key: string; record: ApiKeyRecord } {
  const id = randomId()
  const key = `pcl_${id}_${randomBytes(32).toString('base64url')}`
  return {
    key,
    record: {
      id,
      consumerId,
      hash: hashKey(key).toString('hex'),
      label: options.label ?? null,
      scopes: options.scopes ?? [],
      plan: options.plan ?? null,
      createdAt: now,
      expiresAt: options.expiresAt ?? null,
      revokedAt: null,
      rotatedFrom,
    },
  }
}

/** The public id of a well-formed key, or null. */
export function apiKeyId(key: string): string | null {
  return KEY_FORMAT.exec(key)?.[1] ?? null
}

interface CachedKey extends AuthenticatedKey {
  /** The stored hash, decoded once. */
  readonly hash: Buffer
}

/**
 * Keys whose hash already matched, by the key as presented, each with the cache entry it matched:
 * a repeated key skips parsing and hashing (~3 µs of a request's ~100). A key that never matched
 * never enters, and a hit counts only while the cache still holds that same entry, so a look-up,
 * a revocation or a `forget` ends it. A Map finds an entry by the string's hash (randomly seeded
 * per process) before comparing contents, so how long a wrong key takes says nothing of a right
 * one.
 */
const MAX_VERIFIED = 10_000

/** Revoked or expired: no later answer may make the key good again (revocation is final; rotation only moves expiry earlier). */
function refusedForGood(record: ApiKeyRecord, now: number): boolean {
  return (record.revokedAt !== null && record.revokedAt <= now) || (record.expiresAt !== null && record.expiresAt <= now)
}

/** Checks presented keys against the data store, through a StoreCache of look-ups by key id. */
export class ApiKeyAuthenticator {
  readonly #store: DataStore
  readonly #clock: { now(): number }
  readonly #cache: StoreCache<CachedKey>
  readonly #verified = new Map<string, { readonly id: string; readonly found: CachedKey }>()

  constructor(store: DataStore, options: StoreCacheOptions, clock: { now(): number }) {
    this.#store = store
    this.#cache = new StoreCache<CachedKey>(options, clock, { isFinal: (found, now) => refusedForGood(found.record, now) })
    this.#clock = clock
  }

  /** The key's record and owner; throws TokenRejectedError for unknown, wrong, revoked or expired keys. */
  async authenticate(presented: string): Promise<AuthenticatedKey> {
    const id = apiKeyId(presented)
    if (id === null) throw new TokenRejectedError('malformed', 'not an API key')
    return this.#check(await this.#cache.get(id, () => this.#lookUp(id)), presented)
  }

  /** A decision from the cache without waiting, or undefined when the store must be asked. */
  cached(presented: string): AuthenticatedKey | undefined {
    const verified = this.#verified.get(presented)
    if (verified !== undefined && this.#cache.fresh(verified.id) === verified.found) return this.#stillValid(verified.found)
    const id = apiKeyId(presented)
    if (id === null) throw new TokenRejectedError('malformed', 'not an API key')
    const found = this.#cache.fresh(id)
    return found === undefined ? undefined : this.#check(found, presented)
  }

  async #lookUp(id: string): Promise<CachedKey | null> {
    const record = await this.#store.getApiKey(id)
    const consumer = record === null ? null : await this.#store.getConsumer(record.consumerId)
    return record === null || consumer === null ? null : { record, consumer, hash: Buffer.from(record.hash, 'hex') }
  }

  #check(found: CachedKey | null, presented: string): AuthenticatedKey {
    if (found === null) throw new TokenRejectedError('unknown_key', 'no such API key')
    const actual = hashKey(presented)
    if (found.hash.length !== actual.length || !timingSafeEqual(found.hash, actual)) throw new TokenRejectedError('wrong_secret', 'API key does not match')
    const valid = this.#stillValid(found)
    if (this.#verified.size >= MAX_VERIFIED) this.#verified.clear()
    this.#verified.set(presented, { id: found.record.id, found })
    return valid
  }

  #stillValid(found: CachedKey): AuthenticatedKey {
    const now = this.#clock.now()
    if (found.record.revokedAt !== null && found.record.revokedAt <= now) throw new TokenRejectedError('revoked', 'API key revoked')
    if (found.record.expiresAt !== null && found.record.expiresAt <= now) throw new TokenRejectedError('expired', 'API key expired')
    return found
  }

  /** The key was revoked (learnt from the store's list of revocations): refused from now on, even if never looked up here. */
  noteRevoked(revoked: RevokedApiKey): void {
    const { record, consumer } = revoked
    this.#cache.markFinal(record.id, { record, consumer, hash: Buffer.from(record.hash, 'hex') })
  }

  /**
   * The store changed for a key (no id: for any key), e.g. an admin revocation on this node or
   * broadcast to its workers: it is looked up again; a revocation already seen stays.
   */
  forget(id?: string): void {
    this.#cache.forget(id)
    if (id === undefined) this.#verified.clear()
    else for (const [presented, verified] of this.#verified) if (verified.id === id) this.#verified.delete(presented)
  }
}
