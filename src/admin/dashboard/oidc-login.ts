/**
 * Log-in to the dashboard through an OpenID provider: the authorization-code flow with PKCE
 * (RFC 7636, S256), `state` bound to the browser by a cookie and `nonce` bound to the ID token
 * (OIDC Core §3.1.2.1, §15.5.2). The code is exchanged with the client secret (HTTP Basic,
 * RFC 6749 §2.3.1), and the ID token is verified with `jose` against the provider's key set:
 * signature, issuer, audience, expiry, then nonce, then who may enter (`allowedSubjects`,
 * `requiredClaim`). Log-ins in progress are bounded and expire after ten minutes.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { discoverProvider } from '../../identity/discovery.js'
import { fetchJson } from '../../identity/fetch-json.js'

export interface OidcSettings {
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: string
  readonly redirectUri?: string
  readonly scopes: readonly string[]
  readonly allowedSubjects?: readonly string[]
  readonly requiredClaim?: { readonly name: string; readonly value: string }
  readonly timeoutMs: number
}

interface ProviderEndpoints {
  readonly authorization: string
  readonly token: string
  readonly keys: ReturnType<typeof createRemoteJWKSet>
}

interface PendingLogin {
  readonly nonce: string
  readonly verifier: string
  readonly redirectUri: string
  readonly startedAt: number
}

/** Why a log-in failed, for the security event (never shown in detail to the browser). */
export class OidcLoginError extends Error {
  readonly reason: string

  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

const PENDING_TTL_MS = 10 * 60_000
const MAX_PENDING = 1000

export class OidcLogin {
  readonly #settings: OidcSettings
  readonly #clock: { now(): number }
  readonly #pending = new Map<string, PendingLogin>()
  #endpoints: Promise<ProviderEndpoints> | null = null

  constructor(settings: OidcSettings, clock: { now(): number }) {
    this.#settings = settings
    this.#clock = clock
  }

  /** Starts a log-in: the provider URL to send the browser to, and the state its cookie keeps. */
  async start(origin: string): Promise<{ location: string; state: string }> {
    const endpoints = await this.#provider()
    const now = this.#clock.now()
    this.#sweep(now)
    const state = random()
    const pending: PendingLogin = { nonce: random(), verifier: random(), redirectUri: this.#settings.redirectUri ?? `${origin}/dashboard/oidc/callback`, startedAt: now }
    this.#pending.set(state, pending)
    const url = new URL(endpoints.authorization)
    const scopes = new Set(['openid', ...this.#settings.scopes])
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.#settings.clientId,
      redirect_uri: pending.redirectUri,
      scope: [...scopes].join(' '),
      state,
      nonce: pending.nonce,
      code_challenge: createHash('sha256').update(pending.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString()
    return { location: url.toString(), state }
  }

  /**
   * Finishes a log-in from the callback's query and the state cookie: the subject signed in, or
   * OidcLoginError. A state is used once, whatever the outcome.
   */
  async finish(query: URLSearchParams, cookieState: string | undefined): Promise<{ subject: string }> {
    const state = query.get('state')
    if (state === null || cookieState === undefined || state !== cookieState) throw new OidcLoginError('state_mismatch', 'the state does not match this browser’s log-in')
    const pending = this.#pending.get(state)
    this.#pending.delete(state)
    if (pending === undefined || pending.startedAt + PENDING_TTL_MS <= this.#clock.now()) throw new OidcLoginError('state_unknown', 'no log-in in progress with this state (expired or used)')
    const error = query.get('error')
    if (error !== null) throw new OidcLoginError('provider_error', `the provider answered ${error.slice(0, 64)}`)
    const code = query.get('code')
    if (code === null) throw new OidcLoginError('no_code', 'the callback carries no code')
    const endpoints = await this.#provider()
    const idToken = await this.#exchange(endpoints, code, pending)
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(idToken, endpoints.keys, { issuer: this.#settings.issuer, audience: this.#settings.clientId, currentDate: new Date(this.#clock.now()) }))
    } catch (cause) {
      throw new OidcLoginError('id_token_invalid', 'the ID token does not verify', { cause })
    }
    if (payload.nonce !== pending.nonce) throw new OidcLoginError('nonce_mismatch', 'the ID token’s nonce is not this log-in’s')
    const subject = payload.sub
    if (typeof subject !== 'string' || subject === '') throw new OidcLoginError('no_subject', 'the ID token names no subject')
    if (!this.#allowed(payload)) throw new OidcLoginError('not_allowed', `subject ${subject.slice(0, 200)} may not sign in to the dashboard`)
    return { subject }
  }

  async #exchange(endpoints: ProviderEndpoints, code: string, pending: PendingLogin): Promise<string> {
    const { clientId, clientSecret, timeoutMs } = this.#settings
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')
    let answer: Awaited<ReturnType<typeof fetchJson>>
    try {
      answer = await fetchJson(endpoints.token, {
        method: 'POST',
        timeoutMs,
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: pending.redirectUri, code_verifier: pending.verifier }).toString(),
      })
    } catch (cause) {
      throw new OidcLoginError('token_endpoint_failed', 'the token endpoint could not be reached', { cause })
    }
    const idToken = (answer.body as { id_token?: unknown } | null)?.id_token
    if (answer.status !== 200 || typeof idToken !== 'string') throw new OidcLoginError('code_refused', `the token endpoint answered ${answer.status} without an ID token`)
    return idToken
  }

  #allowed(payload: JWTPayload): boolean {
    const { allowedSubjects, requiredClaim } = this.#settings
    if (allowedSubjects !== undefined && !allowedSubjects.includes(payload.sub ?? '')) return false
    if (requiredClaim !== undefined) {
      const value = payload[requiredClaim.name]
      if (!(value === requiredClaim.value || (Array.isArray(value) && value.includes(requiredClaim.value)))) return false
    }
    return true
  }

  /** The provider's endpoints, discovered once (again after a failure). */
  #provider(): Promise<ProviderEndpoints> {
    this.#endpoints ??= discoverProvider(this.#settings.issuer, this.#settings.timeoutMs).then(
      (metadata) => {
        const { authorization_endpoint: authorization, token_endpoint: token, jwks_uri: jwks } = metadata as { authorization_endpoint?: string; token_endpoint?: string; jwks_uri?: string }
        if (authorization === undefined || token === undefined || jwks === undefined) throw new Error(`${this.#settings.issuer}: the provider metadata lacks an authorization, token or jwks endpoint`)
        return { authorization, token, keys: createRemoteJWKSet(new URL(jwks), { timeoutDuration: this.#settings.timeoutMs }) }
      },
      (error: unknown) => {
        throw new OidcLoginError('discovery_failed', 'the provider’s metadata could not be read', { cause: error })
      },
    )
    this.#endpoints.catch(() => (this.#endpoints = null))
    return this.#endpoints
  }

  #sweep(now: number): void {
    for (const [state, pending] of this.#pending) if (pending.startedAt + PENDING_TTL_MS <= now) this.#pending.delete(state)
    while (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.keys().next().value
      if (oldest === undefined) break
      this.#pending.delete(oldest)
    }
  }
}

function random(): string {
  return randomBytes(32).toString('base64url')
}
