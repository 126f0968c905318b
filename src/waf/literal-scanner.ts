/**
 * One pass over a value for the required literals of every `@rx` rule of a rule set (see
 * required-literals.ts): which rules' literal sets occur in it, so RE2 runs only for those. An
 * Aho–Corasick automaton turned into a table-driven DFA over ASCII folded to lower case, since
 * it runs on every distinct value a transaction tests: one array read per character. (`@pm`'s
 * aho-corasick.ts answers another question — which phrase, for one rule's few phrases — and
 * keeps a small trie; this one answers which of hundreds of literal sets occur.)
 */
/** Bits per word of a scan's result: small integers stay unboxed in V8 below 2^30. */
const BITS_PER_WORD = 30
/** The result of a scan that found nothing (`has` reads a missing word as 0). */
const NOTHING_FOUND: readonly number[] = []

export class LiteralScanner {
  /**
   * By rows: reading a character of class `k` in the state whose row starts at `r` leads to the
   * row starting at `#delta[r + k]`, or at `~#delta[r + k]` when that entry is negative: a state
   * where literals end. One dependent table read per character; the outputs are looked at only
   * in those states.
   */
  readonly #delta: Int32Array
  /** Character code (ASCII) → class; 0 for characters no literal holds. */
  readonly #classOf = new Uint8Array(128)
  readonly #classes: number
  readonly #kelvin: number
  readonly #longS: number
  /** Per state: the sets one of whose literals ends here, as a range of `#outputWords` and `#outputBits`. */
  readonly #outputStart: Uint32Array
  readonly #outputWords: Uint32Array
  readonly #outputBits: Uint32Array
  readonly #words: number
  /** Per state: the scan that last recorded its outputs (a state's outputs are recorded once per scan). */
  readonly #recordedIn: Int32Array
  #scans = 0

  /** `sets[i]`: literals, lower-case ASCII, non-empty. */
  constructor(sets: readonly (readonly string[])[]) {
    this.#words = Math.ceil(sets.length / BITS_PER_WORD)
    let classes = 1
    for (const set of sets) {
      for (const literal of set) {
        if (literal === '' || literal !== literal.toLowerCase() || /[^\p{ASCII}]/u.test(literal)) throw new Error(`literal ${JSON.stringify(literal)} is not lower-case ASCII`)
        for (let i = 0; i < literal.length; i++) {
          const c = literal.charCodeAt(i)
          if (this.#classOf[c] === 0) this.#classOf[c] = classes++
        }
      }
    }
    // Upper-case letters read as their lower-case class.
    for (let c = 0x41; c <= 0x5a; c++) this.#classOf[c] = this.#classOf[c | 0x20] ?? 0
    this.#classes = classes
    this.#kelvin = this.#classOf[0x6b] ?? 0
    this.#longS = this.#classOf[0x73] ?? 0

    // The trie, with per state the sets ending there.
    const goto: Map<number, number>[] = [new Map<number, number>()]
    const ending: number[][] = [[]]
    sets.forEach((set, index) => {
      for (const literal of set) {
        let state = 0
        for (let i = 0; i < literal.length; i++) {
          const cls = this.#classOf[literal.charCodeAt(i)] ?? 0
          let next = goto[state]?.get(cls)
          if (next === undefined) {
            next = goto.length
            goto.push(new Map<number, number>())
            ending.push([])
            goto[state]?.set(cls, next)
          }
          state = next
        }
        ending[state]?.push(index)
      }
    })

    // Breadth first: failure links become full transitions; outputs are inherited along them.
    const states = goto.length
    const delta = new Uint32Array(states * classes)
    const fail = new Uint32Array(states)
    const outputs: Set<number>[] = ending.map((e) => new Set(e))
    const queue: number[] = []
    for (let cls = 1; cls < classes; cls++) {
      const next = goto[0]?.get(cls)
      if (next !== undefined) {
        delta[cls] = next
        queue.push(next)
      }
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number
      const link = fail[state] as number
      for (const o of outputs[link] ?? []) outputs[state]?.add(o)
      for (let cls = 1; cls < classes; cls++) {
        const next = goto[state]?.get(cls)
        const viaLink = delta[link * classes + cls] as number
        if (next === undefined) delta[state * classes + cls] = viaLink
        else {
          delta[state * classes + cls] = next
          fail[next] = viaLink
          queue.push(next)
        }
      }
    }
    // Per state, its sets merged into one mask per word they fall in.
    this.#outputStart = new Uint32Array(states + 1)
    const words: number[] = []
    const bits: number[] = []
    for (let state = 0; state < states; state++) {
      this.#outputStart[state] = words.length
      const masks = new Map<number, number>()
      for (const set of outputs[state] ?? []) {
        const word = Math.floor(set / BITS_PER_WORD)
        masks.set(word, (masks.get(word) ?? 0) | (1 << set % BITS_PER_WORD))
      }
      for (const [word, mask] of masks) {
        words.push(word)
        bits.push(mask)
      }
    }
    this.#outputStart[states] = words.length
    this.#outputWords = Uint32Array.from(words)
    this.#outputBits = Uint32Array.from(bits)
    this.#recordedIn = new Int32Array(states)
    this.#delta = new Int32Array(states * classes)
    for (let at = 0; at < delta.length; at++) {
      const target = delta[at] as number
      const row = target * classes
      this.#delta[at] = this.#outputStart[target] === this.#outputStart[target + 1] ? row : ~row
    }
  }

  /**
   * The sets one of whose literals occurs in `value`, ASCII case ignored, as bits (see `has`).
   * Plain small integers, not a typed array: V8 allocates typed arrays over 64 bytes outside
   * its heap, which cost more than the scan of a short value.
   */
  scan(value: string): readonly number[] {
    let found: number[] | null = null
    const delta = this.#delta
    const classOf = this.#classOf
    const recordedIn = this.#recordedIn
    const scan = this.#nextScan()
    let row = 0
    let recordedRow = -1
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i)
      // A character no literal holds ends every partial match; of the others, only the Kelvin
      // sign and the long s fold to ASCII letters (k, s) in RE2's case-insensitive matching.
      const cls = c < 128 ? (classOf[c] as number) : c === 0x212a ? this.#kelvin : c === 0x17f ? this.#longS : 0
      row = delta[row + cls] as number
      if (row >= 0) continue
      row = ~row
      // A run of one character stays in one state.
      if (row === recordedRow) continue
      recordedRow = row
      const state = row / this.#classes
      if (recordedIn[state] === scan) continue
      recordedIn[state] = scan
      // Most values hold no literal at all: they share one empty result, and only the others get an array.
      found ??= new Array<number>(this.#words).fill(0)
      this.#record(state, found)
    }
    return found ?? NOTHING_FOUND
  }

  #nextScan(): number {
    if (this.#scans === 0x7fffffff) {
      this.#scans = 0
      this.#recordedIn.fill(0)
    }
    return ++this.#scans
  }

  #record(state: number, found: number[]): void {
    const words = this.#outputWords
    const bits = this.#outputBits
    const to = this.#outputStart[state + 1] as number
    for (let k = this.#outputStart[state] as number; k < to; k++) found[words[k] as number] = (found[words[k] as number] as number) | (bits[k] as number)
  }

  /** Whether `found` (from `scan`) holds set `index`. */
  static has(found: readonly number[], index: number): boolean {
    return (((found[Math.floor(index / BITS_PER_WORD)] ?? 0) >>> index % BITS_PER_WORD) & 1) === 1
  }
}
