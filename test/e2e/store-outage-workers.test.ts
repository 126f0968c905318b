/**
 * `portcullis start` with `workers: 2` in front of a real PostgreSQL behind a TCP forwarder: a key
 * both workers have found valid is revoked with the CLI's code, straight in the store (no gateway
 * is told), then the store is blackholed. Each worker has polled the store for revocations on its
 * own, so neither serves the key from its stale entry.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { request } from 'undici'
import { stringify } from 'yaml'
import { Management } from '../../src/admin/management.js'
import { openDataStore } from '../../src/stores/open-data-store.js'
import { eventually } from '../helpers/gateway.js'
import { spawnLoggingGateway } from '../helpers/gateway-process.js'
import { createTestSchema } from '../helpers/postgres.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { startUpstream } from '../helpers/upstream.js'

const by = { actor: 'cli:test', source: 'cli@test' }

test('workers: 2 — a key revoked with the CLI before the store is blackholed is refused by every worker', async () => {
  const schema = await createTestSchema('portcullis_outage_workers')
  const direct = new URL(schema.url)
  const proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432))
  const viaProxy = new URL(schema.url)
  viaProxy.host = `127.0.0.1:${proxy.port}`
  const store = await openDataStore(schema.url, '/')
  const management = new Management(store)
  const upstream = await startUpstream()
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-outage-workers-'))
  const configFile = join(dir, 'gateway.yaml')
  writeFileSync(
    configFile,
    stringify({
      listen: { http: { port: 0, host: '127.0.0.1' } },
      workers: 2,
      watch: false,
      stores: { data: viaProxy.href },
      identity: { apiKeys: { cacheSec: 1, staleIfErrorSec: 60 } },
      apis: [{ name: 'a', upstream: { url: upstream.url }, policies: { auth: { methods: ['apiKey'] } } }],
    }),
  )
  const { lines, stop } = spawnLoggingGateway(configFile)
  try {
    await eventually(() => lines.some((l) => l.msg === 'gateway started'), 20000, 'gateway start')
    const started = lines.find((l) => l.msg === 'gateway started') as { addresses: { http: string } }
    await management.createConsumer(by, { id: 'acme', name: 'Acme' })
    const { key, record } = await management.createKey(by, 'acme', {})
    // A new connection per request: node:cluster hands connections to the workers in turn.
    const statuses = () =>
      Promise.all(Array.from({ length: 10 }, async () => (await request(`http://${started.addresses.http}/x`, { reset: true, headers: { 'x-api-key': key } })).statusCode))
    const served = () => new Set(lines.filter((l) => l.kind === 'access' && l.status === 200).map((l) => l.pid))
    for (let batch = 0; batch < 10 && served().size < 2; batch++) {
      assert.deepEqual(new Set(await statuses()), new Set([200]))
      await eventually(() => served().size === 2, 2000, 'access lines from both workers').catch(() => undefined)
    }
    assert.equal(served().size, 2, 'both workers have found the key valid')

    await management.revokeKey(by, record.id) // what `portcullis keys revoke` does
    await new Promise((r) => setTimeout(r, 2500)) // the key is not sent meanwhile
    await proxy.hang()
    try {
      assert.deepEqual(new Set(await statuses()), new Set([401]), 'no worker serves the revoked key from its stale entry')
    } finally {
      await proxy.restore()
    }
  } finally {
    await stop('SIGKILL')
    await upstream.close()
    await proxy.close()
    await store.close()
    await schema.drop()
    rmSync(dir, { recursive: true, force: true })
  }
})
