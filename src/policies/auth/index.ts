/**
 * `auth`: authenticates the request with the first accepted method whose credential it carries
 * (JWT, introspected opaque token, API key, client certificate), checks required scopes, hands
 * the principal to later policies and identity headers to the upstream. Failures follow RFC 6750.
 */
import type { MtlsConfig } from '../../config/identity-schema.js'
import type { ConfigProblem } from '../../errors.js'
import { GatewayError } from '../../errors.js'
import { IdentityUnavailableError, TokenRejectedError } from '../../identity/jwt-verifier.js'
import type { IdentityServices } from '../../identity/identity-services.js'
import { scopesFrom, type AuthMethod, type Principal } from '../../identity/principal.js'
import type { ClientCertificate, RequestContext } from '../../pipeline/context.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond, type Reply } from '../../pipeline/reply.js'
import { apiKey, bearerToken, challenges, looksLikeJwt, type ChallengeOptions } from './credentials.js'
import { AuthConfig } from './schema.js'

type Outcome = { principal: Principal } | { rejected: string }

export const auth = definePolicy({
  name: 'auth',
  priority: 2000,
  description: 'Authentication: JWT (JWKS, OIDC discovery), OAuth 2.0 introspection, API keys, mTLS; required scopes; identity headers for the upstream.',
  configSchema: AuthConfig,
  check(config, gateway) {
    const problems: ConfigProblem[] = []
    config.methods.forEach((method, index) => {
      if (method === 'jwt' && gateway.identity.jwt === undefined) problems.push({ path: `methods[${index}]`, message: 'jwt needs identity.jwt' })
      if (method === 'introspection' && gateway.identity.introspection === undefined) problems.push({ path: `methods[${index}]`, message: 'introspection needs identity.introspection' })
    })
    return problems
  },
  create(config, deps) {
    const identity = deps.identity
    const methods = config.methods
    const bearerAccepted = methods.includes('jwt') || methods.includes('introspection')
    const keyConfig = identity.config.apiKeys
    const challengeOptions: ChallengeOptions = { realm: config.realm, bearer: bearerAccepted, apiKeyHeader: methods.includes('apiKey') ? keyConfig.header : null }
    if (methods.includes('apiKey') && keyConfig.queryParameter !== undefined) {
      deps.logger.warn({ parameter: keyConfig.queryParameter }, 'API keys are accepted from the query string: they will show up in access logs, proxies and browser history')
    }
    const identityHeaders = Object.values(config.headers).filter((h): h is string => h !== null).map((h) => h.toLowerCase())
    const logger = deps.logger

    const deny = (ctx: RequestContext, method: AuthMethod | 'none', reason: string, reply: Reply): Reply => {
      identity.metrics.authOutcome(deps.api, method, 'denied', reason)
      logger.info({ requestId: ctx.requestId, method, reason }, 'authentication refused')
      return reply
    }
    const invalid = (ctx: RequestContext, method: AuthMethod, reason: string) =>
      deny(ctx, method, reason, respond.problem('GW_ERR_AUTH_INVALID', { headers: { 'www-authenticate': challenges(challengeOptions, 'invalid_token') } }))
    const malformed = (ctx: RequestContext, method: AuthMethod | 'none') =>
      deny(ctx, method, 'malformed', respond.problem('GW_ERR_AUTH_MALFORMED', { headers: { 'www-authenticate': challenges(challengeOptions, 'invalid_request') } }))

    const accept = (ctx: RequestContext, principal: Principal, credentialHeader: string | null): Reply | undefined => {
      const missing = config.scopes.filter((s) => !principal.scopes.includes(s))
      if (missing.length > 0) {
        return deny(
          ctx,
          principal.method,
          'insufficient_scope',
          respond.problem('GW_ERR_AUTH_INSUFFICIENT_SCOPE', { headers: { 'www-authenticate': challenges(challengeOptions, 'insufficient_scope', config.scopes) } }),
        )
      }
      ctx.state.principal = principal
      const h = config.headers
      const set = (name: string | null, value: string | null) => {
        if (name !== null && value !== null && value !== '') ctx.upstreamHeaders.set(name.toLowerCase(), value)
      }
      set(h.consumerId, principal.id)
      set(h.consumerName, principal.name)
      set(h.scopes, principal.scopes.join(' '))
      set(h.roles, principal.roles.join(' '))
      set(h.plan, principal.plan)
      set(h.method, principal.method)
      if (!config.forwardCredential && credentialHeader !== null) ctx.upstreamHeaders.set(credentialHeader, null)
      identity.metrics.authOutcome(deps.api, principal.method, 'allowed', 'ok')
      return undefined
    }

    const settle = (ctx: RequestContext, method: AuthMethod, credentialHeader: string | null, pending: Promise<Outcome>): Promise<Reply | undefined> =>
      pending.then(
        (outcome) => ('rejected' in outcome ? invalid(ctx, method, outcome.rejected) : accept(ctx, outcome.principal, credentialHeader)),
        (error: unknown) => {
          if (error instanceof TokenRejectedError) return invalid(ctx, method, error.reason)
          if (error instanceof IdentityUnavailableError) {
            identity.metrics.authOutcome(deps.api, method, 'unavailable', 'dependency')
            throw new GatewayError('GW_ERR_AUTH_UNAVAILABLE', error.message, { cause: error })
          }
          throw error
        },
      )

    return {
      onRequest(ctx) {
        // Whatever the client sent under the identity headers' names never reaches the upstream.
        for (const name of identityHeaders) ctx.upstreamHeaders.set(name, null)
        const bearer = bearerAccepted ? bearerToken(ctx) : ({ kind: 'none' } as const)
        if (bearer.kind === 'malformed') return malformed(ctx, 'none')
        for (const method of methods) {
          switch (method) {
            case 'jwt':
              if (bearer.kind === 'token' && (looksLikeJwt(bearer.token) || !methods.includes('introspection'))) {
                return settle(ctx, 'jwt', 'authorization', verifyJwt(identity, bearer.token, ctx))
              }
              break
            case 'introspection':
              if (bearer.kind === 'token') return settle(ctx, 'introspection', 'authorization', introspect(identity, bearer.token, ctx))
              break
            case 'apiKey': {
              const presented = apiKey(ctx, keyConfig.header, keyConfig.queryParameter)
              if (presented.kind === 'malformed') return malformed(ctx, 'apiKey')
              if (presented.kind === 'key') return settle(ctx, 'apiKey', presented.from === 'header' ? keyConfig.header.toLowerCase() : null, authenticateKey(identity, presented.key))
              break
            }
            case 'mtls': {
              const certificate = ctx.client.tls?.clientCertificate ?? null
              if (certificate !== null) return settle(ctx, 'mtls', null, fromCertificate(identity, identity.config.mtls, certificate))
              break
            }
          }
        }
        if (config.optional) return undefined
        return deny(ctx, 'none', 'missing', respond.problem('GW_ERR_AUTH_REQUIRED', { headers: { 'www-authenticate': challenges(challengeOptions) } }))
      },
    }
  },
})

async function verifyJwt(identity: IdentityServices, token: string, ctx: RequestContext): Promise<Outcome> {
  const verifier = identity.jwt
  if (verifier === null) throw new IdentityUnavailableError('identity.jwt is not configured')
  const config = identity.config.jwt
  if (config === undefined) throw new IdentityUnavailableError('identity.jwt is not configured')
  const { claims, expiresAt } = await verifier.verify(token)
  const binding = certificateBinding(claims, ctx.client.tls?.clientCertificate ?? null, config.requireCertificateBound)
  if (binding !== null) return { rejected: binding }
  return tokenPrincipal('jwt', claims, expiresAt, config.consumerClaim, config.scopeClaim, config.rolesClaim)
}

async function introspect(identity: IdentityServices, token: string, ctx: RequestContext): Promise<Outcome> {
  const introspector = identity.introspection
  const config = identity.config.introspection
  if (introspector === null || config === undefined) throw new IdentityUnavailableError('identity.introspection is not configured')
  const { claims, expiresAt } = await introspector.introspect(token)
  const binding = certificateBinding(claims, ctx.client.tls?.clientCertificate ?? null, false)
  if (binding !== null) return { rejected: binding }
  return tokenPrincipal('introspection', claims, expiresAt, config.consumerClaim, config.scopeClaim, config.rolesClaim)
}

/** RFC 8705 §3: a token bound to a certificate is only good with that certificate. */
function certificateBinding(claims: Readonly<Record<string, unknown>>, certificate: ClientCertificate | null, required: boolean): string | null {
  const cnf = claims.cnf as Record<string, unknown> | undefined
  const thumbprint = typeof cnf === 'object' && cnf !== null ? cnf['x5t#S256'] : undefined
  if (thumbprint === undefined) return required ? 'not_certificate_bound' : null
  if (certificate === null || thumbprint !== certificate.thumbprintS256) return 'certificate_mismatch'
  return null
}

function tokenPrincipal(
  method: 'jwt' | 'introspection',
  claims: Readonly<Record<string, unknown>>,
  expiresAt: number | null,
  consumerClaim: string,
  scopeClaim: string,
  rolesClaim: string,
): Outcome {
  const clientId = typeof claims.client_id === 'string' ? claims.client_id : typeof claims.azp === 'string' ? claims.azp : null
  const subject = claims[consumerClaim]
  const id = typeof subject === 'string' && subject !== '' ? subject : method === 'introspection' ? clientId : null
  if (id === null) return { rejected: 'no_subject' }
  const scopes = scopesFrom(claims[scopeClaim] ?? claims.scp)
  return {
    principal: {
      id,
      method,
      name: typeof claims.name === 'string' ? claims.name : null,
      roles: scopesFrom(claims[rolesClaim]),
      scopes,
      plan: typeof claims.plan === 'string' ? claims.plan : null,
      claims,
      metadata: {},
      clientId,
      keyId: null,
      expiresAt,
    },
  }
}

async function authenticateKey(identity: IdentityServices, key: string): Promise<Outcome> {
  if (identity.apiKeys === null) throw new IdentityUnavailableError('no data store for API keys')
  let found
  try {
    found = await identity.apiKeys.authenticate(key)
  } catch (error) {
    if (error instanceof TokenRejectedError) throw error
    throw new IdentityUnavailableError(`data store: ${(error as Error).message}`)
  }
  const { record, consumer } = found
  return {
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
}

async function fromCertificate(identity: IdentityServices, config: MtlsConfig, certificate: ClientCertificate): Promise<Outcome> {
  const name = certificateName(certificate, config.consumerFrom)
  if (name === null) return { rejected: 'certificate_without_name' }
  if (!config.requireConsumer) {
    return { principal: { id: name, method: 'mtls', name: certificate.subject.CN ?? null, roles: [], scopes: [], plan: null, claims: {}, metadata: {}, clientId: null, keyId: null, expiresAt: Date.parse(certificate.validTo) } }
  }
  if (identity.store === null) throw new IdentityUnavailableError('no data store for certificate consumers')
  const consumer = await identity.store.getConsumer(name).catch((error: unknown) => {
    throw new IdentityUnavailableError(`data store: ${(error as Error).message}`)
  })
  if (consumer === null) return { rejected: 'unknown_consumer' }
  return {
    principal: {
      id: consumer.id,
      method: 'mtls',
      name: consumer.name,
      roles: consumer.roles,
      scopes: consumer.scopes,
      plan: consumer.plan,
      claims: {},
      metadata: consumer.metadata,
      clientId: null,
      keyId: null,
      expiresAt: Date.parse(certificate.validTo),
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


