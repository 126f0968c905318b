/**
 * Calendar windows in a time zone: the day or month holding an instant, as UTC milliseconds, so
 * a quota resets at local midnight (and a day can be 23 or 25 hours long across DST changes).
 */
export interface CalendarWindow {
  readonly id: string
  readonly startMs: number
  readonly endMs: number
}

/** Throws a RangeError naming the zone when it is not a known IANA zone. */
export function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
}

function localParts(format: Intl.DateTimeFormat, instant: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts: Record<string, number> = {}
  for (const part of format.formatToParts(instant)) if (part.type !== 'literal') parts[part.type] = Number(part.value)
  return { year: parts.year ?? 0, month: parts.month ?? 1, day: parts.day ?? 1, hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0 }
}

/** The zone's offset from UTC at `instant`, ms (local = UTC + offset). */
function offsetAt(format: Intl.DateTimeFormat, instant: number): number {
  const p = localParts(format, instant)
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000
}

/** The UTC instant of local midnight starting `year-month-day` (month and day may overflow). */
function localMidnight(format: Intl.DateTimeFormat, year: number, month: number, day: number): number {
  const asUtc = Date.UTC(year, month - 1, day)
  const first = asUtc - offsetAt(format, asUtc)
  // The offset at the guess may differ from the offset at the answer (a DST change in between).
  const second = asUtc - offsetAt(format, first)
  return second
}

const pad = (n: number) => String(n).padStart(2, '0')

export function calendarWindow(format: Intl.DateTimeFormat, period: 'day' | 'month', nowMs: number): CalendarWindow {
  const { year, month, day } = localParts(format, nowMs)
  if (period === 'day') {
    return { id: `${year}-${pad(month)}-${pad(day)}`, startMs: localMidnight(format, year, month, day), endMs: localMidnight(format, year, month, day + 1) }
  }
  return { id: `${year}-${pad(month)}`, startMs: localMidnight(format, year, month, 1), endMs: localMidnight(format, year, month + 1, 1) }
}
