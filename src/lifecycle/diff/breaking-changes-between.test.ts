import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { SpecInputError } from '../../audit/spec-source.js'
import { breakingChangesBetween } from './breaking-changes-between.js'

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/diff')

test('the reload hook: breaking and possibly breaking changes between two files, with the whole report', async () => {
  const result = await breakingChangesBetween(join(FIXTURES, 'security/old.yaml'), join(FIXTURES, 'security/new.yaml'))
  assert.ok(result.breaking.length > 0)
  assert.ok(result.breaking.every((change) => change.level === 'error'))
  assert.ok(result.possiblyBreaking.every((change) => change.level === 'warning'))
  assert.ok(result.breaking.some((change) => change.id === 'api-security-added' && change.operation === 'GET /public'))
  assert.equal(result.report.changes.length, result.breaking.length + result.possiblyBreaking.length + result.report.changes.filter((change) => change.level === 'info').length)
  const same = await breakingChangesBetween(join(FIXTURES, 'security/new.yaml'), join(FIXTURES, 'security/new.yaml'))
  assert.deepEqual([same.breaking, same.possiblyBreaking, same.report.changes], [[], [], []])
})

test('the reload hook rejects an unreadable or invalid document with its reason', async () => {
  await assert.rejects(breakingChangesBetween(join(FIXTURES, 'missing.yaml'), join(FIXTURES, 'security/new.yaml')), { code: 'ENOENT' })
  await assert.rejects(breakingChangesBetween(join(FIXTURES, 'security/old.yaml'), join(FIXTURES, '../audit/../diff/paths')), { code: 'EISDIR' })
  await assert.rejects(breakingChangesBetween(join(import.meta.dirname, '../../../package.json'), join(FIXTURES, 'security/new.yaml')), SpecInputError)
})
