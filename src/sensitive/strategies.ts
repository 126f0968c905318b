/**
 * What masking does to a sensitive value: `redact` replaces it, `partial` keeps what its kind
 * lets show (the last four digits of a card), `hash` replaces it with a keyed HMAC so equal
 * values stay linkable without being readable, `drop` removes the field, `none` leaves it.
 */
import { createHmac } from 'node:crypto'
import { DETECTORS, lastFour, type Detector } from './detectors.js'

export type Strategy = 'redact' | 'partial' | 'hash' | 'drop' | 'none'

export const REDACTED = '[REDACTED]'

/** The masked text; `drop` has no text form and redacts (a part of a string cannot be dropped). */
export function maskText(text: string, strategy: Strategy, detector: Detector | null, hashKey: string | null): string {
  switch (strategy) {
    case 'none':
      return text
    case 'partial':
      return (detector ?? kindOf(text))?.partial(text) ?? lastFour(text)
    case 'hash':
      if (hashKey === null) return REDACTED
      return `hash:${createHmac('sha256', hashKey).update(text).digest('base64url').slice(0, 22)}`
    default:
      return REDACTED
  }
}

/** The detector whose pattern covers the whole value (a field holding a card number), if any. */
function kindOf(text: string): Detector | null {
  for (const detector of Object.values(DETECTORS)) {
    detector.pattern.lastIndex = 0
    const match = detector.pattern.exec(text)
    if (match !== null && match[0] === text && (detector.confirm === undefined || detector.confirm(text))) return detector
  }
  return null
}
