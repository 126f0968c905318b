/**
 * The XSS detector's script URLs and CSS with spaces and quotes around them, and inputs that would
 * make its regular expressions backtrack (its families of attacks and benign text are tested in
 * test/waf/engine-parts.test.ts).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { detectXss } from './xss.js'

test('script URLs and CSS are found with spaces and a quote around the scheme, and not without the scheme', () => {
  for (const attack of ['<a href = " javascript:alert(1)">', "<a href=  '  javascript:x>", '<a href=`javascript:x`>', '<a href=  javascript:x>', '<a href="data: text/html,x">', '<a style="x" b="url( \' javascript:x)">', '<a style=x b=url(javascript:x)>']) {
    assert.ok(detectXss(attack), attack)
  }
  for (const benign of ['<a href = " https://example.com">', '<a href=  \'\'  javascript:x>', '<a style="x" b="url( \'\' javascript:x)">', '<a href=" x javascript:x">']) {
    assert.equal(detectXss(benign), false, benign)
  }
})

// Growth, not a time budget: 8 times the input costs about 8 times the work when linear and 64
// times when quadratic (spaces after `href=` once took 2 s for 64 KB).
test('adversarial inputs are read in linear time: 64 KB costs far less than 64 times 8 KB', () => {
  const cases: [string, string, string][] = [
    ['<a href=', ' ', 'x'],
    ['<a href="', ' ', 'x'],
    ['<a style=x url(', ' ', 'x'],
    ["<a style=x url('", ' ', 'x'],
    ['<a ', 'href=', ''],
    ['<a ', ' on', ''],
    ['"', ' onabc', ''],
    ['', '<a ', ''],
    ['', '<', ''],
  ]
  const cpuMs = (input: string): number => {
    for (let i = 0; i < 3; i++) detectXss(input)
    let best = Infinity
    for (let i = 0; i < 5; i++) {
      const start = process.cpuUsage()
      for (let j = 0; j < 2; j++) detectXss(input)
      const used = process.cpuUsage(start)
      best = Math.min(best, (used.user + used.system) / 2000)
    }
    return best
  }
  for (const [prefix, unit, suffix] of cases) {
    const smallMs = Math.max(cpuMs(prefix + unit.repeat(Math.ceil(8192 / unit.length)) + suffix), 0.05)
    const largeMs = cpuMs(prefix + unit.repeat(Math.ceil(65536 / unit.length)) + suffix)
    assert.ok(largeMs < smallMs * 24, `${JSON.stringify(prefix + unit)}: 8 KB took ${smallMs.toFixed(2)} ms, 64 KB ${largeMs.toFixed(2)} ms`)
  }
})
