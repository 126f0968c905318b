/**
 * DPoP proofs (RFC 9449 §4.3): a JWT signed by the client's key, carried in the `DPoP` header
 * with each request, naming the method (`htm`) and URL (`htu`), when (`iat`), a unique id
 * (`jti`) and the hash of the access token it accompanies (`ath`). A valid proof yields the
 * thumbprint of its key (RFC 7638), which a DPoP-bound token names in `cnf.jkt`. Ids are
 * remembered for `maxAgeSec` so a proof cannot be replayed (on this node).
 */
import { hash } from 'node:crypto'
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify, type JWK } from 'jose'
import type { DpopConfig } from './identity-schema.js'
import { ExpiringCache } from './expiring-cache.js'
import { TokenRejectedError } from './jwt-verifier.js'

const REPLAY_CACHE_ENTRIES = 200_000
const MAX_JTI_LENGTH = 256

export interface DpopRequest {
  readonly method: string
  /** The request's URL as the client addressed it (scheme, host, path). */
  readonly url: string
  readonly accessToken: string
}

export class DpopVerifier {
  readonly #config: DpopConfig
  readonly #clock: { now(): number }
  readonly #seen = new ExpiringCache<true>(REPLAY_CACHE_ENTRIES)

  constructor(config: DpopConfig, clock: { now(): number }) {
    this.#config = config
    this.#clock = clock
  }

  /** The proof key's thumbprint (`jkt`); throws TokenRejectedError (reason `dpop_*`) otherwise. */
  async verify(proof: string, request: DpopRequest): Promise<string> {
    const config = this.#config
    const now = this.#clock.now()
    let verified
    try {
      verified = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: config.algorithms,
        requiredClaims: ['jti', 'htm', 'htu', 'iat'],
        maxTokenAge: config.maxAgeSec,
        clockTolerance: config.clockToleranceSec,
        currentDate: new Date(now),
      })
    } catch (error) {
      throw new TokenRejectedError('dpop_invalid', `DPoP proof: ${(error as Error).message}`)
    }
    const { payload, protectedHeader } = verified
    const iat = payload.iat as number
    if (iat * 1000 > now + config.clockToleranceSec * 1000) throw new TokenRejectedError('dpop_invalid', 'DPoP proof issued in the future')
    if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > MAX_JTI_LENGTH) throw new TokenRejectedError('dpop_invalid', 'DPoP proof jti')
    if (payload.htm !== request.method) throw new TokenRejectedError('dpop_wrong_request', 'DPoP proof for another method')
    if (!sameUri(payload.htu, request.url)) throw new TokenRejectedError('dpop_wrong_request', 'DPoP proof for another URL')
    if (payload.ath !== hash('sha256', request.accessToken, 'base64url')) throw new TokenRejectedError('dpop_wrong_token', 'DPoP proof for another access token')
    const jkt = await calculateJwkThumbprint(protectedHeader.jwk as JWK, 'sha256')
    const id = `${jkt}.${payload.jti}`
    if (this.#seen.get(id, now) !== undefined) throw new TokenRejectedError('dpop_replayed', 'DPoP proof used before')
    this.#seen.set(id, true, (iat + config.maxAgeSec + config.clockToleranceSec) * 1000, now)
    return jkt
  }
}

/** RFC 9449 §4.3 (9): the same URI ignoring query and fragment, compared after RFC 3986 §6 normalisation. */
function sameUri(claimed: unknown, actual: string): boolean {
  if (typeof claimed !== 'string') return false
  try {
    const a = new URL(claimed)
    const b = new URL(actual)
    return a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname
  } catch {
    return false
  }
}
