/**
 * Aho–Corasick multi-pattern matching for `@pm` and `@pmFromFile`: one pass over the input
 * whatever the number of phrases. Case-insensitive (ASCII), as the reference engines match
 * phrases. Built once per rule when the rule set loads.
 */
export class AhoCorasick {
  /** Per state: transitions by character code. */
  readonly #next: Map<number, number>[] = [new Map<number, number>()]
  readonly #fail: number[] = [0]
  /** Per state: the longest phrase ending here, directly or through failure links; -1 for none. */
  readonly #output: number[] = [-1]
  readonly #phrases: string[]

  constructor(phrases: readonly string[]) {
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
          this.#output.push(-1)
          this.#next[state]?.set(c, target)
        }
        state = target
      }
      this.#output[state] = index
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
        if (this.#output[target] === -1) this.#output[target] = this.#output[this.#fail[target] ?? 0] ?? -1
      }
    }
  }

  get size(): number {
    return this.#phrases.length
  }

  /** The first phrase found in `input` (the one ending earliest), or null. */
  find(input: string): string | null {
    let state = 0
    for (let i = 0; i < input.length; i++) {
      let c = input.charCodeAt(i)
      if (c >= 0x41 && c <= 0x5a) c |= 0x20
      while (state !== 0 && this.#next[state]?.get(c) === undefined) state = this.#fail[state] ?? 0
      state = this.#next[state]?.get(c) ?? 0
      const output = this.#output[state] ?? -1
      if (output !== -1) return this.#phrases[output] ?? null
    }
    return null
  }
}
