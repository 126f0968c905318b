/**
 * Transformations on inputs that make backtracking regular expressions slow: the trims agree with
 * the plain regular expressions they replaced and take time linear in the value.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TRANSFORMATIONS } from '../../src/waf/transformations.js'
import { seededRandom } from '../helpers/seeded-random.js'

const t = (name: string) => TRANSFORMATIONS.get(name) as (s: string) => string

test('trim, trimLeft and trimRight remove what the plain regular expressions removed', () => {
  const reference: Record<string, (s: string) => string> = {
    trim: (s) => s.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, ''),
    trimleft: (s) => s.replace(/^[\t\n\v\f\r ]+/, ''),
    trimright: (s) => s.replace(/[\t\n\v\f\r ]+$/, ''),
  }
  const random = seededRandom(11)
  const alphabet = [' ', '\t', '\n', '\v', '\f', '\r', '\u00a0', 'a', 'b']
  for (let i = 0; i < 5000; i++) {
    let value = ''
    for (let n = random(10); n > 0; n--) value += alphabet[random(alphabet.length)] as string
    for (const [name, expected] of Object.entries(reference)) assert.equal(t(name)(value), expected(value), `${name} on ${JSON.stringify(value)}`)
  }
})

// Growth, not a time budget: 8 times the input costs about 8 times the work when linear and 64
// times when quadratic (spaces between two letters once took 2 s for 64 KB).
test('the trims take time linear in the value: 64 KB costs far less than 64 times 8 KB', () => {
  const cpuMs = (transformation: (s: string) => string, input: string): number => {
    for (let i = 0; i < 3; i++) transformation(input)
    let best = Infinity
    for (let i = 0; i < 5; i++) {
      const start = process.cpuUsage()
      for (let j = 0; j < 2; j++) transformation(input)
      const used = process.cpuUsage(start)
      best = Math.min(best, (used.user + used.system) / 2000)
    }
    return best
  }
  for (const name of ['trim', 'trimleft', 'trimright']) {
    for (const unit of [' ', '\t', '\n', ' a']) {
      const smallMs = Math.max(cpuMs(t(name), `a${unit.repeat(Math.ceil(8192 / unit.length))}a`), 0.05)
      const largeMs = cpuMs(t(name), `a${unit.repeat(Math.ceil(65536 / unit.length))}a`)
      assert.ok(largeMs < smallMs * 24, `${name} ${JSON.stringify(unit)}: 8 KB took ${smallMs.toFixed(2)} ms, 64 KB ${largeMs.toFixed(2)} ms`)
    }
  }
})
