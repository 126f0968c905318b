import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { seededRandom } from '../../test/helpers/seeded-random.js'
import { parseTemplate } from './path-template.js'
import { createRouter, type RouterApi } from './router.js'
import { createVersionSelector } from './version-selector.js'

function api(name: string, basePath: string, routes: [string, string][], hosts: string[] = []): RouterApi<string> {
  return { name, hosts, basePath, routes: routes.map(([method, template]) => ({ method, template, value: `${name} ${method} ${template}` })), catchAll: null }
}

describe('router', () => {
  const router = createRouter([
    api('orders', '/orders/v2', [
      ['GET', '/orders'],
      ['GET', '/orders/{id}'],
      ['DELETE', '/orders/{id}'],
      ['GET', '/orders/new'],
      ['GET', '/files/{name}.{ext}'],
      ['GET', '/files/{name}'],
      ['POST', '/orders/{orderId}/items'],
    ]),
    api('root', '/', [['GET', '/health']]),
    api('tenant', '/', [['GET', '/t']], ['*.tenant.example']),
    api('exact', '/', [['GET', '/t']], ['a.tenant.example']),
    { name: 'catch', hosts: ['catch.example'], basePath: '/', routes: [], catchAll: 'catch-all' },
  ])
  const look = (method: string, path: string, host = 'gw.example', preflight: string | null = null) => router.lookup(host, method, path, preflight)

  test('matches templates and extracts parameters', () => {
    const found = look('GET', '/orders/v2/orders/42')
    assert.equal(found.kind, 'match')
    if (found.kind === 'match') {
      assert.equal(found.value, 'orders GET /orders/{id}')
      assert.deepEqual(found.params, { id: '42' })
      assert.equal(found.relativePath, '/orders/42')
    }
  })

  test('the most specific template wins, and falls back when it lacks the method', () => {
    const staticMatch = look('GET', '/orders/v2/orders/new')
    assert.equal(staticMatch.kind === 'match' && staticMatch.value, 'orders GET /orders/new')
    const paramMatch = look('DELETE', '/orders/v2/orders/new')
    assert.equal(paramMatch.kind === 'match' && paramMatch.value, 'orders DELETE /orders/{id}')
    const pattern = look('GET', '/orders/v2/files/report.pdf')
    assert.ok(pattern.kind === 'match')
    assert.deepEqual(pattern.params, { name: 'report', ext: 'pdf' })
    const plain = look('GET', '/orders/v2/files/report')
    assert.equal(plain.kind === 'match' && plain.value, 'orders GET /files/{name}')
  })

  test('decodes parameters per segment', () => {
    const found = look('POST', '/orders/v2/orders/a%20b/items')
    assert.ok(found.kind === 'match')
    assert.deepEqual(found.params, { orderId: 'a b' })
  })

  test('unknown paths are not found; known paths with another method list Allow', () => {
    assert.equal(look('GET', '/orders/v2/nothing').kind, 'not-found')
    assert.equal(look('GET', '/elsewhere').kind, 'not-found')
    const wrong = look('PUT', '/orders/v2/orders/1')
    assert.deepEqual(wrong, { kind: 'method-not-allowed', allow: 'DELETE, GET, HEAD' })
    const head = look('HEAD', '/orders/v2/orders/1')
    assert.equal(head.kind === 'match' && head.value, 'orders GET /orders/{id}')
  })

  test('the base path matches on segment boundaries only', () => {
    assert.equal(look('GET', '/orders/v2x/orders').kind, 'not-found')
    assert.equal(look('GET', '/health').kind, 'match')
  })

  test('hosts: exact before wildcard before any; ports ignored', () => {
    const exact = look('GET', '/t', 'a.tenant.example:8443')
    assert.equal(exact.kind === 'match' && exact.value, 'exact GET /t')
    const wildcard = look('GET', '/t', 'b.tenant.example')
    assert.equal(wildcard.kind === 'match' && wildcard.value, 'tenant GET /t')
    assert.equal(look('GET', '/t', 'tenant.example').kind, 'not-found')
    const all = look('PATCH', '/any/path', 'catch.example')
    assert.equal(all.kind === 'match' && all.value, 'catch-all')
  })

  test('routes an encoded / or \\ inside a segment on the decoded value, and says so', () => {
    const slash = look('GET', '/orders/v2/orders/group%2Fsub%2Fproject')
    assert.ok(slash.kind === 'match')
    assert.equal(slash.value, 'orders GET /orders/{id}')
    assert.deepEqual(slash.params, { id: 'group/sub/project' })
    assert.equal(slash.pathHazard, 'encoded-separator')
    assert.equal(slash.relativePath, '/orders/group%2Fsub%2Fproject')
    const backslash = look('GET', '/orders/v2/orders/dir%5Cfile.txt')
    assert.ok(backslash.kind === 'match')
    assert.deepEqual(backslash.params, { id: 'dir\\file.txt' })
    assert.equal(backslash.pathHazard, 'encoded-separator')
    const pattern = look('GET', '/orders/v2/files/a%2Fb.pdf')
    assert.ok(pattern.kind === 'match')
    assert.deepEqual(pattern.params, { name: 'a/b', ext: 'pdf' })
    const plain = look('GET', '/orders/v2/orders/a..b%20c')
    assert.ok(plain.kind === 'match')
    assert.equal(plain.pathHazard, 'none')
  })

  test('routes paths an upstream could read as another resource, marked ambiguous', () => {
    for (const id of ['..', '.', '%2e%2e', '%2E', 'a%2F..%2Fadmin', '..%2Fetc', 'a%5C..', 'a%2F.%2Fb', 'a%00', 'a\\b', '..%5C..%5Cwin.ini']) {
      const found = look('GET', `/orders/v2/orders/${id}`)
      assert.ok(found.kind === 'match', id)
      assert.equal(found.value, 'orders GET /orders/{id}', id)
      assert.equal(found.pathHazard, 'ambiguous', id)
    }
    const later = look('POST', '/orders/v2/orders/%2e%2e/items')
    assert.ok(later.kind === 'match' && later.pathHazard === 'ambiguous')
  })

  test('refuses paths that cannot be decoded', () => {
    for (const path of ['/orders/v2/orders/%ff', '/orders/v2/orders/%zz', '/orders/v2/orders/%', '/orders/v2/orders/%E0%80%AF', '/orders/v2/orders/%C0%AE', '/orders/v2/orders/\u00e9', '/orders/v2/orders/a b']) {
      assert.equal(look('GET', path).kind, 'bad-path', path)
    }
  })

  test('routes a CORS preflight to the route of the method it asks about', () => {
    const preflight = look('OPTIONS', '/orders/v2/orders/1', 'gw.example', 'DELETE')
    assert.ok(preflight.kind === 'match')
    assert.equal(preflight.value, 'orders DELETE /orders/{id}')
    assert.equal(preflight.isPreflight, true)
    assert.equal(look('OPTIONS', '/orders/v2/orders/1', 'gw.example', 'PATCH').kind, 'method-not-allowed')
  })

  test('refuses duplicate routes and malformed templates at build time', () => {
    assert.throws(() => createRouter([api('x', '/', [['GET', '/a'], ['GET', '/a']])]), /declared twice/)
    assert.throws(() => createRouter([api('x', '/', [['GET', '/a/{id']])]), /unbalanced/)
    assert.throws(() => createRouter([api('x', '/', [['GET', '/a/{id}/{id}']])]), /repeats/)
  })
})

describe('versions at one path', () => {
  const selector = createVersionSelector({ kind: 'header', header: 'X-API-Version' })
  const version = (label: string, options: { isDefault?: boolean; listed?: boolean; hosts?: string[] } = {}): RouterApi<string> => ({
    ...api(`orders@${label}`, '/orders', [['GET', '/items'], ['DELETE', '/items/{id}']], options.hosts ?? []),
    version: { selector, label, isDefault: options.isDefault ?? false, listed: options.listed ?? true },
  })
  const router = createRouter([version('1', { isDefault: true }), version('2'), version('3', { listed: false }), api('other', '/other', [['GET', '/x']])])
  const look = (headers: Record<string, string>, method = 'GET', path = '/orders/items', preflight: string | null = null) => router.lookup('gw.example', method, path, preflight, headers)

  test('the header picks the version; none names the default; the rest of the lookup is as usual', () => {
    const two = look({ 'x-api-version': '2' })
    assert.equal(two.kind === 'match' && two.value, 'orders@2 GET /items')
    const fallback = look({})
    assert.equal(fallback.kind === 'match' && fallback.value, 'orders@1 GET /items')
    assert.deepEqual(look({ 'x-api-version': '2' }, 'PUT'), { kind: 'method-not-allowed', allow: 'GET, HEAD', vary: 'X-API-Version' })
    assert.deepEqual(look({ 'x-api-version': '2' }, 'GET', '/orders/nowhere'), { kind: 'not-found', vary: 'X-API-Version' })
    assert.equal(look({ 'x-api-version': '3' }).kind, 'match', 'a draft is routed; its lifecycle hides it')
    // A path or method the draft lacks must not tell its label from an unknown one (404, or 405 with its Allow).
    assert.deepEqual(look({ 'x-api-version': '3' }, 'GET', '/orders/nowhere'), look({ 'x-api-version': '9' }))
    assert.deepEqual(look({ 'x-api-version': '3' }, 'PUT'), look({ 'x-api-version': '9' }))
    const other = router.lookup('gw.example', 'GET', '/other/x', null)
    assert.equal(other.kind === 'match' && other.value, 'other GET /x')
  })

  test('an unknown version is refused with the listed versions; drafts are not listed', () => {
    const refused = look({ 'x-api-version': '9' })
    assert.ok(refused.kind === 'version-refused')
    assert.equal(refused.refusal.code, 'GW_ERR_API_VERSION_UNKNOWN')
    assert.deepEqual(refused.refusal.versions, ['1', '2'])
    assert.equal(refused.refusal.vary, 'X-API-Version')
  })

  test('without a default, naming a version is required, except in a CORS preflight (the first listed version answers it)', () => {
    const required = createRouter([version('3', { listed: false }), version('1'), version('2')])
    const missing = required.lookup('gw.example', 'GET', '/orders/items', null, {})
    assert.ok(missing.kind === 'version-refused' && missing.refusal.code === 'GW_ERR_API_VERSION_REQUIRED')
    const preflight = required.lookup('gw.example', 'OPTIONS', '/orders/items/7', 'DELETE', { origin: 'https://app.example' })
    assert.equal(preflight.kind === 'match' && preflight.value, 'orders@1 DELETE /items/{id}')
  })

  test('the same label twice at one path is refused at build time', () => {
    assert.throws(() => createRouter([version('1'), version('1')]), /version 1 is mounted twice at \/orders/)
  })
})

describe('segments holding several parameters', () => {
  const templates = ['{a}.{b}', '{a}-{b}-{c}', 'v{a}.json', '{a}{b}', 'x{a}x{b}x', '{a}..{b}', 'f-{a}.{b}.tar']
  const matcherOf = (template: string) => {
    const segment = parseTemplate(`/${template}`).segments[0]
    assert.ok(segment?.kind === 'pattern')
    return segment.match
  }

  test('capture what the lazy regex captured', () => {
    const random = seededRandom(7)
    const alphabet = ['a', '.', '-', 'x', 'v', 'f', '\n', '..', '.json', '.tar']
    for (const template of templates) {
      const match = matcherOf(template)
      const literals = template.split(/\{[a-z]\}/).map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      const regex = new RegExp(`^${literals.join('(.+?)')}$`)
      for (let i = 0; i < 3000; i++) {
        let segment = ''
        for (let n = random(12); n > 0; n--) segment += alphabet[random(alphabet.length)] as string
        assert.deepEqual(match(segment), regex.exec(segment)?.slice(1) ?? null, `${template} on ${JSON.stringify(segment)}`)
      }
    }
  })

  // Growth, not a time budget: 8 times the segment costs about 8 times the work when linear, 64
  // times when quadratic (the regex retried every split: 57 s for 8 KB in `{a}-{b}-{c}`).
  test('are matched in linear time', () => {
    const router = createRouter([api('f', '/', [['GET', '/f/{name}.{ext}'], ['GET', '/g/{a}.{b}.json'], ['GET', '/h/{a}-{b}-{c}']])])
    const cpuMs = (path: string): number => {
      for (let i = 0; i < 3; i++) router.lookup('gw.example', 'GET', path, null)
      let best = Infinity
      for (let i = 0; i < 5; i++) {
        const start = process.cpuUsage()
        router.lookup('gw.example', 'GET', path, null)
        const used = process.cpuUsage(start)
        best = Math.min(best, (used.user + used.system) / 1000)
      }
      return best
    }
    const cases: [string, string, string][] = [['/f/', 'a.', '%0A'], ['/f/', '.', '%0A'], ['/g/', 'a.', '']]
    for (const [prefix, unit, suffix] of cases) {
      const smallMs = Math.max(cpuMs(prefix + unit.repeat(8192 / unit.length) + suffix), 0.05)
      const largeMs = cpuMs(prefix + unit.repeat(65536 / unit.length) + suffix)
      assert.ok(largeMs < smallMs * 24, `${prefix}${JSON.stringify(unit)}: 8 KB took ${smallMs.toFixed(2)} ms, 64 KB ${largeMs.toFixed(2)} ms`)
    }
  })
})
