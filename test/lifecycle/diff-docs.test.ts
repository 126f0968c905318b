/** docs/diff.md lists every check of the diff engine with its level: the generated part matches the catalog. */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { DIFF_CHECKS } from '../../src/lifecycle/diff/check-catalog.js'
import { DOCS_FILE, withTables } from '../../scripts/diff-check-docs.js'

test('docs/diff.md is in sync with the check catalog (node --import tsx scripts/diff-check-docs.ts rewrites it)', () => {
  const page = readFileSync(DOCS_FILE, 'utf8')
  assert.equal(page, withTables(page))
  for (const id of DIFF_CHECKS.keys()) assert.ok(page.includes(`\`${id}\``), id)
})
