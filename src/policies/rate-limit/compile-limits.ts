/**
 * Limits from the config compiled once per load: the algorithm each form uses, the key parts,
 * the header text. `rate` → GCRA (exact burst and sustained rate in one stored time, O(1) memory
 * per key); `window` + `limit` → sliding-window counter (two counts per key whatever the window's
 * length, where a log of timestamps would hold up to `limit` entries); `quota` → a fixed calendar
 * window (counts reset at local midnight of the day or month, as plans are sold).
 */
import type { ErrorCode } from '../../errors.js'
import type { Algorithm } from '../../stores/counter-store.js'
import { calendarWindow, zoneFormatter, type CalendarWindow } from './calendar.js'
import type { LimitConfig } from './schema.js'

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** `250ms`, `90s`, `15m`, `1h`, `1d` (validated by the schema) in ms. */
export function durationMs(text: string): number {
  const unit = text.endsWith('ms') ? 'ms' : (text.slice(-1) as keyof typeof UNIT_MS)
  return Number(text.slice(0, -unit.length)) * UNIT_MS[unit]
}

export interface CompiledLimit {
  readonly name: string
  /** Distinguishes the counter from other limits' (the API, a plan, the limit's own shape). */
  readonly scope: string
  readonly parts: readonly string[]
  readonly code: ErrorCode
  algorithm(nowMs: number): Algorithm
  /** The limit's `RateLimit-Policy` member. */
  policyField(nowMs: number): string
}

/** Problems with one limit's fields, by field; empty when it is well-formed. */
export function limitProblems(limit: LimitConfig): { path: string; message: string }[] {
  const forms = [limit.rate !== undefined, limit.window !== undefined || limit.limit !== undefined, limit.quota !== undefined].filter(Boolean).length
  const problems: { path: string; message: string }[] = []
  if (forms !== 1) problems.push({ path: '', message: 'must have exactly one of `rate` (with optional `burst`), `window` with `limit`, or `quota`' })
  if ((limit.window === undefined) !== (limit.limit === undefined)) problems.push({ path: limit.window === undefined ? 'window' : 'limit', message: '`window` and `limit` go together' })
  if (limit.burst !== undefined && limit.rate === undefined) problems.push({ path: 'burst', message: 'only applies to `rate`' })
  if (limit.rate !== undefined && Number(limit.rate.split('/')[0]) <= 0) problems.push({ path: 'rate', message: 'must be more than 0' })
  if (limit.quota !== undefined && !(Number(limit.quota.split('/')[0]) >= 1)) problems.push({ path: 'quota', message: 'must be at least 1' })
  if (limit.timeZone !== undefined && limit.quota === undefined) problems.push({ path: 'timeZone', message: 'only applies to `quota`' })
  try {
    zoneFormatter(limit.timeZone ?? 'UTC')
  } catch {
    problems.push({ path: 'timeZone', message: `unknown time zone "${String(limit.timeZone)}" (an IANA name such as Europe/Paris)` })
  }
  return problems
}

export function compileLimit(limit: LimitConfig, index: number, scope: string): CompiledLimit {
  const per = limit.per ?? 'consumer'
  const parts = typeof per === 'string' ? [per] : [...per]
  if (limit.rate !== undefined) {
    const [count, unit] = limit.rate.split('/') as [string, keyof typeof UNIT_MS]
    const perPeriod = Number(count)
    const intervalMs = UNIT_MS[unit] / perPeriod
    const burst = limit.burst ?? Math.max(1, Math.ceil(perPeriod))
    const name = limit.name ?? `rate${index}`
    const algorithm: Algorithm = { kind: 'gcra', intervalMs, burst }
    const field = `"${name}";q=${burst};w=${Math.max(1, Math.ceil((intervalMs * burst) / 1000))}`
    return { name, scope: `${scope}${name}:g${intervalMs}x${burst}`, parts, code: 'GW_ERR_RATE_LIMITED', algorithm: () => algorithm, policyField: () => field }
  }
  if (limit.window !== undefined && limit.limit !== undefined) {
    const windowMs = durationMs(limit.window)
    const name = limit.name ?? `window${index}`
    const algorithm: Algorithm = { kind: 'sliding', windowMs, limit: limit.limit }
    const field = `"${name}";q=${limit.limit};w=${Math.ceil(windowMs / 1000)}`
    return { name, scope: `${scope}${name}:s${windowMs}x${limit.limit}`, parts, code: 'GW_ERR_RATE_LIMITED', algorithm: () => algorithm, policyField: () => field }
  }
  const [count, period] = (limit.quota as string).split('/') as [string, 'day' | 'month']
  const quota = Math.floor(Number(count))
  const name = limit.name ?? `quota${index}`
  const timeZone = limit.timeZone ?? 'UTC'
  const format = zoneFormatter(timeZone)
  // The window changes once a day or month: computed again only then.
  let window: CalendarWindow = { id: '', startMs: 0, endMs: 0 }
  const current = (nowMs: number) => (nowMs >= window.startMs && nowMs < window.endMs ? window : (window = calendarWindow(format, period, nowMs)))
  return {
    name,
    scope: `${scope}${name}:q${period}x${quota}@${timeZone}`,
    parts,
    code: 'GW_ERR_QUOTA_EXCEEDED',
    algorithm(nowMs) {
      const { id, startMs, endMs } = current(nowMs)
      return { kind: 'fixed', limit: quota, windowId: id, startMs, endMs }
    },
    policyField(nowMs) {
      const { startMs, endMs } = current(nowMs)
      return `"${name}";q=${quota};w=${Math.round((endMs - startMs) / 1000)}`
    },
  }
}
