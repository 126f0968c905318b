/** One suite, both data stores: embedded SQLite and the PostgreSQL at 127.0.0.1:5432 (database `test`). */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { DataConflictError, type DataStore, type SecurityEventCountQuery, type SecurityEventQuery, type SecurityEventRow } from './data-store.js'
import pg from 'pg'
import { openDataStore } from './open-data-store.js'
import { createTestSchema } from '../../test/helpers/postgres.js'

const kinds = [
  {
    name: 'sqlite',
    open() {
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-store-'))
      return Promise.resolve({ url: `sqlite:${join(dir, 'data.db')}`, drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) })
    },
  },
  { name: 'postgres', open: () => createTestSchema('portcullis_test') },
]

for (const kind of kinds) {
  describe(`data store: ${kind.name}`, () => {
    let store: DataStore
    let url: string
    let drop: () => Promise<void>
    before(async () => {
      ;({ url, drop } = await kind.open())
      store = await openDataStore(url, tmpdir())
    })
    after(async () => {
      await store.close()
      await drop()
    })

    test('deprecated usage: calls summed by API, operation and consumer, first and last seen kept, new pairs told apart; listed newest first', async () => {
      const row = (consumer: string, calls: number, firstSeen: number, lastSeen: number) => ({ api: 'orders', version: 'v1', operation: 'GET /export', consumer, calls, firstSeen, lastSeen })
      assert.deepEqual(await store.recordDeprecatedUsage([row('acme', 2, 1000, 2000), row('globex', 1, 1500, 1500)]), [true, true])
      assert.deepEqual(await store.recordDeprecatedUsage([row('acme', 3, 500, 3000)]), [false], 'known: summed, not new')
      assert.deepEqual(await store.recordDeprecatedUsage([]), [])
      const listed = await store.listDeprecatedUsage({ limit: 10 })
      assert.deepEqual(listed, [row('acme', 5, 500, 3000), row('globex', 1, 1500, 1500)])
      assert.deepEqual((await store.listDeprecatedUsage({ limit: 10, since: 2500 })).map((u) => u.consumer), ['acme'])
      assert.deepEqual(await store.listDeprecatedUsage({ limit: 10, api: 'payments' }), [])
    })

    test('migrations run once; a second node opening the same store finds them applied', async () => {
      const [second, third] = await Promise.all([openDataStore(url, tmpdir()), openDataStore(url, tmpdir())])
      await second.ping()
      await Promise.all([second.close(), third.close()])
    })

    test('consumers: create, conflict, read, update, list, delete with their keys', async () => {
      const created = await store.createConsumer({ id: 'alice', name: 'Alice', roles: ['admin'], scopes: ['orders:read'], plan: 'gold', metadata: { team: 'a' } }, 1000)
      assert.deepEqual(created, { id: 'alice', name: 'Alice', roles: ['admin'], scopes: ['orders:read'], plan: 'gold', metadata: { team: 'a' }, createdAt: 1000, updatedAt: 1000 })
      await assert.rejects(store.createConsumer({ id: 'alice', name: 'Again' }, 1001), DataConflictError)
      await store.createConsumer({ id: 'bob', name: 'Bob' }, 1002)
      assert.deepEqual((await store.listConsumers()).map((c) => c.id), ['alice', 'bob'])
      const updated = await store.updateConsumer('bob', { scopes: ['a', 'b'], plan: 'free' }, 2000)
      assert.deepEqual([updated?.scopes, updated?.plan, updated?.name, updated?.updatedAt, updated?.createdAt], [['a', 'b'], 'free', 'Bob', 2000, 1002])
      assert.equal(await store.updateConsumer('nobody', { name: 'x' }, 1), null)
      await store.insertApiKey({ id: 'bobkey000001', consumerId: 'bob', hash: 'ab'.repeat(32), label: null, scopes: [], plan: null, createdAt: 3, expiresAt: null, revokedAt: null, rotatedFrom: null })
      assert.equal(await store.deleteConsumer('bob'), true)
      assert.equal(await store.getConsumer('bob'), null)
      assert.equal(await store.getApiKey('bobkey000001'), null, 'keys go with their consumer')
      assert.equal(await store.deleteConsumer('bob'), false)
    })

    test('API keys: insert, read, list by consumer, expire and revoke', async () => {
      await store.createConsumer({ id: 'carol', name: 'Carol' }, 1)
      const record = { id: 'carolkey0001', consumerId: 'carol', hash: 'cd'.repeat(32), label: 'ci', scopes: ['x'], plan: 'silver', createdAt: 10, expiresAt: 99_999_999_999_999, revokedAt: null, rotatedFrom: null }
      await store.insertApiKey(record)
      await store.insertApiKey({ ...record, id: 'carolkey0002', createdAt: 11, expiresAt: null, rotatedFrom: 'carolkey0001' })
      assert.deepEqual(await store.getApiKey('carolkey0001'), record)
      assert.deepEqual((await store.listApiKeys('carol')).map((k) => k.id), ['carolkey0001', 'carolkey0002'])
      assert.deepEqual(await store.listApiKeys('nobody'), [])
      const revoked = await store.updateApiKey('carolkey0001', { revokedAt: 500 })
      assert.deepEqual([revoked?.revokedAt, revoked?.expiresAt], [500, 99_999_999_999_999])
      const expiring = await store.updateApiKey('carolkey0002', { expiresAt: 600 })
      assert.deepEqual([expiring?.expiresAt, expiring?.revokedAt, expiring?.rotatedFrom], [600, null, 'carolkey0001'])
      assert.equal(await store.updateApiKey('missing', { revokedAt: 1 }), null)
    })

    test('revoked keys after a point, in (revokedAt, id) order and in pages, with their consumers and the store’s clock', async () => {
      const dave = await store.createConsumer({ id: 'dave', name: 'Dave', roles: ['ops'], scopes: ['s'], plan: 'gold', metadata: { team: 'd' } }, 2)
      const key = (id: string, revokedAt: number | null) => ({ id, consumerId: 'dave', hash: 'ef'.repeat(32), label: 'l', scopes: ['x'], plan: null, createdAt: 3, expiresAt: 4, revokedAt, rotatedFrom: null })
      await store.insertApiKey(key('davekey00002', 7_000_000))
      await store.insertApiKey(key('davekey00001', 7_000_000))
      await store.insertApiKey(key('davekey00003', 8_000_000))
      await store.insertApiKey(key('davekey00004', null))
      await store.insertApiKey(key('davekey00005', 6_999_999))
      await store.updateApiKey('davekey00004', { revokedAt: 7_500_000 })
      const before = Date.now()
      const first = await store.listRevokedApiKeys({ revokedAt: 7_000_000, id: '' }, 2)
      const after = Date.now()
      assert.deepEqual(first.keys, [
        { record: key('davekey00001', 7_000_000), consumer: dave },
        { record: key('davekey00002', 7_000_000), consumer: dave },
      ])
      // The same host's clocks here; the tolerance is for PostgreSQL's rounding, not for skew.
      assert.ok(first.storeNow >= before - 1000 && first.storeNow <= after + 1000, `the store's clock: ${first.storeNow}, here ${before}..${after}`)
      const next = await store.listRevokedApiKeys({ revokedAt: 7_000_000, id: 'davekey00002' }, 2)
      assert.deepEqual(next.keys.map((k) => [k.record.id, k.record.revokedAt]), [['davekey00004', 7_500_000], ['davekey00003', 8_000_000]])
      assert.deepEqual((await store.listRevokedApiKeys({ revokedAt: 8_000_000, id: 'davekey00003' }, 2)).keys, [])
    })

    test('migration 2 (index of revoked keys) upgrades a store at version 1 and is idempotent', async () => {
      const indexes = async () => (await raw(kind.name, url, INDEX_QUERY[kind.name as 'sqlite' | 'postgres'])).length
      assert.equal(await indexes(), 1)
      // A store as version 1 left it, with keys revoked already.
      await raw(kind.name, url, 'DROP INDEX api_keys_revoked')
      await raw(kind.name, url, 'DELETE FROM portcullis_migrations WHERE version = 2')
      assert.equal(await indexes(), 0)
      const upgraded = await openDataStore(url, tmpdir())
      assert.equal(await indexes(), 1)
      assert.deepEqual((await upgraded.listRevokedApiKeys({ revokedAt: 0, id: '' }, 1)).keys.map((k) => k.record.id), ['carolkey0001'])
      // Run again over its own result (as after a crash before the version was recorded): no error, no change.
      await raw(kind.name, url, 'DELETE FROM portcullis_migrations WHERE version = 2')
      await upgraded.migrate()
      assert.equal(await indexes(), 1)
      await upgraded.close()
    })

    test('the audit log is append-only and lists newest first, in pages', async () => {
      for (let i = 1; i <= 5; i++) await store.appendAudit({ at: i, actor: 'cli:test', action: 'consumer.create', target: `c${i}`, source: 'cli@host', details: { n: i } })
      const page = await store.listAudit({ limit: 2 })
      assert.deepEqual(page.map((e) => e.target), ['c5', 'c4'])
      assert.deepEqual(page[0]?.details, { n: 5 })
      const next = await store.listAudit({ limit: 10, before: (page[1] as { id: number }).id })
      assert.deepEqual(next.map((e) => e.target), ['c3', 'c2', 'c1'])
      // The store itself refuses to rewrite history.
      const raw = kind.name === 'sqlite' ? await rawSqlite(url, 'UPDATE audit_log SET actor = ?', ['mallory']) : await rawPostgres(url, 'DELETE FROM audit_log')
      assert.match(raw, /append-only/)
    })

    test('security events: appended in batches, searched by time, consumer, address, API, category and code, newest first, pruned by age and count', async () => {
      const row = (i: number, extra: Partial<SecurityEventRow> = {}): SecurityEventRow => ({
        at: 1_000_000 + i * 1000,
        eventId: `e${i}`,
        kind: i % 5 === 0 ? 'alert' : 'event',
        categories: i % 2 === 0 ? ['authentication'] : ['api'],
        action: i % 2 === 0 ? 'authentication-failed' : 'rate-limited',
        outcome: 'failure',
        severity: i % 10,
        code: i % 2 === 0 ? 'GW_ERR_AUTH_INVALID' : 'GW_ERR_RATE_LIMITED',
        sourceIp: `10.0.0.${i % 3}`,
        consumer: i % 4 === 0 ? 'acme' : null,
        api: i % 2 === 0 ? 'orders' : 'shop',
        document: { n: i },
        ...extra,
      })
      await store.appendSecurityEvents(Array.from({ length: 30 }, (_, i) => row(i)))
      await store.appendSecurityEvents([])
      const ns = async (query: Omit<SecurityEventQuery, 'limit'>, limit = 100) => (await store.listSecurityEvents({ limit, ...query })).map((e) => e.document.n)
      assert.deepEqual(await ns({}, 3), [29, 28, 27])
      assert.deepEqual(await ns({ since: 1_010_000, until: 1_013_000 }), [12, 11, 10])
      assert.deepEqual(await ns({ consumer: 'acme', sourceIp: '10.0.0.0' }), [24, 12, 0])
      assert.deepEqual(await ns({ category: 'api', api: 'shop', code: 'GW_ERR_RATE_LIMITED', kind: 'alert' }), [25, 15, 5])
      assert.deepEqual(await ns({ category: '%' }), [], 'a LIKE wildcard is no category')
      assert.deepEqual(await ns({ action: 'authentication-failed', minSeverity: 8 }), [28, 18, 8])
      const page = await store.listSecurityEvents({ limit: 2 })
      assert.deepEqual(await ns({ before: page[1]!.id }, 2), [27, 26])
      assert.deepEqual(await ns({ after: page[1]!.id }), [29], 'newer than the last one seen')
      assert.deepEqual(await ns({ text: '"n":2' }, 3), [29, 28, 27], 'text anywhere in the document')
      assert.deepEqual(await ns({ text: '"N":13' }), [13], 'case-insensitive')
      assert.deepEqual(await ns({ text: '%' }), [], 'a LIKE wildcard is literal text')

      const counts = (query: Omit<SecurityEventCountQuery, 'since' | 'limit'>, limit = 10) => store.countSecurityEvents({ since: 1_000_000, limit, ...query })
      assert.deepEqual(await counts({ by: 'action' }), [
        { key: 'authentication-failed', count: 15 },
        { key: 'rate-limited', count: 15 },
      ])
      assert.deepEqual(await counts({ by: 'consumer' }, 1), [{ key: null, count: 22 }], 'the largest count first')
      assert.deepEqual(await counts({ by: 'sourceIp', kind: 'alert' }), [
        { key: '10.0.0.0', count: 2 },
        { key: '10.0.0.1', count: 2 },
        { key: '10.0.0.2', count: 2 },
      ])
      assert.deepEqual(await counts({ by: 'time', bucketMs: 10_000 }), [
        { key: 1_000_000, count: 10 },
        { key: 1_010_000, count: 10 },
        { key: 1_020_000, count: 10 },
      ])

      assert.equal(await store.pruneSecurityEvents(1_005_000, 1000, 2), 2, 'a slice at a time')
      assert.equal(await store.pruneSecurityEvents(1_005_000, 1000, 100), 3)
      assert.deepEqual((await ns({})).at(-1), 5)
      assert.equal(await store.pruneSecurityEvents(0, 10, 100), 15, 'beyond the newest 10')
      assert.deepEqual(await ns({}), [29, 28, 27, 26, 25, 24, 23, 22, 21, 20])
      assert.equal(await store.pruneSecurityEvents(0, 10, 100), 0)
    })
  })
}

const INDEX_QUERY = {
  sqlite: "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'api_keys_revoked'",
  postgres: "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'api_keys_revoked'",
}

/** One statement on a connection of its own; the rows it returns. */
async function raw(kind: string, url: string, sql: string): Promise<unknown[]> {
  if (kind === 'sqlite') {
    const { default: Database } = await import('better-sqlite3')
    const db = new Database(url.slice('sqlite:'.length))
    try {
      const statement = db.prepare(sql)
      if (statement.reader) return statement.all()
      statement.run()
      return []
    } finally {
      db.close()
    }
  }
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(sql)).rows as unknown[]
  } finally {
    await client.end()
  }
}

async function rawSqlite(url: string, sql: string, values: unknown[]): Promise<string> {
  const { default: Database } = await import('better-sqlite3')
  const db = new Database(url.slice('sqlite:'.length))
  try {
    db.prepare(sql).run(...values)
    return 'changed'
  } catch (error) {
    return (error as Error).message
  } finally {
    db.close()
  }
}

async function rawPostgres(url: string, sql: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(sql)
    return 'changed'
  } catch (error) {
    return (error as Error).message
  } finally {
    await client.end()
  }
}
