import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { connect as http2Connect } from 'node:http2'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Type } from '@sinclair/typebox'
import { request } from 'undici'
import { definePolicy } from '../../src/pipeline/define-policy.js'
import { respond } from '../../src/pipeline/reply.js'
import { builtinPolicies } from '../../src/policies/index.js'
import { createPki } from '../helpers/certificates.js'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js'
import { startUpstream, unusedPort, type TestUpstream } from '../helpers/upstream.js'

const SERVER = 2
const CLIENT = 3
const INTERNAL = 1
const ERROR = 2
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/

/** A policy with a hook in every traced phase; `deny` in the request body is refused in onRequestBody. */
const probe = definePolicy({
  name: 'probe',
  priority: 10,
  description: 'Runs a hook in each phase; refuses bodies saying "deny".',
  configSchema: Type.Object({}),
  create() {
    return {
      onRequest: async () => {
        await Promise.resolve()
      },
      onRequestBody: (_ctx, body) => (body.toString() === 'deny' ? respond.problem('GW_ERR_REQUEST_MALFORMED') : undefined),
      onResponse: () => undefined,
      onResponseBody: () => undefined,
    }
  },
})

const policies = [...builtinPolicies, probe]

function tracingConfig(endpoint: string, sampleRatio: number): Record<string, unknown> {
  return { tracing: { enabled: true, endpoint, sampleRatio, serviceName: 'edge-test', exportIntervalMs: 20, headers: { 'x-collector-token': '${env:PORTCULLIS_TEST_COLLECTOR_TOKEN}' } } }
}

function spansOf(receiver: OtlpReceiver, traceId: string): ReceivedSpan[] {
  return receiver.spans.filter((s) => s.traceId === traceId)
}

function only(spans: ReceivedSpan[], predicate: (s: ReceivedSpan) => boolean, what: string): ReceivedSpan {
  const found = spans.filter(predicate)
  assert.equal(found.length, 1, `exactly one ${what}: ${JSON.stringify(spans.map((s) => s.name))}`)
  return found[0] as ReceivedSpan
}

function accessLine(gw: TestGateway, requestId: string): Record<string, unknown> {
  const line = gw.logLines().find((l) => l.kind === 'access' && l.requestId === requestId)
  assert.ok(line, `access line of ${requestId}`)
  return line
}

/** Sends a request with an `x-request-id` and waits for its server span; its trace is found through the access line's `trace_id`. */
async function traced(gw: TestGateway, receiver: OtlpReceiver, path: string, requestId: string, init: { method?: 'GET' | 'POST'; body?: string } = {}): Promise<{ status: number; spans: ReceivedSpan[]; server: ReceivedSpan }> {
  const res = await request(`${gw.url}${path}`, { ...init, headers: { 'x-request-id': requestId } })
  await res.body.dump()
  const traceId = String(accessLine(gw, requestId).trace_id)
  await eventually(() => spansOf(receiver, traceId).some((s) => s.kind === SERVER), 5000, `the server span of ${requestId}`)
  const spans = spansOf(receiver, traceId)
  return { status: res.statusCode, spans, server: only(spans, (s) => s.kind === SERVER, 'server span') }
}

function parsedTraceparent(value: unknown): { traceId: string; parentId: string; flags: string } {
  const match = TRACEPARENT.exec(String(value))
  assert.ok(match, `a W3C traceparent: ${String(value)}`)
  return { traceId: match[1] as string, parentId: match[2] as string, flags: match[3] as string }
}

describe('tracing, every request sampled', () => {
  let receiver: OtlpReceiver
  let upstream: TestUpstream
  let gw: TestGateway
  let flakyCalls = 0

  before(async () => {
    receiver = await startOtlpReceiver()
    upstream = await startUpstream((req, res, body) => {
      if (req.url === '/flaky' && flakyCalls++ === 0) {
        res.writeHead(503, { 'content-length': '0' }).end()
        return
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.length + 2) }).end(`ok${body.toString()}`)
    })
    const dead = `http://127.0.0.1:${await unusedPort()}`
    gw = await startTestGateway(
      {
        ...baseConfig(upstream.url),
        telemetry: tracingConfig(receiver.endpoint, 1),
        apis: [
          { name: 'orders', basePath: '/orders', upstream: { url: upstream.url }, routes: { 'POST /items': {}, 'GET /items/{id}': {} }, policies: { probe: {} } },
          { name: 'closed', basePath: '/closed', upstream: { url: upstream.url }, policies: { 'ip-filter': { deny: ['127.0.0.1'] } } },
          { name: 'flaky', basePath: '/', upstream: { url: upstream.url, retries: 1, retryOnStatus: [503] }, routes: { 'GET /flaky': {} } },
          { name: 'dead', basePath: '/dead', upstream: { url: dead, retries: 0 } },
        ],
      },
      { policies, env: { ...process.env, PORTCULLIS_TEST_COLLECTOR_TOKEN: 'collector-secret' } },
    )
  })

  after(async () => {
    await gw.stop()
    await upstream.close()
    await receiver.close()
  })

  test('continues the client’s trace: a server span, a span per phase, the upstream call as a client span, its traceparent upstream', async () => {
    const incomingTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
    const incomingParent = '00f067aa0ba902b7'
    const res = await request(`${gw.url}/orders/items?token=secret-value`, {
      method: 'POST',
      body: 'hello',
      headers: { traceparent: `00-${incomingTrace}-${incomingParent}-01`, tracestate: 'vendor=abc', 'user-agent': 'tracing-test/1.0', 'x-request-id': 'trace-1' },
    })
    assert.equal(res.statusCode, 200)
    assert.equal(await res.body.text(), 'okhello')

    const sent = upstream.requests.at(-1)
    assert.ok(sent)
    const upstreamParent = parsedTraceparent(sent.headers.traceparent)
    assert.equal(upstreamParent.traceId, incomingTrace, 'the upstream continues the client’s trace')
    assert.equal(upstreamParent.flags, '01')
    assert.notEqual(upstreamParent.parentId, incomingParent, 'the client’s traceparent is replaced, not forwarded')
    assert.equal(sent.headers.tracestate, 'vendor=abc')

    await eventually(() => spansOf(receiver, incomingTrace).length >= 6, 5000, 'six spans of the trace')
    const spans = spansOf(receiver, incomingTrace)
    const server = only(spans, (s) => s.kind === SERVER, 'server span')
    assert.equal(server.parentSpanId, incomingParent)
    assert.equal(server.name, 'POST /orders/items')
    assert.deepEqual(
      {
        method: server.attributes['http.request.method'],
        path: server.attributes['url.path'],
        scheme: server.attributes['url.scheme'],
        route: server.attributes['http.route'],
        status: server.attributes['http.response.status_code'],
        serverAddress: server.attributes['server.address'],
        serverPort: server.attributes['server.port'],
        client: server.attributes['client.address'],
        protocol: server.attributes['network.protocol.version'],
        agent: server.attributes['user_agent.original'],
        api: server.attributes['portcullis.api'],
      },
      {
        method: 'POST',
        path: '/orders/items',
        scheme: 'http',
        route: '/orders/items',
        status: 200,
        serverAddress: '127.0.0.1',
        serverPort: Number(new URL(gw.url).port),
        client: '127.0.0.1',
        protocol: '1.1',
        agent: 'tracing-test/1.0',
        api: 'orders',
      },
    )
    assert.equal(server.statusCode, 0)
    assert.equal(JSON.stringify(spans.map((s) => s.attributes)).includes('secret-value'), false, 'query strings are never recorded')
    assert.equal(server.resource['service.name'], 'edge-test')
    assert.equal(receiver.exports.at(-1)?.['x-collector-token'], 'collector-secret')

    for (const phase of ['onRequest', 'onRequestBody', 'onResponse', 'onResponseBody']) {
      const span = only(spans, (s) => s.name === phase, `${phase} span`)
      assert.equal(span.kind, INTERNAL)
      assert.equal(span.parentSpanId, server.spanId)
      assert.ok(span.startTimeUnixNano >= server.startTimeUnixNano && span.endTimeUnixNano <= server.endTimeUnixNano, `${phase} within the request`)
    }
    const client = only(spans, (s) => s.kind === CLIENT, 'client span')
    assert.equal(client.parentSpanId, server.spanId)
    assert.equal(client.spanId, upstreamParent.parentId, 'the upstream’s parent is the client span')
    assert.equal(client.name, 'POST')
    assert.equal(client.attributes['url.full'], `${upstream.url}/items`)
    assert.equal(client.attributes['server.address'], '127.0.0.1')
    assert.equal(client.attributes['server.port'], upstream.port)
    assert.equal(client.attributes['http.response.status_code'], 200)

    const line = accessLine(gw, 'trace-1')
    assert.equal(line.trace_id, incomingTrace)
    assert.equal(line.span_id, server.spanId)
  })

  test('a denial: the deciding policy and the stable code on the server span and on the phase that decided', async () => {
    const { status, spans, server } = await traced(gw, receiver, '/closed/anything', 'denied-1')
    assert.equal(status, 403)
    assert.equal(server.parentSpanId, '', 'a new trace')
    assert.equal(server.name, 'GET /closed/*')
    assert.equal(server.attributes['http.route'], '/closed/*')
    assert.equal(server.attributes['http.response.status_code'], 403)
    assert.equal(server.attributes['portcullis.policy'], 'ip-filter')
    assert.equal(server.attributes['portcullis.code'], 'GW_ERR_IP_DENIED')
    assert.equal(server.statusCode, 0, 'a 4xx is not a server error')
    const phase = only(spans, (s) => s.name === 'onRequest', 'onRequest span')
    assert.equal(phase.attributes['portcullis.policy'], 'ip-filter')
    assert.equal(phase.attributes['portcullis.code'], 'GW_ERR_IP_DENIED')
    assert.equal(spans.some((s) => s.kind === CLIENT), false, 'nothing was sent upstream')

    const refused = await traced(gw, receiver, '/orders/items', 'denied-2', { method: 'POST', body: 'deny' })
    assert.equal(refused.status, 400)
    assert.equal(only(refused.spans, (s) => s.name === 'onRequestBody', 'onRequestBody span').attributes['portcullis.policy'], 'probe')
    assert.equal(refused.server.attributes['portcullis.code'], 'GW_ERR_REQUEST_MALFORMED')
    assert.equal(refused.spans.some((s) => s.name === 'onResponse'), false, 'phases that did not run have no span')
  })

  test('a retry is a second client span with its resend count and its own traceparent', async () => {
    const res = await request(`${gw.url}/flaky`, { headers: { 'x-request-id': 'retried-1' } })
    assert.equal(res.statusCode, 200)
    await res.body.dump()
    const traceId = String(accessLine(gw, 'retried-1').trace_id)
    await eventually(() => spansOf(receiver, traceId).filter((s) => s.kind === CLIENT).length === 2 && spansOf(receiver, traceId).some((s) => s.kind === SERVER), 5000, 'two attempts')
    const spans = spansOf(receiver, traceId)
    const server = only(spans, (s) => s.kind === SERVER, 'server span')
    const [first, second] = spans.filter((s) => s.kind === CLIENT).sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano))
    assert.ok(first && second)
    assert.equal(first.attributes['http.response.status_code'], 503)
    assert.equal(first.statusCode, ERROR)
    assert.equal(first.attributes['http.request.resend_count'], undefined)
    assert.equal(second.attributes['http.request.resend_count'], 1)
    assert.equal(second.attributes['http.response.status_code'], 200)
    assert.equal(first.parentSpanId, server.spanId)
    assert.equal(second.parentSpanId, server.spanId)
    const parents = upstream.requests.filter((r) => r.url === '/flaky').map((r) => parsedTraceparent(r.headers.traceparent))
    assert.deepEqual(
      parents.map((p) => [p.traceId, p.parentId]),
      [
        [traceId, first.spanId],
        [traceId, second.spanId],
      ],
    )
  })

  test('an upstream that cannot be reached: a 5xx server span is an error, the attempt says why', async () => {
    const { status, spans, server } = await traced(gw, receiver, '/dead/x', 'dead-1')
    assert.equal(status, 502)
    assert.equal(server.statusCode, ERROR)
    assert.equal(server.attributes['error.type'], 'GW_ERR_UPSTREAM_UNAVAILABLE')
    assert.equal(server.attributes['portcullis.code'], 'GW_ERR_UPSTREAM_UNAVAILABLE')
    const client = only(spans, (s) => s.kind === CLIENT, 'client span')
    assert.equal(client.statusCode, ERROR)
    assert.equal(client.attributes['error.type'], 'connect')
  })
})

describe('tracing at sampleRatio 0', () => {
  test('nothing is exported without a sampled parent, the trace still reaches the upstream; a sampled parent is followed', async () => {
    const receiver = await startOtlpReceiver()
    const upstream = await startUpstream()
    const gw = await startTestGateway({ ...baseConfig(upstream.url), telemetry: tracingConfig(receiver.endpoint, 0) }, { env: { ...process.env, PORTCULLIS_TEST_COLLECTOR_TOKEN: 'x' } })
    try {
      const unsampledTrace = 'a1a2a3a4a5a6a7a8a9a0b1b2b3b4b5b6'
      const unsampledParent = 'c1c2c3c4c5c6c7c8'
      const first = await request(`${gw.url}/a`, { headers: { traceparent: `00-${unsampledTrace}-${unsampledParent}-00`, 'x-request-id': 'unsampled-1' } })
      assert.equal(first.statusCode, 200)
      await first.body.dump()
      const forwarded = parsedTraceparent(upstream.requests.at(-1)?.headers.traceparent)
      assert.equal(forwarded.traceId, unsampledTrace, 'the client’s trace goes on upstream')
      assert.equal(forwarded.flags, '00')
      assert.equal(accessLine(gw, 'unsampled-1').trace_id, unsampledTrace)

      const second = await request(`${gw.url}/b`, { headers: { 'x-request-id': 'unsampled-2' } })
      await second.body.dump()
      const fresh = parsedTraceparent(upstream.requests.at(-1)?.headers.traceparent)
      assert.equal(fresh.flags, '00')
      assert.equal(accessLine(gw, 'unsampled-2').trace_id, fresh.traceId)

      const sampledTrace = 'd1d2d3d4d5d6d7d8d9d0e1e2e3e4e5e6'
      const third = await request(`${gw.url}/c`, { headers: { traceparent: `00-${sampledTrace}-e1e2e3e4e5e6e7e8-01` } })
      await third.body.dump()
      assert.equal(parsedTraceparent(upstream.requests.at(-1)?.headers.traceparent).flags, '01')
    } finally {
      // Stopping exports what is queued: after it, every span that will ever be sent has been.
      await gw.stop()
      await upstream.close()
    }
    try {
      assert.deepEqual([...new Set(receiver.spans.map((s) => s.traceId))], ['d1d2d3d4d5d6d7d8d9d0e1e2e3e4e5e6'], 'only the trace whose parent was sampled')
      assert.deepEqual(receiver.spans.map((s) => s.kind).sort(), [SERVER, CLIENT].sort())
    } finally {
      await receiver.close()
    }
  })
})

describe('tracing off', () => {
  const probeScript = join(import.meta.dirname, '../helpers/loaded-modules-probe.ts')
  const run = (tracing: boolean): { status: number; opentelemetry: string[]; requiredBy: string[]; tracingModules: string[]; upstreamTraceparent: string | null } => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', probeScript, tracing ? 'on' : 'off'], { encoding: 'utf8', timeout: 60_000 })
    assert.equal(child.status, 0, child.stderr)
    return JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as ReturnType<typeof run>
  }

  test('a gateway that served a request loaded none of the tracing SDK; the same probe sees it with tracing on', () => {
    const off = run(false)
    assert.equal(off.status, 200)
    // The API package alone, and only because prom-client's default metrics require it (for
    // exemplars) whether or not the gateway traces: no SDK, exporter, resource or convention module.
    assert.deepEqual(off.opentelemetry, ['@opentelemetry/api'])
    assert.deepEqual(off.requiredBy, ['prom-client/lib/metrics/processCpuTotal.js'])
    assert.deepEqual(off.tracingModules, ['tracing.ts'], 'the contract, not the implementation')
    assert.equal(off.upstreamTraceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'tracing off, the client’s traceparent is forwarded as it came')
    const on = run(true)
    assert.equal(on.status, 200)
    assert.ok(on.opentelemetry.includes('@opentelemetry/sdk-trace-base'), JSON.stringify(on.opentelemetry))
    assert.ok(on.opentelemetry.includes('@opentelemetry/exporter-trace-otlp-http'))
    assert.deepEqual(on.tracingModules.sort(), ['tracing-otel.ts', 'tracing.ts'])
    assert.notEqual(on.upstreamTraceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
  })
})

describe('tracing to a collector that is down', () => {
  test('requests are served; the failed export is logged without the collector’s credentials', async () => {
    const upstream = await startUpstream()
    const endpoint = `http://127.0.0.1:${await unusedPort()}/v1/traces`
    const gw = await startTestGateway({ ...baseConfig(upstream.url), telemetry: { tracing: { ...(tracingConfig(endpoint, 1).tracing as object), exportTimeoutMs: 500 } } }, { env: { ...process.env, PORTCULLIS_TEST_COLLECTOR_TOKEN: 'collector-secret' } })
    try {
      const res = await request(`${gw.url}/x`)
      assert.equal(res.statusCode, 200)
      await res.body.dump()
      await eventually(() => gw.logLines().some((l) => String(l.msg).startsWith('trace export failed')), 10_000, 'the export failure in the log')
      const failure = gw.logLines().find((l) => String(l.msg).startsWith('trace export failed'))
      assert.equal(failure?.level, 'warn')
      assert.equal(JSON.stringify(gw.logLines()).includes('collector-secret'), false)
    } finally {
      await gw.stop()
      await upstream.close()
    }
  })
})

describe('tracing over HTTP/2', () => {
  test('the server span says https, protocol 2 and the :authority; the upstream continues the trace', async () => {
    const pki = createPki()
    const main = pki.issue('main', { cn: 'localhost', san: ['DNS:localhost', 'IP:127.0.0.1'] })
    const receiver = await startOtlpReceiver()
    const upstream = await startUpstream()
    const gw = await startTestGateway(
      { listen: { https: { port: 0, host: '127.0.0.1', cert: main.cert, key: main.key } }, watch: false, apis: [{ name: 'h2', upstream: { url: upstream.url } }], telemetry: tracingConfig(receiver.endpoint, 1) },
      { env: { ...process.env, PORTCULLIS_TEST_COLLECTOR_TOKEN: 'x' } },
    )
    const port = gw.gateway.addresses.https?.port ?? 0
    const session = http2Connect(`https://localhost:${port}`, { ca: pki.read(pki.caCert) })
    try {
      const traceId = '11112222333344445555666677778888'
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':path': '/over/h2?q=1', ':method': 'GET', traceparent: `00-${traceId}-1111222233334444-01` })
        stream.on('response', (h) => resolve(Number(h[':status'])))
        stream.on('error', reject)
        stream.resume()
        stream.end()
      })
      assert.equal(status, 200)
      assert.equal(parsedTraceparent(upstream.requests.at(-1)?.headers.traceparent).traceId, traceId)
      await eventually(() => spansOf(receiver, traceId).some((s) => s.kind === SERVER), 5000, 'the HTTP/2 request’s server span')
      const server = only(spansOf(receiver, traceId), (s) => s.kind === SERVER, 'server span')
      assert.equal(server.attributes['network.protocol.version'], '2')
      assert.equal(server.attributes['url.scheme'], 'https')
      assert.equal(server.attributes['url.path'], '/over/h2')
      assert.equal(server.attributes['server.address'], 'localhost')
      assert.equal(server.attributes['server.port'], port)
      assert.equal(server.name, 'GET /*')
    } finally {
      session.close()
      await gw.stop()
      await upstream.close()
      await receiver.close()
      rmSync(pki.dir, { recursive: true, force: true })
    }
  })
})
