import assert from 'node:assert/strict'
import { test } from 'node:test'
import { stringify } from 'yaml'
import { readSpecSource } from '../../audit/spec-source.js'
import { diffSpecs } from './diff-specs.js'

/** A document whose response is the schema `Node`, with `schemas` as its components. */
function document(schemas: Record<string, unknown>): string {
  const content = { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } }
  return stringify({ openapi: '3.0.3', info: { title: 'schemas', version: 'x' }, paths: { '/n': { get: { responses: { '200': { description: 'ok', content } } } } }, components: { schemas } })
}

const node = (nameType: string) => ({
  Node: { type: 'object', properties: { name: { type: nameType }, next: { $ref: '#/components/schemas/Node' }, pair: { allOf: [{ $ref: '#/components/schemas/Other' }] } } },
  Other: { type: 'object', properties: { back: { $ref: '#/components/schemas/Node' }, label: { type: nameType } } },
})

test('recursive schemas (direct, through allOf, mutual) are compared once per pair and finish', () => {
  const report = diffSpecs(readSpecSource('old.yaml', document(node('string'))), readSpecSource('new.yaml', document(node('integer'))))
  assert.deepEqual(
    report.changes.map((change) => `${change.id} ${change.message}`),
    ['response-property-type-changed response 200 application/json, property `name`: type changed from string to integer', 'response-property-type-changed response 200 application/json, property `pair.label`: type changed from string to integer'],
  )
  assert.equal(report.truncated, false)
})

test('past its node bound the comparison stops and says so', () => {
  const wide = (type: string) => ({ Node: { type: 'object', properties: Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`p${String(index)}`, { type: 'object', properties: { v: { type } } }])) } })
  const report = diffSpecs(readSpecSource('old.yaml', document(wide('string'))), readSpecSource('new.yaml', document(wide('integer'))), { maxSchemaNodes: 10 })
  assert.equal(report.truncated, true)
  assert.ok(report.changes.some((change) => change.id === 'diff-truncated'))
  assert.ok(report.changes.filter((change) => change.id === 'response-property-type-changed').length < 50)
})
