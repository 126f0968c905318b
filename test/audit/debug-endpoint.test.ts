/** `debug-endpoint-documented` flags framework debug paths and nothing that merely looks alike; `sensitive-field-in-response` flags credentials in a response schema. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { auditSpec } from '../../src/audit/auditor.js'
import { readSpecSource } from '../../src/audit/spec-source.js'

const ok = { responses: { '200': { description: 'OK' } } }

function findings(ruleId: string, document: Record<string, unknown>): string[] {
  const source = readSpecSource('api.json', JSON.stringify({ openapi: '3.0.3', info: { title: 'API', version: '1' }, ...document }))
  return auditSpec(source, { only: new Set([ruleId]) }).findings.map((finding) => finding.location.pointer)
}

test('debug-endpoint-documented: framework debug and diagnostic paths are flagged, one finding per operation', () => {
  const debugPaths = ['/debug/pprof/heap', '/users/_debug', '/__debug__/sql', '/actuator/env', '/manage/heapdump', '/phpinfo.php', '/h2-console', '/_profiler/{token}', '/elmah.axd', '/server-status']
  const paths = Object.fromEntries(debugPaths.map((path) => [path, { get: ok }]))
  assert.deepEqual(findings('debug-endpoint-documented', { paths: { ...paths, '/debug/vars': { get: ok, post: ok } } }), [
    ...debugPaths.map((path) => `/paths/${path.replaceAll('/', '~1')}/get`),
    '/paths/~1debug~1vars/get',
    '/paths/~1debug~1vars/post',
  ])
})

test('debug-endpoint-documented: ordinary resources that look alike are not flagged', () => {
  const ordinary = ['/consoles', '/dcim/console-ports/{id}/trace', '/messageTraces', '/apps/{id}/diagnostics', '/applications/{id}/env', '/debuggees/{id}/breakpoints', '/jobs/get_debug_info', '/devices/{id}/actuators', '/{debug}']
  assert.deepEqual(findings('debug-endpoint-documented', { paths: Object.fromEntries(ordinary.map((path) => [path, { get: ok }])) }), [])
})

test('sensitive-field-in-response: a password or secret property of a response schema is flagged, not one of a request', () => {
  const schema = { type: 'object', properties: { name: { type: 'string' }, password: { type: 'string' }, client_secret: { type: 'string' } } }
  const paths = {
    '/users/{id}': { get: { responses: { '200': { description: 'A user', content: { 'application/json': { schema } } } } } },
    '/users': { post: { requestBody: { content: { 'application/json': { schema } } }, responses: { '201': { description: 'Created' } } } },
  }
  assert.deepEqual(findings('sensitive-field-in-response', { paths }), [
    '/paths/~1users~1{id}/get/responses/200/content/application~1json/schema/properties/password',
    '/paths/~1users~1{id}/get/responses/200/content/application~1json/schema/properties/client_secret',
  ])
})
