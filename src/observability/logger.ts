/**
 * The gateway's JSON logger (pino). Writes are buffered and asynchronous so logging stays off
 * the request path; credentials are redacted by path as a second line of defence — access-log
 * lines never carry headers, cookies or query strings in the first place.
 */
import { mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { pino, type Logger } from 'pino'
import { DETECTORS, maskDetected, type Detector } from '../sensitive/detectors.js'
import { BufferedSink } from './buffered-sink.js'

export interface LoggerOptions {
  level: string
  destination: string
}

/** Paths pino blanks wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["proxy-authorization"]',
  'headers["x-api-key"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.clientSecret',
  '*.passphrase',
]

const FLUSH_INTERVAL_MS = 500

/** Secrets that must never reach a log line, wherever they appear in it: masked by detection. */
const LOG_DETECTORS: readonly Detector[] = [DETECTORS.pan, DETECTORS.ssn, DETECTORS.iban, DETECTORS.jwt, DETECTORS.apiKey, DETECTORS.privateKey]
const MAX_LOG_DEPTH = 8

/** A log record with detected secrets in its strings replaced by `[<kind>]`. */
export function maskLogRecord(record: Record<string, unknown>): Record<string, unknown> {
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return value.length < 8 ? value : maskDetected(value, LOG_DETECTORS, (detector) => `[${detector.name}]`)
    if (typeof value !== 'object' || value === null || depth > MAX_LOG_DEPTH) return value
    // An error's message and stack can quote what failed (a URL with a token): logged as pino's
    // error serializer would, with the text masked.
    if (value instanceof Error) {
      const code = (value as NodeJS.ErrnoException).code
      return { type: value.name, message: walk(value.message, depth + 1), stack: walk(value.stack ?? '', depth + 1), ...(code === undefined ? {} : { code }) }
    }
    if (Array.isArray(value)) return value.map((item: unknown) => walk(item, depth + 1))
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(value)) out[key] = walk(child, depth + 1)
    return out
  }
  return walk(record, 0) as Record<string, unknown>
}

export interface Loggers {
  /** Operational log: redacts known secret-bearing paths as a second line of defence. */
  logger: Logger
  /** Where access lines go: the same file, through a cheaper buffered writer. */
  accessSink: BufferedSink
}

/** ISO time, formatted once per millisecond: the access log writes many lines per ms under load. */
function cachedIsoTime(): () => string {
  let lastMs = 0
  let last = ''
  return () => {
    const now = Date.now()
    if (now !== lastMs) {
      lastMs = now
      last = `,"time":"${new Date(now).toISOString()}"`
    }
    return last
  }
}

export function createLoggers(options: LoggerOptions): Loggers {
  // The file is opened synchronously so the destination is ready at once: an exit (or a flush)
  // before an asynchronous open completes would throw inside pino's exit handler.
  let fd = 1
  if (options.destination !== 'stdout') {
    mkdirSync(dirname(options.destination), { recursive: true })
    fd = openSync(options.destination, 'a')
  }
  const destination = pino.destination({ fd, sync: false, minLength: 4096 })
  // Buffered lines must not wait for the next 4 KiB on a quiet gateway.
  setInterval(() => {
    try {
      destination.flush()
    } catch {
      // Not writable right now (closing); the next tick or the exit flush writes it.
    }
  }, FLUSH_INTERVAL_MS).unref()
  const common = { level: options.level, formatters: { level: (label: string) => ({ level: label }), log: maskLogRecord }, timestamp: cachedIsoTime() }
  return {
    logger: pino({ ...common, base: { pid: process.pid }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination),
    accessSink: new BufferedSink(fd),
  }
}

/** Writes buffered log lines now, synchronously (pino's own `flush` only starts a write); call before exit. */
export function flushLogger(logger: Logger): void {
  const stream = (logger as unknown as Record<symbol, { flushSync?: () => void } | undefined>)[pino.symbols.streamSym]
  try {
    if (typeof stream?.flushSync === 'function') stream.flushSync()
    else logger.flush()
  } catch {
    // A closed (or not yet opened) destination has nothing left to flush.
  }
}
