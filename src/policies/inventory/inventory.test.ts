import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pino } from 'pino'
import { NO_POLICY_METRICS, type AnyPolicyDeps } from '../../pipeline/define-policy.js'
import { RemoteDocuments } from '../../openapi/remote-documents.js'
import { RequestContext } from '../../pipeline/context.js'
import type { AccessLogEntry } from '../../observability/access-log.js'
import { createSchemaValidator } from '../../config/validate.js'
import { inventory } from './index.js'
import type { InventoryService } from './inventory-service.js'

function setUp(config: Record<string, unknown>) {
  const value = structuredClone(config)
  assert.deepEqual(createSchemaValidator(inventory.configSchema).validate(value), [])
  const service = inventory.service?.({}, { logger: pino({ level: 'silent' }), clock: { now: () => 1_000 }, metrics: NO_POLICY_METRICS, dataStore: null, events: null }) as InventoryService
  const deps: AnyPolicyDeps = {
    logger: pino({ level: 'silent' }),
    clock: { now: () => 1_000 },
    api: 'shop',
    baseDir: '/',
    basePath: '/shop',
    operations: new Map(),
    openapiFile: null,
    openapiRemote: new RemoteDocuments([]),
    metrics: NO_POLICY_METRICS,
    memo: <T>(_key: string, build: () => T) => build(),
    sections: {},
    service,
  }
  return { hooks: inventory.create(value as never, deps), service, config: value }
}

function catchAllContext(path: string, headers: Record<string, string> = {}): RequestContext {
  return new RequestContext({
    requestId: 'r',
    method: 'POST',
    path,
    query: '',
    headers,
    rawHeaders: Object.entries(headers).flat(),
    client: { address: '127.0.0.1', peerAddress: '127.0.0.1', peerPort: 1, tls: null },
    route: { api: 'shop', template: '*', operationId: null, params: {} },
    isPreflight: false,
    receivedAt: 0,
  })
}

const entry = (status: number) => ({ status }) as AccessLogEntry

test('schema: defaults, and bounds refused out of range', () => {
  const { config } = setUp({})
  assert.deepEqual(config, { sampleRate: 0.05, maxBodyBytes: 65536, maxNodes: 2000, maxLiteralsPerSegment: 24, maxDepth: 16, orphanAfterSec: 0, onFailure: 'closed' })
  assert.notDeepEqual(createSchemaValidator(inventory.configSchema).validate({ sampleRate: 2 }), [])
  assert.notDeepEqual(createSchemaValidator(inventory.configSchema).validate({ maxNodes: 1 }), [])
})

test('bodies are wanted only when sampled, JSON, and of a known length within maxBodyBytes', () => {
  const never = setUp({ sampleRate: 0 }).hooks
  assert.equal(never.wantsRequestBody?.(catchAllContext('/shop/orders', { 'content-type': 'application/json', 'content-length': '10' })), false)
  const always = setUp({ sampleRate: 1, maxBodyBytes: 100 }).hooks
  assert.equal(always.wantsRequestBody?.(catchAllContext('/shop/orders', { 'content-type': 'application/json', 'content-length': '10' })), true)
  assert.equal(always.wantsRequestBody?.(catchAllContext('/shop/orders', { 'content-type': 'application/json', 'content-length': '101' })), false)
  assert.equal(always.wantsRequestBody?.(catchAllContext('/shop/orders', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })), false)
  assert.equal(always.wantsRequestBody?.(catchAllContext('/shop/orders', { 'content-type': 'text/plain', 'content-length': '10' })), false)
  const ctx = catchAllContext('/shop/orders')
  assert.equal(always.wantsResponseBody?.(ctx), true, 'a sampled request may want its response')
  ctx.response = { status: 200, headers: { 'content-type': 'application/json', 'content-length': '5000' } }
  assert.equal(always.wantsResponseBody?.(ctx), false, 'not one larger than maxBodyBytes')
  ctx.response = { status: 200, headers: { 'content-type': 'application/json', 'content-length': '50', 'content-encoding': 'gzip' } }
  assert.equal(always.wantsResponseBody?.(ctx), false, 'nor an encoded one')
})

test('hooks record paths relative to the base path, sampled bodies as shapes, unrouted requests as shadow', () => {
  const { hooks, service } = setUp({ sampleRate: 1 })
  const ctx = catchAllContext('/shop/orders/42', { 'content-type': 'application/json', 'content-length': '20' })
  assert.equal(hooks.wantsRequestBody?.(ctx), true)
  void hooks.onRequestBody?.(ctx, Buffer.from('{"qty":1,"sku":"S-1"}'))
  ctx.response = { status: 201, headers: { 'content-type': 'application/json', 'content-length': '9' } }
  void hooks.onResponseBody?.(ctx, Buffer.from('{"ok":true}'))
  hooks.onLog?.(ctx, entry(201))
  hooks.onUnrouted?.({ api: 'shop', client: '127.0.0.1', method: 'GET', relativePath: '/debug', query: 'verbose=1', status: 404 })
  const [api] = service.snapshot()?.apis ?? []
  const operations = api?.operations.map((o) => ({ key: `${o.method} ${o.template}`, count: o.count, statuses: o.statuses, query: o.query, request: o.requestSchema, response: o.responseSchemas }))
  assert.deepEqual(operations, [
    { key: 'GET /debug', count: 1, statuses: { '404': 1 }, query: ['verbose'], request: undefined, response: undefined },
    {
      key: 'POST /orders/{id}',
      count: 1,
      statuses: { '201': 1 },
      query: [],
      request: { type: 'object', properties: { qty: { type: 'integer' }, sku: { type: 'string' } }, required: ['qty', 'sku'] },
      response: { '201': { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } },
    },
  ])
})
