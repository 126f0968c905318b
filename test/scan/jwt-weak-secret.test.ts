/**
 * `jwt-weak-secret` against a small API whose HS256 secret is an English word: the secret is
 * found in the general word list and proven by forged tokens, one answered as the other user and
 * one that reaches an administrative operation; with a random secret, nothing is reported.
 */
import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { readSpecSource } from '../../src/audit/spec-source.js'
import { parseIdentity } from '../../src/scan/identities.js'
import { scanTarget } from '../../src/scan/scanner.js'

const SPEC = JSON.stringify({
  openapi: '3.0.3',
  info: { title: 'Accounts', version: '1' },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  security: [{ bearer: [] }],
  paths: {
    '/me': { get: { operationId: 'me', responses: { '200': { description: 'The caller' }, '401': { description: 'No valid token' } } } },
    '/admin/stats': { get: { operationId: 'adminStats', responses: { '200': { description: 'Statistics' }, '403': { description: 'Administrators only' } } } },
  },
})

const sign = (secret: string | Buffer, claims: Record<string, unknown>) => {
  const input = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

/** Verifies HS256 tokens with `secret` (and their expiry); /admin/stats only for the admin role. */
async function startAccountsApi(secret: string | Buffer): Promise<{ url: string; tokens: Record<'alice' | 'bob' | 'admin', string>; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const [header = '', payload = '', signature = ''] = (req.headers.authorization ?? '').replace(/^Bearer /, '').split('.')
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString() || '{}') as { sub?: string; role?: string; exp?: number }
    const valid = signature === createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url') && (claims.exp ?? 0) > Date.now() / 1000
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (!valid) reply(401, { error: 'invalid token' })
    else if (req.method === 'GET' && req.url === '/me') reply(200, { username: claims.sub, role: claims.role })
    else if (req.method === 'GET' && req.url === '/admin/stats') reply(claims.role === 'admin' ? 200 : 403, claims.role === 'admin' ? { users: 3 } : { error: 'administrators only' })
    else reply(404, { error: 'not found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const exp = Math.floor(Date.now() / 1000) + 3600
  const issue = (sub: string, role: string) => sign(secret, { sub, role, exp })
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    tokens: { alice: issue('alice', 'user'), bob: issue('bob', 'user'), admin: issue('admin', 'admin') },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  }
}

async function scan(secret: string | Buffer) {
  const api = await startAccountsApi(secret)
  try {
    return await scanTarget({
      source: readSpecSource('accounts.json', SPEC),
      target: new URL(api.url),
      identities: [parseIdentity(`alice=${api.tokens.alice}`), parseIdentity(`bob=${api.tokens.bob}`)],
      budget: 100,
      rate: 0,
      timeoutMs: 5000,
      allowDestructive: false,
      only: new Set(['jwt-weak-secret']),
    })
  } finally {
    await api.close()
  }
}

test('a secret from the English word list: forged tokens act as bob and as an administrator', async () => {
  const { report } = await scan('marmalade')
  assert.equal(report.findings.length, 1)
  const [finding] = report.findings
  assert.equal(finding?.ruleId, 'jwt-weak-secret')
  assert.equal(finding?.location.pointer, '/paths/~1me/get')
  assert.match(finding?.message ?? '', /m\*{7}e/)
  assert.doesNotMatch(finding?.message ?? '', /marmalade/)
  assert.match(finding?.message ?? '', /forged for bob was answered as bob/)
  assert.match(finding?.message ?? '', /forged for alice made administrator reached GET \/admin\/stats/)
  // The evidence is the exchange of the token forged for bob.
  assert.match(finding?.evidence?.response ?? '', /"username":"bob"/)
})

test('a random 32-byte secret: nothing reported', async () => {
  const { report } = await scan(randomBytes(32))
  assert.deepEqual(report.findings, [])
})
