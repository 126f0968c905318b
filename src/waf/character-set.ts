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
  // A byte per character seen, then the bits: the loop stores without reading back, twice as fast
  // on a 100 KB value as setting bits in place.
  const seen = SEEN
  seen.fill(0)
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c >= 256) return null
    seen[c] = 1
  }
  const bits = new Int32Array(CHARACTER_SET_WORDS)
  for (let c = 0; c < 256; c++) {
    if (seen[c] === 0) continue
    const folded = c >= 0x41 && c <= 0x5a ? c | 0x20 : c
    bits[folded >>> 5] = (bits[folded >>> 5] as number) | (1 << (folded & 31))
  }
  return bits
}

/** charactersIn's scratch table (one call at a time: it never yields). */
const SEEN = new Uint8Array(256)

/** Whether `present` holds one of the characters of `needed` at least. */
export function holdsAny(present: Int32Array, needed: Int32Array): boolean {
  for (let w = 0; w < CHARACTER_SET_WORDS; w++) if (((needed[w] as number) & (present[w] as number)) !== 0) return true
  return false
}

/** Whether `present` holds every character of the set at `needed[at…at + 8]`. */
export function holdsAll(present: Int32Array, needed: Int32Array, at: number): boolean {
  for (let w = 0; w < CHARACTER_SET_WORDS; w++) if (((needed[at + w] as number) & ~(present[w] as number)) !== 0) return false
  return true
}
