import assert from 'node:assert/strict'
import { test } from 'node:test'
import { calendarWindow, zoneFormatter } from './calendar.js'

test('days and months start at local midnight, across DST changes', () => {
  const utc = zoneFormatter('UTC')
  assert.deepEqual(calendarWindow(utc, 'month', Date.UTC(2026, 1, 28, 23, 59, 59)), { id: '2026-02', startMs: Date.UTC(2026, 1, 1), endMs: Date.UTC(2026, 2, 1) })
  assert.deepEqual(calendarWindow(utc, 'day', Date.UTC(2026, 11, 31, 12)), { id: '2026-12-31', startMs: Date.UTC(2026, 11, 31), endMs: Date.UTC(2027, 0, 1) })
  const paris = zoneFormatter('Europe/Paris')
  // 2026-03-29: clocks go from 02:00 to 03:00 in Paris, a 23-hour day starting at 23:00 UTC the evening before.
  const spring = calendarWindow(paris, 'day', Date.UTC(2026, 2, 29, 12))
  assert.deepEqual(spring, { id: '2026-03-29', startMs: Date.UTC(2026, 2, 28, 23), endMs: Date.UTC(2026, 2, 29, 22) })
  // 23:30 UTC on March 31st is already April 1st in Paris.
  assert.equal(calendarWindow(paris, 'month', Date.UTC(2026, 2, 31, 23, 30)).id, '2026-04')
  const newYork = zoneFormatter('America/New_York')
  const november = calendarWindow(newYork, 'month', Date.UTC(2026, 10, 15))
  assert.deepEqual(november, { id: '2026-11', startMs: Date.UTC(2026, 10, 1, 4), endMs: Date.UTC(2026, 11, 1, 5) })
  assert.throws(() => zoneFormatter('Mars/Olympus'), RangeError)
})
