/**
 * `authz`: who may call which operation, from the API's OpenAPI document. Each operation's
 * `security` requirements are enforced against the principal `auth` established (its scopes,
 * plus those its roles grant); public operations say so with `security: []`; operations that
 * declare nothing are denied unless the config says otherwise (default deny). Administrative
 * operations (by tag, `x-` extension or path) also need an admin role (OWASP API5, BFLA).
 * Denials are 403 problems; every decision is counted and denials are logged with the rule.
 */
import type { ResolvedRoute } from '../../config/resolve-routes.js'
import type { AuthMethod, Principal } from '../../identity/principal.js'
import type { SchemeRequirement } from '../../openapi/list-operations.js'
import type { RequestContext } from '../../pipeline/context.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond, type Reply } from '../../pipeline/reply.js'
import { CedarPolicies, type CedarDecision } from './cedar-policies.js'
import { AuthzConfig } from './schema.js'

/** Which authentication methods can satisfy a scheme of each OpenAPI type. */
const METHODS_OF_SCHEME: Readonly<Record<string, readonly AuthMethod[]>> = {
  oauth2: ['jwt', 'introspection'],
  openIdConnect: ['jwt', 'introspection'],
  http: ['jwt', 'introspection'],
  apiKey: ['apiKey'],
  mutualTLS: ['mtls'],
}

interface Alternative {
  /** Methods that can satisfy every scheme of the alternative. */
  readonly methods: ReadonlySet<AuthMethod>
  readonly scopes: readonly string[]
}

type Rule = { kind: 'public' } | { kind: 'undeclared' } | { kind: 'requirements'; alternatives: readonly Alternative[] }

interface OperationRule {
  readonly name: string
  readonly rule: Rule
  readonly admin: boolean
}

const MAX_NAMED_IN_WARNING = 50

export const authz = definePolicy({
  name: 'authz',
  priority: 1900,
  description: 'Authorization from the OpenAPI document: security requirements (scopes, roles), default deny, administrative operations need admin roles.',
  configSchema: AuthzConfig,
  create(config, deps) {
    const isAdmin = (route: ResolvedRoute) =>
      route.tags.some((t) => config.admin.tags.includes(t)) || route.extensions[config.admin.extension] === true || config.admin.pathPrefixes.some((p) => route.template.startsWith(p))
    const table = new Map<string, OperationRule>()
    const undeclared: string[] = []
    const unknownSchemes = new Set<string>()
    for (const [key, route] of deps.operations) {
      const rule = ruleOf(route.security, unknownSchemes)
      if (rule.kind === 'undeclared') undeclared.push(route.operationId ?? key)
      table.set(key, { name: route.operationId ?? key, rule, admin: isAdmin(route) })
    }
    if (undeclared.length > 0) {
      deps.logger.warn(
        { operations: undeclared.slice(0, MAX_NAMED_IN_WARNING), count: undeclared.length, undeclared: config.undeclared },
        config.undeclared === 'deny' ? 'operations without security requirements are denied' : 'operations without security requirements are allowed to anyone (authz.undeclared: allow)',
      )
    }
    if (deps.operations.size === 0 && config.undeclared === 'deny') deps.logger.warn('the API has no operations (no OpenAPI document or routes): authz denies every request')
    if (unknownSchemes.size > 0) deps.logger.warn({ schemes: [...unknownSchemes] }, 'security requirements name schemes the document does not declare; they can never be satisfied')

    const scopesOf = new WeakMap<Principal, ReadonlySet<string>>()
    const effectiveScopes = (principal: Principal): ReadonlySet<string> => {
      let scopes = scopesOf.get(principal)
      if (scopes === undefined) {
        scopes = new Set([...principal.scopes, ...principal.roles.flatMap((role) => config.roles[role] ?? [])])
        scopesOf.set(principal, scopes)
      }
      return scopes
    }
    const satisfies = (principal: Principal, alternative: Alternative) => {
      if (!alternative.methods.has(principal.method)) return false
      const scopes = effectiveScopes(principal)
      return alternative.scopes.every((s) => scopes.has(s))
    }
    const metrics = deps.identity.metrics
    const deny = (ctx: RequestContext, operation: string, principal: Principal | undefined, rule: string, reply: Reply): Reply => {
      metrics.authzDecision(deps.api, 'deny', rule)
      deps.logger.info({ requestId: ctx.requestId, principal: principal?.id ?? null, operation, rule }, 'authorization denied')
      return reply
    }
    const forbidden = () => respond.problem('GW_ERR_AUTHZ_DENIED')
    const cedarPolicies = config.cedar === undefined ? null : new CedarPolicies(config.cedar, deps.baseDir, deps.clock)
    const evaluateCedar = (ctx: RequestContext, operation: string, principal: Principal | undefined): Reply | undefined => {
      if (cedarPolicies === null) return undefined
      let decision: CedarDecision
      try {
        decision = cedarPolicies.evaluate(ctx, operation, principal)
      } catch (error) {
        decision = { allowed: false, policies: [], errors: [(error as Error).message] }
      }
      if (decision.errors.length > 0) {
        metrics.authzDecision(deps.api, 'deny', 'cedar_error')
        deps.logger.error({ requestId: ctx.requestId, principal: principal?.id ?? null, operation, errors: decision.errors }, 'authorization policy failed to evaluate; denied')
        return respond.problem('GW_ERR_AUTHZ_EVALUATION_FAILED')
      }
      if (!decision.allowed) {
        metrics.authzDecision(deps.api, 'deny', 'cedar')
        deps.logger.info({ requestId: ctx.requestId, principal: principal?.id ?? null, operation, rule: 'cedar', policies: decision.policies }, 'authorization denied')
        return forbidden()
      }
      return undefined
    }

    const onRequest = (ctx: RequestContext): Reply | undefined => {
      if (ctx.isPreflight) return undefined
      const key = `${ctx.method} ${ctx.route.template}`
      const operation = table.get(key) ?? (ctx.method === 'HEAD' ? table.get(`GET ${ctx.route.template}`) : undefined)
      const name = operation?.name ?? key
      const rule = operation?.rule ?? UNDECLARED
      const principal = ctx.state.principal
      if (rule.kind === 'undeclared' && config.undeclared === 'deny') return deny(ctx, name, principal, 'undeclared', forbidden())
      if (operation?.admin === true && !(principal !== undefined && principal.roles.some((r) => config.admin.roles.includes(r)))) {
        return deny(ctx, name, principal, 'admin', principal === undefined ? respond.problem('GW_ERR_AUTH_REQUIRED') : forbidden())
      }
      if (rule.kind === 'requirements') {
        if (principal === undefined) return deny(ctx, name, principal, 'requirements', respond.problem('GW_ERR_AUTH_REQUIRED'))
        if (!rule.alternatives.some((alternative) => satisfies(principal, alternative))) return deny(ctx, name, principal, 'requirements', forbidden())
      }
      const cedarReply = evaluateCedar(ctx, name, principal)
      if (cedarReply !== undefined) return cedarReply
      metrics.authzDecision(deps.api, 'allow', cedarPolicies === null ? rule.kind : 'cedar')
      return undefined
    }
    const owner = config.responseOwner
    if (owner === undefined) return { onRequest }
    const checkOwner = createOwnerCheck(owner)
    return {
      onRequest,
      onResponseBody(ctx, body) {
        const status = ctx.response?.status ?? 0
        const principal = ctx.state.principal
        if (status < 200 || status > 299 || !owner.methods.includes(ctx.method)) return undefined
        if (principal !== undefined && principal.roles.some((r) => owner.exemptRoles.includes(r))) return undefined
        const outcome = checkOwner(body, principal)
        if (outcome === 'owner') return undefined
        const operation = `${ctx.method} ${ctx.route.template}`
        metrics.authzDecision(deps.api, 'deny', 'response_owner')
        deps.logger.info({ requestId: ctx.requestId, principal: principal?.id ?? null, operation, rule: 'response_owner', reason: outcome }, 'authorization denied')
        return respond.problem('GW_ERR_AUTHZ_DENIED')
      },
    }
  },
})

/**
 * Whether every object in a JSON body belongs to the principal: `owner`, or why not
 * (`not_owner`, `no_owner_field`, `unreadable`). Anything that cannot be checked is refused.
 */
function createOwnerCheck(owner: { field: string; principal: string }): (body: Buffer, principal: Principal | undefined) => 'owner' | 'not_owner' | 'no_owner_field' | 'unreadable' {
  const fieldPath = owner.field.split('.')
  const [source, ...rest] = owner.principal.split('.')
  const expectedOf = (principal: Principal): unknown => {
    if (source === 'id') return principal.id
    const base: unknown = source === 'claims' ? principal.claims : source === 'metadata' ? principal.metadata : undefined
    return rest.reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined), base)
  }
  const fieldOf = (item: unknown): unknown => fieldPath.reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined), item)
  return (body, principal) => {
    if (principal === undefined) return 'not_owner'
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      return 'unreadable'
    }
    const expected = scalar(expectedOf(principal))
    if (expected === null) return 'not_owner'
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      const actual = fieldOf(item)
      if (actual === undefined) return 'no_owner_field'
      if (scalar(actual) !== expected) return 'not_owner'
    }
    return 'owner'
  }
}

const UNDECLARED: Rule = { kind: 'undeclared' }

function ruleOf(security: readonly (readonly SchemeRequirement[])[] | null, unknownSchemes: Set<string>): Rule {
  if (security === null) return UNDECLARED
  // OpenAPI: `[]`, or an alternative `{}`, means no authentication is needed.
  if (security.length === 0 || security.some((alternative) => alternative.length === 0)) return { kind: 'public' }
  return {
    kind: 'requirements',
    alternatives: security.map((alternative) => {
      let methods: Set<AuthMethod> | null = null
      for (const requirement of alternative) {
        const accepted = METHODS_OF_SCHEME[requirement.type] ?? []
        if (accepted.length === 0) unknownSchemes.add(requirement.scheme)
        methods = new Set(methods === null ? accepted : accepted.filter((m) => (methods as Set<AuthMethod>).has(m)))
      }
      return { methods: methods ?? new Set(), scopes: [...new Set(alternative.flatMap((r) => r.scopes))] }
    }),
  }
}

/** A string or number as text (ids are compared as text: 42 and "42" are one owner); else null. */
function scalar(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null
}
