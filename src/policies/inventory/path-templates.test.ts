import assert from 'node:assert/strict'
import { test } from 'node:test'
import { seededRandom } from '../../../test/helpers/seeded-random.js'
import { PathTemplates } from './path-templates.js'
import { paramKindOf } from './segment-kinds.js'

const LIMITS = { maxNodes: 2000, maxLiteralsPerSegment: 24, maxDepth: 16 }
const COUNTER = { create: () => ({ n: 0 }), merge: (into: { n: number }, from: { n: number }) => void (into.n += from.n) }

function count(payload: { n: number } | null): void {
  if (payload !== null) payload.n++
}

type Value = (random: (n: number) => number) => string

const hex = (length: number): Value => (random) => Array.from({ length }, () => '0123456789abcdef'[random(16)]).join('')
const alnum = (length: number): Value => (random) => Array.from({ length }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789'[random(58)]).join('')
const integer: Value = (random) => String(1 + random(100000))
const uuid: Value = (random) => [hex(8), hex(4), hex(4), hex(4), hex(12)].map((f) => f(random)).join('-')
const date: Value = (random) => `20${String(10 + random(15))}-0${String(1 + random(9))}-1${String(random(9))}`
const syllables = ['ka', 'lo', 'mi', 'ran', 'tor', 'vel', 'sun', 'dra', 'pe', 'qui', 'zen', 'bo', 'nix', 'al', 'fer']
/** Names of people, organisations and repositories: plain words, told from literals only by how many there are. */
const word: Value = (random) => Array.from({ length: 2 + random(3) }, () => syllables[random(syllables.length)]).join('') + (random(4) === 0 ? '-js' : '')
const email: Value = (random) => `${word(random)}@example.org`
const prefixed =
  (prefix: string): Value =>
  (random) =>
    `${prefix}_${alnum(14)(random)}`

/** A realistic corpus: GitHub-, Stripe- and shop-like APIs; `{}` marks a parameter in the expected templates. */
const ENDPOINTS: [string, Value[]][] = [
  ['/user', []],
  ['/user/repos', []],
  ['/notifications', []],
  ['/users/{}', [word]],
  ['/users/{}/repos', [word]],
  ['/users/{}/followers', [word]],
  ['/orgs/{}/members', [word]],
  ['/repos/{}/{}', [word, word]],
  ['/repos/{}/{}/issues', [word, word]],
  ['/repos/{}/{}/issues/{}', [word, word, integer]],
  ['/repos/{}/{}/issues/{}/comments', [word, word, integer]],
  ['/repos/{}/{}/pulls/{}', [word, word, integer]],
  ['/repos/{}/{}/commits/{}', [word, word, hex(40)]],
  ['/gists/{}', [hex(32)]],
  ['/v1/customers', []],
  ['/v1/customers/{}', [prefixed('cus')]],
  ['/v1/customers/{}/sources', [prefixed('cus')]],
  ['/v1/charges/{}', [prefixed('ch')]],
  ['/v1/payment_intents/{}/confirm', [prefixed('pi')]],
  ['/v1/invoices/{}/lines', [prefixed('in')]],
  ['/v1/events/{}', [prefixed('evt')]],
  ['/api/orders/{}/items/{}', [integer, integer]],
  ['/api/users/{}', [uuid]],
  ['/api/users/me', []],
  ['/api/reports/{}', [date]],
  ['/api/accounts/{}/settings', [email]],
]

function corpus(requests: number, seed: number): string[] {
  const random = seededRandom(seed)
  const paths: string[] = []
  for (let i = 0; i < requests; i++) {
    const [template, values] = ENDPOINTS[random(ENDPOINTS.length)] as [string, Value[]]
    let index = 0
    paths.push(template.replace(/\{\}/g, () => (values[index++] as Value)(random)))
  }
  return paths
}

const shapeOf = (template: string) => template.replace(/\{[^}]*\}/g, '{}')

test('templates learned from a GitHub/Stripe-like corpus match the endpoints (precision and recall reported)', (t) => {
  const templates = new PathTemplates(LIMITS, COUNTER)
  for (const path of corpus(20000, 7)) count(templates.record(path))
  const learned = [...templates.templates()].map((t) => ({ template: t.template, shape: shapeOf(t.template), n: t.payload.n }))
  const expected = new Set(ENDPOINTS.map(([template]) => template))
  const correct = learned.filter((l) => expected.has(l.shape))
  const precision = correct.length / learned.length
  const recall = new Set(correct.map((t) => t.shape)).size / expected.size
  const wrong = learned.filter((t) => !expected.has(t.shape))
  // Reported, so a change to the heuristics shows its effect in the test output.
  t.diagnostic(`templates: ${String(learned.length)} learned, precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}; wrong: ${wrong.map((t) => `${t.template} (${String(t.n)})`).join(', ') || 'none'}`)
  assert.ok(precision >= 0.95, `precision ${String(precision)}`)
  assert.equal(recall, 1)
  // Every request lands in exactly one template.
  assert.equal(learned.reduce((sum, t) => sum + t.n, 0), 20000)
  assert.ok(learned.some((t) => t.template === '/repos/{id}/{id2}/issues/{issueId}'), 'parameters are named after the collection before them')
  assert.ok(learned.some((t) => t.template === '/api/users/me'), 'a frequent literal beside a parameter stays literal')
})

test('segments that are values whatever the traffic: ids, uuids, hex, dates, e-mail addresses, prefixed and long opaque tokens', () => {
  for (const value of ['42', '8f14e45f-ceea-467f-a0e6-1fe2d4f2e2c1', 'deadbeef0123', '2026-12-07', 'ann@example.org', 'cus_NffrFeUfNV2Hib', 'a'.repeat(41), 'AbCd1234EfGh5678', 'sku-12345']) {
    assert.notEqual(paramKindOf(value), null, value)
  }
  for (const word of ['users', 'v1', 'v2beta1', 'oauth2', 'payment_intents', 'me', 'search', 'healthz', 'api']) assert.equal(paramKindOf(word), null, word)
})

test('e-mail segments are told as the plain pattern told them', () => {
  const plain = /^[^@/\s]+@[^@/\s]+\.[^@/\s]+$/
  const random = seededRandom(5)
  const alphabet = ['a', 'b', '.', '@', '/', ' ', '-', '1']
  for (let i = 0; i < 5000; i++) {
    let segment = ''
    for (let n = 1 + random(10); n > 0; n--) segment += alphabet[random(alphabet.length)] as string
    if (segment.includes('@')) assert.equal(paramKindOf(segment) === 'email', plain.test(segment), segment)
  }
})

// Growth, not a time budget: 8 times the segment (or JSON key) costs about 8 times the work when
// linear, 64 times when quadratic (a domain of 64 KB of dots once took 2.7 s).
test('segments are told in linear time: 64 KB costs far less than 64 times 8 KB', () => {
  const cpuMs = (segment: string): number => {
    for (let i = 0; i < 3; i++) paramKindOf(segment)
    let best = Infinity
    for (let i = 0; i < 5; i++) {
      const start = process.cpuUsage()
      for (let j = 0; j < 2; j++) paramKindOf(segment)
      const used = process.cpuUsage(start)
      best = Math.min(best, (used.user + used.system) / 2000)
    }
    return best
  }
  const cases: [string, string, string][] = [['a@', '.', ' '], ['a@', '.', '@'], ['a@', 'a.', '/'], ['', 'a@', ''], ['2026-01-01T', '1', 'x'], ['0x', 'a', 'g'], ['ab_', 'a', '!']]
  for (const [prefix, unit, suffix] of cases) {
    const smallMs = Math.max(cpuMs(prefix + unit.repeat(8192 / unit.length) + suffix), 0.05)
    const largeMs = cpuMs(prefix + unit.repeat(65536 / unit.length) + suffix)
    assert.ok(largeMs < smallMs * 24, `${JSON.stringify(prefix + unit + suffix)}: 8 KB took ${smallMs.toFixed(2)} ms, 64 KB ${largeMs.toFixed(2)} ms`)
  }
})

test('a flood of random paths stays within the node bound and is counted as dropped', () => {
  const templates = new PathTemplates({ maxNodes: 300, maxLiteralsPerSegment: 24, maxDepth: 8 }, COUNTER)
  const random = seededRandom(3)
  let recorded = 0
  for (let i = 0; i < 50000; i++) {
    const depth = 1 + random(8)
    const path = '/' + Array.from({ length: depth }, () => word(random)).join('/')
    const payload = templates.record(path)
    count(payload)
    if (payload !== null) recorded++
    assert.ok(templates.nodeCount <= 300)
  }
  const total = [...templates.templates()].reduce((sum, t) => sum + t.payload.n, 0)
  assert.equal(total, recorded)
  assert.equal(recorded + templates.dropped, 50000)
})

test('paths deeper than maxDepth are dropped; trailing and double slashes do not make new templates', () => {
  const templates = new PathTemplates({ maxNodes: 100, maxLiteralsPerSegment: 4, maxDepth: 3 }, COUNTER)
  assert.equal(templates.record('/a/b/c/d'), null)
  assert.equal(templates.dropped, 1)
  count(templates.record('/a/b/'))
  count(templates.record('//a//b'))
  assert.deepEqual([...templates.templates()].map((t) => [t.template, t.payload.n]), [['/a/b', 2]])
})
