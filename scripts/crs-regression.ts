/**
 * Replays the CRS regression suite (go-ftw YAML) through the WAF engine in process and prints
 * `N passed, N failed` with and without the overrides, then the failing test names.
 * Usage: node --import tsx scripts/crs-regression.ts [--crs ../shared/crs/v4.28.0] [--only 942100] [--verbose]
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { loadCrsForRegression } from '../src/waf/conformance/crs-suite.js'
import { readFtwOverrides, readFtwTests, runFtwTest } from '../src/waf/conformance/ftw.js'

const { values } = parseArgs({
  options: {
    crs: { type: 'string', default: resolve(import.meta.dirname, '../../shared/crs/v4.28.0') },
    overrides: { type: 'string', default: resolve(import.meta.dirname, '../test/fixtures/waf/crs-overrides.yaml') },
    only: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
})

const suite = join(values.crs, 'regression-tests')
if (!existsSync(suite)) {
  process.stderr.write(`no regression tests at ${suite}: pass --crs with a CRS release directory that holds regression-tests/\n`)
  process.exit(2)
}
const started = performance.now()
const ruleSet = loadCrsForRegression(values.crs)
const loadedMs = performance.now() - started
const overrides = new Map(existsSync(values.overrides) ? readFtwOverrides(values.overrides).map((o) => [o.name, o.reason]) : [])
const tests = readFtwTests(suite).filter((t) => values.only === undefined || t.name.startsWith(values.only))

let passed = 0
let overridden = 0
const failures: string[] = []
const runStarted = performance.now()
for (const test of tests) {
  const outcome = runFtwTest(ruleSet, test)
  if (outcome.passed) passed++
  else if (overrides.has(test.name)) overridden++
  else failures.push(`${test.name}: ${outcome.detail}`)
}
const runMs = performance.now() - runStarted

process.stdout.write(`rule set: ${ruleSet.rules.size} rules loaded in ${loadedMs.toFixed(0)} ms; ${tests.length} tests in ${runMs.toFixed(0)} ms\n`)
process.stdout.write(`without overrides: ${passed} passed, ${tests.length - passed} failed (${((100 * passed) / Math.max(tests.length, 1)).toFixed(1)} %)\n`)
if (values.verbose || failures.length <= 50) for (const failure of failures) process.stdout.write(`  failed ${failure}\n`)
else process.stdout.write(`  (${failures.length} failures; --verbose lists them)\n`)
process.stdout.write(`with overrides (${overridden} overridden): ${passed + overridden} passed, ${failures.length} failed\n`)
process.exitCode = failures.length === 0 ? 0 : 1
