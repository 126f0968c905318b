/**
 * The shelf API's own test (test/fixtures/scan/shelf-api.ts): by hand-made requests, every flaw of
 * SHELF-VULNERABILITIES.md exists in the vulnerable API and, where the table says `fixed`, is gone
 * from the fixed one; every response of either conforms to shelf-api.json, so that a scanner's
 * conformance check has nothing to report that the table does not list.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { SignJWT, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { request } from 'undici'
import { compileOperationValidators } from '../../src/openapi/operation-validators.js'
import { startShelfApi, type ShelfApi } from '../fixtures/scan/shelf-api.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/scan')
const DOCUMENT = join(FIXTURES, 'shelf-api.json')
const validators = compileOperationValidators(DOCUMENT, {
  strictBodies: false,
  rejectUndeclaredQuery: false,
  limits: { depth: 32, keys: 1000, arrayLength: 10_000, stringLength: 100_000 },
  maxViolations: 10,
  responses: true,
})
const WEAK_SECRET = new TextEncoder().encode('marmalade')
const TRAVERSAL = `${'..%2F'.repeat(8)}etc%2Fpasswd`
const MODES = [false, true] as const
const modeName = (fixed: boolean) => (fixed ? 'fixed' : 'vulnerable')

interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly text: string
  readonly json: { data?: unknown; meta?: unknown; error?: { code: string; message: string } }
}

/** The document's operation for a concrete path: literal segments beat parameters, as OpenAPI says. */
function operationOf(method: string, path: string): string {
  const candidates = [...validators.keys()].filter((key) => {
    const [keyMethod, template = ''] = key.split(' ')
    return keyMethod === method && new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`).test(path)
  })
  candidates.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))
  const operation = candidates[0]
  assert.ok(operation !== undefined, `${method} ${path} is an operation of the document`)
  return operation
}

/** A request below /api; every answer is checked against the document, undeclared properties included. */
async function send(api: ShelfApi, method: string, path: string, options: { token?: string; body?: unknown; document?: boolean } = {}): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await request(`${api.url}/api${path}`, { method: method as 'GET', headers, body: options.body === undefined ? null : JSON.stringify(options.body) })
  const text = await response.body.text()
  const contentType = response.headers['content-type']
  if (options.document !== false) {
    const validator = validators.get(operationOf(method, path.split('?')[0] ?? ''))
    const check = validator?.checkResponse({ status: response.statusCode, contentType: typeof contentType === 'string' ? contentType : undefined, contentEncoding: undefined }, Buffer.from(text), true)
    assert.deepEqual(check, { kind: 'ok', body: null }, `${method} ${path} → ${String(response.statusCode)} ${text.slice(0, 200)}`)
  }
  return { status: response.statusCode, headers: response.headers, text, json: /json/.test(String(contentType)) ? (JSON.parse(text) as Answer['json']) : {} }
}

async function login(api: ShelfApi, who: 'alice' | 'bob' | 'root'): Promise<string> {
  const answer = await send(api, 'POST', '/login', { body: api.users[who] })
  assert.equal(answer.status, 200)
  return (answer.json.data as { token: string }).token
}

async function withApi(options: Parameters<typeof startShelfApi>[0], run: (api: ShelfApi) => Promise<void>): Promise<void> {
  const api = await startShelfApi(options)
  try {
    await run(api)
  } finally {
    await api.close()
  }
}

const forge = (claims: Record<string, unknown>, exp: number) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime(exp).sign(WEAK_SECRET)
const encodePath = (value: string) => encodeURIComponent(value)
const elapsed = async (run: () => Promise<unknown>) => {
  const started = performance.now()
  await run()
  return performance.now() - started
}

test('the table: every row names a check, an operation of the document (or -), and whether the fixed API keeps it', () => {
  const table = readFileSync(join(FIXTURES, 'SHELF-VULNERABILITIES.md'), 'utf8')
  const rows = [...table.matchAll(/^\| `([a-z-]+)` \| `?([^`|]+?)`? \|.*\| (fixed|remains) \|$/gm)].map((m) => `${m[1] ?? ''} ${m[2] ?? ''} ${m[3] ?? ''}`)
  assert.deepEqual(rows.sort(), [
    'account-takeover /paths/~1users~1{username}~1email/put fixed',
    'account-takeover /paths/~1users~1{username}~1password/put fixed',
    'bfla /paths/~1admin~1audit-log/get fixed',
    'bola /paths/~1books~1{title}/get fixed',
    'debug-endpoint-exposed /paths/~1users~1_debug/get remains',
    'jwt-weak-secret /paths/~1me/get remains',
    'mass-assignment /paths/~1users/post fixed',
    'no-rate-limit /paths/~1login/post remains',
    'no-rate-limit /paths/~1me/get fixed',
    'nosql-injection /paths/~1books/get fixed',
    'path-traversal /paths/~1covers~1{fileName}/get fixed',
    'plain-http - remains',
    'redos /paths/~1users~1{username}~1email/put remains',
    'sql-injection /paths/~1users~1{username}/get fixed',
    'user-enumeration /paths/~1login/post fixed',
  ])
  const document = JSON.parse(readFileSync(DOCUMENT, 'utf8')) as { paths: Record<string, Record<string, unknown>> }
  for (const row of rows) {
    const pointer = row.split(' ')[1] ?? ''
    if (pointer === '-') continue
    const [, , path = '', method = ''] = pointer.split('/')
    assert.ok(document.paths[path.replaceAll('~1', '/').replaceAll('~0', '~')]?.[method] !== undefined, `${pointer} is in the document`)
  }
})

for (const fixed of MODES) {
  test(`${modeName(fixed)}: seed users log in, envelopes, plain HTTP, nosniff and no banner, 401 without a token`, async () => {
    await withApi({ fixed }, async (api) => {
      assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      for (const who of ['alice', 'bob', 'root'] as const) {
        const me = await send(api, 'GET', '/me', { token: await login(api, who) })
        assert.deepEqual(me.json, { data: { username: who, email: `${who}@shelf.example`, admin: who === 'root' }, meta: {} })
        assert.equal(me.headers['x-content-type-options'], 'nosniff')
        assert.equal(me.headers['x-powered-by'], undefined)
        assert.equal(me.headers.server, undefined)
      }
      const secured = [['GET', '/me'], ['PUT', '/users/alice/password'], ['PUT', '/users/alice/email'], ['POST', '/books'], ['GET', '/books/Emma'], ['GET', '/covers/emma.txt'], ['GET', '/admin/audit-log'], ['POST', '/maintenance/purge']] as const
      for (const [method, path] of secured) {
        const answer = await send(api, method, path, { body: method === 'GET' ? undefined : {} })
        assert.equal(answer.status, 401, `${method} ${path}`)
        assert.equal(answer.json.error?.code, 'unauthenticated')
      }
      // Every call of the purge counts, even refused: a scanner must not call it at all.
      assert.deepEqual(api.stats(), { resets: 1, logins: { alice: 1, bob: 1, root: 1 } })
      assert.equal((await send(api, 'DELETE', '/me', { document: false })).status, 405)
      assert.equal((await send(api, 'GET', '/v0/books', { document: false })).status, 404)
      assert.equal((await send(api, 'POST', '/login', { body: 'not an object' })).status, 400)
    })
  })

  test(`${modeName(fixed)}: jwt-weak-secret remains — HS256 signed with the dictionary word "marmalade"; exp and alg are checked`, async () => {
    await withApi({ fixed, tokenTtlSeconds: 1 }, async (api) => {
      const token = await login(api, 'alice')
      assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' })
      const claims = decodeJwt(token)
      assert.deepEqual(Object.keys(claims).sort(), ['exp', 'iat', 'role', 'sub'])
      assert.equal(claims.sub, 'alice')
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 1)
      await jwtVerify(token, WEAK_SECRET, { currentDate: new Date((claims.iat ?? 0) * 1000) })
      // The secret found, anyone is root.
      const now = Math.floor(Date.now() / 1000)
      const forged = await forge({ sub: 'root', role: 'admin' }, now + 600)
      assert.equal((await send(api, 'GET', '/admin/audit-log', { token: forged })).status, 200)
      // No other JWT flaw: expired, unsigned, garbage and another key are all refused.
      const [header = '', payload = ''] = forged.split('.')
      const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`
      const otherKey = await new SignJWT({ sub: 'root' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now + 600).sign(new TextEncoder().encode('secret'))
      for (const bad of [await forge({ sub: 'alice' }, now - 5), unsigned, `${header}.${payload}.`, 'not-a-token', otherKey]) {
        const answer = await send(api, 'GET', '/me', { token: bad })
        assert.equal(answer.status, 401, bad)
        assert.equal(answer.json.error?.code, 'invalid_token')
      }
      await new Promise((resolve) => setTimeout(resolve, 2100))
      assert.equal((await send(api, 'GET', '/me', { token })).status, 401, 'the 1 s token expired')
    })
  })

  test(`${modeName(fixed)}: sql-injection through GET /users/{username} ${fixed ? 'is parameterised' : 'is boolean-blind'}; the profile stays public`, async () => {
    await withApi({ fixed }, async (api) => {
      const lookup = (name: string) => send(api, 'GET', `/users/${encodePath(name)}`)
      assert.deepEqual((await lookup('alice')).json, { data: { username: 'alice', email: 'alice@shelf.example', admin: false }, meta: {} })
      assert.equal((await lookup('nobody')).status, 404)
      const truthy = await lookup("alice' AND '1'='1")
      const falsy = await lookup("alice' AND '1'='2")
      const anyRow = await lookup("nobody' OR '1'='1")
      const broken = await lookup("alice'")
      assert.equal(broken.status, 404, 'errors are swallowed')
      assert.equal(broken.json.error?.code, 'not_found')
      if (fixed) {
        assert.deepEqual([truthy.status, falsy.status, anyRow.status], [404, 404, 404])
      } else {
        assert.deepEqual([truthy.status, falsy.status, anyRow.status], [200, 404, 200])
        assert.equal((truthy.json.data as { username: string }).username, 'alice')
        assert.equal((anyRow.json.data as { username: string }).username, 'alice', 'the first row')
      }
    })
  })

  test(`${modeName(fixed)}: nosql-injection through GET /books?author[$ne]= ${fixed ? 'is read as a name' : 'returns everything'}; other owners' books first`, async () => {
    await withApi({ fixed }, async (api) => {
      const titles = async (query: string, token?: string) => {
        const answer = await send(api, 'GET', `/books${query}`, token === undefined ? {} : { token })
        assert.equal(answer.status, 200)
        const { data, meta } = answer.json as { data: { title: string; owner: string }[]; meta: { count: number } }
        assert.equal(meta.count, data.length)
        return data.map((book) => `${book.title}:${book.owner}`)
      }
      assert.deepEqual(await titles(''), ['Emma:alice', 'Persuasion:bob', 'Ulysses:root'])
      assert.deepEqual(await titles('', await login(api, 'alice')), ['Persuasion:bob', 'Ulysses:root', 'Emma:alice'])
      assert.deepEqual(await titles('', await login(api, 'bob')), ['Emma:alice', 'Ulysses:root', 'Persuasion:bob'])
      assert.deepEqual(await titles('?author=bob'), ['Persuasion:bob'])
      assert.deepEqual(await titles('?author=nobody'), [])
      assert.deepEqual(await titles('?author[$ne]=nobody'), fixed ? [] : ['Emma:alice', 'Persuasion:bob', 'Ulysses:root'])
      assert.deepEqual(await titles('?author%5B%24gt%5D='), fixed ? [] : ['Emma:alice', 'Persuasion:bob', 'Ulysses:root'])
      assert.equal((await send(api, 'GET', '/books', { token: 'not-a-token' })).status, 401)
    })
  })

  test(`${modeName(fixed)}: path-traversal through GET /covers/{fileName} ${fixed ? 'is stopped' : 'reads /etc/passwd'}`, async () => {
    await withApi({ fixed }, async (api) => {
      const token = await login(api, 'bob')
      const cover = await send(api, 'GET', '/covers/emma.txt', { token })
      assert.equal(cover.status, 200)
      assert.match(cover.text, /^EMMA\n/)
      const escaped = await send(api, 'GET', `/covers/${TRAVERSAL}`, { token })
      if (fixed) assert.equal(escaped.status, 404)
      else {
        assert.equal(escaped.status, 200)
        assert.match(escaped.text, /^root:[^:]*:0:0:/m)
      }
      assert.equal((await send(api, 'GET', '/covers/missing.txt', { token })).status, 404)
    })
  })

  test(`${modeName(fixed)}: account-takeover by PUT /users/{username}/password ${fixed ? 'is refused' : 'works'}`, async () => {
    await withApi({ fixed }, async (api) => {
      const bob = await login(api, 'bob')
      const taken = await send(api, 'PUT', '/users/alice/password', { token: bob, body: { password: 'taken-by-bob' } })
      const bobLogsInAsAlice = await send(api, 'POST', '/login', { body: { username: 'alice', password: 'taken-by-bob' } })
      if (fixed) {
        assert.equal(taken.status, 403)
        assert.equal(bobLogsInAsAlice.status, 401)
        await login(api, 'alice')
      } else {
        assert.equal(taken.status, 200)
        assert.equal(bobLogsInAsAlice.status, 200)
      }
      assert.equal((await send(api, 'PUT', '/users/bob/password', { token: bob, body: { password: 'short' } })).status, 400)
      assert.equal((await send(api, 'PUT', '/users/bob/password', { token: bob, body: { password: 'bob-new-password' } })).status, 200)
      const root = await login(api, 'root')
      assert.equal((await send(api, 'PUT', '/users/bob/password', { token: root, body: { password: 'bob-by-root' } })).status, 200)
      assert.equal((await send(api, 'PUT', '/users/nobody/password', { token: root, body: { password: 'nobody-password' } })).status, 404)
    })
  })

  test(`${modeName(fixed)}: account-takeover by PUT /users/{username}/email ${fixed ? 'is refused' : 'works'}`, async () => {
    await withApi({ fixed }, async (api) => {
      const bob = await login(api, 'bob')
      const taken = await send(api, 'PUT', '/users/alice/email', { token: bob, body: { email: 'bob@evil.example' } })
      const alice = await send(api, 'GET', '/users/alice')
      const email = (alice.json.data as { email: string }).email
      if (fixed) {
        assert.equal(taken.status, 403)
        assert.equal(email, 'alice@shelf.example')
      } else {
        assert.deepEqual(taken.json, { data: { username: 'alice', email: 'bob@evil.example', admin: false }, meta: {} })
        assert.equal(email, 'bob@evil.example')
      }
      assert.equal((await send(api, 'PUT', '/users/bob/email', { token: bob, body: { email: 'robert@shelf.example' } })).status, 200)
      assert.equal((await send(api, 'PUT', '/users/bob/email', { token: bob, body: { email: 'not an address' } })).status, 400)
    })
  })

  test(`${modeName(fixed)}: redos remains — the e-mail pattern backtracks exponentially on the caller's own address`, async () => {
    await withApi({ fixed }, async (api) => {
      const alice = await login(api, 'alice')
      const put = (email: string) => send(api, 'PUT', '/users/alice/email', { token: alice, body: { email } })
      const timeOf = async (n: number) => Math.min(await elapsed(() => put(`${'a'.repeat(n)}!`)), await elapsed(() => put(`${'a'.repeat(n)}!`)))
      assert.equal((await put(`${'a'.repeat(27)}!`)).status, 400)
      // About 2^n steps: three more characters cost about eight times as much (asserted as growth, not as a time).
      const short = await timeOf(27)
      const long = await timeOf(30)
      assert.ok(long > 3 * short, `n=27: ${short.toFixed(1)} ms, n=30: ${long.toFixed(1)} ms`)
      // Longer addresses are refused before the pattern runs (it would run for years): the answer comes at all.
      assert.equal((await put(`${'a'.repeat(60)}!`)).status, 400)
      if (fixed) {
        const bob = await login(api, 'bob')
        const refused = await elapsed(async () => assert.equal((await send(api, 'PUT', '/users/alice/email', { token: bob, body: { email: `${'a'.repeat(30)}!` } })).status, 403))
        // The same 30 characters that cost `long` on one's own address: refused before the pattern runs, at a fraction of it.
        assert.ok(refused < long / 3, `another user's address is refused before the pattern runs (${refused.toFixed(1)} ms against ${long.toFixed(1)} ms)`)
      }
    })
  })

  test(`${modeName(fixed)}: mass-assignment on POST /users ${fixed ? 'is ignored' : 'makes an administrator'}`, async () => {
    await withApi({ fixed }, async (api) => {
      const signUp = await send(api, 'POST', '/users', { body: { username: 'mallory', password: 'mallory-password', email: 'mallory@shelf.example', admin: true, role: 'admin' } })
      assert.equal(signUp.status, 201)
      assert.deepEqual(signUp.json, { data: { username: 'mallory', email: 'mallory@shelf.example', admin: !fixed }, meta: {} })
      const token = ((await send(api, 'POST', '/login', { body: { username: 'mallory', password: 'mallory-password' } })).json.data as { token: string }).token
      assert.deepEqual((await send(api, 'GET', '/me', { token })).json.data, { username: 'mallory', email: 'mallory@shelf.example', admin: !fixed })
      assert.equal(decodeJwt(token).role, fixed ? 'reader' : 'admin')
      assert.equal((await send(api, 'POST', '/users', { body: { username: 'mallory', password: 'another-password', email: 'm@shelf.example' } })).status, 409)
      assert.equal((await send(api, 'POST', '/users', { body: { username: "x' OR 1=1--", password: 'another-password', email: 'm@shelf.example' } })).status, 400)
      const plain = await send(api, 'POST', '/users', { body: { username: 'carol', password: 'carol-password', email: 'carol@shelf.example' } })
      assert.deepEqual(plain.json, { data: { username: 'carol', email: 'carol@shelf.example', admin: false }, meta: {} })
    })
  })

  test(`${modeName(fixed)}: debug-endpoint-exposed remains — GET /users/_debug lists every password to anyone`, async () => {
    await withApi({ fixed }, async (api) => {
      const answer = await send(api, 'GET', '/users/_debug')
      assert.equal(answer.status, 200)
      const users = answer.json.data as { username: string; password: string; admin: boolean }[]
      assert.deepEqual(users.map((user) => [user.username, user.password, user.admin]), [
        ['alice', api.users.alice.password, false],
        ['bob', api.users.bob.password, false],
        ['root', api.users.root.password, true],
      ])
    })
  })

  test(`${modeName(fixed)}: user-enumeration on POST /login ${fixed ? 'is gone' : 'tells unknown users from wrong passwords'}; no-rate-limit on it remains`, async () => {
    await withApi({ fixed }, async (api) => {
      const unknown = await send(api, 'POST', '/login', { body: { username: 'nobody', password: 'whatever-password' } })
      const wrong = await send(api, 'POST', '/login', { body: { username: 'alice', password: 'whatever-password' } })
      assert.deepEqual([unknown.status, wrong.status], [401, 401])
      if (fixed) assert.equal(unknown.text, wrong.text)
      else {
        assert.deepEqual(unknown.json.error, { code: 'unknown_user', message: 'no such user' })
        assert.deepEqual(wrong.json.error, { code: 'wrong_password', message: 'wrong password for this user' })
      }
      for (let i = 0; i < 40; i++) assert.equal((await send(api, 'POST', '/login', { body: { username: 'alice', password: `guess-${String(i)}` } })).status, 401)
      assert.deepEqual(api.stats().logins, {})
      await login(api, 'alice')
      assert.deepEqual(api.stats().logins, { alice: 1 })
    })
  })

  test(`${modeName(fixed)}: no-rate-limit on GET /me ${fixed ? 'is gone (25 a second per path and client)' : 'is there'}`, async () => {
    await withApi({ fixed }, async (api) => {
      const token = await login(api, 'alice')
      const statuses = await Promise.all(Array.from({ length: 40 }, () => send(api, 'GET', '/me', { token }).then((answer) => answer.status)))
      assert.equal(statuses.filter((status) => status === 429).length, fixed ? 15 : 0)
      if (fixed) {
        const limited = await send(api, 'GET', '/me', { token })
        assert.equal(limited.headers['retry-after'], '1')
      }
    })
  })

  test(`${modeName(fixed)}: bola on GET /books/{title} ${fixed ? 'is gone' : 'serves any book'}`, async () => {
    await withApi({ fixed }, async (api) => {
      const [alice, bob, root] = [await login(api, 'alice'), await login(api, 'bob'), await login(api, 'root')]
      const created = await send(api, 'POST', '/books', { token: alice, body: { title: 'Middle march', secret: 'alice only' } })
      assert.deepEqual(created.json, { data: { title: 'Middle march', owner: 'alice', secret: 'alice only' }, meta: {} })
      assert.equal((await send(api, 'POST', '/books', { token: bob, body: { title: 'Middle march', secret: 'x' } })).status, 409)
      assert.equal((await send(api, 'GET', `/books/${encodePath('Middle march')}`, { token: alice })).status, 200)
      assert.equal((await send(api, 'GET', '/books/Emma', { token: root })).status, 200)
      const stolen = await send(api, 'GET', `/books/${encodePath('Middle march')}`, { token: bob })
      if (fixed) assert.equal(stolen.status, 404)
      else assert.equal((stolen.json.data as { secret: string }).secret, 'alice only')
      assert.equal((await send(api, 'GET', '/books/Nothing', { token: bob })).status, 404)
    })
  })

  test(`${modeName(fixed)}: bfla on GET /admin/audit-log ${fixed ? 'is gone' : 'serves any user'}`, async () => {
    await withApi({ fixed }, async (api) => {
      const log = await send(api, 'GET', '/admin/audit-log', { token: await login(api, 'alice') })
      assert.equal(log.status, fixed ? 403 : 200)
      const asRoot = await send(api, 'GET', '/admin/audit-log', { token: await login(api, 'root') })
      assert.deepEqual((asRoot.json.data as { actor: string; action: string }[]).map((entry) => `${entry.actor} ${entry.action}`), ['alice login', 'root login'])
    })
  })

  test(`${modeName(fixed)}: the state-resetting operations are counted, and do reset`, async () => {
    await withApi({ fixed }, async (api) => {
      const alice = await login(api, 'alice')
      await send(api, 'POST', '/books', { token: alice, body: { title: 'Lost', secret: 'gone after the reset' } })
      assert.equal((await send(api, 'POST', '/maintenance/purge', { token: alice })).status, 403)
      assert.equal(api.stats().resets, 1)
      assert.deepEqual((await send(api, 'GET', '/setup/reset')).json, { data: { reset: true }, meta: {} })
      assert.equal(api.stats().resets, 2)
      assert.equal((await send(api, 'GET', '/books/Lost', { token: alice })).status, 404)
      const purged = await send(api, 'POST', '/maintenance/purge', { token: await login(api, 'root') })
      assert.deepEqual(purged.json, { data: { purged: 3 }, meta: {} })
      assert.equal(api.stats().resets, 3)
    })
  })
}
