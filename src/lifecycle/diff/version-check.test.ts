import assert from 'node:assert/strict'
import { test } from 'node:test'
import { stringify } from 'yaml'
import { readSpecSource } from '../../audit/spec-source.js'
import { diffSpecs } from './diff-specs.js'
import { bumpBetween, parseSemver } from './version-check.js'

function document(version: string, operations: Record<string, unknown>): string {
  return stringify({ openapi: '3.0.3', info: { title: 'versions', version }, paths: { '/a': operations } })
}
const GET = { get: { responses: { '200': { description: 'ok' } } } }
const GET_AND_POST = { ...GET, post: { responses: { '201': { description: 'created' } } } }

/** The level of api-version-not-bumped, or `none`. */
function verdict(oldVersion: string, newVersion: string, before: Record<string, unknown>, after: Record<string, unknown>): string {
  const report = diffSpecs(readSpecSource('old.yaml', document(oldVersion, before)), readSpecSource('new.yaml', document(newVersion, after)))
  return report.changes.find((change) => change.id === 'api-version-not-bumped')?.level ?? 'none'
}

test('semver versions are read with a leading v and pre-release or build suffixes; other schemes are not', () => {
  assert.deepEqual(parseSemver('v1.2.3-rc.1+build.5'), { major: 1, minor: 2, patch: 3 })
  assert.deepEqual(parseSemver('2.1'), { major: 2, minor: 1, patch: 0 })
  for (const other of ['1', '2024-01-01', 'latest', '']) assert.equal(parseSemver(other), undefined, other)
})

test('bumps: below 1.0.0 the minor number is the major and the patch the minor; going back is no bump', () => {
  const bump = (a: string, b: string) => bumpBetween(parseSemver(a) ?? assert.fail(a), parseSemver(b) ?? assert.fail(b))
  assert.equal(bump('1.2.3', '2.0.0'), 'major')
  assert.equal(bump('1.2.3', '1.3.0'), 'minor')
  assert.equal(bump('1.2.3', '1.2.4'), 'patch')
  assert.equal(bump('0.1.0', '0.2.0'), 'major')
  assert.equal(bump('0.1.0', '0.1.1'), 'minor')
  assert.equal(bump('2.0.0', '1.9.0'), 'none')
  assert.equal(bump('1.0.0', '1.0.0'), 'none')
})

test('a breaking change needs a major bump (error), a compatible one a minor bump (warning)', () => {
  assert.equal(verdict('1.0.0', '1.1.0', GET_AND_POST, GET), 'error')
  assert.equal(verdict('1.0.0', '2.0.0', GET_AND_POST, GET), 'none')
  assert.equal(verdict('1.0.0', '1.0.0', GET_AND_POST, GET), 'error')
  assert.equal(verdict('0.1.0', '0.2.0', GET_AND_POST, GET), 'none')
  assert.equal(verdict('0.1.0', '0.1.1', GET_AND_POST, GET), 'error')
  assert.equal(verdict('1.0.0', '1.0.1', GET, GET_AND_POST), 'warning')
  assert.equal(verdict('1.0.0', '1.1.0', GET, GET_AND_POST), 'none')
  assert.equal(verdict('0.1.0', '0.1.1', GET, GET_AND_POST), 'none')
  // Nothing changed: no bump needed. Versions that are not semver are not judged.
  assert.equal(verdict('1.0.0', '1.0.0', GET, GET), 'none')
  assert.equal(verdict('2024-01-01', '2024-02-01', GET_AND_POST, GET), 'none')
})
