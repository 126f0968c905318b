/**
 * The CRS v4.28.0 regression suite (go-ftw YAML in regression-tests/ of test/helpers/third-party.ts's CRS_DIR)
 * replayed through the engine by `portcullis waf regression`, request and response phases:
 * every test passes, except those in test/fixtures/waf/crs-overrides.yaml, each with its reason
 * (they check only the reference web server's own status for a malformed request); an
 * overridden test that starts passing must leave the file (exit 1 says so).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { CRS_DIR, skipWithoutCrsRegression } from '../helpers/third-party.js'

const ROOT = resolve(import.meta.dirname, '../..')
const CRS = CRS_DIR

test('portcullis waf regression: every CRS test passes or is overridden with a reason', { skip: skipWithoutCrsRegression }, () => {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin/portcullis.js'), 'waf', 'regression', '--crs', CRS, '--overrides', join(ROOT, 'test/fixtures/waf/crs-overrides.yaml')], { encoding: 'utf8', timeout: 300_000 })
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`)
  const [, passed, failed] = /without overrides: (\d+) passed, (\d+) failed/.exec(run.stdout) ?? []
  assert.ok(Number(passed) > 2400 && Number(passed) + Number(failed) > 2400, run.stdout)
  assert.match(run.stdout, /with overrides \(\d+ overridden\): \d+ passed, 0 failed/)
})

test('portcullis waf regression: a directory without a suite is an error that says what is missing (exit 2)', () => {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin/portcullis.js'), 'waf', 'regression', '--crs', ROOT], { encoding: 'utf8', timeout: 60_000 })
  assert.equal(run.status, 2)
  assert.match(run.stderr, /no regression tests at .*regression-tests: give a CRS release directory/)
})
