/**
 * ApiKeyAuthenticator over a real SQLite data store: a key whose hash matched is remembered by
 * the key as presented, and that memory never outlives what the cache knows — a wrong secret, a
 * revocation, an expiry, a `forget` or a fresh look-up all end it.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Management } from '../admin/management.js'
import type { DataStore } from '../stores/data-store.js'
import { openDataStore } from '../stores/open-data-store.js'
import { ApiKeyAuthenticator } from './api-keys.js'
import { TokenRejectedError } from './jwt-verifier.js'

const by = { actor: 'test', source: 'test' }

function rejection(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (error instanceof TokenRejectedError) return error.reason
    throw error
  }
  return 'accepted'
}

describe('API keys remembered once verified', () => {
  let dir: string
  let store: DataStore
  let management: Management
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-api-keys-'))
    store = await openDataStore(`sqlite:${join(dir, 'data.db')}`, dir)
    management = new Management(store)
    await management.createConsumer(by, { id: 'acme', name: 'Acme', scopes: [] })
  })
  after(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('a repeated key is answered from memory; a wrong secret under the same id never is', async () => {
    const clock = { now: () => Date.now() }
    const keys = new ApiKeyAuthenticator(store, { cacheSec: 60, staleIfErrorSec: 0 }, clock)
    const { key } = await management.createKey(by, 'acme', {})
    const first = await keys.authenticate(key)
    assert.equal(first.consumer.id, 'acme')
    assert.equal(keys.cached(key), first)
    assert.equal(keys.cached(key), first)
    const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`
    assert.equal(rejection(() => keys.cached(wrong)), 'wrong_secret')
    assert.equal(keys.cached(key), first, 'the right key still passes after a wrong one')
  })

  test('a revocation learnt from the store, a forget and an expiry end the memory at once', async () => {
    let now = Date.now()
    const keys = new ApiKeyAuthenticator(store, { cacheSec: 60, staleIfErrorSec: 0 }, { now: () => now })
    const revoked = await management.createKey(by, 'acme', {})
    await keys.authenticate(revoked.key)
    assert.equal(rejection(() => keys.cached(revoked.key)), 'accepted')
    const record = await management.revokeKey(by, revoked.record.id)
    const consumer = await store.getConsumer('acme')
    assert.ok(consumer !== null)
    keys.noteRevoked({ record: { ...record, hash: (await store.getApiKey(record.id))?.hash ?? '' }, consumer })
    now = Date.now() + 1
    assert.equal(rejection(() => keys.cached(revoked.key)), 'revoked')

    const forgotten = await management.createKey(by, 'acme', {})
    await keys.authenticate(forgotten.key)
    keys.forget(forgotten.record.id)
    assert.equal(keys.cached(forgotten.key), undefined, 'after a forget the store is asked again')

    const expiring = await management.createKey(by, 'acme', { expiresAt: now + 1000 })
    await keys.authenticate(expiring.key)
    assert.equal(rejection(() => keys.cached(expiring.key)), 'accepted')
    now += 2000
    assert.equal(rejection(() => keys.cached(expiring.key)), 'expired')
  })

  test('past the cache time the store is asked again, not the memory', async () => {
    let now = Date.now()
    const keys = new ApiKeyAuthenticator(store, { cacheSec: 1, staleIfErrorSec: 0 }, { now: () => now })
    const { key } = await management.createKey(by, 'acme', {})
    await keys.authenticate(key)
    now += 1500
    assert.equal(keys.cached(key), undefined)
  })
})
