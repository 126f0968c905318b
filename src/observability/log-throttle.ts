/**
 * Says a repeated failure once per interval with a count instead of once per occurrence: while a
 * dependency fails, every request meets the same failure, and a line (with a stack) for each says
 * nothing more while it floods the log and costs CPU when the gateway can least afford it.
 *
 * An episode opens with its first occurrence, said at once; later ones are counted and said by
 * the first occurrence after the interval, with the count since the previous line. Once the
 * dependency works again, `settled` closes the episode with the count not yet said — a line at
 * most once per interval, and every occurrence counted in some line.
 */
export class LogThrottle {
  readonly #intervalMs: number
  #lastLineMs = Number.NEGATIVE_INFINITY
  #unsaid = 0
  #open = false

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs
  }

  /** Counts one occurrence at `nowMs`: how many to say now (this one included), or 0 to stay quiet. */
  occurred(nowMs: number): number {
    this.#open = true
    this.#unsaid++
    if (nowMs - this.#lastLineMs < this.#intervalMs) return 0
    return this.#say(nowMs)
  }

  /**
   * The dependency works at `nowMs`: null while no episode is open or its last line is within the
   * interval; otherwise closes the episode and returns the occurrences not yet said (maybe 0).
   */
  settled(nowMs: number): number | null {
    if (!this.#open || nowMs - this.#lastLineMs < this.#intervalMs) return null
    this.#open = false
    return this.#say(nowMs)
  }

  #say(nowMs: number): number {
    const count = this.#unsaid
    this.#unsaid = 0
    this.#lastLineMs = nowMs
    return count
  }
}

/** An error as a repeated line states it: its message and code, without a stack. */
export function errorSummary(error: unknown): { message: string; code?: string } {
  if (!(error instanceof Error)) return { message: String(error) }
  const code = (error as { code?: unknown }).code
  // An AggregateError (every address refused) has an empty message of its own.
  const message = error.message !== '' ? error.message : error instanceof AggregateError ? error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ') : error.name
  return typeof code === 'string' ? { message, code } : { message }
}
