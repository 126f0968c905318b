/**
 * `auth`: authenticates the request with the first accepted method whose credential it carries
 * (JWT, introspected opaque token, API key, client certificate), checks required scopes, hands
 * the principal to later policies and identity headers to the upstream. Failures follow RFC 6750.
 */
import type { ConfigProblem } from '../../errors.js'
import { GatewayError } from '../../errors.js'
import { IdentityUnavailableError, TokenRejectedError } from '../../identity/jwt-verifier.js'
import type { AuthMethod, Principal } from '../../identity/principal.js'
import { createIdentityServices } from '../../identity/identity-services.js'
import type { RequestContext } from '../../pipeline/context.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond, type Reply } from '../../pipeline/reply.js'
import { apiKey, bearerToken, challenges, dpopProof, looksLikeJwt, requestUrl, type ChallengeOptions } from './credentials.js'
import { identitySection } from './identity-section.js'
import { PrincipalResolver, type MaybePromise, type Outcome } from './principals.js'
import { AuthConfig } from './schema.js'

const NO_BEARER = { kind: 'none' } as const

export const auth = definePolicy({
  name: 'auth',
  priority: 2000,
  description: 'Authentication: JWT (JWKS, OIDC discovery), OAuth 2.0 introspection, API keys, mTLS; required scopes; identity headers for the upstream.',
  configSchema: AuthConfig,
  sections: { identity: identitySection },
  // One set of verifiers per runtime, shared by every API and route: key sets and caches are fetched and kept once.
  service: ({ identity }, deps) => createIdentityServices(identity, { store: deps.dataStore, clock: deps.clock, logger: deps.logger, metrics: deps.metrics }),
  check(config, gateway) {
    const identity = gateway.sections.identity
    const problems: ConfigProblem[] = []
    config.methods.forEach((method, index) => {
      if (method === 'jwt' && identity.jwt === undefined) problems.push({ path: `methods[${index}]`, message: 'jwt needs identity.jwt' })
      if (method === 'introspection' && identity.introspection === undefined) problems.push({ path: `methods[${index}]`, message: 'introspection needs identity.introspection' })
    })
    if (config.requireDpop && identity.dpop === undefined) problems.push({ path: 'requireDpop', message: 'needs identity.dpop' })
    if (config.requireDpop && !config.methods.includes('jwt') && !config.methods.includes('introspection')) problems.push({ path: 'requireDpop', message: 'needs the jwt or introspection method' })
    return problems
  },
  // API keys are looked up in the store, and so are the consumers certificates must name.
  needsDataStore: (config, gateway) => config.methods.includes('apiKey') || (config.methods.includes('mtls') && gateway.sections.identity.mtls.requireConsumer),
  create(config, deps) {
    const identity = deps.service
    const methods = config.methods
    const bearerAccepted = methods.includes('jwt') || methods.includes('introspection')
    const keyConfig = identity.config.apiKeys
    const dpopConfig = bearerAccepted ? identity.config.dpop : undefined
    const challengeOptions: ChallengeOptions = {
      realm: config.realm,
      bearer: bearerAccepted && !config.requireDpop,
      dpopAlgorithms: dpopConfig?.algorithms ?? null,
      apiKeyHeader: methods.includes('apiKey') ? keyConfig.header : null,
    }
    if (methods.includes('apiKey') && keyConfig.queryParameter !== undefined) {
      deps.logger.warn({ parameter: keyConfig.queryParameter }, 'API keys are accepted from the query string: they will show up in access logs, proxies and browser history')
    }
    const identityHeaders = Object.values(config.headers).filter((h): h is string => h !== null).map((h) => h.toLowerCase())
    const logger = deps.logger
    const principals = new PrincipalResolver(identity)

    const deny = (ctx: RequestContext, method: AuthMethod | 'none', reason: string, reply: Reply): Reply => {
      deps.metrics.authOutcome(deps.api, method, 'denied', reason)
      ctx.noteSecurity('auth', { reason, details: { method } })
      logger.info({ requestId: ctx.requestId, method, reason }, 'authentication refused')
      return reply
    }
    const invalid = (ctx: RequestContext, method: AuthMethod, reason: string) =>
      deny(
        ctx,
        method,
        reason,
        respond.problem('GW_ERR_AUTH_INVALID', { headers: { 'www-authenticate': challenges(challengeOptions, reason.startsWith('dpop_') ? 'invalid_dpop_proof' : 'invalid_token') } }),
      )
    const malformed = (ctx: RequestContext, method: AuthMethod | 'none') =>
      deny(ctx, method, 'malformed', respond.problem('GW_ERR_AUTH_MALFORMED', { headers: { 'www-authenticate': challenges(challengeOptions, 'invalid_request') } }))

    // Principals are built once per verified token or key, so their headers are too.
    const headersOf = new WeakMap<Principal, readonly (readonly [string, string])[]>()
    const identityHeadersFor = (principal: Principal) => {
      let pairs = headersOf.get(principal)
      if (pairs === undefined) {
        const h = config.headers
        const all = [
          [h.consumerId, principal.id],
          [h.consumerName, principal.name],
          [h.scopes, principal.scopes.join(' ')],
          [h.roles, principal.roles.join(' ')],
          [h.plan, principal.plan],
          [h.method, principal.method],
        ] as const
        pairs = all.filter((p): p is readonly [string, string] => p[0] !== null && p[1] !== null && p[1] !== '').map(([name, value]) => [name.toLowerCase(), value] as const)
        headersOf.set(principal, pairs)
      }
      return pairs
    }
    const accept = (ctx: RequestContext, principal: Principal, credentialHeader: string | null): Reply | undefined => {
      for (const scope of config.scopes) {
        if (!principal.scopes.includes(scope)) {
          return deny(
            ctx,
            principal.method,
            'insufficient_scope',
            respond.problem('GW_ERR_AUTH_INSUFFICIENT_SCOPE', { headers: { 'www-authenticate': challenges(challengeOptions, 'insufficient_scope', config.scopes) } }),
          )
        }
      }
      ctx.state.principal = principal
      for (const [name, value] of identityHeadersFor(principal)) ctx.upstreamHeaders.set(name, value)
      if (!config.forwardCredential && credentialHeader !== null) ctx.upstreamHeaders.set(credentialHeader, null)
      deps.metrics.authOutcome(deps.api, principal.method, 'allowed', 'ok')
      return undefined
    }

    const fail = (ctx: RequestContext, method: AuthMethod, error: unknown): Reply => {
      if (error instanceof TokenRejectedError) return invalid(ctx, method, error.reason)
      if (error instanceof IdentityUnavailableError) {
        deps.metrics.authOutcome(deps.api, method, 'unavailable', 'dependency')
        throw new GatewayError('GW_ERR_AUTH_UNAVAILABLE', error.message, { cause: error })
      }
      throw error
    }
    const decide = (ctx: RequestContext, method: AuthMethod, credentialHeader: string | null, outcome: Outcome) =>
      'rejected' in outcome ? invalid(ctx, method, outcome.rejected) : accept(ctx, outcome.principal, credentialHeader)

    /** Decides now when the verification was cached, after the look-up otherwise. */
    const settle = (ctx: RequestContext, method: AuthMethod, credentialHeader: string | null, credential: string, dpop = false): MaybePromise<Reply | undefined> => {
      let pending: MaybePromise<Outcome>
      try {
        pending = dpop ? withProof(ctx, method, credential) : resolveOutcome(ctx, method, credential, null)
      } catch (error) {
        return fail(ctx, method, error)
      }
      if (!(pending instanceof Promise)) return decide(ctx, method, credentialHeader, pending)
      return pending.then(
        (outcome) => decide(ctx, method, credentialHeader, outcome),
        (error: unknown) => fail(ctx, method, error),
      )
    }
    /** RFC 9449 §7: the proof is checked first; the token must then be bound to the proof's key. */
    const withProof = async (ctx: RequestContext, method: AuthMethod, token: string): Promise<Outcome> => {
      const verifier = identity.dpop
      if (verifier === null) throw new IdentityUnavailableError('identity.dpop is not configured')
      const proof = dpopProof(ctx)
      if (proof.kind !== 'proof') throw new TokenRejectedError(proof.kind === 'none' ? 'dpop_missing' : 'dpop_invalid', 'DPoP proof missing or repeated')
      const jkt = await verifier.verify(proof.proof, { method: ctx.method, url: requestUrl(ctx), accessToken: token })
      return resolveOutcome(ctx, method, token, jkt)
    }
    const resolveOutcome = (ctx: RequestContext, method: AuthMethod, credential: string, proofKey: string | null): MaybePromise<Outcome> => {
      const certificate = ctx.client.tls?.clientCertificate ?? null
      switch (method) {
        case 'jwt':
          return principals.jwt(credential, certificate, proofKey)
        case 'introspection':
          return principals.introspection(credential, certificate, proofKey)
        case 'apiKey':
          return principals.apiKey(credential)
        case 'mtls':
          if (certificate === null) throw new Error('mtls without a certificate')
          return principals.certificate(identity.config.mtls, certificate)
      }
    }

    return {
      onRequest(ctx) {
        // Whatever the client sent under the identity headers' names never reaches the upstream.
        for (const name of identityHeaders) if (ctx.headers[name] !== undefined) ctx.upstreamHeaders.set(name, null)
        const bearer = bearerAccepted ? bearerToken(ctx, dpopConfig !== undefined) : NO_BEARER
        if (bearer.kind === 'malformed') return malformed(ctx, 'none')
        const dpop = bearer.kind === 'token' && bearer.scheme === 'dpop'
        if (bearer.kind === 'token' && !dpop && config.requireDpop) return invalid(ctx, looksLikeJwt(bearer.token) ? 'jwt' : 'introspection', 'bearer_not_accepted')
        for (const method of methods) {
          switch (method) {
            case 'jwt':
              if (bearer.kind === 'token' && (looksLikeJwt(bearer.token) || !methods.includes('introspection'))) return settle(ctx, 'jwt', 'authorization', bearer.token, dpop)
              break
            case 'introspection':
              if (bearer.kind === 'token') return settle(ctx, 'introspection', 'authorization', bearer.token, dpop)
              break
            case 'apiKey': {
              const presented = apiKey(ctx, keyConfig.header, keyConfig.queryParameter)
              if (presented.kind === 'malformed') return malformed(ctx, 'apiKey')
              if (presented.kind === 'key') return settle(ctx, 'apiKey', presented.from === 'header' ? keyConfig.header.toLowerCase() : null, presented.key)
              break
            }
            case 'mtls':
              if (ctx.client.tls?.clientCertificate != null) return settle(ctx, 'mtls', null, '')
              break
          }
        }
        if (config.optional) return undefined
        return deny(ctx, 'none', 'missing', respond.problem('GW_ERR_AUTH_REQUIRED', { headers: { 'www-authenticate': challenges(challengeOptions) } }))
      },
    }
  },
})
