/**
 * The access-log line, encoded by hand straight into the sink's buffer: its fields are fixed and
 * mostly plain ASCII (ids from a validated charset, addresses, numbers), so copying characters as
 * bytes costs a fraction of building a string from pieces and then flattening and UTF-8-encoding
 * it (which was ~3 µs of a proxied request). Any string that needs escaping gets JSON.stringify.
 */

/** One access-log line, as handed to `onLog` hooks and written by the logger. */
export interface AccessLogEntry {
  requestId: string
  client: string
  method: string
  api: string | null
  route: string | null
  status: number
  /** Request body bytes as declared by Content-Length (streamed bodies count 0). */
  bytesIn: number
  /** Response body bytes as declared by Content-Length; null for a streamed (chunked) body. */
  bytesOut: number | null
  /** Total time in the gateway, ms. */
  durationMs: number
  /** Time spent waiting on the upstream (from sending to last byte), ms; null when not forwarded. */
  upstreamMs: number | null
  /** Policy that answered locally, if any. */
  policy: string | null
  code: string | null
  upstream: string | null
  protocol: string
  /** Fields policies added with `ctx.setLogField`, or null. */
  fields: Readonly<Record<string, unknown>> | null
  /** The request's trace id and server span id (hex) when tracing is on; written as `trace_id` and `span_id`. */
  traceId?: string | null
  spanId?: string | null
}

/** Where lines are encoded in place (BufferedSink). */
export interface AccessLogSink {
  /** A buffer with at least `bytes` free from `used` on. */
  reserve(bytes: number): Buffer
  readonly used: number
  commit(end: number): void
}

/** Bytes needed for a quoted string in the worst case (`\uXXXX` for each unit, quotes). */
function stringBound(value: string | null): number {
  return value === null ? 4 : value.length * 6 + 2
}

/** Fixed text and numbers: field names, level, pid, kind, msg, status, sizes, durations. */
const FIXED_BOUND = 512

/** An upper bound on the encoded line's length in bytes. */
function accessLineBound(entry: AccessLogEntry, time: string, extra: string): number {
  return (
    FIXED_BOUND +
    time.length +
    stringBound(entry.requestId) +
    stringBound(entry.client) +
    stringBound(entry.method) +
    stringBound(entry.api) +
    stringBound(entry.route) +
    stringBound(entry.policy) +
    stringBound(entry.code) +
    stringBound(entry.upstream) +
    stringBound(entry.protocol) +
    stringBound(entry.traceId ?? null) +
    stringBound(entry.spanId ?? null) +
    extra.length * 3
  )
}

/** Writes ASCII text that needs no escaping (the line's own punctuation and names). */
function writeRaw(buffer: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) buffer[at + i] = text.charCodeAt(i)
  return at + text.length
}

/** Writes `value` as a JSON string (or `null`), byte by byte while it is printable ASCII. */
function writeJsonString(buffer: Buffer, at: number, value: string | null): number {
  if (value === null) return writeRaw(buffer, at, 'null')
  const n = value.length
  buffer[at] = 0x22
  for (let i = 0; i < n; i++) {
    const code = value.charCodeAt(i)
    if (code < 0x20 || code === 0x22 || code === 0x5c || code > 0x7e) return at + buffer.write(JSON.stringify(value), at, 'utf8')
    buffer[at + 1 + i] = code
  }
  buffer[at + 1 + n] = 0x22
  return at + n + 2
}

/** Writes a number: non-negative safe integers digit by digit, anything else as JavaScript prints it. */
function writeNumber(buffer: Buffer, at: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) return writeRaw(buffer, at, Number.isFinite(value) ? String(value) : 'null')
  let digits = 1
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++
  let rest = value
  for (let i = digits - 1; i >= 0; i--) {
    buffer[at + i] = 0x30 + (rest % 10)
    rest = Math.floor(rest / 10)
  }
  return at + digits
}

/** Milliseconds with microsecond precision (`12.046`), from a float, without float formatting. */
function writeMillis(buffer: Buffer, at: number, ms: number): number {
  const micros = Math.round(ms * 1000)
  if (!Number.isSafeInteger(micros) || micros < 0) return writeRaw(buffer, at, Number.isFinite(ms) ? String(ms) : 'null')
  const fraction = micros % 1000
  at = writeNumber(buffer, at, (micros - fraction) / 1000)
  buffer[at] = 0x2e /* . */
  buffer[at + 1] = 0x30 + Math.floor(fraction / 100)
  buffer[at + 2] = 0x30 + (Math.floor(fraction / 10) % 10)
  buffer[at + 3] = 0x30 + (fraction % 10)
  // Trailing zeros are dropped as JSON.stringify would (1.5, not 1.500).
  let end = at + 4
  while (buffer[end - 1] === 0x30) end--
  return buffer[end - 1] === 0x2e ? end - 1 : end
}

/** JSON of frozen values a policy hands to many lines (the same authorization decision for a principal's calls). */
const serializedFrozen = new WeakMap<object, string>()

function serialized(value: unknown): string {
  if (typeof value !== 'object' || value === null || !Object.isFrozen(value)) return JSON.stringify(value) ?? 'null'
  let json = serializedFrozen.get(value)
  if (json === undefined) serializedFrozen.set(value, (json = JSON.stringify(value) ?? 'null'))
  return json
}

/** The policy-added fields as `,"name":value…`, or the empty string. */
function addedFields(fields: Readonly<Record<string, unknown>> | null): string {
  if (fields === null) return ''
  let out = ''
  for (const name in fields) out += `,${JSON.stringify(name)}:${serialized(fields[name])}`
  return out
}

/**
 * Encodes one line in the operational log's shape (`level`, `time`, `pid`, `kind`, fields) at
 * `at`; `extra` is `addedFields(entry.fields)`. The buffer must hold `accessLineBound` bytes from `at`.
 * Returns the end of the line (after its newline).
 */
function encodeAccessLine(buffer: Buffer, at: number, entry: AccessLogEntry, time: string, pid: number, extra: string): number {
  at = writeRaw(buffer, at, '{"level":"info","time":"')
  at = writeRaw(buffer, at, time)
  at = writeRaw(buffer, at, '","pid":')
  at = writeNumber(buffer, at, pid)
  at = writeRaw(buffer, at, ',"kind":"access","requestId":')
  at = writeJsonString(buffer, at, entry.requestId)
  at = writeRaw(buffer, at, ',"client":')
  at = writeJsonString(buffer, at, entry.client)
  at = writeRaw(buffer, at, ',"method":')
  at = writeJsonString(buffer, at, entry.method)
  at = writeRaw(buffer, at, ',"api":')
  at = writeJsonString(buffer, at, entry.api)
  at = writeRaw(buffer, at, ',"route":')
  at = writeJsonString(buffer, at, entry.route)
  at = writeRaw(buffer, at, ',"status":')
  at = writeNumber(buffer, at, entry.status)
  at = writeRaw(buffer, at, ',"bytesIn":')
  at = writeNumber(buffer, at, entry.bytesIn)
  at = writeRaw(buffer, at, ',"bytesOut":')
  at = entry.bytesOut === null ? writeRaw(buffer, at, 'null') : writeNumber(buffer, at, entry.bytesOut)
  at = writeRaw(buffer, at, ',"durationMs":')
  at = writeMillis(buffer, at, entry.durationMs)
  at = writeRaw(buffer, at, ',"upstreamMs":')
  at = entry.upstreamMs === null ? writeRaw(buffer, at, 'null') : writeMillis(buffer, at, entry.upstreamMs)
  at = writeRaw(buffer, at, ',"policy":')
  at = writeJsonString(buffer, at, entry.policy)
  at = writeRaw(buffer, at, ',"code":')
  at = writeJsonString(buffer, at, entry.code)
  at = writeRaw(buffer, at, ',"upstream":')
  at = writeJsonString(buffer, at, entry.upstream)
  at = writeRaw(buffer, at, ',"protocol":')
  at = writeJsonString(buffer, at, entry.protocol)
  // The OpenTelemetry log data model's names, which collectors read to join a line to its trace.
  if (entry.traceId != null) {
    at = writeRaw(buffer, at, ',"trace_id":')
    at = writeJsonString(buffer, at, entry.traceId)
    at = writeRaw(buffer, at, ',"span_id":')
    at = writeJsonString(buffer, at, entry.spanId ?? null)
  }
  if (extra !== '') at += buffer.write(extra, at, 'utf8')
  return writeRaw(buffer, at, ',"msg":"request"}\n')
}

/** The line as a string (tests, and any sink that is not a buffer). */
export function formatAccessLine(entry: AccessLogEntry, time: string, pid: number): string {
  const extra = addedFields(entry.fields)
  const buffer = Buffer.allocUnsafe(accessLineBound(entry, time, extra))
  return buffer.toString('utf8', 0, encodeAccessLine(buffer, 0, entry, time, pid, extra))
}

/** Writes access lines to a sink; the ISO timestamp's date and time are formatted once per second. */
export function createAccessLog(sink: AccessLogSink, pid = process.pid, clock: () => number = Date.now): (entry: AccessLogEntry) => void {
  let lastMs = 0
  let secondStartMs = Number.NEGATIVE_INFINITY
  let secondPrefix = ''
  let time = ''
  return (entry) => {
    const now = clock()
    if (now !== lastMs) {
      lastMs = now
      const ms = now - secondStartMs
      if (ms < 0 || ms >= 1000) {
        secondStartMs = now - (now % 1000)
        // "2026-11-29T13:50:41." — the milliseconds and "Z" follow.
        secondPrefix = new Date(secondStartMs).toISOString().slice(0, 20)
      }
      const millis = now - secondStartMs
      time = `${secondPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`
    }
    const extra = addedFields(entry.fields)
    const buffer = sink.reserve(accessLineBound(entry, time, extra))
    sink.commit(encodeAccessLine(buffer, sink.used, entry, time, pid, extra))
  }
}
