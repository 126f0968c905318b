/**
 * Misses of rule checks remembered across transactions, by value. A check whose operator depends
 * on the value alone (RE2, phrase lists, the detectors and validators, with no macro in the
 * argument) after the rule's transformations (pure functions) misses again on a value it missed
 * on before, and a miss has no side effect. Most header values (Host, User-Agent, Accept…) and
 * many paths repeat from request to request: each is then checked in full on its first two
 * sightings, not on every request. Matches are never remembered: they capture, set variables and
 * are logged.
 *
 * Bounded: values up to `MAX_VALUE_LENGTH`, two generations of at most `capacity` values each.
 * A value found in the older generation moves to the newer; when the newer is full, the older is
 * dropped. A value is remembered from its second sighting on: one that never repeats (an id, a
 * counter, a token) costs a hash and a slot in a fixed table of recent sightings, no entry.
 */
/** Bits per word: small integers stay unboxed in V8 below 2^30. */
const BITS_PER_WORD = 30
/** Longer values are checked every time: they rarely repeat, and their keys would hold memory. */
export const MAX_VALUE_LENGTH = 512
const DEFAULT_CAPACITY = 4096
/** Slots of the table of values seen once (a power of two). */
const SIGHTINGS = 8192

export class KnownMisses {
  #young = new Map<string, number[]>()
  #old = new Map<string, number[]>()
  readonly #words: number
  readonly #capacity: number
  /** By hash: the hash of the last value seen once there (0: none). */
  readonly #sightings = new Int32Array(SIGHTINGS)

  /** `slots`: how many rules may have misses remembered (`Rule.missSlot` below it). */
  constructor(slots: number, capacity = DEFAULT_CAPACITY) {
    this.#words = Math.max(1, Math.ceil(slots / BITS_PER_WORD))
    this.#capacity = capacity
  }

  /**
   * The misses known for `value`, as bits by slot (see `has`, `add`), shared by every transaction
   * that reads the value; null when it is not remembered: too long, or seen for the first time.
   */
  of(value: string): number[] | null {
    if (value.length > MAX_VALUE_LENGTH) return null
    const young = this.#young.get(value)
    if (young !== undefined) return young
    let misses = this.#old.get(value)
    if (misses === undefined) {
      const hash = fingerprint(value)
      const at = hash & (SIGHTINGS - 1)
      if (this.#sightings[at] !== hash) {
        this.#sightings[at] = hash
        return null
      }
      misses = new Array<number>(this.#words).fill(0)
    }
    if (this.#young.size >= this.#capacity) {
      this.#old = this.#young
      this.#young = new Map()
    }
    // A copy of the key: a short value may be a slice of a large body, which the key would keep alive.
    this.#young.set(' '.concat(value).slice(1), misses)
    return misses
  }

  /** The length of a value's misses, in words. */
  get words(): number {
    return this.#words
  }

  /** The number of values remembered (both generations; a value moved to the newer counts twice until the older is dropped). */
  get size(): number {
    return this.#young.size + this.#old.size
  }

  static has(misses: readonly number[], slot: number): boolean {
    return (((misses[(slot / BITS_PER_WORD) | 0] as number) >>> slot % BITS_PER_WORD) & 1) === 1
  }

  /** `into` with only the misses `other` knows too; returns `into`. */
  static intersect(into: number[], other: readonly number[]): number[] {
    for (let i = 0; i < into.length; i++) into[i] = (into[i] as number) & (other[i] as number)
    return into
  }

  static add(misses: number[], slot: number): void {
    const word = (slot / BITS_PER_WORD) | 0
    misses[word] = (misses[word] as number) | (1 << slot % BITS_PER_WORD)
  }
}

/** FNV-1a over the characters: a fingerprint, not a defence (a collision only remembers a value one sighting early). */
function fingerprint(value: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193)
  return hash | 0
}
