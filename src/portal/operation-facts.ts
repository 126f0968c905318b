/**
 * What the gateway enforces on one operation, derived from the loaded config exactly as the
 * runtime builds the route's chain (the API's policies, replaced or switched off by the route's
 * overrides): how to authenticate, which scopes and roles, the rate limits of each plan and the
 * RateLimit headers they produce, the limits on the request, and the errors the gateway may send.
 * Pure: the portal pages render these facts and the tests compare them with the config.
 */
import type { Static } from '@sinclair/typebox'
import type { ResolvedRoute } from '../config/resolve-routes.js'
import type { GatewayConfig } from '../config/schema.js'
import type { IdentityConfig } from '../identity/identity-schema.js'
import type { AuthConfig } from '../policies/auth/schema.js'
import { ruleOf } from '../policies/authz/operation-rules.js'
import type { AuthzConfig } from '../policies/authz/schema.js'
import type { CorsConfig } from '../policies/cors/schema.js'
import type { OpenApiValidationConfig } from '../policies/openapi-validation/schema.js'
import { compileLimit } from '../policies/rate-limit/compile-limits.js'
import type { LimitConfig, PlansConfig, RateLimitConfig } from '../policies/rate-limit/schema.js'
import type { RequestLimitsConfig } from '../policies/request-limits/schema.js'
import type { WafConfig } from '../policies/waf/schema.js'
import type { ErrorCode } from '../errors.js'
import { gatewayErrorsFor, type GatewayErrorEntry } from './gateway-errors.js'
import { isDeprecated, versionLifecycleOf, type VersionLifecycle } from './version-lifecycle.js'

type ApiConfig = GatewayConfig['apis'][number]

export type CredentialFact =
  | { readonly method: 'jwt'; readonly header: 'Authorization'; readonly scheme: 'Bearer' | 'DPoP'; readonly issuer: string | null; readonly audiences: readonly string[]; readonly algorithms: readonly string[] }
  | { readonly method: 'introspection'; readonly header: 'Authorization'; readonly scheme: 'Bearer' | 'DPoP'; readonly issuer: string | null }
  | { readonly method: 'apiKey'; readonly header: string; readonly queryParameter: string | null }
  | { readonly method: 'mtls'; readonly consumerFrom: string }

export interface AlternativeFact {
  readonly schemes: readonly string[]
  readonly scopes: readonly string[]
  /** Roles (authz.roles) that grant one of the scopes. */
  readonly roles: readonly string[]
}

export interface AuthFacts {
  /** The `auth` policy applies: credentials are verified by the gateway. */
  readonly enforced: boolean
  /** Requests without any credential pass, anonymous. */
  readonly optional: boolean
  /** Accepted credentials, in the order the gateway tries them. */
  readonly credentials: readonly CredentialFact[]
  /** Scopes every credential must carry on this operation (auth.scopes). */
  readonly requiredScopes: readonly string[]
  /**
   * The operation's rule when `authz` applies: `public` (no credential needed), `denied` (the
   * document declares no security and authz denies such operations), `open` (undeclared but
   * allowed), `requirements` (one of `alternatives`); null without authz — the document's
   * requirements are then not enforced by the gateway.
   */
  readonly rule: 'public' | 'denied' | 'open' | 'requirements' | null
  readonly alternatives: readonly AlternativeFact[]
  /** Administrative operation: also needs one of these roles (empty: no one may call it). */
  readonly adminRoles: readonly string[] | null
  /** Cedar policies may further deny. */
  readonly cedar: boolean
  /** The document's own requirements (also shown without authz). */
  readonly declared: readonly AlternativeFact[] | null
}

export interface LimitFact {
  readonly name: string
  readonly per: readonly string[]
  /** Plain words: `100 requests per second (bursts of 200)`. */
  readonly text: string
  readonly code: string
  /** This limit's member of the `RateLimit-Policy` header. */
  readonly policyField: string
}

export interface RateLimitFacts {
  readonly headers: 'ietf' | 'legacy' | 'both' | 'none'
  /** Limits on every request of the route, whatever the plan. */
  readonly limits: readonly LimitFact[]
  /** Each plan's own limits, added to `limits` for its consumers; `default` applies to the others. */
  readonly plans: readonly { readonly plan: string; readonly limits: readonly LimitFact[] }[]
  readonly concurrency: { readonly max: number; readonly per: readonly string[] } | null
  readonly ban: { readonly after: number; readonly within: string; readonly for: string } | null
}

export interface HeaderFact {
  readonly name: string
  readonly value: string
  readonly required: boolean
  readonly why: string
}

export interface RequestLimitFacts {
  /** Largest request body (the smallest limit of the policies in force), null when none applies. */
  readonly maxBodyBytes: number | null
  readonly maxUrlLength: number | null
  readonly maxHeaderCount: number | null
  /** Largest request header section (request-limits, else the listener's). */
  readonly maxHeaderBytes: number
  readonly json: { readonly depth: number; readonly keys: number; readonly arrayLength: number; readonly stringLength: number } | null
  /** How requests are checked against the document: `block`, `report`, or null (not checked). */
  readonly validation: 'block' | 'report' | null
  readonly strictBodies: boolean
  readonly rejectUndeclaredQuery: boolean
  readonly waf: boolean
}

export interface OperationFacts {
  readonly policies: readonly string[]
  /** The version's lifecycle and how a request selects it. */
  readonly lifecycle: VersionLifecycle
  readonly auth: AuthFacts
  readonly rateLimits: RateLimitFacts | null
  readonly requestHeaders: readonly HeaderFact[]
  readonly responseHeaders: readonly HeaderFact[]
  readonly limits: RequestLimitFacts
  readonly errors: readonly GatewayErrorEntry[]
}

/** Facts the document contributes: its required header parameters and body media types. */
export interface DocumentHints {
  readonly requiredHeaders: readonly string[]
  readonly bodyMediaTypes: readonly string[]
}

/** The settings of each policy in force on the route, as the runtime merges them. */
export function policiesInForce(api: ApiConfig, route: ResolvedRoute | null): Record<string, unknown> {
  const settings: Record<string, unknown> = { ...api.policies }
  for (const [name, value] of Object.entries(route?.overrides ?? {})) {
    if (value === false) delete settings[name]
    else settings[name] = value
  }
  return settings
}

export function buildOperationFacts(config: GatewayConfig, api: ApiConfig, route: ResolvedRoute | null, hints: DocumentHints, nowMs: number): OperationFacts {
  const settings = policiesInForce(api, route)
  const auth = settings.auth as Static<typeof AuthConfig> | undefined
  const authz = settings.authz as Static<typeof AuthzConfig> | undefined
  const rateLimit = settings['rate-limit'] as Static<typeof RateLimitConfig> | undefined
  const validation = settings['openapi-validation'] as Static<typeof OpenApiValidationConfig> | undefined
  const requestLimits = settings['request-limits'] as Static<typeof RequestLimitsConfig> | undefined
  const waf = settings.waf as Static<typeof WafConfig> | undefined
  const cors = settings.cors as Static<typeof CorsConfig> | undefined
  const identity = config.identity as IdentityConfig
  const authFacts = authFactsOf(auth, authz, identity, route)
  const limits = requestLimitFactsOf(config, requestLimits, validation, waf)
  const policies = Object.keys(settings)
  const lifecycle = versionLifecycleOf(config, api, nowMs)
  const operationSunset = typeof route?.extensions['x-sunset'] === 'string'
  const deprecated = isDeprecated(lifecycle) || route?.deprecated === true || operationSunset
  return {
    policies,
    lifecycle,
    auth: authFacts,
    rateLimits: rateLimit === undefined ? null : rateLimitFactsOf(rateLimit, config.plans as PlansConfig, nowMs),
    requestHeaders: [...versionHeaderOf(lifecycle), ...requestHeadersOf(authFacts, hints, limits, cors)],
    responseHeaders: [...responseHeadersOf(authFacts, rateLimit, policies), ...lifecycleHeadersOf(lifecycle, deprecated, operationSunset)],
    limits,
    errors: gatewayErrorsFor(policies, lifecycleErrorsOf(lifecycle, operationSunset)),
  }
}

/** The header (or `Accept`) that selects the version, when versions share its path. */
function versionHeaderOf(lifecycle: VersionLifecycle): HeaderFact[] {
  const selection = lifecycle.selection
  if (selection === null) return []
  const why = selection.isDefault ? 'selects this version; it is also served when a request names none' : selection.defaultLabel === null ? 'selects this version; every request must name one' : `selects this version; a request naming none gets version ${selection.defaultLabel}`
  return [{ name: selection.field, value: selection.value, required: !selection.isDefault, why }]
}

/** What the gateway adds to the answers of a deprecated version or operation, and `Vary` when a field selects the version. */
function lifecycleHeadersOf(lifecycle: VersionLifecycle, deprecated: boolean, operationSunset: boolean): HeaderFact[] {
  const headers: HeaderFact[] = []
  if (deprecated) {
    headers.push({ name: 'Deprecation', value: '@<epoch seconds>', required: true, why: 'the date it was (or will be) deprecated (RFC 9745)' })
    if (lifecycle.sunsetAt !== null || operationSunset) headers.push({ name: 'Sunset', value: '<HTTP date>', required: true, why: 'from then on it answers 410 (RFC 8594)' })
    if (lifecycle.successor !== null || lifecycle.migrationGuide !== null) headers.push({ name: 'Link', value: '<…>; rel="successor-version", <…>; rel="deprecation"', required: true, why: 'the successor and the migration guide' })
  }
  if (lifecycle.selection !== null) headers.push({ name: 'Vary', value: lifecycle.selection.field, required: true, why: 'the answer depends on the version the request names' })
  return headers
}

/** The lifecycle's and the versioning's own answers. */
function lifecycleErrorsOf(lifecycle: VersionLifecycle, operationSunset: boolean): [ErrorCode, string][] {
  const errors: [ErrorCode, string][] = []
  if (lifecycle.sunsetAt !== null || lifecycle.brownouts.length > 0 || operationSunset) errors.push(['GW_ERR_API_GONE', 'lifecycle'])
  const selection = lifecycle.selection
  if (selection !== null) {
    if (selection.defaultLabel === null) errors.push(['GW_ERR_API_VERSION_REQUIRED', 'versioning'])
    errors.push([selection.field === 'Accept' ? 'GW_ERR_API_VERSION_NOT_ACCEPTABLE' : 'GW_ERR_API_VERSION_UNKNOWN', 'versioning'])
  }
  return errors
}

function authFactsOf(auth: Static<typeof AuthConfig> | undefined, authz: Static<typeof AuthzConfig> | undefined, identity: IdentityConfig, route: ResolvedRoute | null): AuthFacts {
  const credentials: CredentialFact[] = []
  for (const method of auth?.methods ?? []) {
    const scheme = auth?.requireDpop === true ? 'DPoP' : 'Bearer'
    if (method === 'jwt') {
      const jwt = identity.jwt
      credentials.push({ method, header: 'Authorization', scheme, issuer: jwt?.issuer ?? null, audiences: jwt?.audiences ?? [], algorithms: jwt?.algorithms ?? [] })
    } else if (method === 'introspection') credentials.push({ method, header: 'Authorization', scheme, issuer: identity.introspection?.issuer ?? null })
    else if (method === 'apiKey') credentials.push({ method, header: identity.apiKeys.header, queryParameter: identity.apiKeys.queryParameter ?? null })
    else credentials.push({ method, consumerFrom: identity.mtls.consumerFrom })
  }
  const roles = authz?.roles ?? {}
  const alternativesOf = (security: ResolvedRoute['security']): AlternativeFact[] => {
    const rule = ruleOf(security, new Set())
    if (rule.kind !== 'requirements') return []
    return rule.alternatives.map((a) => ({
      schemes: a.schemes,
      scopes: a.scopes,
      roles: Object.entries(roles)
        .filter(([, granted]) => granted.some((scope) => a.scopes.includes(scope)))
        .map(([role]) => role),
    }))
  }
  const security = route?.security ?? null
  let rule: AuthFacts['rule'] = null
  if (authz !== undefined) {
    const kind = ruleOf(security, new Set()).kind
    rule = kind === 'undeclared' ? (authz.undeclared === 'deny' ? 'denied' : 'open') : kind
  }
  const admin = authz?.admin
  const isAdmin =
    route !== null &&
    admin !== undefined &&
    (route.tags.some((t) => admin.tags.includes(t)) || route.extensions[admin.extension] === true || admin.pathPrefixes.some((p) => route.template.startsWith(p)))
  return {
    enforced: auth !== undefined,
    optional: auth?.optional ?? false,
    credentials,
    requiredScopes: auth?.scopes ?? [],
    rule,
    alternatives: authz === undefined ? [] : alternativesOf(security),
    adminRoles: isAdmin ? (admin?.roles ?? []) : null,
    cedar: authz?.cedar !== undefined,
    declared: security === null ? null : alternativesOf(security),
  }
}

const UNIT_WORDS: Readonly<Record<string, string>> = { s: 'second', m: 'minute', h: 'hour', d: 'day' }

function limitText(limit: LimitConfig): string {
  if (limit.rate !== undefined) {
    const [count, unit = 's'] = limit.rate.split('/')
    return `${count} requests per ${UNIT_WORDS[unit] ?? unit}${limit.burst === undefined ? '' : ` (bursts of ${limit.burst})`}`
  }
  if (limit.window !== undefined) return `${limit.limit ?? 0} requests in any ${limit.window} window`
  const [count = '0', period] = (limit.quota ?? '').split('/')
  return `${Math.floor(Number(count))} requests per calendar ${period ?? 'month'} (${limit.timeZone ?? 'UTC'})`
}

function limitFactsOf(limits: readonly LimitConfig[], scope: string, nowMs: number): LimitFact[] {
  return limits.map((limit, index) => {
    const compiled = compileLimit(limit, index, scope)
    const per = limit.per ?? 'consumer'
    return { name: compiled.name, per: typeof per === 'string' ? [per] : per, text: limitText(limit), code: compiled.code, policyField: compiled.policyField(nowMs) }
  })
}

function rateLimitFactsOf(config: Static<typeof RateLimitConfig>, plans: PlansConfig, nowMs: number): RateLimitFacts {
  const concurrency = config.concurrency
  const concurrencyPer = concurrency?.per ?? 'consumer'
  return {
    headers: config.headers,
    limits: limitFactsOf(config.limits, '', nowMs),
    plans: config.plans ? Object.entries(plans).map(([plan, { limits }]) => ({ plan, limits: limitFactsOf(limits, `plan.${plan}.`, nowMs) })) : [],
    concurrency: concurrency === undefined ? null : { max: concurrency.max, per: typeof concurrencyPer === 'string' ? [concurrencyPer] : concurrencyPer },
    ban: config.ban === undefined ? null : { after: config.ban.after, within: config.ban.within, for: config.ban.for },
  }
}

function requestLimitFactsOf(
  config: GatewayConfig,
  requestLimits: Static<typeof RequestLimitsConfig> | undefined,
  validation: Static<typeof OpenApiValidationConfig> | undefined,
  waf: Static<typeof WafConfig> | undefined,
): RequestLimitFacts {
  // As the chain computes it: the smallest of the limits its policies declare.
  const bodyLimits = [requestLimits?.maxBodyBytes, validation?.limits.maxBodyBytes, waf?.maxBodyBytes].filter((n): n is number => n !== undefined)
  return {
    maxBodyBytes: bodyLimits.length === 0 ? null : Math.min(...bodyLimits),
    maxUrlLength: requestLimits?.maxUrlLength ?? null,
    maxHeaderCount: requestLimits?.maxHeaderCount ?? null,
    maxHeaderBytes: Math.min(requestLimits?.maxHeaderBytes ?? Infinity, config.server.maxHeaderBytes),
    json: validation === undefined ? null : { depth: validation.limits.depth, keys: validation.limits.keys, arrayLength: validation.limits.arrayLength, stringLength: validation.limits.stringLength },
    validation: validation?.mode ?? null,
    strictBodies: validation?.strictBodies ?? false,
    rejectUndeclaredQuery: validation?.rejectUndeclaredQuery ?? false,
    waf: waf !== undefined,
  }
}

function requestHeadersOf(auth: AuthFacts, hints: DocumentHints, limits: RequestLimitFacts, cors: Static<typeof CorsConfig> | undefined): HeaderFact[] {
  const headers: HeaderFact[] = []
  const credentialRequired = auth.enforced && !auth.optional && auth.rule !== 'public'
  const alternatives = auth.credentials.length > 1 ? ' (one of the accepted credentials)' : ''
  for (const credential of auth.credentials) {
    if (credential.method === 'jwt' || credential.method === 'introspection') {
      headers.push({ name: 'Authorization', value: `${credential.scheme} <access token>`, required: credentialRequired, why: `${credential.method === 'jwt' ? 'JWT access token' : 'access token checked by introspection'}${alternatives}` })
      if (credential.scheme === 'DPoP') headers.push({ name: 'DPoP', value: '<proof JWT>', required: credentialRequired, why: 'proof of possession of the token’s key (RFC 9449)' })
    } else if (credential.method === 'apiKey') {
      headers.push({ name: credential.header, value: '<API key>', required: credentialRequired, why: `API key${alternatives}` })
    }
  }
  for (const name of hints.requiredHeaders) headers.push({ name, value: '(see the parameters)', required: true, why: limits.validation === 'block' ? 'required by the document; the gateway refuses requests without it' : 'required by the document' })
  if (hints.bodyMediaTypes.length > 0) {
    headers.push({
      name: 'Content-Type',
      value: hints.bodyMediaTypes.join(' | '),
      required: limits.validation === 'block',
      why: limits.validation === 'block' ? 'the body’s media type must be one the document declares (415 otherwise)' : 'the body’s media type',
    })
  }
  if (cors?.rejectDisallowedOrigins === true) headers.push({ name: 'Origin', value: cors.origins.join(' | '), required: false, why: 'sent by browsers; an origin not listed is refused (403)' })
  return headers
}

function responseHeadersOf(auth: AuthFacts, rateLimit: Static<typeof RateLimitConfig> | undefined, policies: readonly string[]): HeaderFact[] {
  const headers: HeaderFact[] = [{ name: 'X-Request-Id', value: '<id>', required: true, why: 'names the request in the gateway’s logs; quote it when reporting a problem' }]
  if (auth.enforced) headers.push({ name: 'WWW-Authenticate', value: 'Bearer / DPoP / ApiKey challenge', required: false, why: 'on 401 and 403: what to present (RFC 6750 §3)' })
  if (rateLimit !== undefined) {
    if (rateLimit.headers === 'ietf' || rateLimit.headers === 'both') {
      headers.push({ name: 'RateLimit-Policy', value: '"<limit>";q=<quota>;w=<window s>', required: true, why: 'every limit applied to the request' })
      headers.push({ name: 'RateLimit', value: '"<limit>";r=<remaining>;t=<seconds to reset>', required: true, why: 'what is left of each limit' })
    }
    if (rateLimit.headers === 'legacy' || rateLimit.headers === 'both') {
      for (const name of ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) headers.push({ name, value: '<number>', required: true, why: 'the tightest limit' })
    }
    headers.push({ name: 'Retry-After', value: '<seconds>', required: false, why: 'on 429 (and 503): when to try again' })
  }
  if (policies.includes('security-headers')) headers.push({ name: 'Strict-Transport-Security, X-Frame-Options, Content-Security-Policy, Referrer-Policy', value: '', required: false, why: 'security headers added by the gateway' })
  return headers
}
