/**
 * RevocationPoller against a scripted store on a fake clock: the window it asks for (opened behind
 * the store's clock, followed page by page through a burst), failures logged sparingly and never
 * thrown, one poll in flight, nothing after `close`.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Logger } from 'pino'
import type { RevocationCursor, RevocationPage, RevokedApiKey } from '../stores/data-store.js'
import { RevocationPoller } from './revocation-poller.js'

function revokedKey(id: string, revokedAt: number): RevokedApiKey {
  return {
    record: { id, consumerId: 'acme', hash: 'ab'.repeat(32), label: null, scopes: [], plan: null, createdAt: 0, expiresAt: null, revokedAt, rotatedFrom: null },
    consumer: { id: 'acme', name: 'Acme', roles: [], scopes: [], plan: null, metadata: {}, createdAt: 0, updatedAt: 0 },
  }
}

/** A store that records what it was asked and answers what the test queues (a page, an error, or a hang until `release`). */
function scriptedStore() {
  const asked: RevocationCursor[] = []
  const answers: (RevocationPage | Error | 'hang')[] = []
  let release: ((page: RevocationPage) => void) | null = null
  return {
    asked,
    answers,
    release: (page: RevocationPage) => release?.(page),
    listRevokedApiKeys(after: RevocationCursor, limit: number): Promise<RevocationPage> {
      assert.equal(limit, 2)
      asked.push(after)
      const answer = answers.shift() ?? { storeNow: 0, keys: [] }
      if (answer === 'hang') return new Promise((resolve) => (release = resolve))
      if (answer instanceof Error) throw answer // as the SQLite store does: synchronously
      return Promise.resolve(answer)
    },
  }
}

function setup(intervalMs = 1000) {
  const clock = { t: 1_000_000, now: () => clock.t }
  const store = scriptedStore()
  const revoked: string[] = []
  const logged: { level: string; fields: Record<string, unknown>; msg: string }[] = []
  const logger = {
    warn: (fields: Record<string, unknown>, msg: string) => logged.push({ level: 'warn', fields, msg }),
    info: (fields: Record<string, unknown>, msg: string) => logged.push({ level: 'info', fields, msg }),
  } as unknown as Logger
  const poller = new RevocationPoller({ store, clock, logger, onRevoked: (key) => revoked.push(key.record.id) }, { intervalMs, overlapMs: 60_000, pageSize: 2 })
  return { clock, store, revoked, logged, poller }
}

describe('RevocationPoller', () => {
  test('the window opens behind the clock, then behind the store’s clock at each poll; every key read is marked', async () => {
    const { clock, store, revoked, poller } = setup(3_600_000) // polls driven by hand, not by the timer
    store.answers.push({ storeNow: 5_000_000, keys: [revokedKey('a', 990_000)] }, { storeNow: 5_001_000, keys: [] })
    poller.start()
    clock.t += 1000
    await poller.poll()
    await poller.poll()
    poller.close()
    assert.deepEqual(revoked, ['a'])
    assert.deepEqual(store.asked, [
      { revokedAt: 1_000_000 - 60_000, id: '' },
      { revokedAt: 5_000_000 - 60_000, id: '' },
    ])
  })

  test('a full page is followed from its last key, then the window goes back behind the store’s clock', async () => {
    const { store, revoked, poller } = setup()
    store.answers.push(
      { storeNow: 2_000_000, keys: [revokedKey('a', 1_500_000), revokedKey('b', 1_500_000)] },
      { storeNow: 2_001_000, keys: [revokedKey('c', 1_990_000)] },
      { storeNow: 2_002_000, keys: [revokedKey('c', 1_990_000)] },
    )
    await poller.poll()
    await poller.poll()
    await poller.poll()
    assert.deepEqual(store.asked.slice(1), [
      { revokedAt: 1_500_000, id: 'b' },
      { revokedAt: 2_001_000 - 60_000, id: '' },
    ])
    assert.deepEqual(revoked, ['a', 'b', 'c', 'c'], 'a key read again is marked again (which changes nothing)')
  })

  test('failures keep the window, never throw, and are logged without stacks at most every 10 s with their count; recovery is logged once', async () => {
    const { clock, store, logged, poller } = setup()
    const down = new Error('connection refused')
    store.answers.push(down, down, down)
    await poller.poll()
    clock.t += 5_000
    await poller.poll()
    clock.t += 5_000
    await poller.poll()
    store.answers.push({ storeNow: 3_000_000, keys: [] }, { storeNow: 3_001_000, keys: [] })
    await poller.poll()
    await poller.poll()
    assert.deepEqual(new Set(store.asked.slice(0, 4).map((c) => c.revokedAt)), new Set([1_000_000 - 60_000]), 'the window waits for the store')
    assert.deepEqual(
      logged.map((l) => [l.level, l.fields]),
      [
        ['warn', { err: { message: 'connection refused' }, failedPolls: 1 }],
        ['warn', { err: { message: 'connection refused' }, failedPolls: 2 }],
        ['info', { failedPolls: 3 }],
      ],
    )
  })

  test('one poll in flight at a time; after close, a poll that ends marks nothing and logs nothing', async () => {
    const { store, revoked, logged, poller } = setup()
    store.answers.push('hang')
    const first = poller.poll()
    const second = poller.poll()
    assert.equal(store.asked.length, 1)
    poller.close()
    store.release({ storeNow: 2_000_000, keys: [revokedKey('a', 1_990_000)] })
    await Promise.all([first, second])
    assert.deepEqual([revoked, logged], [[], []])
    poller.start()
    await new Promise((resolve) => setTimeout(resolve, 30))
    assert.equal(store.asked.length, 1, 'a closed poller does not start again')
  })

  test('started, it polls every interval, the next poll only after the last one ended; close stops it', async () => {
    const { store, poller } = setup(10)
    store.answers.push({ storeNow: 2_000_000, keys: [] }, 'hang')
    poller.start()
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(store.asked.length, 2, 'no poll starts while one hangs')
    store.release({ storeNow: 2_001_000, keys: [] })
    await new Promise((resolve) => setTimeout(resolve, 100))
    poller.close()
    const polls = store.asked.length
    assert.ok(polls > 2, `${polls} polls`)
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(store.asked.length, polls)
  })
})
