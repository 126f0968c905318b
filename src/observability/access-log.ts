/**
 * The access-log line, serialised by hand: its fields are fixed and mostly known-safe (ids from a
 * validated charset, addresses, numbers), so writing the JSON directly costs a fraction of a
 * generic serialiser on every request. Strings that can hold arbitrary text are escaped.
 */
import type { AccessLogEntry } from '../pipeline/define-policy.js'

export interface AccessLogSink {
  write(line: string): void
}

function text(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value)
}

function number(value: number | null): string {
  return value === null ? 'null' : String(value)
}

/** One JSON line in the operational log's shape (`level`, `time`, `pid`, `kind`, fields). */
export function formatAccessLine(entry: AccessLogEntry, time: string, pid: number): string {
  return (
    `{"level":"info","time":"${time}","pid":${pid},"kind":"access"` +
    `,"requestId":${text(entry.requestId)},"client":${text(entry.client)},"method":${text(entry.method)}` +
    `,"api":${text(entry.api)},"route":${text(entry.route)},"status":${entry.status}` +
    `,"bytesIn":${entry.bytesIn},"bytesOut":${entry.bytesOut},"durationMs":${entry.durationMs},"upstreamMs":${number(entry.upstreamMs)}` +
    `,"policy":${text(entry.policy)},"code":${text(entry.code)},"upstream":${text(entry.upstream)},"protocol":${text(entry.protocol)}` +
    `,"msg":"request"}\n`
  )
}

/** Writes access lines to a sink with an ISO timestamp computed at most once per millisecond. */
export function createAccessLog(sink: AccessLogSink, pid = process.pid): (entry: AccessLogEntry) => void {
  let lastMs = 0
  let time = ''
  return (entry) => {
    const now = Date.now()
    if (now !== lastMs) {
      lastMs = now
      time = new Date(now).toISOString()
    }
    sink.write(formatAccessLine(entry, time, pid))
  }
}
