/**
 * StoreCache on a fake clock with scripted store answers: freshness, coalescing, the separate
 * tiers (a flood of unknown ids, final answers, revocations marked final without a look-up),
 * stale answers while the store fails or hangs, and what `forget` keeps.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { StoreBusyError, StoreCache, type StoreCacheTuning } from './store-cache.js'

interface Key {
  readonly id: string
  readonly revoked: boolean
}

const good: Key = { id: 'k', revoked: false }
const revoked: Key = { id: 'k', revoked: true }

/** A store whose answers the test scripts: a value, an error, or a look-up that waits for `release`. */
function scriptedStore() {
  const held: { resolve: (value: Key | null) => void; reject: (error: Error) => void }[] = []
  const store = {
    reads: 0,
    answer: null as Key | null | Error | 'hang',
    read: (): Promise<Key | null> => {
      store.reads++
      const answer = store.answer
      if (answer === 'hang') return new Promise((resolve, reject) => held.push({ resolve, reject }))
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer)
    },
    /** Settles every held look-up. */
    release: (answer: Key | null | Error) => {
      for (const h of held.splice(0)) {
        if (answer instanceof Error) h.reject(answer)
        else h.resolve(answer)
      }
    },
  }
  return store
}

function setup(cacheSec: number, staleIfErrorSec: number, tuning: Partial<StoreCacheTuning<Key>> = {}) {
  const clock = { t: 1_000_000, now: () => clock.t }
  const staleErrors: unknown[] = []
  const cache = new StoreCache<Key>({ cacheSec, staleIfErrorSec, onStale: (error) => staleErrors.push(error) }, clock, { isFinal: (k) => k.revoked, ...tuning })
  return { clock, cache, staleErrors, store: scriptedStore() }
}

/** `promise`, or a failure if it has not settled within `ms` (a look-up that waits on a hung store). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

const down = new Error('connection refused')

describe('StoreCache', () => {
  test('a look-up is fresh for cacheSec; concurrent look-ups of one id share one read', async () => {
    const { clock, cache, store } = setup(5, 60)
    store.answer = good
    const answers = await Promise.all([cache.get('k', store.read), cache.get('k', store.read), cache.get('k', store.read)])
    assert.deepEqual(answers, [good, good, good])
    assert.equal(store.reads, 1)
    clock.t += 4_999
    assert.equal(cache.fresh('k'), good)
    clock.t += 1
    assert.equal(cache.fresh('k'), undefined)
    assert.equal(await cache.get('k', store.read), good)
    assert.equal(store.reads, 2)
  })

  test('a flood of unknown ids never evicts an id in use, and the unknown ids stay bounded', async () => {
    const { cache, store } = setup(60, 300)
    store.answer = good
    await cache.get('hot', store.read)
    store.answer = null
    for (let i = 0; i < 60_000; i++) await cache.get(`unknown${i}`, store.read)
    assert.equal(cache.fresh('hot'), good, 'the key in use is still cached')
    assert.equal(cache.fresh('unknown59999'), null, 'a recent unknown id is remembered')
    assert.equal(cache.fresh('unknown0'), undefined, 'the oldest unknown ids made room')
  })

  test('while the store fails, an entry answers for staleIfErrorSec past cacheSec; an id never seen gets the error', async () => {
    const { clock, cache, store, staleErrors } = setup(5, 60)
    store.answer = good
    await cache.get('k', store.read)
    store.answer = null
    await cache.get('gone', store.read)
    store.answer = down
    clock.t += 5_000 + 59_999
    assert.equal(await cache.get('k', store.read), good)
    assert.equal(await cache.get('gone', store.read), null, 'an unknown id stays unknown')
    assert.ok(staleErrors.includes(down))
    await assert.rejects(cache.get('never-seen', store.read), down)
    clock.t += 1
    await assert.rejects(cache.get('k', store.read), down, 'past staleIfErrorSec the entry is gone')
  })

  test('staleIfErrorSec 0: nothing answers once cacheSec is over', async () => {
    const { clock, cache, store } = setup(5, 0)
    store.answer = good
    await cache.get('k', store.read)
    store.answer = down
    clock.t += 5_000
    await assert.rejects(cache.get('k', store.read), down)
  })

  test('while the store hangs, a stale entry answers after a short wait; one read per id is in flight', async () => {
    const { clock, cache, store, staleErrors } = setup(5, 60, { revalidateWaitMs: 20 })
    store.answer = good
    await cache.get('k', store.read)
    store.answer = 'hang'
    clock.t += 6_000
    assert.equal(await within(cache.get('k', store.read), 1000, 'the first stale answer'), good)
    assert.match(String(staleErrors.at(-1)), /did not answer within 20 ms/)
    assert.equal(await within(cache.get('k', store.read), 1000, 'the second stale answer'), good)
    assert.equal(store.reads, 2, 'the requests shared the one read in flight')
    store.release(revoked)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(cache.fresh('k'), revoked, 'the refresh fills the cache when it ends')
  })

  test('once the store is known to fail, a stale entry answers without waiting while a refresh runs in the background', async () => {
    // A wait long enough that `within` would fail if a request waited at all.
    const { clock, cache, store, staleErrors } = setup(5, 60, { revalidateWaitMs: 60_000 })
    store.answer = good
    await cache.get('k', store.read)
    await cache.get('j', store.read)
    clock.t += 6_000
    store.answer = down
    assert.equal(await cache.get('j', store.read), good)
    store.answer = 'hang'
    assert.equal(await within(cache.get('k', store.read), 1000, 'a stale answer once the failure is known'), good)
    assert.equal(staleErrors.at(-1), down)
    assert.equal(store.reads, 4, 'a refresh runs in the background')
    store.release(good)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(cache.fresh('k'), good)
    store.answer = 'hang'
    clock.t += 6_000
    const waiting = cache.get('k', store.read)
    assert.equal(await Promise.race([waiting, new Promise((resolve) => setTimeout(() => resolve('waiting'), 50))]), 'waiting', 'the store answered since: requests wait for it again')
    store.release(good)
    assert.equal(await waiting, good)
  })

  test('with a healthy store, an expired entry waits for the store: a revocation is seen at once', async () => {
    const { clock, cache, store } = setup(5, 60)
    store.answer = good
    await cache.get('k', store.read)
    store.answer = revoked
    clock.t += 5_000
    assert.equal(await cache.get('k', store.read), revoked)
  })

  test('a final answer is kept: answered without the store, never replaced by an older good answer', async () => {
    const { clock, cache, store } = setup(5, 60)
    store.answer = revoked
    await cache.get('k', store.read)
    clock.t += 3_600_000
    store.answer = good // a lagging replica, or a restored backup
    assert.equal(await cache.get('k', store.read), revoked)
    assert.equal(store.reads, 1)
    cache.forget('k')
    cache.forget()
    store.answer = down
    assert.equal(await cache.get('k', store.read), revoked, 'a forget keeps a revocation')
  })

  test('markFinal: a revocation learnt without a look-up replaces a good entry, outlasts a look-up in flight and any later answer', async () => {
    const { clock, cache, store } = setup(5, 60)
    store.answer = good
    await cache.get('k', store.read)
    clock.t += 5_000
    store.answer = 'hang'
    const before = cache.get('k', store.read) // started before the revocation was learnt
    cache.markFinal('k', revoked)
    assert.equal(cache.fresh('k'), revoked, 'the good entry is gone')
    store.release(good)
    assert.equal(await before, good, 'the look-up in flight still answers its callers')
    assert.equal(cache.fresh('k'), revoked, 'but cannot replace the revocation')
    cache.markFinal('k', { id: 'k', revoked: true })
    assert.equal(cache.fresh('k'), revoked, 'the first final answer is kept')
    cache.forget()
    store.answer = down
    clock.t += 3_600_000
    assert.equal(await cache.get('k', store.read), revoked)
    cache.markFinal('never-looked-up', revoked)
    assert.equal(await cache.get('never-looked-up', store.read), revoked, 'an id never looked up is refused without the store')
    assert.equal(store.reads, 2)
  })

  test('after forget, a good entry is no fallback; an unknown id still is, marked for refresh', async () => {
    const { cache, store } = setup(5, 60)
    store.answer = good
    await cache.get('k', store.read)
    await cache.get('j', store.read)
    store.answer = null
    await cache.get('gone', store.read)
    cache.forget('k')
    store.answer = down
    await assert.rejects(cache.get('k', store.read), down, 'the store changed for k: the good entry may be a revoked key')
    assert.equal(await cache.get('j', store.read), good, 'other ids keep theirs')
    cache.forget()
    await assert.rejects(cache.get('j', store.read), down)
    assert.equal(cache.fresh('gone'), undefined, 'marked for refresh')
    assert.equal(await cache.get('gone', store.read), null, 'but still the fallback')
  })

  test('a look-up in flight when forget comes answers its callers but does not refill the cache', async () => {
    const { clock, cache, store } = setup(5, 60)
    store.answer = good
    await cache.get('k', store.read)
    clock.t += 5_000
    store.answer = 'hang'
    const before = cache.get('k', store.read) // started before the revocation
    cache.forget('k') // the revocation
    store.release(good) // the answer from before it
    assert.equal(await before, good)
    assert.equal(cache.fresh('k'), undefined, 'the answer from before the forget is not cached')
    store.answer = revoked
    assert.equal(await cache.get('k', store.read), revoked)
    assert.equal(store.reads, 3)
  })

  test('a request after forget does not join the look-up from before it', async () => {
    const { cache, store } = setup(5, 60)
    store.answer = 'hang'
    const before = cache.get('k', store.read)
    cache.forget('k')
    const after = cache.get('k', store.read)
    assert.equal(store.reads, 2)
    store.release(revoked)
    assert.deepEqual(await Promise.all([before, after]), [revoked, revoked])
  })

  test('look-ups in flight are bounded: past the bound, an id with no entry fails at once, one with an entry answers stale', async () => {
    const { clock, cache, store } = setup(5, 60, { maxPending: 2 })
    store.answer = good
    await cache.get('k', store.read)
    clock.t += 5_000
    store.answer = 'hang'
    void cache.get('a', store.read).catch(() => undefined)
    void cache.get('b', store.read).catch(() => undefined)
    await assert.rejects(cache.get('c', store.read), StoreBusyError)
    assert.equal(await cache.get('k', store.read), good)
    store.release(down)
  })
})
