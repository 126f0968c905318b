/**
 * Detectors of sensitive values in text: each finds candidates with a pattern and confirms them
 * where a checksum exists (Luhn and the card networks' number ranges for payment cards, mod-97
 * for IBANs), so look-alikes — a 16-digit order number failing Luhn, a millisecond timestamp
 * passing it — are left alone. Shared by masking, logs, audit and scan.
 */
export type DetectorName = 'pan' | 'ssn' | 'iban' | 'email' | 'phone' | 'jwt' | 'apiKey' | 'privateKey'

export interface Detector {
  readonly name: DetectorName
  /** Global pattern of candidates. */
  readonly pattern: RegExp
  /** A cheap test that the text could hold a match at all: most strings skip the pattern. */
  readonly mayContain: (text: string) => boolean
  /** Confirms a candidate (checksums); absent when the pattern is enough. */
  readonly confirm?: (match: string) => boolean
  /** What `partial` keeps visible. */
  readonly partial: (match: string) => string
}

/**
 * Whether a number of this length could be issued with this prefix (ISO/IEC 7812 ranges of the
 * networks: Visa, Mastercard, Amex, Diners, JCB, Discover, UnionPay, Maestro, UATP). Luhn alone
 * passes one number in ten — a 13-digit epoch-millisecond timestamp included.
 */
function cardRange(digits: string): boolean {
  const length = digits.length
  const two = Number(digits.slice(0, 2))
  const three = Number(digits.slice(0, 3))
  const four = Number(digits.slice(0, 4))
  switch (digits[0]) {
    case '1':
      return length === 15 // UATP
    case '2':
      return length === 16 && four >= 2221 && four <= 2720
    case '3':
      if (two === 34 || two === 37) return length === 15
      if ((three >= 300 && three <= 305) || two === 36 || two === 38 || two === 39) return length >= 14 && length <= 19
      return four >= 3528 && four <= 3589 && length >= 16
    case '4':
      return length === 13 || length === 16 || length === 19
    case '5':
      return two >= 51 && two <= 55 ? length === 16 : true // Maestro: 50, 56-59, 12 to 19 digits
    case '6':
      return true // Discover, UnionPay, Maestro: 13 to 19 digits
    default:
      return false
  }
}

function luhn(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

function ibanValid(candidate: string): boolean {
  const compact = candidate.replaceAll(' ', '').toUpperCase()
  if (compact.length < 15 || compact.length > 34) return false
  const rearranged = compact.slice(4) + compact.slice(0, 4)
  let remainder = 0
  for (const char of rearranged) {
    const value = char >= 'A' && char <= 'Z' ? String(char.charCodeAt(0) - 55) : char
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97
  }
  return remainder === 1
}

function digitCount(text: string, atLeast: number): boolean {
  let digits = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57 && ++digits >= atLeast) return true
  }
  return false
}

const stars = (n: number) => '*'.repeat(Math.max(0, n))
const lastFour = (text: string) => `${stars(text.length - 4)}${text.slice(-4)}`

export const DETECTORS: Readonly<Record<DetectorName, Detector>> = {
  pan: {
    name: 'pan',
    mayContain: (text) => text.length >= 13 && digitCount(text, 13),
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    confirm: (match) => {
      const digits = match.replace(/[ -]/g, '')
      return cardRange(digits) && luhn(digits)
    },
    partial: (match) => `**** **** **** ${match.replace(/[ -]/g, '').slice(-4)}`,
  },
  ssn: {
    name: 'ssn',
    mayContain: (text) => text.length >= 11 && text.includes('-') && digitCount(text, 9),
    pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g,
    partial: (match) => `***-**-${match.slice(-4)}`,
  },
  iban: {
    name: 'iban',
    mayContain: (text) => text.length >= 15 && digitCount(text, 4),
    pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g,
    confirm: ibanValid,
    partial: (match) => {
      const compact = match.replaceAll(' ', '')
      return `${compact.slice(0, 2)}${stars(compact.length - 6)}${compact.slice(-4)}`
    },
  },
  email: {
    name: 'email',
    mayContain: (text) => text.includes('@'),
    // Starts only where a local part can start, with bounded parts: a long run of such
    // characters is scanned once, not once per position.
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b/g,
    partial: (match) => {
      const at = match.indexOf('@')
      return `${match[0] ?? ''}***${match.slice(at)}`
    },
  },
  phone: {
    name: 'phone',
    mayContain: (text) => (text.includes('+') || text.includes('(')) && digitCount(text, 8),
    // International numbers written with their + prefix, and North American (555) 123-4567.
    pattern: /(?:\+[1-9]\d{0,2}(?:[ .-]?\d{1,4}){2,5}\d|\(\d{3}\) ?\d{3}-\d{4})\b/g,
    confirm: (match) => {
      const digits = match.replace(/\D/g, '').length
      return digits >= 8 && digits <= 15
    },
    partial: (match) => `${stars(match.replace(/\D/g, '').length - 2)}${match.replace(/\D/g, '').slice(-2)}`,
  },
  jwt: {
    name: 'jwt',
    mayContain: (text) => text.includes('eyJ'),
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,8192}\.eyJ[A-Za-z0-9_-]{5,65536}\.[A-Za-z0-9_-]{10,8192}/g,
    partial: (match) => `${match.slice(0, 10)}…`,
  },
  apiKey: {
    name: 'apiKey',
    mayContain: (text) => text.length >= 20,
    // Shapes of well-known secrets: Stripe, GitHub, Slack, AWS access keys, Google API keys, ours.
    pattern: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}\b|\bAKIA[0-9A-Z]{16}\b|\bAIza[0-9A-Za-z_-]{35}\b|\bpcl_[A-Za-z0-9]+_[A-Za-z0-9_-]{20,}\b/g,
    partial: (match) => `${match.slice(0, 4)}…`,
  },
  privateKey: {
    name: 'privateKey',
    mayContain: (text) => text.includes('PRIVATE KEY'),
    // The body is base64 and (legacy encrypted keys) a few headers; it cannot run past the next
    // `-----`, so a text of many BEGIN lines without an END is scanned once.
    pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----(?:[A-Za-z0-9+/=\s:,.]|-(?!----)){0,16384}-----END (?:[A-Z]+ )?PRIVATE KEY-----/g,
    partial: () => '[PRIVATE KEY]',
  },
}

export const ALL_DETECTORS = Object.keys(DETECTORS) as DetectorName[]

/** Replaces every confirmed match of the detectors in `text`; `replace` says with what. */
export function maskDetected(text: string, detectors: readonly Detector[], replace: (detector: Detector, match: string) => string): string {
  let out = text
  for (const detector of detectors) {
    if (!detector.mayContain(out)) continue
    detector.pattern.lastIndex = 0
    out = out.replace(detector.pattern, (match) => (detector.confirm === undefined || detector.confirm(match) ? replace(detector, match) : match))
  }
  return out
}

export { lastFour }
