/**
 * Every schema check id, generated: each aspect (a pair of schemas, before and after) placed in
 * each of the six places a schema can sit — request body, request property, request parameter,
 * response body, response property, response header — in OpenAPI 3.0, 3.1 and Swagger 2.0
 * documents; the diff must report exactly that check id at its catalog level, and nothing else.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { stringify } from 'yaml'
import { readSpecSource } from '../../src/audit/spec-source.js'
import { DIFF_CHECKS, PROPERTY_ASPECTS, SCHEMA_ASPECTS, SCHEMA_PLACES, type SchemaPlace } from '../../src/lifecycle/diff/check-catalog.js'
import { diffSpecs } from '../../src/lifecycle/diff/diff-specs.js'
import { toOas31, toSwagger2 } from '../helpers/openapi-variants.js'

type Schema = Record<string, unknown>
type Version = '3.0' | '3.1' | '2.0'

const BOUND_BASES: Readonly<Record<string, readonly [keyword: string, base: Schema]>> = {
  'max-length': ['maxLength', { type: 'string' }],
  'min-length': ['minLength', { type: 'string' }],
  maximum: ['maximum', { type: 'integer' }],
  minimum: ['minimum', { type: 'integer' }],
  'max-items': ['maxItems', { type: 'array', items: { type: 'string' } }],
  'min-items': ['minItems', { type: 'array', items: { type: 'string' } }],
  'max-properties': ['maxProperties', { type: 'object' }],
  'min-properties': ['minProperties', { type: 'object' }],
}

function boundPair(aspect: string): [Schema, Schema] | undefined {
  const match = /^(.+)-(increased|decreased|set|unset)$/.exec(aspect)
  const entry = match ? BOUND_BASES[match[1] ?? ''] : undefined
  if (!match || !entry) return undefined
  const [keyword, base] = entry
  const pairs: Record<string, [Schema, Schema]> = {
    increased: [{ ...base, [keyword]: 5 }, { ...base, [keyword]: 10 }],
    decreased: [{ ...base, [keyword]: 10 }, { ...base, [keyword]: 5 }],
    set: [base, { ...base, [keyword]: 5 }],
    unset: [{ ...base, [keyword]: 5 }, base],
  }
  return pairs[match[2] ?? '']
}

const S = { type: 'string' }
const reverse = (pair: [Schema, Schema]): [Schema, Schema] => [pair[1], pair[0]]
const VARIANTS = (keyword: string): [Schema, Schema] => [{ [keyword]: [S] }, { [keyword]: [S, { type: 'integer' }] }]

/** Before and after for each schema aspect. */
const ASPECT_PAIRS: Readonly<Record<string, [Schema, Schema]>> = {
  'type-changed': [S, { type: 'boolean' }],
  'type-narrowed': [{ type: 'number' }, { type: 'integer' }],
  'type-widened': [{ type: 'integer' }, { type: 'number' }],
  'format-changed': [{ ...S, format: 'date' }, { ...S, format: 'uuid' }],
  'format-added': [S, { ...S, format: 'uuid' }],
  'format-removed': [{ ...S, format: 'uuid' }, S],
  'became-nullable': [S, { ...S, nullable: true }],
  'became-not-nullable': [{ ...S, nullable: true }, S],
  'enum-value-added': [{ ...S, enum: ['a'] }, { ...S, enum: ['a', 'b'] }],
  'enum-value-removed': [{ ...S, enum: ['a', 'b'] }, { ...S, enum: ['a'] }],
  'enum-added': [S, { ...S, enum: ['a'] }],
  'enum-removed': [{ ...S, enum: ['a'] }, S],
  'pattern-added': [S, { ...S, pattern: '^a$' }],
  'pattern-changed': [{ ...S, pattern: '^a$' }, { ...S, pattern: '^b$' }],
  'pattern-removed': [{ ...S, pattern: '^a$' }, S],
  'multiple-of-set': [{ type: 'number' }, { type: 'number', multipleOf: 2 }],
  'multiple-of-changed': [{ type: 'number', multipleOf: 2 }, { type: 'number', multipleOf: 3 }],
  'multiple-of-unset': [{ type: 'number', multipleOf: 2 }, { type: 'number' }],
  'unique-items-set': [{ type: 'array', items: S }, { type: 'array', items: S, uniqueItems: true }],
  'unique-items-unset': [{ type: 'array', items: S, uniqueItems: true }, { type: 'array', items: S }],
  'additional-properties-narrowed': [{ type: 'object' }, { type: 'object', additionalProperties: false }],
  'additional-properties-widened': [{ type: 'object', additionalProperties: false }, { type: 'object' }],
  'one-of-variant-added': VARIANTS('oneOf'),
  'one-of-variant-removed': reverse(VARIANTS('oneOf')),
  'any-of-variant-added': VARIANTS('anyOf'),
  'any-of-variant-removed': reverse(VARIANTS('anyOf')),
  'not-added': [S, { ...S, not: { enum: [''] } }],
  'not-removed': [{ ...S, not: { enum: [''] } }, S],
  'discriminator-property-changed': [{ type: 'object', discriminator: { propertyName: 'a' } }, { type: 'object', discriminator: { propertyName: 'b' } }],
  'discriminator-mapping-changed': [{ type: 'object', discriminator: { propertyName: 'a', mapping: { x: '#/components/schemas/X' } } }, { type: 'object', discriminator: { propertyName: 'a', mapping: { y: '#/components/schemas/X' } } }],
  'default-added': [S, { ...S, default: 'a' }],
  'default-changed': [{ ...S, default: 'a' }, { ...S, default: 'b' }],
  'default-removed': [{ ...S, default: 'a' }, S],
  'external-ref-changed': [{ $ref: 'other.yaml#/A' }, { $ref: 'other.yaml#/B' }],
}

const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({ type: 'object', properties, ...(required.length > 0 ? { required } : {}) })
const FLAGGED = (flag: string): [Schema, Schema] => [object({ x: S }), object({ x: { ...S, [flag]: true } })]

/** Before and after for each aspect of an object member (the member is `x`). */
const MEMBER_PAIRS: Readonly<Record<string, [Schema, Schema]>> = {
  'new-required': [object({}), object({ x: S }, ['x'])],
  'new-optional': [object({}), object({ x: S })],
  removed: [object({ x: S }), object({})],
  'required-removed': [object({ x: S }, ['x']), object({})],
  'became-required': [object({ x: S }), object({ x: S }, ['x'])],
  'became-optional': [object({ x: S }, ['x']), object({ x: S })],
  'became-read-only': FLAGGED('readOnly'),
  'became-not-read-only': reverse(FLAGGED('readOnly')),
  'became-write-only': FLAGGED('writeOnly'),
  'became-not-write-only': reverse(FLAGGED('writeOnly')),
  deprecated: FLAGGED('deprecated'),
  'deprecation-removed': reverse(FLAGGED('deprecated')),
}

/** What Swagger 2.0 cannot say (the converter leaves it out). */
const NOT_IN_SWAGGER = new Set(['one-of-variant-added', 'one-of-variant-removed', 'any-of-variant-added', 'any-of-variant-removed', 'not-added', 'not-removed', 'discriminator-mapping-changed', 'became-write-only', 'became-not-write-only', 'deprecated', 'deprecation-removed'])

/** An OpenAPI 3.0 document with `schema` at `place`. */
function documentWith(place: SchemaPlace, schema: Schema): Record<string, unknown> {
  const operation: Record<string, unknown> = { responses: { '200': { description: 'ok' } } }
  const body = (content: Schema) => ({ content: { 'application/json': { schema: content } } })
  if (place === 'request-body') operation.requestBody = body(schema)
  if (place === 'request-property') operation.requestBody = body(object({ p: schema }))
  if (place === 'request-parameter') operation.parameters = [{ name: 'p', in: 'query', schema }]
  if (place === 'response-body') operation.responses = { '200': { description: 'ok', ...body(schema) } }
  if (place === 'response-property') operation.responses = { '200': { description: 'ok', ...body(object({ p: schema })) } }
  if (place === 'response-header') operation.responses = { '200': { description: 'ok', headers: { 'X-H': { schema } } } }
  // Not a semver version: info.version is not judged here.
  return { openapi: '3.0.3', info: { title: 'generated', version: 'test' }, paths: { '/p': { post: operation } } }
}

function diffIds(version: Version, place: SchemaPlace, before: Schema, after: Schema): string[] {
  const render = (schema: Schema, side: string) => {
    const document = documentWith(place, structuredClone(schema))
    if (version === '3.0') return readSpecSource(`${side}.yaml`, stringify(document))
    if (version === '3.1') return readSpecSource(`${side}.yaml`, stringify(toOas31(document)))
    return readSpecSource(`${side}.json`, JSON.stringify(toSwagger2(document)))
  }
  return diffSpecs(render(before, 'old'), render(after, 'new')).changes.map((change) => `${change.level} ${change.id}`)
}

const level = (id: string) => DIFF_CHECKS.get(id)?.level ?? 'unknown'

describe('every schema check, in every place and document version', () => {
  for (const version of ['3.0', '3.1', '2.0'] as const) {
    for (const place of SCHEMA_PLACES) {
      test(`${place} (${version})`, () => {
        const wrong: string[] = []
        for (const [aspect] of SCHEMA_ASPECTS) {
          if (version === '2.0' && NOT_IN_SWAGGER.has(aspect)) continue
          const pair = ASPECT_PAIRS[aspect] ?? boundPair(aspect)
          assert.ok(pair, `no fixture for ${aspect}`)
          const id = `${place}-${aspect}`
          const found = diffIds(version, place, ...pair)
          if (found.join() !== `${level(id)} ${id}`) wrong.push(`${id}: ${found.join(', ') || 'nothing'}`)
        }
        if (place === 'request-body' || place === 'response-body') {
          for (const [aspect] of PROPERTY_ASPECTS) {
            if (version === '2.0' && NOT_IN_SWAGGER.has(aspect)) continue
            const pair = MEMBER_PAIRS[aspect]
            assert.ok(pair, `no fixture for ${aspect}`)
            const id = `${place === 'request-body' ? 'request' : 'response'}-property-${aspect}`
            const found = diffIds(version, place, ...pair)
            if (found.join() !== `${level(id)} ${id}`) wrong.push(`${id}: ${found.join(', ') || 'nothing'}`)
          }
        }
        assert.deepEqual(wrong, [])
      })
    }
  }
})
