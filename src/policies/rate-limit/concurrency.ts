/**
 * In-flight limits per key on this node: at most `max` requests at once, up to `queue` more
 * waiting (first come, first served) for at most `timeoutMs`. In-flight requests are a resource
 * of the node that serves them, so the count is local; each slot is released when the response
 * is finished or abandoned.
 */
export interface ConcurrencyOptions {
  readonly max: number
  readonly queue: number
  readonly timeoutMs: number
}

/** One request's claim: released once, whether it got a slot, is still waiting, or gave up. */
export interface Ticket {
  release(): void
}

interface Waiter {
  readonly grant: (ticket: Ticket | null) => void
  readonly timer: NodeJS.Timeout
}

interface Slots {
  active: number
  readonly waiting: Waiter[]
}

export class ConcurrencyLimiter {
  readonly #options: ConcurrencyOptions
  readonly #slots = new Map<string, Slots>()

  constructor(options: ConcurrencyOptions) {
    this.#options = options
  }

  /** A ticket at once, a promise of one (null when the wait timed out), or null when the queue is full. */
  acquire(key: string): Ticket | Promise<Ticket | null> | null {
    let slots = this.#slots.get(key)
    if (slots === undefined) this.#slots.set(key, (slots = { active: 0, waiting: [] }))
    if (slots.active < this.#options.max) {
      slots.active++
      return this.#ticket(key)
    }
    if (slots.waiting.length >= this.#options.queue) return null
    const queued = slots
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const index = queued.waiting.indexOf(waiter)
          if (index !== -1) queued.waiting.splice(index, 1)
          resolve(null)
        }, this.#options.timeoutMs),
      }
      queued.waiting.push(waiter)
    })
  }

  /** Requests in flight for `key` (tests, admin). */
  active(key: string): number {
    return this.#slots.get(key)?.active ?? 0
  }

  #ticket(key: string): Ticket {
    let released = false
    return {
      release: () => {
        if (released) return
        released = true
        this.#release(key)
      },
    }
  }

  #release(key: string): void {
    const slots = this.#slots.get(key)
    if (slots === undefined) return
    const next = slots.waiting.shift()
    if (next !== undefined) {
      // The slot passes straight to the next in line: `active` is unchanged.
      clearTimeout(next.timer)
      next.grant(this.#ticket(key))
      return
    }
    slots.active--
    if (slots.active === 0) this.#slots.delete(key)
  }
}
