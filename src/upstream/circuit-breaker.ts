/**
 * A per-upstream circuit breaker over the outcomes of the last `windowSize` requests. Open: every
 * request is refused (503) for `openMs`; then half-open: one trial request decides whether it
 * closes again or re-opens.
 */

export interface CircuitBreakerOptions {
  windowSize: number
  failureRate: number
  minimumRequests: number
  openMs: number
}

export type CircuitState = 'closed' | 'open' | 'half-open'

export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions
  readonly #outcomes: Uint8Array
  #next = 0
  #count = 0
  #failures = 0
  #state: CircuitState = 'closed'
  #openUntil = 0
  #trialInFlight = false

  constructor(options: CircuitBreakerOptions) {
    this.#options = options
    this.#outcomes = new Uint8Array(options.windowSize)
  }

  get state(): CircuitState {
    return this.#state
  }

  /** Whether a request may go to the upstream now; a half-open circuit admits one trial. */
  allowRequest(now: number): boolean {
    if (this.#state === 'closed') return true
    if (this.#state === 'open') {
      if (now < this.#openUntil) return false
      this.#state = 'half-open'
      this.#trialInFlight = false
    }
    if (this.#trialInFlight) return false
    this.#trialInFlight = true
    return true
  }

  record(success: boolean, now: number): void {
    if (this.#state === 'half-open') {
      this.#trialInFlight = false
      if (success) this.#reset()
      else this.#open(now)
      return
    }
    if (this.#state === 'open') return
    const slot = this.#next
    if (this.#count === this.#outcomes.length) this.#failures -= this.#outcomes[slot] as number
    else this.#count++
    this.#outcomes[slot] = success ? 0 : 1
    if (!success) this.#failures++
    this.#next = (slot + 1) % this.#outcomes.length
    if (this.#count >= this.#options.minimumRequests && this.#failures / this.#count >= this.#options.failureRate) this.#open(now)
  }

  #open(now: number): void {
    this.#state = 'open'
    this.#openUntil = now + this.#options.openMs
  }

  #reset(): void {
    this.#state = 'closed'
    this.#outcomes.fill(0)
    this.#next = 0
    this.#count = 0
    this.#failures = 0
  }
}
