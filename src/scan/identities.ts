/**
 * Identities the scanner acts as. Two ordinary users (A and B: B must not reach A's objects) and,
 * optionally, an administrator (the operations it may call and B may not are the function-level
 * checks). An identity has ready credentials (`NAME=TOKEN`, `NAME=Header-Name: value`), log-in
 * credentials the scan exchanges for a token through the document's log-in operation (and again
 * when the token expires), or both.
 */
export type IdentityRole = 'user' | 'admin'

export interface Identity {
  readonly name: string
  readonly role: IdentityRole
  /** The credential headers as they stand now: a new log-in replaces them. */
  readonly headers: Readonly<Record<string, string>>
  /** The bearer token when there is one (JWT checks mutate it). */
  readonly token: string | undefined
  /** Values to mask wherever they would be shown: every token it ever had, its password. */
  readonly secrets: readonly string[]
  /** Log-in credentials, when given. */
  readonly username?: string
  readonly password?: string
}

/** How a scan logs an identity in; set by the scanner, called by the client when credentials are stale. */
export type LogIn = (identity: ScanIdentity) => Promise<boolean>

const REFRESH_MARGIN_SECONDS = 10
/** A token that cannot be read for its expiry is refreshed after a 401 at most this often. */
const OPAQUE_REFRESH_MS = 30_000
const MAX_REFUSALS = 3

export class ScanIdentity implements Identity {
  readonly name: string
  role: IdentityRole
  readonly username: string | undefined
  readonly password: string | undefined
  #headers: Readonly<Record<string, string>> = {}
  #token: string | undefined
  readonly #secrets = new Set<string>()
  #logIn: LogIn | undefined
  #loggedInAt = 0
  #pending: Promise<boolean> | undefined
  #refusals = 0
  #retryAt = 0

  constructor(name: string, options: { role?: IdentityRole; username?: string; password?: string } = {}) {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(name)) throw new Error(`identity name "${name.slice(0, 40)}": expected a letter, then letters, digits, _ or - (at most 32)`)
    this.name = name
    this.role = options.role ?? 'user'
    this.username = options.username
    this.password = options.password
    if (options.password !== undefined) this.#secrets.add(options.password)
  }

  get headers(): Readonly<Record<string, string>> {
    return this.#headers
  }

  get token(): string | undefined {
    return this.#token
  }

  get secrets(): readonly string[] {
    // In the order added: a token before the header value holding it, so evidence shows `Bearer $VARIABLE`.
    return [...this.#secrets]
  }

  get canLogIn(): boolean {
    return this.username !== undefined && this.password !== undefined
  }

  setCredentials(headers: Readonly<Record<string, string>>, token: string | undefined): void {
    this.#headers = headers
    this.#token = token
    this.#loggedInAt = Date.now()
    if (token !== undefined) this.#secrets.add(token)
    for (const value of Object.values(headers)) this.#secrets.add(value)
  }

  useLogIn(logIn: LogIn): void {
    this.#logIn = logIn
  }

  /**
   * Logs in (again); concurrent callers share one attempt. A refused log-in is retried at most
   * every 30 s and not at all after three refusals in a row: a changed password must not turn
   * every later request into a failed log-in (and the account into a locked one).
   */
  async logIn(): Promise<boolean> {
    if (this.#logIn === undefined || this.#refusals >= MAX_REFUSALS || Date.now() < this.#retryAt) return false
    this.#pending ??= this.#logIn(this)
      .then((succeeded) => {
        this.#refusals = succeeded ? 0 : this.#refusals + 1
        this.#retryAt = succeeded ? 0 : Date.now() + OPAQUE_REFRESH_MS
        return succeeded
      })
      .finally(() => {
        this.#loggedInAt = Date.now()
        this.#pending = undefined
      })
    return this.#pending
  }

  /** Before a request: a JWT about to expire is replaced first. */
  async ensureFresh(): Promise<void> {
    if (this.#logIn === undefined) return
    const lifetime = jwtLifetime(this.#token)
    // A quarter of a short lifetime: a token that lives 4 s is replaced after 3, not before every request.
    if (lifetime !== undefined && lifetime.expiry - Math.min(REFRESH_MARGIN_SECONDS, lifetime.seconds / 4) <= Date.now() / 1000) await this.logIn()
  }

  /** After a 401 to this identity's credentials: an opaque token may have expired; log in again, not more than every 30 s. */
  async refreshAfterRefusal(): Promise<boolean> {
    if (this.#logIn === undefined || Date.now() - this.#loggedInAt < OPAQUE_REFRESH_MS) return false
    const before = this.#token
    return (await this.logIn()) && this.#token !== before
  }
}

/** When a JWT expires, and how long it lives (from `iat`, else an hour). */
function jwtLifetime(token: string | undefined): { expiry: number; seconds: number } | undefined {
  const payload = token?.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const { exp, iat } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp?: unknown; iat?: unknown }
    if (typeof exp !== 'number') return undefined
    return { expiry: exp, seconds: typeof iat === 'number' && iat < exp ? exp - iat : 3600 }
  } catch {
    return undefined
  }
}

/** `NAME=TOKEN` (sent as `Authorization: Bearer TOKEN`) or `NAME=Header-Name: value`. */
export function parseIdentity(text: string, role: IdentityRole = 'user'): ScanIdentity {
  const equals = text.indexOf('=')
  const name = text.slice(0, equals)
  const credential = text.slice(equals + 1)
  if (equals <= 0 || !/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(name) || credential === '') throw new Error(`--identity: expected NAME=TOKEN or NAME='Header: value' (got "${text.slice(0, 20)}…")`)
  const identity = new ScanIdentity(name, { role })
  const header = /^([A-Za-z0-9-]+):\s*(.+)$/.exec(credential)
  if (header?.[1] !== undefined && header[2] !== undefined) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(header[2])
    identity.setCredentials({ [header[1]]: header[2] }, bearer?.[1])
  } else {
    identity.setCredentials({ authorization: `Bearer ${credential}` }, credential)
  }
  return identity
}
