/**
 * What a path segment's shape says about it: a value (an id, a date, an e-mail address, an opaque
 * token) that makes its position a parameter, or a word that may be a literal. Judged on the
 * shape alone, never kept: the inventory stores the kind, not the segment.
 */

/** The kind of value a parameter segment held. */
export type ParamKind = 'integer' | 'uuid' | 'hex' | 'date' | 'email' | 'opaque'

const INTEGER = /^-?\d+$/
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i
const HEX = /^(?:0x)?[0-9a-f]{8,}$/i
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/i
/**
 * The lookahead checks the domain's characters once; without it a domain of dots followed by a
 * character outside the class was rescanned from every dot (quadratic: 64 KB took 2.7 s).
 */
const EMAIL = /^[^@/\s]+@(?=[^@/\s]+$)[^@/\s]+\.[^@/\s]+$/
/** Stripe-like prefixed ids: `cus_NffrFeUfNV2Hib`, `ch_3MmlLrLkdIwHu7ix0snN0B15`. */
const PREFIXED_ID = /^[a-z]{1,12}_[A-Za-z0-9]{8,}$/
const TOKEN = /^[A-Za-z0-9._~+=%-]+$/
const DIGIT = /\d/
const LETTER = /[A-Za-z]/
/** Characters an OpenAPI path template cannot carry as a literal. */
const UNSAFE = /[{}\s]/

/** Segments longer than this are values whatever they look like (slugs, tokens). */
export const LONGEST_LITERAL = 40

/** The kind of value `segment` holds, or null when it may be a literal word. */
export function paramKindOf(segment: string): ParamKind | null {
  // Most literal segments are short lower-case words: answered by one pass over the characters.
  if (isPlainWord(segment)) return null
  if (INTEGER.test(segment)) return 'integer'
  const length = segment.length
  if (length >= 32 && UUID.test(segment)) return 'uuid'
  if (DIGIT.test(segment)) {
    if (HEX.test(segment)) return 'hex'
    if (length >= 10 && DATE.test(segment)) return 'date'
  }
  if (segment.includes('@')) return EMAIL.test(decodeSafely(segment)) ? 'email' : 'opaque'
  if (length > LONGEST_LITERAL || UNSAFE.test(segment) || segment.includes('%')) return 'opaque'
  if (PREFIXED_ID.test(segment) && (DIGIT.test(segment) || /[A-Z]/.test(segment))) return 'opaque'
  if (DIGIT.test(segment) && LETTER.test(segment) && TOKEN.test(segment) && (length >= 16 || digitCount(segment) >= 4)) return 'opaque'
  return null
}

/** Lower-case letters, `-` and `_`, at most `LONGEST_LITERAL` characters: never a value by shape. */
function isPlainWord(segment: string): boolean {
  if (segment.length > LONGEST_LITERAL || segment.length === 0) return false
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i)
    if (!((c >= 97 && c <= 122) || c === 45 || c === 95)) return false
  }
  return true
}

function digitCount(text: string): number {
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) count++
  }
  return count
}

function decodeSafely(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
