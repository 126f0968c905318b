/**
 * Which characters a string holds, as 256 bits: a phrase can occur in a value only if the value
 * holds every character of the phrase. One pass over a long value answers that for every phrase
 * list at once, where each list's automaton would pass over the whole value: most long values an
 * attacker sends to slow a WAF down (runs of one character, one short unit repeated) hold a few
 * distinct characters, and no phrase of most lists.
 */
/** 256 bits in 32-bit words. */
export const CHARACTER_SET_WORDS = 8

/**
 * The characters of `value`, ASCII letters folded to lower case (as the phrase matchers fold
 * them); null when it holds a character at or above 256, which the set does not cover.
 */
export function charactersIn(value: string): Int32Array | null {
  const bits = new Int32Array(CHARACTER_SET_WORDS)
  for (let i = 0; i < value.length; i++) {
    let c = value.charCodeAt(i)
    if (c >= 256) return null
    if (c >= 0x41 && c <= 0x5a) c |= 0x20
    bits[c >>> 5] = (bits[c >>> 5] as number) | (1 << (c & 31))
  }
  return bits
}

/** Whether `present` holds every character of the set at `needed[at…at + 8]`. */
export function holdsAll(present: Int32Array, needed: Int32Array, at: number): boolean {
  for (let w = 0; w < CHARACTER_SET_WORDS; w++) if (((needed[at + w] as number) & ~(present[w] as number)) !== 0) return false
  return true
}
