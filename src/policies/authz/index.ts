/**
 * `authz`: who may call which operation, from the API's OpenAPI document. Each operation's
 * `security` requirements are enforced against the principal `auth` established (its scopes,
 * plus those its roles grant); public operations say so with `security: []`; operations that
 * declare nothing are denied unless the config says otherwise (default deny). Administrative
 * operations (by tag, `x-` extension or path) also need an admin role (OWASP API5, BFLA). Cedar
 * policies, when configured, decide after that (deny wins), optionally over selected request-body
 * fields; `responseOwner` checks ownership on the response (OWASP API1, BOLA).
 *
 * Every decision is recorded: `ctx.state.authz`, an `authz` field on the access-log line, a
 * metric by API, decision and rule, and a log line for each denial.
 */
import type { Principal } from '../../identity/principal.js'
import type { OperationEntry } from '../../openapi/list-operations.js'
import type { RequestContext } from '../../pipeline/context.js'
import { definePolicy, type PolicyHooks } from '../../pipeline/define-policy.js'
import { respond, type Reply } from '../../pipeline/reply.js'
import { selectBodyFields } from './body-fields.js'
import { CedarPolicies, type CedarDecision, type CedarValue } from './cedar-policies.js'
import { explainUnmet, ruleOf, UNDECLARED, type Alternative, type Rule } from './operation-rules.js'
import { createOwnerCheck } from './response-owner.js'
import { AuthzConfig } from './schema.js'

/** What decided: the operation's rule, the admin check, Cedar, or the response-side owner check. */
export type AuthzRule = 'public' | 'undeclared' | 'requirements' | 'admin' | 'cedar' | 'cedar_error' | 'unreadable_body' | 'response_owner'

export interface AuthzDecision {
  readonly decision: 'allow' | 'deny'
  readonly principal: string | null
  readonly operation: string
  readonly rule: AuthzRule
  /** Ids of the Cedar policies that determined the decision (empty when Cedar did not decide). */
  readonly policies: readonly string[]
  /** Why, for denials. */
  readonly reason: string | null
}

declare module '../../pipeline/context.js' {
  interface RequestState {
    authz?: AuthzDecision
    /** Set when an allowed request's response will also be checked for ownership. */
    authzChecksResponse?: boolean
  }
}

interface OperationRule {
  readonly name: string
  readonly rule: Rule
  readonly admin: boolean
}

const MAX_NAMED_IN_WARNING = 50
const NO_POLICIES: readonly string[] = Object.freeze([])
/** Allow decisions remembered per principal (one per operation it calls). */
const MAX_REMEMBERED_ALLOWS = 256

export const authz = definePolicy({
  name: 'authz',
  priority: 1900,
  description: 'Authorization from the OpenAPI document: security requirements (scopes, roles), default deny, administrative operations need admin roles; Cedar policies; ownership checks.',
  configSchema: AuthzConfig,
  files: (config) => (config.cedar === undefined ? [] : [config.cedar.policies, ...(config.cedar.schema === undefined ? [] : [config.cedar.schema])]),
  create(config, deps) {
    const isAdmin = (route: OperationEntry) =>
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
    const metrics = deps.metrics
    const record = (ctx: RequestContext, decision: AuthzDecision): void => {
      ctx.state.authz = decision
      ctx.setLogField('authz', decision)
      metrics.authzDecision(deps.api, decision.decision, decision.rule)
      if (decision.decision !== 'deny') return
      deps.logger.info({ requestId: ctx.requestId, ...decision }, 'authorization denied')
      const details = { operation: decision.operation, principal: decision.principal, policies: decision.policies }
      ctx.noteSecurity('authz', { ruleName: decision.rule, details, ...(decision.reason === null ? {} : { reason: decision.reason }) })
    }
    const owner = config.responseOwner
    const ownerOperations = owner === undefined || owner.operations.length === 0 ? null : new Set(owner.operations)
    const checksResponse = (ctx: RequestContext, operation: string) =>
      owner !== undefined && owner.methods.includes(ctx.method) && (ownerOperations === null || ownerOperations.has(operation)) && !isExempt(ctx.state.principal)
    const isExempt = (principal: Principal | undefined) => owner !== undefined && principal !== undefined && principal.roles.some((r) => owner.exemptRoles.includes(r))
    // An allow without Cedar policies is the same value for every request of a principal on an
    // operation: made (and, by the access log, serialized) once per principal object, which lives
    // as long as its credential's cache entry.
    const plainAllows = new WeakMap<Principal, Map<string, AuthzDecision>>()
    const plainAllow = (principal: Principal | undefined, operation: string, rule: AuthzRule): AuthzDecision => {
      if (principal === undefined) return { decision: 'allow', principal: null, operation, rule, policies: NO_POLICIES, reason: null }
      let byOperation = plainAllows.get(principal)
      if (byOperation === undefined) plainAllows.set(principal, (byOperation = new Map<string, AuthzDecision>()))
      const key = `${rule} ${operation}`
      const known = byOperation.get(key)
      if (known !== undefined) return known
      const decision: AuthzDecision = Object.freeze({ decision: 'allow', principal: principal.id, operation, rule, policies: NO_POLICIES, reason: null })
      // Bounded: a catch-all API names operations by method, and HTTP/2 takes any method token.
      if (byOperation.size < MAX_REMEMBERED_ALLOWS) byOperation.set(key, decision)
      return decision
    }
    const allow = (ctx: RequestContext, operation: string, rule: AuthzRule, policies: readonly string[] = NO_POLICIES): undefined => {
      record(ctx, policies.length === 0 ? plainAllow(ctx.state.principal, operation, rule) : { decision: 'allow', principal: ctx.state.principal?.id ?? null, operation, rule, policies, reason: null })
      if (checksResponse(ctx, operation)) ctx.state.authzChecksResponse = true
      return undefined
    }
    const deny = (ctx: RequestContext, operation: string, rule: AuthzRule, reason: string, reply: Reply, policies: readonly string[] = []): Reply => {
      record(ctx, { decision: 'deny', principal: ctx.state.principal?.id ?? null, operation, rule, policies, reason })
      return reply
    }
    const forbidden = () => respond.problem('GW_ERR_AUTHZ_DENIED')

    const operationOf = (ctx: RequestContext): { name: string; operation: OperationRule | undefined } => {
      const key = `${ctx.method} ${ctx.route.template}`
      const operation = table.get(key) ?? (ctx.method === 'HEAD' ? table.get(`GET ${ctx.route.template}`) : undefined)
      return { name: operation?.name ?? key, operation }
    }

    /** The OpenAPI and admin checks: a denial, or the rule that allowed. */
    const checkOperation = (ctx: RequestContext, name: string, operation: OperationRule | undefined): Reply | Rule['kind'] => {
      const rule = operation?.rule ?? UNDECLARED
      const principal = ctx.state.principal
      if (rule.kind === 'undeclared' && config.undeclared === 'deny') {
        return deny(ctx, name, 'undeclared', 'the operation declares no security requirements (authz.undeclared: deny)', forbidden())
      }
      if (operation?.admin === true && !(principal !== undefined && principal.roles.some((r) => config.admin.roles.includes(r)))) {
        const reason = config.admin.roles.length === 0 ? 'administrative operation; no role may call it (authz.admin.roles is empty)' : `administrative operation; needs one of the roles ${config.admin.roles.join(', ')}`
        return deny(ctx, name, 'admin', reason, principal === undefined ? respond.problem('GW_ERR_AUTH_REQUIRED') : forbidden())
      }
      if (rule.kind === 'requirements') {
        if (principal === undefined) return deny(ctx, name, 'requirements', 'no credentials; the operation requires authentication', respond.problem('GW_ERR_AUTH_REQUIRED'))
        if (!rule.alternatives.some((alternative) => satisfies(principal, alternative))) {
          return deny(ctx, name, 'requirements', explainUnmet(rule.alternatives, principal, effectiveScopes(principal)), forbidden())
        }
      }
      return rule.kind
    }

    const cedarConfig = config.cedar
    if (cedarConfig === undefined) {
      const onRequest = (ctx: RequestContext): Reply | undefined => {
        if (ctx.isPreflight) return undefined
        const { name, operation } = operationOf(ctx)
        const outcome = checkOperation(ctx, name, operation)
        return typeof outcome === 'string' ? allow(ctx, name, outcome) : outcome
      }
      return withResponseOwner({ onRequest })
    }

    const cedarPolicies = new CedarPolicies(cedarConfig, deps.baseDir, deps.clock)
    const evaluateCedar = (ctx: RequestContext, name: string, body: Record<string, CedarValue> | null): Reply | undefined => {
      let decision: CedarDecision
      try {
        decision = cedarPolicies.evaluate(ctx, name, ctx.state.principal, body)
      } catch (error) {
        decision = { allowed: false, policies: [], errors: [(error as Error).message] }
      }
      if (decision.errors.length > 0) {
        const reply = deny(ctx, name, 'cedar_error', decision.errors.join('; '), respond.problem('GW_ERR_AUTHZ_EVALUATION_FAILED'), decision.policies)
        deps.logger.error({ requestId: ctx.requestId, operation: name, errors: decision.errors }, 'authorization policy failed to evaluate; denied')
        return reply
      }
      if (!decision.allowed) {
        const reason = decision.policies.length === 0 ? 'no Cedar policy permits it' : `forbidden by ${decision.policies.join(', ')}`
        return deny(ctx, name, 'cedar', reason, forbidden(), decision.policies)
      }
      return allow(ctx, name, 'cedar', decision.policies)
    }

    const bodyPaths = cedarConfig.bodyFields.map((field) => field.split('.'))
    if (bodyPaths.length === 0) {
      return withResponseOwner({
        onRequest(ctx) {
          if (ctx.isPreflight) return undefined
          const { name, operation } = operationOf(ctx)
          const outcome = checkOperation(ctx, name, operation)
          return typeof outcome === 'string' ? evaluateCedar(ctx, name, null) : outcome
        },
      })
    }
    // Cedar reads body fields: it decides once the body is buffered (after the checks above).
    return withResponseOwner({
      onRequest(ctx) {
        if (ctx.isPreflight) return undefined
        const { name, operation } = operationOf(ctx)
        const outcome = checkOperation(ctx, name, operation)
        return typeof outcome === 'string' ? undefined : outcome
      },
      onRequestBody(ctx, body) {
        if (ctx.isPreflight) return undefined
        const { name } = operationOf(ctx)
        const fields = selectBodyFields(body, ctx.headers['content-type'], bodyPaths)
        if (fields === null) return deny(ctx, name, 'unreadable_body', 'the request body is neither JSON nor a form, so its fields cannot be checked', forbidden())
        return evaluateCedar(ctx, name, fields)
      },
    })

    function withResponseOwner(hooks: PolicyHooks): PolicyHooks {
      if (owner === undefined) return hooks
      const checkOwner = createOwnerCheck(owner)
      return {
        ...hooks,
        onResponseBody(ctx, body) {
          const status = ctx.response?.status ?? 0
          if (ctx.state.authzChecksResponse !== true || status < 200 || status > 299) return undefined
          const outcome = checkOwner(body, ctx.state.principal)
          if (outcome === 'owner') return undefined
          return deny(ctx, operationOf(ctx).name, 'response_owner', `response ${outcome.replaceAll('_', ' ')} (${owner.field} must equal the principal's ${owner.principal})`, forbidden())
        },
      }
    }
  },
})
