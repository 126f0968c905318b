/**
 * `masking` end to end: a backend that returns every kind of sensitive value in JSON, text and
 * headers; fields by path and name, detectors for true positives with look-alikes left alone,
 * each strategy, per-role strategies, bodies too large to inspect, and logs free of the secrets.
 */
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Management } from '../../src/admin/management.js'
import type { DataStore } from '../../src/stores/data-store.js'
import { openDataStore } from '../../src/stores/open-data-store.js'
import { maskLogRecord } from '../../src/observability/logger.js'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const HASH_KEY = 'masking-test-hash-key-0123456789'
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlX2hlcmVfMTIz'
const RECORD = {
  card: { number: '4111 1111 1111 1111', holder: 'Ann Lee' },
  orderRef: '4111111111111112',
  ssn: '078-05-1120',
  iban: 'GB82 WEST 1234 5698 7654 32',
  email: 'ann.lee@example.org',
  notes: 'call +33 6 12 34 56 78 about order 2026-11-29',
  sessionToken: 'abc123',
  password: 'hunter2',
  items: [{ sku: 'a', secret: 's1' }, { sku: 'b', secret: 's1' }],
  debug: `Bearer ${JWT} key sk_live_4eC39HqLyjWDarjtT1zdp7dc`,
  count: 3,
}
const SECRETS = ['4111 1111 1111 1111', '078-05-1120', 'GB82 WEST 1234 5698 7654 32', 'hunter2', JWT, 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'ann.lee@example.org']

describe('masking', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  let store: DataStore
  const keys: Record<string, string> = {}

  before(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url === '/text') {
        res.setHeader('content-type', 'text/plain; charset=utf-8')
        return res.end('customer ssn 078-05-1120, card 4111-1111-1111-1111, ref 4111111111111112')
      }
      res.setHeader('content-type', 'application/json')
      res.setHeader('x-internal-token', 'tok_internal_secret')
      res.setHeader('x-card', '4111111111111111')
      res.end(JSON.stringify(req.url === '/big' ? { blob: 'x'.repeat(5000), ssn: '078-05-1120' } : RECORD))
    })
    const masking = {
      fields: [
        { path: '$.card.number', strategy: 'partial', roles: { admin: 'none' } },
        { name: '*token*', strategy: 'redact' },
        { name: 'password', strategy: 'drop' },
        { path: '$.items[*].secret', strategy: 'hash' },
      ],
      detect: [
        { detector: 'pan', strategy: 'partial' },
        { detector: 'ssn', strategy: 'redact', roles: { support: 'partial' } },
        { detector: 'iban', strategy: 'partial' },
        { detector: 'email', strategy: 'partial' },
        { detector: 'phone', strategy: 'redact' },
        { detector: 'jwt', strategy: 'redact' },
        { detector: 'apiKey', strategy: 'redact' },
      ],
      headers: [
        { name: 'x-internal-token', strategy: 'drop' },
        { name: 'x-card', strategy: 'partial' },
      ],
      hashKey: HASH_KEY,
      maxBodyBytes: 4096,
    }
    const config = baseConfig(upstream.url)
    config.apis = [
      { name: 'masked', basePath: '/', upstream: { url: upstream.url }, policies: { auth: { methods: ['apiKey'], optional: true }, masking } },
      {
        name: 'lenient',
        basePath: '/lenient',
        stripBasePath: true,
        upstream: { url: upstream.url },
        policies: { masking: { ...masking, oversize: 'pass' } },
      },
    ]
    gw = await startTestGateway(config)
    store = await openDataStore(`sqlite:${join(gw.dir, 'portcullis.db')}`, '/')
    const management = new Management(store)
    const by = { actor: 'cli:test', source: 'cli@test' }
    for (const [id, roles] of [['agent', ['support']], ['boss', ['admin']]] as const) {
      await management.createConsumer(by, { id, name: id, roles: [...roles] })
      keys[id] = (await management.createKey(by, id, {})).key
    }
  })
  after(async () => {
    await store?.close()
    await gw?.stop()
    await upstream?.close()
  })

  const get = async (path: string, who?: string) => {
    const res = await fetch(`${gw.url}${path}`, { headers: who === undefined ? {} : { 'x-api-key': keys[who] as string } })
    const text = await res.text()
    return { status: res.status, text, headers: res.headers }
  }

  test('fields by path and name, detectors, each strategy; JSON stays JSON', async () => {
    const res = await get('/record')
    assert.equal(res.status, 200)
    const body = JSON.parse(res.text) as Record<string, unknown>
    const hash = `hash:${createHmac('sha256', HASH_KEY).update('s1').digest('base64url').slice(0, 22)}`
    assert.deepEqual(body, {
      card: { number: '**** **** **** 1111', holder: 'Ann Lee' },
      orderRef: '4111111111111112',
      ssn: '[REDACTED]',
      iban: 'GB****************5432',
      email: 'a***@example.org',
      notes: 'call [REDACTED] about order 2026-11-29',
      sessionToken: '[REDACTED]',
      items: [
        { sku: 'a', secret: hash },
        { sku: 'b', secret: hash },
      ],
      debug: 'Bearer [REDACTED] key [REDACTED]',
      count: 3,
    })
    assert.equal(res.headers.get('x-internal-token'), null, 'dropped header')
    assert.equal(res.headers.get('x-card'), '**** **** **** 1111', 'a header holding a card number is masked as one')
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(res.text)))
    for (const secret of SECRETS) assert.equal(res.text.includes(secret), false, secret)
  })

  test('strategies by role: support sees partial SSNs, admins see card numbers', async () => {
    const support = JSON.parse((await get('/record', 'agent')).text) as Record<string, unknown>
    assert.equal(support.ssn, '***-**-1120')
    assert.deepEqual(support.card, { number: '**** **** **** 1111', holder: 'Ann Lee' })
    const admin = JSON.parse((await get('/record', 'boss')).text) as { card: { number: string }; ssn: string }
    assert.equal(admin.card.number, '4111 1111 1111 1111')
    assert.equal(admin.ssn, '[REDACTED]')
  })

  test('text bodies by detectors; look-alikes left alone', async () => {
    assert.equal((await get('/text')).text, 'customer ssn [REDACTED], card **** **** **** 1111, ref 4111111111111112')
  })

  test('a body too large to inspect is blocked, or passed when configured, and logged either way', async () => {
    const blocked = await get('/big')
    assert.equal(blocked.status, 502)
    assert.equal(blocked.text.includes('078-05-1120'), false)
    assert.equal((await get('/lenient/big')).status, 200)
    const lines = gw.logLines().filter((l) => l.msg === 'response body not inspected for sensitive data')
    assert.deepEqual(
      lines.map((l) => l.oversize),
      ['block', 'pass'],
    )
    const metrics = await gw.gateway.metrics.registry.metrics()
    assert.match(metrics, /portcullis_masking_uninspected_total\{api="masked",reason="too_large",outcome="blocked"\} 1/)
    assert.match(metrics, /portcullis_masking_uninspected_total\{api="lenient",reason="too_large",outcome="passed"\} 1/)
  })

  test('nothing the gateway logged carries the raw secrets', () => {
    const log = JSON.stringify(gw.logLines())
    for (const secret of SECRETS) assert.equal(log.includes(secret), false, secret)
    assert.deepEqual(maskLogRecord({ err: { message: `token ${JWT} rejected` }, card: '4111111111111111', ok: 'order 2026' }), { err: { message: 'token [jwt] rejected' }, card: '[pan]', ok: 'order 2026' })
    const masked = maskLogRecord({ err: new Error(`GET https://api.example/?key=sk_live_4eC39HqLyjWDarjtT1zdp7dc failed`) }).err as { type: string; message: string; stack: string }
    assert.deepEqual([masked.type, masked.message], ['Error', 'GET https://api.example/?key=[apiKey] failed'])
    assert.equal(masked.stack.includes('sk_live'), false)
  })
})
