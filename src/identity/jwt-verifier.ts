/**
 * Verifies JWT bearer tokens with `jose`: signature by a key from the JWKS (remote, discovered or
 * static) or a shared secret, an explicit algorithm allowlist, registered claims with a clock
 * tolerance, `typ`, required claims, maximum age and `crit`. Verified tokens are remembered by
 * their SHA-256 until they expire, so each is verified once; a key-set change forgets them all.
 */
import { hash } from 'node:crypto'
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type ProtectedHeaderParameters } from 'jose'
import type { Logger } from 'pino'
import type { JwtProviderConfig } from './identity-schema.js'
import { discoverProvider } from './discovery.js'
import { ExpiringCache } from './expiring-cache.js'
import { JwksSource, JwksUnavailableError, type JwksFetchOutcome } from './jwks-source.js'

export interface VerifiedJwt {
  readonly claims: JWTPayload
  readonly header: ProtectedHeaderParameters
  /** ms since the epoch */
  readonly expiresAt: number | null
}

/** A token that is not acceptable; `reason` is for logs and metrics, never for the client. */
export class TokenRejectedError extends Error {
  readonly reason: string
  constructor(reason: string, message: string) {
    super(message)
    this.reason = reason
  }
}

/** The verifier cannot decide now (no key set yet): a dependency failure, not the client's fault. */
export class IdentityUnavailableError extends Error {}

const VERIFIED_CACHE_ENTRIES = 50_000

export interface JwtVerifierDeps {
  clock: { now(): number }
  logger: Logger
  onJwksFetch?: (outcome: JwksFetchOutcome, reason: string) => void
}

export class JwtVerifier {
  readonly #config: JwtProviderConfig
  readonly #deps: JwtVerifierDeps
  readonly #source: JwksSource | null
  readonly #key: JWTVerifyGetKey | Uint8Array
  readonly #verified = new ExpiringCache<VerifiedJwt>(VERIFIED_CACHE_ENTRIES)

  constructor(config: JwtProviderConfig, deps: JwtVerifierDeps) {
    this.#config = config
    this.#deps = deps
    if (config.secret !== undefined) {
      this.#source = null
      this.#key = new TextEncoder().encode(config.secret)
    } else if (config.keys !== undefined) {
      this.#source = null
      this.#key = createLocalJWKSet({ keys: config.keys })
    } else {
      const { jwksUri, issuer } = config
      this.#source = new JwksSource({
        locate: async () => {
          if (jwksUri !== undefined) return jwksUri
          const metadata = await discoverProvider(issuer as string, config.jwks.timeoutMs)
          if (metadata.jwks_uri === undefined) throw new Error(`${String(issuer)}: provider metadata has no jwks_uri`)
          return metadata.jwks_uri
        },
        minRefreshMs: config.jwks.minRefreshSec * 1000,
        maxRefreshMs: config.jwks.maxRefreshSec * 1000,
        unknownKidCooldownMs: config.jwks.unknownKidCooldownSec * 1000,
        timeoutMs: config.jwks.timeoutMs,
        clock: deps.clock,
        logger: deps.logger,
        onChange: () => this.#verified.clear(),
        onFetch: deps.onJwksFetch,
      })
      const source = this.#source
      this.#key = (header, token) => source.getKey(header, token)
    }
  }

  start(): void {
    this.#source?.start()
  }

  isReady(): boolean {
    return this.#source === null || this.#source.isReady()
  }

  close(): void {
    this.#source?.close()
  }

  /** The token's earlier verification while it is still valid; undefined when it must be verified. */
  cached(token: string): VerifiedJwt | undefined {
    return this.#config.cacheVerified ? this.#verified.get(hash('sha256', token, 'base64url'), this.#deps.clock.now()) : undefined
  }

  async verify(token: string): Promise<VerifiedJwt> {
    const now = this.#deps.clock.now()
    const cacheKey = this.#config.cacheVerified ? hash('sha256', token, 'base64url') : null
    if (cacheKey !== null) {
      const hit = this.#verified.get(cacheKey, now)
      if (hit !== undefined) return hit
    }
    const config = this.#config
    let result
    try {
      result = await jwtVerify(token, this.#key as JWTVerifyGetKey, {
        issuer: config.issuer,
        audience: config.audiences,
        algorithms: config.algorithms,
        clockTolerance: config.clockToleranceSec,
        typ: config.typ,
        requiredClaims: config.requiredClaims,
        maxTokenAge: config.maxTokenAgeSec,
        currentDate: new Date(now),
      })
    } catch (error) {
      throw toRejection(error)
    }
    const { payload, protectedHeader } = result
    const expiresAt = expiryOf(payload, config)
    const verified: VerifiedJwt = { claims: payload, header: protectedHeader, expiresAt }
    if (cacheKey !== null && expiresAt !== null) this.#verified.set(cacheKey, verified, expiresAt, now)
    return verified
  }
}

/** When a verified token stops being acceptable: `exp` (plus tolerance), or `iat` + maximum age if sooner. */
function expiryOf(payload: JWTPayload, config: JwtProviderConfig): number | null {
  let expiresAt = typeof payload.exp === 'number' ? (payload.exp + config.clockToleranceSec) * 1000 : null
  if (config.maxTokenAgeSec !== undefined && typeof payload.iat === 'number') {
    const ageLimit = (payload.iat + config.maxTokenAgeSec + config.clockToleranceSec) * 1000
    expiresAt = expiresAt === null ? ageLimit : Math.min(expiresAt, ageLimit)
  }
  return expiresAt
}

function toRejection(error: unknown): Error {
  if (error instanceof JwksUnavailableError) return new IdentityUnavailableError(error.message)
  if (error instanceof errors.JWTExpired) return new TokenRejectedError('expired', error.message)
  if (error instanceof errors.JWTClaimValidationFailed) return new TokenRejectedError(`claim_${error.claim}`, error.message)
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejectedError('algorithm_not_allowed', error.message)
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenRejectedError('bad_signature', error.message)
  if (error instanceof errors.JWKSNoMatchingKey) return new TokenRejectedError('unknown_key', error.message)
  if (error instanceof errors.JOSEError) return new TokenRejectedError(error.code.toLowerCase().replace(/^err_/, ''), error.message)
  return new TokenRejectedError('malformed', (error as Error).message)
}
