/**
 * Field matchers of the masking policy: `*`-patterns of names and `$..`-paths agree with the
 * regular expressions they were written as, and take time linear in the name or path.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { seededRandom } from '../../../test/helpers/seeded-random.js'
import { nameMatcher, pathMatcher } from './json-masker.js'

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The regular expressions the matchers were first written as. */
function plainName(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`, 'i')
}

function plainPath(path: string): RegExp {
  let source = '^'
  for (const token of path.slice(1).match(/\.\.[^.[\]]+|\.[^.[\]]+|\[\*\]|\[\d+\]/g) ?? []) {
    if (token.startsWith('..')) source += `(?:.*)\\.${escape(token.slice(2))}`
    else if (token === '[*]') source += '\\[\\d+\\]'
    else if (token.startsWith('[')) source += escape(token)
    else source += `\\.${escape(token.slice(1))}`
  }
  return new RegExp(`${source}$`)
}

test('name patterns match the names their regular expressions matched', () => {
  const random = seededRandom(3)
  const alphabet = ['a', 'A', 'b', 'k', 'K', 'e', 'y', 'ab', '\n', '\r', '\u2028', '.', 'ſ', 'é', 'É']
  for (const pattern of ['*', 'a', 'A*', '*b', '*a*', '*ab*', 'a*b', '*a*b*', 'a**b', '*k*e*y*', 'a*a', '*a.b*', 'ab*ab', '*é*']) {
    const matches = nameMatcher(pattern)
    const plain = plainName(pattern)
    for (let i = 0; i < 3000; i++) {
      let name = ''
      for (let n = random(9); n > 0; n--) name += alphabet[random(alphabet.length)] as string
      assert.equal(matches(name), plain.test(name), `${pattern} on ${JSON.stringify(name)}`)
    }
  }
})

test('paths match the paths their regular expressions matched', () => {
  const random = seededRandom(9)
  const alphabet = ['.a', '.b', '.ab', '[1]', '[12]', '[', ']', '.', 'a', '\n', '.a\n', '[*]']
  for (const path of ['$.a', '$..a', '$..a..b', '$.a..b', '$..a[*]', '$..a[*].b..b', '$..a..a', '$[*]..b', '$..a[1]', '$..ab..a.b']) {
    const matches = pathMatcher(path)
    const plain = plainPath(path)
    for (let i = 0; i < 3000; i++) {
      let candidate = ''
      for (let n = random(9); n > 0; n--) candidate += alphabet[random(alphabet.length)] as string
      assert.equal(matches(candidate), plain.test(candidate), `${path} on ${JSON.stringify(candidate)}`)
    }
  }
})

// Growth, not a time budget: 8 times the name costs about 8 times the work when linear and 64
// times when quadratic (`*api*key*` on 64 KB of `api` once took 0.8 s).
test('names and paths are matched in linear time: 64 KB costs far less than 64 times 8 KB', () => {
  const cpuMs = (matches: (text: string) => boolean, text: string): number => {
    for (let i = 0; i < 3; i++) matches(text)
    let best = Infinity
    for (let i = 0; i < 5; i++) {
      const start = process.cpuUsage()
      for (let j = 0; j < 2; j++) matches(text)
      const used = process.cpuUsage(start)
      best = Math.min(best, (used.user + used.system) / 2000)
    }
    return best
  }
  const cases: [(text: string) => boolean, string, string, string][] = [
    [nameMatcher('*token*'), '', 'token', '\n'],
    [nameMatcher('*api*key*'), '', 'api', ''],
    [nameMatcher('*a*b*c*'), '', 'ab', ''],
    [pathMatcher('$..a..b'), '', '.a', ''],
    [pathMatcher('$..a[*]..b'), '', '.a[1]', ''],
    [pathMatcher('$..token'), '', '.token', '\n'],
  ]
  for (const [matches, prefix, unit, suffix] of cases) {
    const smallMs = Math.max(cpuMs(matches, prefix + unit.repeat(Math.ceil(8192 / unit.length)) + suffix), 0.05)
    const largeMs = cpuMs(matches, prefix + unit.repeat(Math.ceil(65536 / unit.length)) + suffix)
    assert.ok(largeMs < smallMs * 24, `${JSON.stringify(unit)}: 8 KB took ${smallMs.toFixed(2)} ms, 64 KB ${largeMs.toFixed(2)} ms`)
  }
})
