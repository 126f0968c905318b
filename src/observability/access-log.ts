/**
 * The access-log line, serialised by hand: its fields are fixed and mostly plain ASCII (ids from a
 * validated charset, addresses, numbers), so writing the JSON directly costs a fraction of a
 * generic serialiser on every request. Any string that needs escaping gets JSON.stringify.
 */
import type { AccessLogEntry } from '../pipeline/define-policy.js'

export interface AccessLogSink {
  write(line: string): void
}

/** JSON string literal for `value`, skipping JSON.stringify when nothing needs escaping. */
export function jsonString(value: string | null): string {
  if (value === null) return 'null'
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code < 0x20 || code === 0x22 || code === 0x5c || code > 0x7e) return JSON.stringify(value)
  }
  return `"${value}"`
}

/** Milliseconds with microsecond precision from integer microseconds, without float formatting. */
function millis(micros: number): string {
  const fraction = micros % 1000
  return `${(micros - fraction) / 1000}.${fraction < 10 ? '00' : fraction < 100 ? '0' : ''}${fraction}`
}

/** One JSON line in the operational log's shape (`level`, `time`, `pid`, `kind`, fields). */
export function formatAccessLine(entry: AccessLogEntry, time: string, pid: number): string {
  return (
    `{"level":"info","time":"${time}","pid":${pid},"kind":"access"` +
    `,"requestId":${jsonString(entry.requestId)},"client":${jsonString(entry.client)},"method":${jsonString(entry.method)}` +
    `,"api":${jsonString(entry.api)},"route":${jsonString(entry.route)},"status":${entry.status}` +
    `,"bytesIn":${entry.bytesIn},"bytesOut":${entry.bytesOut === null ? 'null' : entry.bytesOut},"durationMs":${millis(Math.round(entry.durationMs * 1000))}` +
    `,"upstreamMs":${entry.upstreamMs === null ? 'null' : millis(Math.round(entry.upstreamMs * 1000))}` +
    `,"policy":${jsonString(entry.policy)},"code":${jsonString(entry.code)},"upstream":${jsonString(entry.upstream)},"protocol":${jsonString(entry.protocol)}` +
    (entry.fields === null ? '' : addedFields(entry.fields)) +
    `,"msg":"request"}\n`
  )
}

function addedFields(fields: Readonly<Record<string, unknown>>): string {
  let out = ''
  for (const name in fields) out += `,${jsonString(name)}:${JSON.stringify(fields[name]) ?? 'null'}`
  return out
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
    sink.write(formatAccessLine(entry, time, pid))
  }
}
