/**
 * API keys issued by the gateway: `pcl_<id>_<secret>`. The id (12 base32 characters, 60 bits)
 * is public — it names the key in lists and logs without revealing it; the secret is 256 bits.
 * Only the SHA-256 of the whole key is stored: keys are random and long, so a slow password
 * hash would add latency to every request without adding strength. Hashes are compared in
 * constant time. Look-ups are cached for `cacheSec`, which bounds how long a revocation takes
 * to reach every node.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ApiKeyRecord, Consumer, DataStore } from '../stores/data-store.js'
import { ExpiringCache } from './expiring-cache.js'
import { TokenRejectedError } from './jwt-verifier.js'

const KEY_FORMAT = /^pcl_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
const CACHE_ENTRIES = 50_000

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
  return createHash('sha256').update(key).digest()
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

export class ApiKeyAuthenticator {
  readonly #store: DataStore
  readonly #clock: { now(): number }
  readonly #cacheMs: number
  readonly #cache = new ExpiringCache<{ record: ApiKeyRecord; consumer: Consumer } | null>(CACHE_ENTRIES)

  constructor(store: DataStore, cacheSec: number, clock: { now(): number }) {
    this.#store = store
    this.#cacheMs = cacheSec * 1000
    this.#clock = clock
  }

  /** The key's record and owner; throws TokenRejectedError for unknown, wrong, revoked or expired keys. */
  async authenticate(presented: string): Promise<AuthenticatedKey> {
    const id = apiKeyId(presented)
    if (id === null) throw new TokenRejectedError('malformed', 'not an API key')
    const now = this.#clock.now()
    let found = this.#cache.get(id, now)
    if (found === undefined) {
      const record = await this.#store.getApiKey(id)
      const consumer = record === null ? null : await this.#store.getConsumer(record.consumerId)
      found = record === null || consumer === null ? null : { record, consumer }
      this.#cache.set(id, found, now + this.#cacheMs, now)
    }
    if (found === null) throw new TokenRejectedError('unknown_key', 'no such API key')
    const expected = Buffer.from(found.record.hash, 'hex')
    const actual = hashKey(presented)
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new TokenRejectedError('wrong_secret', 'API key does not match')
    if (found.record.revokedAt !== null && found.record.revokedAt <= now) throw new TokenRejectedError('revoked', 'API key revoked')
    if (found.record.expiresAt !== null && found.record.expiresAt <= now) throw new TokenRejectedError('expired', 'API key expired')
    return found
  }

  /** Forgets cached look-ups (the admin API on this node, after a change). */
  forget(id?: string): void {
    if (id === undefined) this.#cache.clear()
    else this.#cache.delete(id)
  }
}
