/**
 * OAuth 2.0 token introspection (RFC 7662) for opaque tokens. Results are cached under the
 * token's SHA-256 (the token itself is never kept): active ones until `exp` or `cacheMaxSec`,
 * whichever is sooner; inactive ones briefly. Concurrent look-ups of one token share one call.
 */
import { hash } from 'node:crypto'
import type { IntrospectionConfig } from './identity-schema.js'
import { discoverProvider } from './discovery.js'
import { ExpiringCache } from './expiring-cache.js'
import { fetchJson } from './fetch-json.js'
import { IdentityUnavailableError, TokenRejectedError } from './jwt-verifier.js'

export interface IntrospectedToken {
  readonly claims: Readonly<Record<string, unknown>>
  /** ms since the epoch */
  readonly expiresAt: number | null
}

type Outcome = { active: true; token: IntrospectedToken } | { active: false; reason: string }

const CACHE_ENTRIES = 50_000

export class Introspector {
  readonly #config: IntrospectionConfig
  readonly #clock: { now(): number }
  readonly #cache = new ExpiringCache<Outcome>(CACHE_ENTRIES)
  readonly #pending = new Map<string, Promise<Outcome>>()
  #endpoint: Promise<string> | null = null
  /** Calls made to the endpoint (for metrics and tests). */
  calls = 0

  constructor(config: IntrospectionConfig, clock: { now(): number }) {
    this.#config = config
    this.#clock = clock
  }

  /** The token's claims when it is active; throws TokenRejectedError when not, IdentityUnavailableError when the endpoint fails. */
  async introspect(token: string): Promise<IntrospectedToken> {
    const key = hash('sha256', token, 'base64url')
    let outcome = this.#cache.get(key, this.#clock.now())
    if (outcome === undefined) {
      let pending = this.#pending.get(key)
      if (pending === undefined) {
        pending = this.#lookUp(key, token).finally(() => this.#pending.delete(key))
        this.#pending.set(key, pending)
      }
      outcome = await pending
    }
    return this.#accept(outcome)
  }

  /** A cached result without waiting: the token, a TokenRejectedError, or undefined when it must be looked up. */
  cached(token: string): IntrospectedToken | undefined {
    const outcome = this.#cache.get(hash('sha256', token, 'base64url'), this.#clock.now())
    return outcome === undefined ? undefined : this.#accept(outcome)
  }

  #accept(outcome: Outcome): IntrospectedToken {
    if (!outcome.active) throw new TokenRejectedError(outcome.reason, 'token is not active')
    if (outcome.token.expiresAt !== null && outcome.token.expiresAt <= this.#clock.now()) throw new TokenRejectedError('expired', 'token has expired')
    return outcome.token
  }

  async #lookUp(key: string, token: string): Promise<Outcome> {
    const config = this.#config
    const endpoint = await this.#resolveEndpoint()
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' })
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
    if (config.clientAuth === 'client_secret_basic') {
      // RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
      const credentials = `${formEncode(config.clientId)}:${formEncode(config.clientSecret)}`
      headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`
    } else {
      form.set('client_id', config.clientId)
      form.set('client_secret', config.clientSecret)
    }
    this.calls++
    let response
    try {
      response = await fetchJson(endpoint, { method: 'POST', headers, body: form.toString(), timeoutMs: config.timeoutMs })
    } catch (error) {
      throw new IdentityUnavailableError(`introspection failed: ${(error as Error).message}`)
    }
    if (response.status !== 200 || typeof response.body !== 'object' || response.body === null) {
      throw new IdentityUnavailableError(`introspection endpoint answered ${response.status}`)
    }
    const claims = response.body as Record<string, unknown>
    const now = this.#clock.now()
    const outcome = this.#judge(claims, now)
    if (outcome.active) {
      const until = Math.min(now + config.cacheMaxSec * 1000, outcome.token.expiresAt ?? Number.POSITIVE_INFINITY)
      this.#cache.set(key, outcome, until, now)
    } else {
      this.#cache.set(key, outcome, now + config.negativeCacheSec * 1000, now)
    }
    return outcome
  }

  #judge(claims: Record<string, unknown>, now: number): Outcome {
    if (claims.active !== true) return { active: false, reason: 'inactive' }
    const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : null
    if (expiresAt !== null && expiresAt <= now) return { active: false, reason: 'expired' }
    if (typeof claims.nbf === 'number' && claims.nbf * 1000 > now) return { active: false, reason: 'not_yet_valid' }
    const { issuer, audiences } = this.#config
    if (issuer !== undefined && claims.iss !== undefined && claims.iss !== issuer) return { active: false, reason: 'claim_iss' }
    if (audiences.length > 0) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
      if (!aud.some((a) => typeof a === 'string' && audiences.includes(a))) return { active: false, reason: 'claim_aud' }
    }
    return { active: true, token: { claims, expiresAt } }
  }

  #resolveEndpoint(): Promise<string> {
    const { endpoint, issuer, timeoutMs } = this.#config
    if (endpoint !== undefined) return Promise.resolve(endpoint)
    // A failed discovery is forgotten, so the next request tries again; any failure is a
    // dependency problem (503 under onFailure closed), never a 500.
    this.#endpoint ??= discoverProvider(issuer as string, timeoutMs)
      .then((metadata) => {
        if (metadata.introspection_endpoint === undefined) throw new Error(`${String(issuer)}: provider metadata has no introspection_endpoint`)
        return metadata.introspection_endpoint
      })
      .catch((error: unknown) => {
        this.#endpoint = null
        throw new IdentityUnavailableError((error as Error).message)
      })
    return this.#endpoint
  }
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}
