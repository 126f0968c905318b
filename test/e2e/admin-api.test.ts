import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/raw-http.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const TOKEN = 'admin-token-for-management-tests'
const TOKEN_HASH = createHash('sha256').update(TOKEN).digest('hex')

interface Answer {
  status: number
  headers: Headers
  body: Record<string, unknown> | null
}

async function call(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const all: Record<string, string> = { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }
  const res = await fetch(url, { method, headers: all, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) }
}

describe('admin API: consumers, keys and the audit log', () => {
  let upstream: TestUpstream
  let gw: TestGateway
  let admin: string

  const through = async (path: string, key: string) => {
    const res = await fetch(`${gw.url}${path}`, { headers: { 'x-api-key': key } })
    const text = await res.text()
    return { status: res.status, seen: res.status === 200 ? (JSON.parse(text) as { headers: Record<string, string> }).headers : null }
  }

  before(async () => {
    upstream = await startUpstream()
    gw = await startTestGateway({
      ...baseConfig(upstream.url),
      admin: { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } },
      // The longest cache: changes made here must still reach this node at once.
      identity: { apiKeys: { cacheSec: 60 } },
      apis: [
        {
          name: 'orders',
          upstream: { url: upstream.url },
          policies: { auth: { methods: ['apiKey'] } },
          routes: { 'GET /orders': {}, 'POST /orders': { auth: { methods: ['apiKey'], scopes: ['orders:write'] } } },
        },
      ],
    })
    admin = `http://127.0.0.1:${gw.gateway.addresses.admin!.port}`
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('every management call needs the admin token', async () => {
    for (const [method, path] of [['GET', '/consumers'], ['POST', '/consumers'], ['GET', '/audit'], ['POST', '/keys/abc/revoke']] as const) {
      const res = await fetch(`${admin}${path}`, { method, headers: { authorization: 'Bearer wrong' } })
      assert.equal(res.status, 401, `${method} ${path}`)
      assert.equal(((await res.json()) as { code: string }).code, 'GW_ERR_ADMIN_UNAUTHORIZED')
    }
  })

  test('the auth scheme is case-insensitive; two Authorization headers are refused, whichever comes first', async () => {
    // RFC 9110 §11.1: the scheme is a case-insensitive token; §11.4: one or more spaces after it.
    for (const credentials of [`bearer ${TOKEN}`, `BEARER ${TOKEN}`, `bEaReR  ${TOKEN}`]) {
      const res = await fetch(`${admin}/consumers`, { headers: { authorization: credentials } })
      assert.equal(res.status, 200, credentials)
      await res.body?.cancel()
    }
    for (const scheme of ['Basic', 'Bearer:', 'Bearertoken']) {
      const res = await fetch(`${admin}/consumers`, { headers: { authorization: `${scheme} ${TOKEN}` } })
      assert.equal(res.status, 401, scheme)
      await res.body?.cancel()
    }
    const port = gw.gateway.addresses.admin!.port
    for (const [first, second] of [
      [TOKEN, 'wrong'],
      ['wrong', TOKEN],
      [TOKEN, TOKEN],
    ]) {
      const twice = await rawRequest(port, [`GET /consumers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${first}\r\nAuthorization: Bearer ${second}\r\nConnection: close\r\n\r\n`])
      assert.equal(twice.status, 400, `${first} then ${second}`)
      assert.equal(twice.headers['content-type'], 'application/problem+json')
      assert.equal((JSON.parse(twice.body) as { code: string }).code, 'GW_ERR_AUTH_MALFORMED')
      assert.match(twice.headers['www-authenticate'] ?? '', /^Bearer realm="portcullis-admin", error="invalid_request"$/)
    }
  })

  test('bad input is refused with every problem located by path', async () => {
    const invalid = await call(`${admin}/consumers`, 'POST', { id: '-bad id', name: '', scopes: ['ok', 7], colour: 'red' })
    assert.equal(invalid.status, 400)
    assert.equal(invalid.headers.get('content-type'), 'application/problem+json')
    assert.equal(invalid.body?.code, 'GW_ERR_ADMIN_INVALID_INPUT')
    const paths = (invalid.body?.errors as { path: string }[]).map((e) => e.path).sort()
    assert.deepEqual(paths, ['colour', 'id', 'name', 'scopes[1]'])

    const notJson = await call(`${admin}/consumers`, 'POST', '{"id": "x",')
    assert.equal(notJson.body?.code, 'GW_ERR_ADMIN_INVALID_INPUT')
    const wrongType = await call(`${admin}/consumers`, 'POST', 'id=x', { 'content-type': 'application/x-www-form-urlencoded' })
    assert.equal(wrongType.status, 400)
    const tooBig = await call(`${admin}/consumers`, 'POST', { id: 'big', name: 'x'.repeat(70 * 1024) })
    assert.equal(tooBig.status, 413)
    const badLimit = await call(`${admin}/audit?limit=0`, 'GET')
    assert.deepEqual([badLimit.status, (badLimit.body?.errors as { path: string }[])[0]?.path], [400, 'limit'])

    const wrongMethod = await call(`${admin}/consumers`, 'PUT', {})
    assert.deepEqual([wrongMethod.status, wrongMethod.headers.get('allow')], [405, 'GET, POST'])
    assert.equal((await call(`${admin}/nothing/here`, 'GET')).body?.code, 'GW_ERR_ROUTE_NOT_FOUND')
    const malformed = await rawRequest(gw.gateway.addresses.admin!.port, [`GET http://[::1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`])
    assert.equal(malformed.status, 400, 'an unparsable request target is a 400, not a crash')
    assert.equal((await call(`${admin}/consumers`, 'GET')).status, 200, 'and the admin listener keeps serving')
    assert.equal((await call(`${admin}/consumers/nobody`, 'GET')).body?.code, 'GW_ERR_ADMIN_NOT_FOUND')
    assert.equal((await call(`${admin}/consumers/nobody/keys`, 'POST', {})).status, 404)
    assert.equal((await call(`${admin}/consumers`, 'GET')).body?.consumers?.toString(), '', 'nothing was created')
  })

  test('consumer and key lifecycle, seen by the gateway at once, every change audited', async () => {
    const created = await call(`${admin}/consumers`, 'POST', { id: 'acme', name: 'Acme', roles: ['buyer'], scopes: ['orders:read'], plan: 'gold', metadata: { region: 'eu' } })
    assert.equal(created.status, 201)
    assert.equal(created.headers.get('location'), '/consumers/acme')
    assert.equal(created.body?.plan, 'gold')
    assert.match(String(created.body?.createdAt), /^\d{4}-\d\d-\d\dT/)
    assert.equal((await call(`${admin}/consumers`, 'POST', { id: 'acme', name: 'Again' })).body?.code, 'GW_ERR_ADMIN_CONFLICT')

    const issued = await call(`${admin}/consumers/acme/keys`, 'POST', { label: 'ci', expiresInSec: 3600 })
    assert.equal(issued.status, 201)
    const key = issued.body?.key as string
    const record = issued.body?.record as Record<string, unknown>
    assert.match(key, /^pcl_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/)
    assert.equal(issued.headers.get('cache-control'), 'no-store')
    assert.equal('hash' in record, false)
    const shown = await call(`${admin}/keys/${String(record.id)}`, 'GET')
    assert.equal(shown.body?.label, 'ci')
    assert.equal(JSON.stringify(shown.body).includes(key.slice(-43)), false, 'the key is shown once')
    assert.equal(((await call(`${admin}/keys?consumer=acme`, 'GET')).body?.keys as unknown[]).length, 1)

    const first = await through('/orders', key)
    assert.deepEqual([first.status, first.seen?.['x-consumer-id'], first.seen?.['x-consumer-scopes']], [200, 'acme', 'orders:read'])
    assert.equal((await through('/orders', key)).status, 200)

    // The look-up is cached for 60 s; the change must still apply to the next request.
    const postOrder = () => fetch(`${gw.url}/orders`, { method: 'POST', headers: { 'x-api-key': key } }).then((r) => r.status)
    assert.equal(await postOrder(), 403)
    const patched = await call(`${admin}/consumers/acme`, 'PATCH', { scopes: ['orders:read', 'orders:write'] })
    assert.deepEqual(patched.body?.scopes, ['orders:read', 'orders:write'])
    assert.equal(await postOrder(), 200)

    const rotated = await call(`${admin}/keys/${String(record.id)}/rotate`, 'POST', { overlapSec: 600 })
    assert.equal(rotated.status, 201)
    const newKey = rotated.body?.key as string
    const previous = rotated.body?.previous as { expiresAt: string }
    assert.ok(Date.parse(previous.expiresAt) <= Date.now() + 600_000)
    assert.equal((await through('/orders', newKey)).status, 200)
    assert.equal((await through('/orders', key)).status, 200, 'the old key works during the overlap')

    const revoked = await call(`${admin}/keys/${String(record.id)}/revoke`, 'POST')
    assert.equal(revoked.status, 200)
    assert.notEqual(revoked.body?.revokedAt, null)
    assert.equal((await through('/orders', key)).status, 401, 'revocation applies at once on this node')
    // pino writes asynchronously: a batch already being written when the test flushes lands a moment later.
    const refusedLines = () => gw.logLines().filter((l) => l.msg === 'authentication refused')
    await eventually(() => refusedLines().length >= 2, 5000, 'both refusals in the log')
    const refused = refusedLines()
    assert.deepEqual(
      refused.map((l) => [l.level, l.method, l.reason]),
      [
        ['info', 'apiKey', 'insufficient_scope'],
        ['info', 'apiKey', 'revoked'],
      ],
      'each denial is logged with its reason',
    )
    assert.equal(JSON.stringify(gw.logLines()).includes(key.slice(-43)), false, 'never the key')
    assert.equal((await call(`${admin}/keys/${String(record.id)}/revoke`, 'POST')).body?.code, 'GW_ERR_ADMIN_CONFLICT')
    assert.equal((await call(`${admin}/keys/${String(record.id)}/rotate`, 'POST')).body?.code, 'GW_ERR_ADMIN_CONFLICT')

    assert.equal((await call(`${admin}/consumers/acme`, 'DELETE')).status, 204)
    assert.equal((await through('/orders', newKey)).status, 401, "a deleted consumer's keys stop working")
    assert.equal((await call(`${admin}/consumers/acme`, 'GET')).status, 404)

    const audit = await call(`${admin}/audit?limit=4`, 'GET')
    const entries = audit.body?.entries as { action: string; actor: string; source: string; target: string; at: string }[]
    assert.deepEqual(
      entries.map((e) => e.action),
      ['consumer.delete', 'key.revoke', 'key.rotate', 'consumer.update'],
    )
    assert.deepEqual(new Set(entries.map((e) => e.actor)), new Set([`admin-token:${TOKEN_HASH.slice(0, 12)}`]))
    assert.deepEqual(new Set(entries.map((e) => e.source)), new Set(['127.0.0.1']))
    const older = await call(`${admin}${String(audit.body?.next)}`, 'GET')
    assert.deepEqual(
      (older.body?.entries as { action: string }[]).map((e) => e.action),
      ['key.create', 'consumer.create'],
    )
    assert.equal(older.body?.next, null)
    const everything = JSON.stringify([audit.body, older.body])
    assert.equal(everything.includes(key.slice(-43)) || everything.includes(newKey.slice(-43)), false, 'no key in the audit log')
  })
})
