/**
 * The diff engine on a fixture per category (test/fixtures/diff/<category>/{old,new}.yaml, OpenAPI
 * 3.0), and on the same fixtures written as OpenAPI 3.1 (YAML) and Swagger 2.0 (JSON): the exact
 * check ids and levels, their lines in both files, and no change at all between a document and
 * itself or a reformatted copy (JSON, keys reordered, refs inlined).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { stringify } from 'yaml'
import { readSpecSource, type SpecSource } from '../../src/audit/spec-source.js'
import { DIFF_CHECKS } from '../../src/lifecycle/diff/check-catalog.js'
import { diffSpecs } from '../../src/lifecycle/diff/diff-specs.js'
import type { DiffReport } from '../../src/lifecycle/diff/diff-types.js'
import { reformatted, toOas31, toSwagger2 } from '../helpers/openapi-variants.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/diff')
const NOW = Date.parse('2026-01-01T00:00:00Z')

type Version = '3.0' | '3.1' | '2.0'

interface Category {
  /** `level id` of every change, once each (the same check may fire at several places). */
  readonly expected: readonly string[]
  /** How many changes the OpenAPI 3.0 fixture yields. */
  readonly count: number
  /** Checks that do not apply to a version (what it cannot express). */
  readonly notIn?: Partial<Record<Version, readonly string[]>>
}

const CATEGORIES: Readonly<Record<string, Category>> = {
  paths: {
    count: 14,
    expected: [
      'error api-path-removed-without-deprecation',
      'error api-removed-before-sunset',
      'error api-removed-without-deprecation',
      'info api-operation-id-added',
      'info api-path-added',
      'info api-path-parameter-renamed',
      'info api-removed-after-sunset',
      'info api-tag-added',
      'info api-tag-removed',
      'info api-version-changed',
      'info endpoint-added',
      'warning api-operation-id-changed',
      'warning api-operation-id-removed',
      'warning api-removed-deprecated-without-sunset',
    ],
  },
  parameters: {
    count: 13,
    expected: [
      'error api-version-not-bumped',
      'error new-required-request-parameter',
      'error request-parameter-became-required',
      'error request-parameter-empty-value-disallowed',
      'error request-parameter-enum-value-removed',
      'error request-parameter-maximum-decreased',
      'error request-parameter-min-length-set',
      'error request-parameter-serialization-changed',
      'error request-parameter-type-changed',
      'info api-version-changed',
      'info new-optional-request-parameter',
      'info request-parameter-deprecated',
      'warning request-parameter-removed',
    ],
    notIn: { '2.0': ['error request-parameter-min-length-set', 'error request-parameter-serialization-changed'] },
  },
  'request-body': {
    count: 17,
    expected: [
      'error new-required-request-body',
      'error request-body-additional-properties-narrowed',
      'error request-body-became-required',
      'error request-body-media-type-removed',
      'error request-property-became-required',
      'error request-property-max-length-decreased',
      'error request-property-new-required',
      'error request-property-pattern-added',
      'info api-schema-removed',
      'info api-version-changed',
      'info request-body-became-optional',
      'info request-body-media-type-added',
      'info request-property-enum-value-added',
      'info request-property-new-optional',
      'info request-property-type-widened',
      'warning request-body-removed',
      'warning request-property-removed',
    ],
  },
  responses: {
    count: 29,
    expected: [
      'error response-body-removed',
      'error response-body-type-widened',
      'error response-media-type-removed',
      'error response-property-became-nullable',
      'error response-property-became-optional',
      'error response-property-required-removed',
      'error response-required-header-removed',
      'error response-success-status-removed',
      'info api-version-changed',
      'info response-header-added',
      'info response-header-became-required',
      'info response-non-success-status-added',
      'info response-property-new-optional',
      'info response-success-status-added',
      'warning response-media-type-added',
      'warning response-non-success-status-removed',
      'warning response-optional-header-removed',
      'warning response-property-enum-value-added',
      'warning response-property-format-removed',
      'warning response-property-maximum-increased',
      'warning response-property-removed',
    ],
    // Swagger 2.0 response headers have no `required`.
    notIn: { '2.0': ['error response-required-header-removed', 'info response-header-became-required'] },
  },
  schemas: {
    count: 42,
    expected: [
      'error request-property-became-not-nullable',
      'error request-property-format-changed',
      'error request-property-max-length-decreased',
      'error request-property-max-properties-decreased',
      'error request-property-maximum-set',
      'error request-property-min-items-increased',
      'error request-property-min-length-increased',
      'error request-property-minimum-increased',
      'error request-property-multiple-of-set',
      'error request-property-not-added',
      'error request-property-one-of-variant-removed',
      'error request-property-type-changed',
      'error request-property-unique-items-set',
      'error response-property-became-nullable',
      'error response-property-became-write-only',
      'error response-property-discriminator-property-changed',
      'error response-property-type-changed',
      'error response-property-type-widened',
      'info api-version-changed',
      'info request-property-any-of-variant-added',
      'info request-property-deprecated',
      'info request-property-enum-removed',
      'info request-property-max-items-increased',
      'info request-property-type-widened',
      'info response-property-enum-value-removed',
      'info response-property-maximum-decreased',
      'warning request-property-became-read-only',
      'warning request-property-default-changed',
      'warning request-property-pattern-changed',
      'warning response-body-max-items-unset',
      'warning response-property-max-length-increased',
      'warning response-property-min-length-unset',
    ],
    notIn: {
      '2.0': ['error request-property-not-added', 'error request-property-one-of-variant-removed', 'error response-property-became-write-only', 'info request-property-any-of-variant-added', 'info request-property-deprecated'],
    },
  },
  security: {
    count: 19,
    expected: [
      'error api-security-added',
      'error api-security-requirement-removed',
      'error api-security-scope-added',
      'error security-scheme-api-key-location-changed',
      'error security-scheme-api-key-name-changed',
      'error security-scheme-http-scheme-changed',
      'error security-scheme-oauth-flow-removed',
      'error security-scheme-scope-removed',
      'error security-scheme-type-changed',
      'info api-security-requirement-added',
      'info api-version-changed',
      'info security-scheme-added',
      'info security-scheme-oauth-flow-added',
      'info security-scheme-scope-added',
      'warning api-security-removed',
      'warning security-scheme-openid-connect-url-changed',
      'warning security-scheme-removed',
      'warning security-scheme-token-url-changed',
    ],
    // Swagger 2.0 has no bearer or OpenID Connect schemes and one flow per OAuth 2.0 scheme.
    notIn: { '2.0': ['error security-scheme-http-scheme-changed', 'error security-scheme-oauth-flow-removed', 'error security-scheme-type-changed', 'info security-scheme-oauth-flow-added', 'warning security-scheme-openid-connect-url-changed'] },
  },
  lifecycle: {
    count: 10,
    expected: [
      'error api-stability-decreased',
      'error api-sunset-earlier',
      'error api-version-not-bumped',
      'info api-deprecated',
      'info api-stability-increased',
      'info api-sunset-added',
      'info api-sunset-later',
      'warning api-deprecation-removed',
      'warning api-sunset-invalid',
      'warning api-sunset-removed',
    ],
  },
  servers: {
    count: 3,
    expected: ['info api-server-added', 'info api-version-changed', 'warning api-server-removed'],
    // Swagger 2.0 has one host.
    notIn: { '2.0': ['info api-server-added', 'warning api-server-removed'] },
  },
  'base-path': {
    count: 4,
    expected: ['error api-base-path-changed', 'info api-server-added', 'info api-version-changed', 'warning api-server-removed'],
  },
}

function fixture(category: string, side: 'old' | 'new'): SpecSource {
  const file = join(FIXTURES, category, `${side}.yaml`)
  return readSpecSource(file, readFileSync(file, 'utf8'))
}

/** The fixture written in another version, as YAML (3.1) or JSON (2.0). */
function variant(category: string, side: 'old' | 'new', version: Version): SpecSource {
  const source = fixture(category, side)
  if (version === '3.0') return source
  if (version === '3.1') return readSpecSource(`${side}.3.1.yaml`, stringify(toOas31(source.document)))
  return readSpecSource(`${side}.2.0.json`, JSON.stringify(toSwagger2(source.document), null, 2))
}

const summary = (report: DiffReport) => [...new Set(report.changes.map((change) => `${change.level} ${change.id}`))].sort()

describe('each category, in each document version', () => {
  for (const [category, { expected, count, notIn }] of Object.entries(CATEGORIES)) {
    for (const version of ['3.0', '3.1', '2.0'] as const) {
      test(`${category} (${version})`, () => {
        const before = variant(category, 'old', version)
        const after = variant(category, 'new', version)
        assert.equal(before.format, { '3.0': 'oas3.0', '3.1': 'oas3.1', '2.0': 'oas2' }[version])
        const report = diffSpecs(before, after, { now: NOW })
        const skipped = new Set(notIn?.[version] ?? [])
        assert.deepEqual(summary(report), expected.filter((entry) => !skipped.has(entry)))
        if (version === '3.0') assert.equal(report.changes.length, count, report.changes.map((change) => `${change.id} ${change.message}`).join('\n'))
        for (const side of [before, after]) assert.deepEqual(diffSpecs(side, side, { now: NOW }).changes, [], `${category} ${version} against itself`)
      })
    }
  }
})

test('every fixture against a reformatted copy of itself (JSON, keys reversed, refs inlined): no changes', () => {
  for (const category of Object.keys(CATEGORIES)) {
    for (const side of ['old', 'new'] as const) {
      const source = fixture(category, side)
      const copy = readSpecSource(`${side}.json`, JSON.stringify(reformatted(source.document), null, 2))
      assert.notEqual(copy.positions.locate(['paths']).line, source.positions.locate(['paths']).line)
      assert.deepEqual(diffSpecs(source, copy, { now: NOW }).changes, [], `${category}/${side}`)
    }
  }
})

test('changes are located in both files: line and column of the value in the old and the new document', () => {
  const at = (category: string, id: string, operation?: string) => {
    const change = diffSpecs(fixture(category, 'old'), fixture(category, 'new'), { now: NOW }).changes.find((candidate) => candidate.id === id && (operation === undefined || candidate.operation === operation))
    assert.ok(change, `${category}: ${id}`)
    return `${String(change.old?.line)}:${String(change.old?.column)} ${change.old?.pointer ?? ''} → ${String(change.new?.line)}:${String(change.new?.column)} ${change.new?.pointer ?? ''}`
  }
  assert.equal(at('parameters', 'request-parameter-maximum-decreased'), '18:13 /paths/~1items~1{itemId}/get/parameters/1/schema/maximum → 18:13 /paths/~1items~1{itemId}/get/parameters/1/schema/maximum')
  assert.equal(at('request-body', 'request-property-max-length-decreased'), '57:11 /components/schemas/NewPet/properties/name/maxLength → 59:11 /components/schemas/NewPet/properties/name/maxLength')
  assert.equal(at('responses', 'response-required-header-removed'), '42:13 /paths/~1orders~1{id}/get/responses/200/headers/X-Rate-Limit → 32:9 /paths/~1orders~1{id}/get/responses/200')
  assert.equal(at('responses', 'response-property-maximum-increased', 'GET /orders/{id}'), '96:17 /components/schemas/Order/properties/items/items/properties/qty/maximum → 87:17 /components/schemas/Order/properties/items/items/properties/qty/maximum')
  assert.equal(at('security', 'api-security-added'), '10:7 /paths/~1public/get/security → 10:7 /paths/~1public/get/security')
  assert.equal(at('paths', 'api-removed-without-deprecation'), '13:5 /paths/~1users/post → 6:3 /paths/~1users')
  assert.equal(at('lifecycle', 'api-sunset-earlier'), '14:7 /paths/~1b/get/x-sunset → 16:7 /paths/~1b/get/x-sunset')
  // The removed property is shown in the old file, and at its object in the new one.
  assert.equal(at('request-body', 'request-property-removed'), '65:9 /components/schemas/NewPet/properties/notes → 52:5 /components/schemas/NewPet')
})

test('every reported check id is in the catalog, and the catalog has over a hundred', () => {
  assert.ok(DIFF_CHECKS.size > 100, String(DIFF_CHECKS.size))
  for (const { expected } of Object.values(CATEGORIES)) {
    for (const entry of expected) {
      const [level, id] = entry.split(' ')
      const definition = DIFF_CHECKS.get(id ?? '')
      assert.ok(definition, entry)
      // api-version-not-bumped is an error or a warning depending on what was found.
      if (id !== 'api-version-not-bumped') assert.equal(definition.level, level, entry)
    }
  }
})

test('a Swagger 2.0 pair in JSON, read in place: its own notions (basePath, collectionFormat, x-nullable, basic) and JSON lines', () => {
  const read = (side: string) => {
    const file = join(FIXTURES, 'swagger2', `${side}.json`)
    return readSpecSource(file, readFileSync(file, 'utf8'))
  }
  const report = diffSpecs(read('old'), read('new'), { now: NOW })
  assert.deepEqual(summary(report), [
    'error api-base-path-changed',
    'error api-security-scope-added',
    'error api-version-not-bumped',
    'error request-body-became-required',
    'error request-parameter-serialization-changed',
    'error response-property-became-nullable',
    'error security-scheme-scope-removed',
    'error security-scheme-type-changed',
    'info api-server-added',
    'info api-version-changed',
    'info request-property-became-nullable',
    'info request-property-enum-value-added',
    'warning api-server-removed',
    'warning response-property-enum-value-added',
  ])
  const place = (id: string) => {
    const change = report.changes.find((candidate) => candidate.id === id)
    return `${String(change?.old?.line)}:${String(change?.old?.column)} ${change?.old?.pointer ?? ''} → ${String(change?.new?.line)}:${String(change?.new?.column)} ${change?.new?.pointer ?? ''}`
  }
  assert.equal(place('request-parameter-serialization-changed'), '17:111 /paths/~1widgets/get/parameters/0/collectionFormat → 17:111 /paths/~1widgets/get/parameters/0/collectionFormat')
  assert.equal(place('response-property-became-nullable'), '37:15 /definitions/Widget/properties/id → 37:49 /definitions/Widget/properties/id/x-nullable')
  assert.equal(place('api-base-path-changed'), '5:15 /basePath → 5:15 /basePath')
  assert.equal(place('security-scheme-type-changed'), '9:24 /securityDefinitions/basic/type → 9:24 /securityDefinitions/basic/type')
})
