import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { OperationRecord } from './api-inventory.js'
import type { InventorySnapshot } from './inventory-service.js'
import { mergeSchemas, mergeSnapshots } from './merge-snapshots.js'

const operation = (over: Partial<OperationRecord>): OperationRecord => ({
  method: 'GET',
  template: '/users/{id}',
  classification: 'shadow',
  declared: false,
  operationId: null,
  deprecated: false,
  sunset: null,
  count: 1,
  lastSeen: '2026-12-07T10:00:00.000Z',
  statuses: { '200': 1 },
  query: [],
  requestMediaTypes: {},
  responseMediaTypes: {},
  overflow: 0,
  ...over,
})

const snapshot = (operations: OperationRecord[], since: string): InventorySnapshot => ({
  format: 'portcullis-inventory/1',
  generatedAt: since,
  since,
  apis: [{ name: 'shop', basePath: '/', hasRoutes: false, nodes: 3, templates: 1, dropped: 1, summary: { active: 0, shadow: 1, zombie: 0, orphan: 0 }, operations }],
})

test('snapshots of several processes merge: counts and statuses add, names unite, an orphan seen elsewhere is not one', () => {
  const a = snapshot([operation({ query: ['page'], parameters: { id: ['integer'] } }), operation({ method: 'POST', template: '/orders', classification: 'orphan', declared: true, count: 0, statuses: {}, lastSeen: null })], '2026-12-07T09:00:00.000Z')
  const b = snapshot([operation({ count: 2, statuses: { '200': 1, '404': 1 }, query: ['q'], parameters: { id: ['uuid'] }, lastSeen: '2026-12-07T11:00:00.000Z' }), operation({ method: 'POST', template: '/orders', classification: 'active', declared: true })], '2026-12-07T08:00:00.000Z')
  const merged = mergeSnapshots([a, b], Date.parse('2026-12-07T12:00:00.000Z'))
  assert.equal(merged.since, '2026-12-07T08:00:00.000Z')
  const [api] = merged.apis
  assert.equal(api?.dropped, 2)
  assert.deepEqual(api?.summary, { active: 1, shadow: 1, zombie: 0, orphan: 0 })
  const users = api?.operations.find((o) => o.template === '/users/{id}')
  assert.deepEqual([users?.count, users?.statuses, users?.query, users?.parameters, users?.lastSeen], [3, { '200': 2, '404': 1 }, ['page', 'q'], { id: ['integer', 'uuid'] }, '2026-12-07T11:00:00.000Z'])
})

test('schemas merge as their samples would: types unite, a property is required only where both require it', () => {
  const merged = mergeSchemas(
    { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } }, required: ['id', 'name'] },
    { type: 'object', properties: { id: { type: 'number' }, email: { type: 'string', format: 'email' } }, required: ['email', 'id'] },
  )
  assert.deepEqual(merged, {
    type: 'object',
    properties: { email: { type: 'string', format: 'email' }, id: { type: 'number' }, name: { type: 'string' } },
    required: ['id'],
  })
})
