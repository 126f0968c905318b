/**
 * The OpenTelemetry sink: OTLP/HTTP with the JSON encoding, `POST <endpoint>/v1/logs`, one log
 * record per event. The encoding is written here (about fifty lines) rather than taken from
 * `@opentelemetry/exporter-logs-otlp-http`, which brings the logs SDK, resources, core and the
 * transformer with protobufjs for a payload this small; tracing loads the SDK only when it is on.
 */
import { postWithRetries, type PostOptions } from './post-with-retries.js'
import type { SecurityEvent } from './security-event.js'
import type { EventSink } from './sink-queue.js'

export interface OtlpSinkOptions extends PostOptions {
  /** The collector's base URL (`http://collector:4318`) or the full `…/v1/logs` URL. */
  readonly endpoint: string
  readonly headers: Readonly<Record<string, string>>
  readonly serviceName: string
  readonly version: string
}

type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
interface KeyValue {
  key: string
  value: AnyValue
}

/** OTLP's AnyValue of a JSON value; 64-bit integers are strings in OTLP/JSON. */
function anyValue(value: unknown): AnyValue {
  if (typeof value === 'string') return { stringValue: value }
  if (typeof value === 'boolean') return { boolValue: value }
  if (typeof value === 'number') return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value }
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } }
  if (typeof value === 'object' && value !== null) return { kvlistValue: { values: Object.entries(value).map(([key, v]) => ({ key, value: anyValue(v) })) } }
  return { stringValue: String(value) }
}

/** ECS objects flattened to dotted attribute names (`event.action`, `source.ip`); our own details stay one kvlist. */
function attributes(event: SecurityEvent): KeyValue[] {
  const out: KeyValue[] = []
  const walk = (prefix: string, value: unknown) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && prefix !== 'portcullis.details' && prefix !== 'labels') {
      for (const [key, child] of Object.entries(value)) walk(prefix === '' ? key : `${prefix}.${key}`, child)
      return
    }
    if (prefix === '@timestamp' || prefix === 'message' || value === undefined) return
    out.push({ key: prefix, value: anyValue(value) })
  }
  walk('', event)
  return out
}

/** OTLP SeverityNumber from ECS severity: 1–4 INFO (9), 5–6 WARN (13), 7–8 ERROR (17), 9–10 FATAL (21). */
function severityOf(severity: number): { number: number; text: string } {
  if (severity >= 9) return { number: 21, text: 'FATAL' }
  if (severity >= 7) return { number: 17, text: 'ERROR' }
  if (severity >= 5) return { number: 13, text: 'WARN' }
  return { number: 9, text: 'INFO' }
}

export function otlpLogsBody(batch: readonly SecurityEvent[], serviceName: string, version: string, nowMs: number): unknown {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }, { key: 'service.version', value: { stringValue: version } }] },
        scopeLogs: [
          {
            scope: { name: 'portcullis.security', version },
            logRecords: batch.map((event) => {
              const severity = severityOf(event.event.severity)
              return {
                timeUnixNano: `${Date.parse(event['@timestamp'])}000000`,
                observedTimeUnixNano: `${nowMs}000000`,
                severityNumber: severity.number,
                severityText: severity.text,
                body: { stringValue: event.message },
                attributes: attributes(event),
                // OTLP/JSON writes trace ids as hex, not base64.
                ...(event.trace === undefined ? {} : { traceId: event.trace.id }),
                ...(event.span === undefined ? {} : { spanId: event.span.id }),
              }
            }),
          },
        ],
      },
    ],
  }
}

export function logsUrl(endpoint: string): string {
  return endpoint.endsWith('/v1/logs') ? endpoint : `${endpoint.replace(/\/+$/, '')}/v1/logs`
}

export function createOtlpSink(options: OtlpSinkOptions): EventSink {
  const url = logsUrl(options.endpoint)
  return {
    name: 'otlp',
    async send(batch, signal) {
      const body = JSON.stringify(otlpLogsBody(batch, options.serviceName, options.version, Date.now()))
      await postWithRetries(url, { ...options.headers, 'content-type': 'application/json' }, body, options, signal)
    },
  }
}
