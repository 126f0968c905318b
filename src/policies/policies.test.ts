/** Schema (valid, invalid, defaults) and hook tests of the built-in policies on a test context. */
import { RemoteDocuments } from '../openapi/remote-documents.js'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { pino } from 'pino'
import { createSchemaValidator } from '../config/validate.js'
import { NO_POLICY_METRICS, type PolicyCheckContext, type PolicyDefinition } from '../pipeline/define-policy.js'
import { isReply, type Reply } from '../pipeline/reply.js'
import { testContext } from '../pipeline/test-context.js'
import { cors } from './cors/index.js'
import { createOriginMatcher } from './cors/origin-matcher.js'
import { ipFilter } from './ip-filter/index.js'
import { requestLimits } from './request-limits/index.js'
import { securityHeaders } from './security-headers/index.js'
import { MemoryCounters } from '../stores/memory-counters.js'

const checkContext: PolicyCheckContext = { sections: {}, workers: 1, counters: 'memory' }
const deps = { counters: { store: new MemoryCounters(), fallback: new MemoryCounters() }, sections: { plans: {} }, openapiFile: null, openapiRemote: new RemoteDocuments([]), memo: <T>(_key: string, build: () => T) => build(), metrics: NO_POLICY_METRICS, logger: pino({ level: 'silent' }), clock: { now: () => 0 }, api: 'test', baseDir: '/', basePath: '/', operations: new Map() }

/** Validates like the loader (defaults filled), runs cross-field checks, then creates the hooks. */
function setUp(policy: PolicyDefinition, config: Record<string, unknown>) {
  const value = structuredClone(config)
  const problems = createSchemaValidator(policy.configSchema).validate(value)
  assert.deepEqual(problems, [])
  assert.deepEqual(policy.check(value as never, checkContext), [])
  return { config: value, hooks: policy.create(value as never, deps) }
}

function problemsOf(policy: PolicyDefinition, config: Record<string, unknown>): string[] {
  const value = structuredClone(config)
  const schema = createSchemaValidator(policy.configSchema).validate(value)
  if (schema.length > 0) return schema.map((p) => `${p.path}: ${p.message}`)
  return policy.check(value as never, checkContext).map((p) => `${p.path}: ${p.message}`)
}

function codeOf(verdict: unknown): string | null {
  return isReply(verdict) ? (verdict.code ?? `status ${verdict.status}`) : null
}

describe('request-limits', () => {
  test('defaults and refusals', () => {
    const { config, hooks } = setUp(requestLimits, {})
    assert.deepEqual(config, { maxUrlLength: 4096, maxHeaderCount: 100, maxHeaderBytes: 8192, maxBodyBytes: 1048576, onFailure: 'closed' })
    assert.equal(hooks.requestBodyLimit, 1048576)
    assert.deepEqual(problemsOf(requestLimits, { maxBodyBytes: -1 }), ['maxBodyBytes: must be >= 0'])
    assert.deepEqual(problemsOf(requestLimits, { maxUrl: 1 }), ['maxUrl: unknown key (did you mean "maxUrlLength"?)'])
  })

  test('hooks', () => {
    const { hooks } = setUp(requestLimits, { maxUrlLength: 20, maxHeaderCount: 2, maxHeaderBytes: 40, maxBodyBytes: 10 })
    assert.equal(codeOf(hooks.onRequest?.(testContext({ path: '/short' }))), null)
    assert.equal(codeOf(hooks.onRequest?.(testContext({ path: '/short', query: 'x'.repeat(20) }))), 'GW_ERR_REQUEST_URL_TOO_LONG')
    assert.equal(codeOf(hooks.onRequest?.(testContext({ headers: { a: '1', b: '2', c: '3' } }))), 'GW_ERR_REQUEST_HEADERS_TOO_LARGE')
    assert.equal(codeOf(hooks.onRequest?.(testContext({ headers: { a: 'x'.repeat(50) } }))), 'GW_ERR_REQUEST_HEADERS_TOO_LARGE')
    assert.equal(codeOf(hooks.onRequest?.(testContext({ headers: { 'content-length': '11' } }))), 'GW_ERR_REQUEST_BODY_TOO_LARGE')
  })
})

describe('ip-filter', () => {
  test('schema and checks', () => {
    assert.deepEqual(setUp(ipFilter, {}).config, { allow: [], deny: [], onFailure: 'closed' })
    assert.deepEqual(problemsOf(ipFilter, { deny: ['300.1.1.1'] }), ['deny[0]: must be an IP address or CIDR range'])
    assert.deepEqual(problemsOf(ipFilter, { allow: 'x' }), ['allow: must be a list'])
  })

  test('deny wins; allow restricts; IPv4-mapped IPv6 matches IPv4 ranges', () => {
    const { hooks } = setUp(ipFilter, { allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.0.0.66'] })
    const verdict = (address: string) => codeOf(hooks.onRequest?.(testContext({ address })))
    assert.equal(verdict('10.1.2.3'), null)
    assert.equal(verdict('::ffff:10.1.2.3'), null)
    assert.equal(verdict('2001:db8::1'), null)
    assert.equal(verdict('10.0.0.66'), 'GW_ERR_IP_DENIED')
    assert.equal(verdict('192.168.0.1'), 'GW_ERR_IP_DENIED')
    assert.equal(verdict('2001:db9::1'), 'GW_ERR_IP_DENIED')
    assert.equal(verdict('not-an-ip'), 'GW_ERR_IP_DENIED')
  })
})

describe('cors', () => {
  test('schema and checks', () => {
    assert.deepEqual(problemsOf(cors, {}), ['origins: is required'])
    assert.deepEqual(problemsOf(cors, { origins: ['*'], credentials: true }), ['origins: must list origins explicitly when credentials is true (`*` with credentials is refused)'])
    assert.deepEqual(problemsOf(cors, { origins: ['https://a.example/path'] }), ['origins[0]: must be an origin like https://app.example.com (scheme, host, optional port; no path)'])
  })

  test('origin matching: exact, one or more subdomain labels, ports, never the bare parent', () => {
    const match = createOriginMatcher(['https://app.example', 'https://*.tenant.example', 'http://*.local.test:8080'])
    assert.equal(match('https://app.example'), true)
    assert.equal(match('HTTPS://APP.EXAMPLE'), true)
    assert.equal(match('http://app.example'), false)
    assert.equal(match('https://a.tenant.example'), true)
    assert.equal(match('https://a.b.tenant.example'), true)
    assert.equal(match('https://tenant.example'), false)
    assert.equal(match('https://eviltenant.example'), false)
    assert.equal(match('https://a.tenant.example.evil.test'), false)
    assert.equal(match('http://x.local.test:8080'), true)
    assert.equal(match('http://x.local.test:9090'), false)
    assert.equal(createOriginMatcher(['*'])('https://anything.test'), true)
  })

  test('preflight and actual-request hooks', () => {
    const { hooks } = setUp(cors, { origins: ['https://app.example'], allowHeaders: ['X-Custom'] })
    const preflight = hooks.onRequest?.(
      testContext({ method: 'OPTIONS', isPreflight: true, headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-custom, content-type' } }),
    ) as Reply
    assert.equal(preflight.status, 204)
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example')
    assert.equal(preflight.headers['access-control-allow-credentials'], undefined)
    const ctx = testContext({ headers: { origin: 'https://app.example' } })
    assert.equal(hooks.onRequest?.(ctx), undefined)
    assert.equal(ctx.responseHeaders.get('access-control-allow-origin'), 'https://app.example')
    assert.equal(codeOf(hooks.onRequest?.(testContext({ headers: { origin: 'https://evil.example', host: 'api.example' } }))), 'GW_ERR_CORS_ORIGIN_DENIED')
    assert.equal(codeOf(hooks.onRequest?.(testContext({ headers: { origin: 'http://api.example', host: 'api.example' } }))), null, 'same origin passes')
    assert.equal(hooks.onRequest?.(testContext({})), undefined, 'no Origin: not a CORS request')
  })
})

describe('security-headers', () => {
  test('defaults, HSTS only on TLS, removals', () => {
    const { config, hooks } = setUp(securityHeaders, {})
    assert.equal((config.hsts as { maxAgeSeconds: number }).maxAgeSeconds, 31536000)
    const plain = testContext({})
    void hooks.onRequest?.(plain)
    assert.equal(plain.responseHeaders.get('strict-transport-security'), undefined)
    assert.equal(plain.responseHeaders.get('x-content-type-options'), 'nosniff')
    assert.ok(plain.removedResponseHeaders.has('server'))
    const tls = testContext({ tls: { protocol: 'TLSv1.3', cipher: null, alpnProtocol: null, serverName: null, clientCertificate: null } })
    void hooks.onRequest?.(tls)
    assert.equal(tls.responseHeaders.get('strict-transport-security'), 'max-age=31536000; includeSubDomains')
    assert.deepEqual(problemsOf(securityHeaders, { frameOptions: 'ALLOW' }), ['frameOptions: must be one of: "DENY", "SAMEORIGIN", "off"'])
  })
})
