/**
 * The CRS v4.28.0 regression suite (go-ftw YAML in ../shared/crs/v4.28.0/regression-tests)
 * replayed through the engine in process, request and response phases: every test passes,
 * except those in test/fixtures/waf/crs-overrides.yaml, each with its reason (they check only
 * the reference web server's own status for a malformed request). An overridden test that starts
 * passing must leave the file.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { loadCrsForRegression } from '../../src/waf/conformance/crs-suite.js'
import { readFtwOverrides, readFtwTests, runFtwTest } from '../../src/waf/conformance/ftw.js'

const CRS = resolve(import.meta.dirname, '../../../shared/crs/v4.28.0')
const OVERRIDES = resolve(import.meta.dirname, '../fixtures/waf/crs-overrides.yaml')

test('the CRS regression suite: every test passes or is overridden with a reason', () => {
  assert.ok(existsSync(join(CRS, 'regression-tests')), `the OWASP CRS regression tests are expected at ${CRS}/regression-tests (../shared beside the repository)`)
  const ruleSet = loadCrsForRegression(CRS)
  const overrides = new Set(readFtwOverrides(OVERRIDES).map((o) => o.name))
  const outcomes = readFtwTests(join(CRS, 'regression-tests')).map((t) => runFtwTest(ruleSet, t))
  assert.ok(outcomes.length > 2000, `only ${outcomes.length} tests found`)
  const failing = outcomes.filter((o) => !o.passed && !overrides.has(o.name)).map((o) => `${o.name} (${o.detail})`)
  assert.deepEqual(failing, [], 'tests that fail without an override')
  const passingButOverridden = outcomes.filter((o) => o.passed && overrides.has(o.name)).map((o) => o.name)
  assert.deepEqual(passingButOverridden, [], 'overridden tests that now pass: remove them from the overrides file')
})
