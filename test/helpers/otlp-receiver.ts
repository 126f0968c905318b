/**
 * A minimal OpenTelemetry collector for tests: `POST /v1/traces` with OTLP/JSON bodies
 * (ExportTraceServiceRequest) on 127.0.0.1, each span flattened with its attributes decoded.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { startUpstream } from './upstream.js'

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } }
type KeyValue = { key: string; value: AnyValue }

export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId: string
  name: string
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number
  attributes: Record<string, unknown>
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number
  resource: Record<string, unknown>
  startTimeUnixNano: bigint
  endTimeUnixNano: bigint
}

export interface OtlpReceiver {
  /** http://127.0.0.1:PORT/v1/traces */
  endpoint: string
  spans: ReceivedSpan[]
  /** Request fields of each export. */
  exports: IncomingHttpHeaders[]
  close(): Promise<void>
}

function decode(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.boolValue !== undefined) return value.boolValue
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decode)
  return undefined
}

function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, decode(kv.value)]))
}

interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] }
    scopeSpans?: {
      spans?: {
        traceId: string
        spanId: string
        parentSpanId?: string
        name: string
        kind: number
        attributes?: KeyValue[]
        status?: { code?: number }
        startTimeUnixNano: string | number
        endTimeUnixNano: string | number
      }[]
    }[]
  }[]
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = []
  const exports: IncomingHttpHeaders[] = []
  const server = await startUpstream((req, res, body) => {
    if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/json') {
      res.writeHead(415).end()
      return
    }
    exports.push(req.headers)
    spans.push(...spansOf(JSON.parse(body.toString('utf8')) as ExportRequest))
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })
  return { endpoint: `${server.url}/v1/traces`, spans, exports, close: () => server.close() }
}

function spansOf(request: ExportRequest): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes)
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind,
          attributes: attributesOf(span.attributes),
          statusCode: span.status?.code ?? 0,
          resource,
          startTimeUnixNano: BigInt(span.startTimeUnixNano),
          endTimeUnixNano: BigInt(span.endTimeUnixNano),
        })
      }
    }
  }
  return spans
}
