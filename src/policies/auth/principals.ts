/**
 * From a presented credential to a principal (or a rejection reason). Cached verifications
 * answer synchronously, so an authenticated request whose token or key was seen before costs
 * no promise; the principal is built once per verified token or key, since the caches hand
 * back the same object until it expires.
 */
import type { AuthenticatedKey } from '../../identity/api-keys.js'
import type { MtlsConfig } from '../../identity/identity-schema.js'
import type { IdentityServices } from '../../identity/identity-services.js'
import { IdentityUnavailableError, TokenRejectedError, type VerifiedJwt } from '../../identity/jwt-verifier.js'
import type { IntrospectedToken } from '../../identity/introspector.js'
import { scopesFrom, type Principal } from '../../identity/principal.js'
import type { ClientCertificate } from '../../pipeline/context.js'

export type Outcome = { principal: Principal } | { rejected: string }
export type MaybePromise<T> = T | Promise<T>

interface ClaimNames {
  consumerClaim: string
  scopeClaim: string
  rolesClaim: string
}

export class PrincipalResolver {
  readonly #identity: IdentityServices
  readonly #built = new WeakMap<object, Outcome>()

  constructor(identity: IdentityServices) {
    this.#identity = identity
  }

  /** `proofKey`: the thumbprint of a verified DPoP proof's key, or null for a Bearer token. */
  jwt(token: string, certificate: ClientCertificate | null, proofKey: string | null): MaybePromise<Outcome> {
    const verifier = this.#identity.jwt
    const config = this.#identity.config.jwt
    if (verifier === null || config === undefined) throw new IdentityUnavailableError('identity.jwt is not configured')
    const hit = verifier.cached(token)
    if (hit !== undefined) return this.#fromToken('jwt', hit, certificate, proofKey, config.requireCertificateBound, config)
    return verifier.verify(token).then((verified) => this.#fromToken('jwt', verified, certificate, proofKey, config.requireCertificateBound, config))
  }

  introspection(token: string, certificate: ClientCertificate | null, proofKey: string | null): MaybePromise<Outcome> {
    const introspector = this.#identity.introspection
    const config = this.#identity.config.introspection
    if (introspector === null || config === undefined) throw new IdentityUnavailableError('identity.introspection is not configured')
    const hit = introspector.cached(token)
    if (hit !== undefined) return this.#fromToken('introspection', hit, certificate, proofKey, false, config)
    return introspector.introspect(token).then((active) => this.#fromToken('introspection', active, certificate, proofKey, false, config))
  }

  apiKey(key: string): MaybePromise<Outcome> {
    const keys = this.#identity.apiKeys
    if (keys === null) throw new IdentityUnavailableError('no data store for API keys')
    const hit = keys.cached(key)
    if (hit !== undefined) return this.#fromKey(hit)
    return keys.authenticate(key).then(
      (found) => this.#fromKey(found),
      (error: unknown) => {
        if (error instanceof TokenRejectedError) throw error
        throw new IdentityUnavailableError(`data store: ${(error as Error).message}`, { cause: error })
      },
    )
  }

  async certificate(config: MtlsConfig, certificate: ClientCertificate): Promise<Outcome> {
    const name = certificateName(certificate, config.consumerFrom)
    if (name === null) return { rejected: 'certificate_without_name' }
    const expiresAt = Date.parse(certificate.validTo)
    if (!config.requireConsumer) {
      return { principal: { id: name, method: 'mtls', name: certificate.subject.CN ?? null, roles: [], scopes: [], plan: null, claims: {}, metadata: {}, clientId: null, keyId: null, expiresAt } }
    }
    const consumers = this.#identity.consumers
    if (consumers === null) throw new IdentityUnavailableError('no data store for certificate consumers')
    const consumer = await consumers.get(name).catch((error: unknown) => {
      throw new IdentityUnavailableError(`data store: ${(error as Error).message}`, { cause: error })
    })
    if (consumer === null) return { rejected: 'unknown_consumer' }
    const { id, roles, scopes, plan, metadata } = consumer
    return { principal: { id, method: 'mtls', name: consumer.name, roles, scopes, plan, claims: {}, metadata, clientId: null, keyId: null, expiresAt } }
  }

  #fromToken(
    method: 'jwt' | 'introspection',
    token: VerifiedJwt | IntrospectedToken,
    certificate: ClientCertificate | null,
    proofKey: string | null,
    certificateBindingRequired: boolean,
    names: ClaimNames,
  ): Outcome {
    const binding = certificateBinding(token.claims, certificate, certificateBindingRequired) ?? keyBinding(token.claims, proofKey)
    if (binding !== null) return { rejected: binding }
    let outcome = this.#built.get(token)
    if (outcome === undefined) {
      outcome = tokenPrincipal(method, token.claims, token.expiresAt, names)
      this.#built.set(token, outcome)
    }
    return outcome
  }

  #fromKey(found: AuthenticatedKey): Outcome {
    let outcome = this.#built.get(found)
    if (outcome === undefined) {
      const { record, consumer } = found
      outcome = {
        principal: {
          id: consumer.id,
          method: 'apiKey',
          name: consumer.name,
          roles: consumer.roles,
          scopes: record.scopes.length > 0 ? record.scopes : consumer.scopes,
          plan: record.plan ?? consumer.plan,
          claims: {},
          metadata: consumer.metadata,
          clientId: null,
          keyId: record.id,
          expiresAt: record.expiresAt,
        },
      }
      this.#built.set(found, outcome)
    }
    return outcome
  }
}

/** RFC 8705 §3: a token bound to a certificate is only good with that certificate. */
function certificateBinding(claims: Readonly<Record<string, unknown>>, certificate: ClientCertificate | null, required: boolean): string | null {
  const cnf = claims.cnf as Record<string, unknown> | undefined
  const thumbprint = typeof cnf === 'object' && cnf !== null ? cnf['x5t#S256'] : undefined
  if (thumbprint === undefined) return required ? 'not_certificate_bound' : null
  if (certificate === null || thumbprint !== certificate.thumbprintS256) return 'certificate_mismatch'
  return null
}

/**
 * RFC 9449 §7: a token bound to a key (`cnf.jkt`) needs a proof by that key and cannot be used as
 * a Bearer token; the DPoP scheme is only for bound tokens.
 */
function keyBinding(claims: Readonly<Record<string, unknown>>, proofKey: string | null): string | null {
  const cnf = claims.cnf as Record<string, unknown> | undefined
  const jkt = typeof cnf === 'object' && cnf !== null ? cnf.jkt : undefined
  if (jkt === undefined) return proofKey === null ? null : 'token_not_dpop_bound'
  if (proofKey === null) return 'bound_token_as_bearer'
  return jkt === proofKey ? null : 'dpop_key_mismatch'
}

function tokenPrincipal(method: 'jwt' | 'introspection', claims: Readonly<Record<string, unknown>>, expiresAt: number | null, names: ClaimNames): Outcome {
  const clientId = typeof claims.client_id === 'string' ? claims.client_id : typeof claims.azp === 'string' ? claims.azp : null
  const subject = claims[names.consumerClaim]
  const id = typeof subject === 'string' && subject !== '' ? subject : method === 'introspection' ? clientId : null
  if (id === null) return { rejected: 'no_subject' }
  return {
    principal: {
      id,
      method,
      name: typeof claims.name === 'string' ? claims.name : null,
      roles: scopesFrom(claims[names.rolesClaim]),
      scopes: scopesFrom(claims[names.scopeClaim] ?? claims.scp),
      plan: typeof claims.plan === 'string' ? claims.plan : null,
      claims,
      metadata: {},
      clientId,
      keyId: null,
      expiresAt,
    },
  }
}

function certificateName(certificate: ClientCertificate, from: MtlsConfig['consumerFrom']): string | null {
  if (from === 'subject.CN') return certificate.subject.CN ?? null
  if (from === 'thumbprint') return certificate.thumbprintS256
  const prefix = from === 'san.dns' ? 'DNS:' : from === 'san.email' ? 'email:' : 'URI:'
  const san = certificate.subjectAltNames.find((s) => s.startsWith(prefix))
  return san === undefined ? null : san.slice(prefix.length)
}
