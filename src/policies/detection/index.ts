/**
 * `detection`: watches the API's traffic for abnormal patterns — credential stuffing, BOLA
 * enumeration, scraping, credential reuse, scanners, error spikes, shadow, zombie and orphan
 * operations — and applies each detector's automatic response (docs/detection.md). Thresholds
 * live in the top-level `detection` section; the policy turns detection on for an API. Every
 * request costs one observation after the response (`onLog`); before the upstream, a request
 * from a banned or throttled client (address, consumer or credential) is refused.
 */
import { createIpMatcher } from '../../net/ip-matcher.js'
import { isJsonMediaType } from '../../net/media-type.js'
import type { RequestContext } from '../../pipeline/context.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond } from '../../pipeline/reply.js'
import { DetectionConfig } from '../../observability/detection/detection-config.js'
import { hashedUser, networkOf, pathShape, type Observation } from '../../observability/detection/observation.js'
import { DetectionService } from './detection-service.js'
import { loginOperationsOf, userNameIn } from './log-in-operations.js'
import { DetectionPolicyConfig } from './schema.js'

declare module '../../pipeline/context.js' {
  interface RequestState {
    /** The hashed user name of a log-in request, when its body named one. */
    detectionUser?: string
  }
}

const MAX_LOGIN_BODY_BYTES = 8192
const LAST_PARAMETER = /\{([^}]+)\}[^{}]*$/

export const detection = definePolicy({
  name: 'detection',
  // Right after authentication (2000): a consumer's or credential's ban is known only then; before
  // authorization, rate limits, the WAF and the upstream.
  priority: 1950,
  description: 'Detects credential stuffing, BOLA enumeration, scraping, credential reuse, scanners, error spikes and shadow, zombie and orphan operations; alerts, throttles or bans.',
  configSchema: DetectionPolicyConfig,
  sections: {
    detection: {
      schema: DetectionConfig,
      check(value) {
        return value.trustedNetworks.flatMap((cidr, i) => {
          try {
            createIpMatcher([cidr])
            return []
          } catch {
            return [{ path: `trustedNetworks[${i}]`, message: `is not an address or CIDR range: "${cidr}"` }]
          }
        })
      },
    },
  },
  service: (sections, deps) => new DetectionService(sections.detection, deps),
  needsCounters: true,
  create(config, deps) {
    const service = deps.service
    // Bound by the requests this instance serves, not here: a reload that is refused after this
    // instance was built must not leave the shared engine on the refused config's (closed) store.
    const counters = deps.counters
    const settings = service.config
    const logins = loginOperationsOf(deps.operations, config.loginOperations)
    const now = () => deps.clock.now()
    const retiredAt = new Map<string, number>()
    for (const [key, entry] of deps.operations) {
      const sunset = typeof entry.extensions['x-sunset'] === 'string' ? Date.parse(entry.extensions['x-sunset']) : Number.NaN
      if (entry.deprecated) retiredAt.set(key, 0)
      else if (!Number.isNaN(sunset)) retiredAt.set(key, sunset)
    }
    service.engine.declareOperations(deps.api, [...deps.operations.keys()])
    const lastParameter = new Map<string, string | null>()
    const objectIdOf = (ctx: RequestContext): string | null => {
      const template = ctx.route.template
      let name = lastParameter.get(template)
      if (name === undefined) {
        name = LAST_PARAMETER.exec(template)?.[1] ?? null
        if (lastParameter.size < 10_000) lastParameter.set(template, name)
      }
      return name === null ? null : (ctx.route.params[name] ?? null)
    }
    const source = (address: string) => networkOf(address, 32, settings.ipv6Prefix)
    const network = (address: string) => networkOf(address, settings.reuseIpv4Prefix, Math.min(48, settings.ipv6Prefix))
    const subjectsOf = (ctx: RequestContext): string[] => {
      const subjects = [`ip=${source(ctx.client.address)}`]
      const principal = ctx.state.principal
      if (principal !== undefined) subjects.push(`c=${principal.id}`, `cred=${credentialOf(principal)}`)
      return subjects
    }
    const operationOf = (ctx: RequestContext): string | null => (ctx.route.template === '*' ? null : `${ctx.method} ${ctx.route.template}`)

    return {
      onRequest(ctx) {
        service.bindCounters(counters)
        const engine = service.engine
        const at = now()
        // Nothing banned or throttled anywhere: nothing to look up.
        if (engine.bans.size === 0) return undefined
        const subjects = subjectsOf(ctx)
        const banned = engine.bans.banned(subjects, at)
        if (banned !== null) {
          const seconds = Math.max(1, Math.ceil(banned.remainingMs / 1000))
          ctx.noteSecurity('detection', { reason: 'banned', details: { subject: banned.subject, remainingSec: seconds } })
          return respond.problem('GW_ERR_CLIENT_BANNED', { headers: { 'retry-after': String(seconds) }, detail: `retry after ${seconds} s` })
        }
        const throttled = engine.bans.throttled(subjects, at)
        // Synchronous unless the client is throttled: most requests pay no promise.
        if (throttled === null) return undefined
        return service.throttle(throttled.subject, at).then((retryAfterMs) => {
          if (retryAfterMs === 0) return undefined
          const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000))
          ctx.noteSecurity('detection', { reason: 'throttled', details: { subject: throttled.subject } })
          return respond.problem('GW_ERR_RATE_LIMITED', { headers: { 'retry-after': String(seconds) }, detail: `throttled by a detection; retry after ${seconds} s` })
        })
      },
      wantsRequestBody(ctx) {
        const length = Number(ctx.headers['content-length'] ?? Number.NaN)
        if (!(length > 0 && length <= MAX_LOGIN_BODY_BYTES) || !logins.has(`${ctx.method} ${ctx.route.template}`)) return false
        const type = ctx.headers['content-type'] ?? ''
        return isJsonMediaType(type.split(';', 1)[0]?.trim().toLowerCase() ?? '') || /^application\/x-www-form-urlencoded\b/i.test(type)
      },
      onRequestBody(ctx, body) {
        if (body.length === 0 || body.length > MAX_LOGIN_BODY_BYTES || !logins.has(`${ctx.method} ${ctx.route.template}`)) return undefined
        const name = userNameIn(body, ctx.headers['content-type'] ?? '')
        if (name !== null) ctx.state.detectionUser = hashedUser(name)
        return undefined
      },
      onLog(ctx, entry) {
        service.bindCounters(counters)
        if (ctx.isPreflight) return
        const principal = ctx.state.principal
        const operation = operationOf(ctx)
        const at = now()
        const retired = operation === null ? undefined : retiredAt.get(operation)
        const isLogin = operation !== null && logins.has(operation)
        const observation: Observation = {
          at,
          source: source(ctx.client.address),
          network: network(ctx.client.address),
          principal: principal?.id ?? null,
          credential: principal === undefined ? null : credentialOf(principal),
          api: deps.api,
          operation,
          objectId: operation === null ? null : objectIdOf(ctx),
          status: entry.status,
          code: entry.code,
          authReason: ctx.securityNotes?.get('auth')?.reason ?? null,
          failedLogin: entry.code === 'GW_ERR_AUTH_INVALID' || (isLogin && entry.code === null && (entry.status === 401 || entry.status === 403)),
          loginUser: ctx.state.detectionUser ?? null,
          bytesOut: entry.bytesOut ?? 0,
          retired: retired !== undefined && retired <= at,
          undeclared: null,
        }
        service.engine.observe(observation)
      },
      onUnrouted(request) {
        service.engine.observe({
          at: now(),
          source: source(request.client),
          network: network(request.client),
          principal: null,
          credential: null,
          api: request.api,
          operation: null,
          objectId: null,
          status: request.status,
          code: null,
          authReason: null,
          failedLogin: false,
          loginUser: null,
          bytesOut: 0,
          retired: false,
          undeclared: `${request.method} ${pathShape(request.relativePath)}`,
        })
      },
    }
  },
})

/** The credential as reuse counts it: an API key's id, else the token's `jti`, else the principal. */
function credentialOf(principal: NonNullable<RequestContext['state']['principal']>): string {
  if (principal.keyId !== null) return `k=${principal.keyId}`
  const jti = principal.claims.jti
  return typeof jti === 'string' && jti.length <= 256 ? `t=${jti}` : `c=${principal.id}`
}
