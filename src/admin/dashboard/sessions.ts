/**
 * Dashboard sessions, kept on the server: a random id in the cookie names a session here, so
 * signing out or expiry ends it at once (a signed cookie would stay valid until it expired).
 * Bounded: past `maxSessions` the oldest session ends. Each session has its own CSRF token.
 */
import { randomBytes } from 'node:crypto'

export interface DashboardSession {
  readonly id: string
  readonly csrfToken: string
  /** Who, as the audit log names them: `dashboard:admin-token:<fingerprint>` or `dashboard:oidc:<sub>`. */
  readonly actor: string
  readonly via: 'token' | 'oidc'
  readonly createdAt: number
  readonly expiresAt: number
}

export class DashboardSessions {
  /** In creation order, so the first is the oldest. */
  readonly #sessions = new Map<string, DashboardSession>()
  readonly #ttlMs: number
  readonly #max: number
  readonly #clock: { now(): number }
  readonly #onEnd = new Set<(id: string) => void>()

  constructor(options: { ttlMs: number; maxSessions: number; clock: { now(): number } }) {
    this.#ttlMs = options.ttlMs
    this.#max = options.maxSessions
    this.#clock = options.clock
  }

  create(actor: string, via: DashboardSession['via']): DashboardSession {
    const now = this.#clock.now()
    this.#sweep(now)
    while (this.#sessions.size >= this.#max) {
      const oldest = this.#sessions.keys().next().value
      if (oldest === undefined) break
      this.end(oldest)
    }
    const session: DashboardSession = { id: token(), csrfToken: token(), actor, via, createdAt: now, expiresAt: now + this.#ttlMs }
    this.#sessions.set(session.id, session)
    return session
  }

  /** The live session with this id; null when there is none or it expired (then it ends). */
  get(id: string | undefined): DashboardSession | null {
    if (id === undefined) return null
    const session = this.#sessions.get(id)
    if (session === undefined) return null
    if (session.expiresAt <= this.#clock.now()) {
      this.end(id)
      return null
    }
    return session
  }

  end(id: string): void {
    if (!this.#sessions.delete(id)) return
    for (const listener of this.#onEnd) listener(id)
  }

  /** `listener` hears of each session that ends (signed out, expired, evicted). */
  onEnd(listener: (id: string) => void): void {
    this.#onEnd.add(listener)
  }

  get size(): number {
    return this.#sessions.size
  }

  #sweep(now: number): void {
    for (const session of this.#sessions.values()) if (session.expiresAt <= now) this.end(session.id)
  }
}

/** 256 random bits, URL-safe. */
function token(): string {
  return randomBytes(32).toString('base64url')
}
