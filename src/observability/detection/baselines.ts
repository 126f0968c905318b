/**
 * What is usual for a subject (a principal's response volume, an operation's error rate): an
 * exponentially weighted mean of its window totals, sampled at most once per window, with a
 * learning period before it is trusted. Bounded: the least recently used subjects are forgotten first.
 */

interface Baseline {
  readonly firstSeen: number
  mean: number | null
  lastSample: number
}

/** Weight of the newest window: a mean over roughly the last ten windows. */
const WEIGHT = 0.2

export class Baselines {
  readonly #entries = new Map<string, Baseline>()
  readonly #max: number
  readonly #learningMs: number
  readonly #windowMs: number

  constructor(options: { readonly max: number; readonly learningMs: number; readonly windowMs: number }) {
    this.#max = options.max
    this.#learningMs = options.learningMs
    this.#windowMs = options.windowMs
  }

  /** The subject's usual window total, or null while it is still learning (or first seen now). */
  usual(key: string, nowMs: number): number | null {
    const entry = this.#entry(key, nowMs)
    return nowMs - entry.firstSeen < this.#learningMs ? null : (entry.mean ?? 0)
  }

  /** Teaches the subject's baseline a normal window total (once per window; abnormal ones are not taught). */
  learn(key: string, total: number, nowMs: number): void {
    const entry = this.#entry(key, nowMs)
    if (entry.mean !== null && nowMs - entry.lastSample < this.#windowMs) return
    entry.mean = entry.mean === null ? total : WEIGHT * total + (1 - WEIGHT) * entry.mean
    entry.lastSample = nowMs
  }

  get size(): number {
    return this.#entries.size
  }

  #entry(key: string, nowMs: number): Baseline {
    let entry = this.#entries.get(key)
    if (entry !== undefined) {
      // Most recently used last: a flood of new subjects evicts the idle ones, not the active.
      this.#entries.delete(key)
      this.#entries.set(key, entry)
    } else {
      if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
      entry = { firstSeen: nowMs, mean: null, lastSample: nowMs }
      this.#entries.set(key, entry)
    }
    return entry
  }
}
