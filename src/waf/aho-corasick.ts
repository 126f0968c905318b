/**
 * Aho–Corasick multi-pattern matching for `@pm` and `@pmFromFile`: one pass over the input
 * whatever the number of phrases. Case-insensitive (ASCII), as the reference engines match
 * phrases. Built once per rule when the rule set loads, then flattened: the root's transitions in
 * a table by character (most characters of most inputs start no phrase), every other state's as a
 * sorted run of (character, target) pairs in two shared arrays — a `Map` per state cost a hash
 * lookup per character, a quarter of the time on a 100 KB argument. When the table fits a
 * budget (every CRS phrase list at the request's paranoia levels does), the automaton is also
 * compiled to a DFA over character classes: one table read per input character, no failure
 * links followed at match time.
 */

import { CHARACTER_SET_WORDS, charactersIn, holdsAll } from './character-set.js'

/** Largest DFA (states × character classes) built; beyond it the flattened trie is used. */
const DFA_BUDGET = 1_000_000
/**
 * Most character sets `mayOccurIn` compares; a list whose phrases need more is always searched.
 * CRS's lfi-os-files.data needs 257: comparing a thousand sets (8 words each) costs far less than
 * one pass of its automaton over a long value, and the check runs only on long values.
 */
const MAX_CHARACTER_SETS = 2048
export class AhoCorasick {
  /** Per state: transitions by character code (while building). */
  readonly #next: Map<number, number>[] = [new Map<number, number>()]
  readonly #fail: number[] = [0]
  /** The root's transitions by character below 256; -1 for none. */
  readonly #root = new Int32Array(256).fill(-1)
  /** Per state: its transitions are `#edgeChar`/`#edgeTarget` from `#edgeStart[state]` to `#edgeStart[state + 1]`, by character. */
  #edgeStart = new Int32Array(0)
  #edgeChar = new Int32Array(0)
  #edgeTarget = new Int32Array(0)
  readonly #phrases: string[]
  /**
   * The DFA by rows: reading a character of class `k` in the state whose row starts at `r` leads to
   * `#delta[r + k]`, the start of the next state's row, or — when a phrase ends there — to
   * `~phrase` (negative), which ends `find`. Rows premultiplied and outputs folded into the entry
   * leave one dependent table read per input character.
   */
  #delta: Int32Array | null = null
  /** Character class by code below 256 (class 0: in no phrase; A–Z share a–z's). */
  readonly #classOf = new Uint8Array(256)
  /** Classes of characters at or above 256 that occur in phrases. */
  readonly #wideClass = new Map<number, number>()
  /** Per state: the longest phrase ending here, directly or through failure links; -1 for none. */
  readonly #outputs: Int32Array
  /**
   * The characters the phrases hold (sets of `CHARACTER_SET_WORDS` words, one after another): a
   * value can hold a phrase only if it holds one of these sets. Sets holding another are left
   * out. Null when there are too many to compare.
   */
  readonly #characterSets: Int32Array | null

  /** `dfaBudget`: the largest DFA (states × character classes) to compile; 0 keeps the trie only. */
  constructor(phrases: readonly string[], dfaBudget = DFA_BUDGET) {
    const output: number[] = [-1]
    this.#phrases = phrases.filter((p) => p !== '').map((p) => p.replace(/[A-Z]+/g, (upper) => upper.toLowerCase()))
    this.#phrases.forEach((phrase, index) => {
      let state = 0
      for (let i = 0; i < phrase.length; i++) {
        const c = phrase.charCodeAt(i)
        let target = this.#next[state]?.get(c)
        if (target === undefined) {
          target = this.#next.length
          this.#next.push(new Map<number, number>())
          this.#fail.push(0)
          output.push(-1)
          this.#next[state]?.set(c, target)
        }
        state = target
      }
      output[state] = index
    })
    // Breadth-first: failure links, and outputs inherited along them.
    const queue: number[] = [...(this.#next[0]?.values() ?? [])]
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] ?? 0
      for (const [c, target] of this.#next[state] ?? []) {
        queue.push(target)
        let fallback = this.#fail[state] ?? 0
        while (fallback !== 0 && this.#next[fallback]?.get(c) === undefined) fallback = this.#fail[fallback] ?? 0
        const link = this.#next[fallback]?.get(c)
        this.#fail[target] = link !== undefined && link !== target ? link : 0
        if (output[target] === -1) output[target] = output[this.#fail[target] ?? 0] ?? -1
      }
    }
    this.#outputs = Int32Array.from(output)
    this.#compileDfa([0, ...queue], dfaBudget)
    this.#flatten()
    this.#characterSets = this.#minimalCharacterSets()
  }

  #minimalCharacterSets(): Int32Array | null {
    const distinct = new Map<string, Int32Array>()
    for (const phrase of this.#phrases) {
      // A phrase holding a character at or above 256 cannot occur in a value the sets describe.
      const set = charactersIn(phrase)
      if (set !== null) distinct.set(set.join(), set)
    }
    // Fewer characters first, so a set is compared only with the smaller ones it may hold.
    const bySize = [...distinct.values()].sort((a, b) => bitCount(a) - bitCount(b))
    const kept: Int32Array[] = []
    for (const set of bySize) {
      if (kept.some((smaller) => holdsAll(set, smaller, 0))) continue
      if (kept.length === MAX_CHARACTER_SETS) return null
      kept.push(set)
    }
    const sets = new Int32Array(kept.length * CHARACTER_SET_WORDS)
    kept.forEach((set, index) => sets.set(set, index * CHARACTER_SET_WORDS))
    return sets
  }

  /**
   * Whether a phrase may occur in a value holding the characters `present` (from `charactersIn`;
   * null: unknown). False only when every phrase holds a character the value lacks.
   */
  mayOccurIn(present: Int32Array | null): boolean {
    const sets = this.#characterSets
    if (present === null || sets === null) return true
    for (let at = 0; at < sets.length; at += CHARACTER_SET_WORDS) if (holdsAll(present, sets, at)) return true
    return false
  }

  /** `order`: every state, parents before children (breadth-first), so failure targets come first. */
  #compileDfa(order: readonly number[], budget: number): void {
    const classChars: number[] = [-1]
    for (const next of this.#next) {
      for (const c of next.keys()) {
        if (c < 256 ? this.#classOf[c] !== 0 : this.#wideClass.has(c)) continue
        const cls = classChars.length
        classChars.push(c)
        if (c < 256) this.#classOf[c] = cls
        else this.#wideClass.set(c, cls)
      }
    }
    // Phrases are lower-case; upper-case input letters read as their lower-case class.
    for (let c = 0x41; c <= 0x5a; c++) this.#classOf[c] = this.#classOf[c | 0x20] as number
    const classes = classChars.length
    const states = this.#next.length
    if (states * classes > budget || classes > 255) return
    const delta = new Int32Array(states * classes)
    for (const state of order) {
      const next = this.#next[state] as Map<number, number>
      const fallback = (this.#fail[state] ?? 0) * classes
      for (let cls = 1; cls < classes; cls++) {
        const target = next.get(classChars[cls] as number)
        if (target === undefined) delta[state * classes + cls] = state === 0 ? 0 : (delta[fallback + cls] as number)
        else {
          const output = this.#outputs[target] as number
          delta[state * classes + cls] = output === -1 ? target * classes : ~output
        }
      }
    }
    this.#delta = delta
  }

  #flatten(): void {
    const states = this.#next.length
    let edges = 0
    for (const next of this.#next) edges += next.size
    this.#edgeStart = new Int32Array(states + 1)
    this.#edgeChar = new Int32Array(edges)
    this.#edgeTarget = new Int32Array(edges)
    let at = 0
    for (let state = 0; state < states; state++) {
      this.#edgeStart[state] = at
      const sorted = [...(this.#next[state] ?? [])].sort((a, b) => a[0] - b[0])
      for (const [c, target] of sorted) {
        this.#edgeChar[at] = c
        this.#edgeTarget[at] = target
        at++
      }
    }
    this.#edgeStart[states] = at
    for (const [c, target] of this.#next[0] ?? []) if (c < 256) this.#root[c] = target
    this.#next.length = 0
  }

  /** The state after `state` reads `c`, or -1 when it has no transition for it. */
  #step(state: number, c: number): number {
    if (state === 0 && c < 256) return this.#root[c] as number
    let low = this.#edgeStart[state] as number
    let high = (this.#edgeStart[state + 1] as number) - 1
    while (low <= high) {
      const middle = (low + high) >> 1
      const found = this.#edgeChar[middle] as number
      if (found === c) return this.#edgeTarget[middle] as number
      if (found < c) low = middle + 1
      else high = middle - 1
    }
    return -1
  }

  get size(): number {
    return this.#phrases.length
  }

  /** The first phrase found in `input` (the one ending earliest), or null. */
  find(input: string): string | null {
    const delta = this.#delta
    if (delta === null) return this.#findByEdges(input)
    const classOf = this.#classOf
    let row = 0
    for (let i = 0; i < input.length; i++) {
      const c = input.charCodeAt(i)
      const cls = c < 256 ? (classOf[c] as number) : (this.#wideClass.get(c) ?? 0)
      row = delta[row + cls] as number
      if (row < 0) return this.#phrases[~row] ?? null
    }
    return null
  }

  #findByEdges(input: string): string | null {
    let state = 0
    for (let i = 0; i < input.length; i++) {
      let c = input.charCodeAt(i)
      if (c >= 0x41 && c <= 0x5a) c |= 0x20
      let next = this.#step(state, c)
      while (next === -1 && state !== 0) {
        state = this.#fail[state] ?? 0
        next = this.#step(state, c)
      }
      state = next === -1 ? 0 : next
      const output = this.#outputs[state] as number
      if (output !== -1) return this.#phrases[output] ?? null
    }
    return null
  }
}

function bitCount(words: Int32Array): number {
  let count = 0
  for (const word of words) {
    let rest = word >>> 0
    while (rest !== 0) {
      rest &= rest - 1
      count++
    }
  }
  return count
}
