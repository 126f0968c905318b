/**
 * `masking`: sensitive data masked in responses before they leave — JSON bodies by field (path
 * or name pattern) and by detectors over every string, text bodies by detectors, and chosen
 * response headers. Strategies may differ by the principal's role (support staff see `partial`,
 * others nothing). Bodies too large or too encoded to inspect are blocked or passed by config,
 * and logged. JSON stays JSON: the value is rebuilt, not patched.
 */
import type { RequestContext } from '../../pipeline/context.js'
import { isJsonMediaType, mediaTypeOf } from '../../net/media-type.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond } from '../../pipeline/reply.js'
import type { DetectorName } from '../../sensitive/detectors.js'
import { maskText, type Strategy } from '../../sensitive/strategies.js'
import { detectorRule, JsonMasker, nameMatcher, pathMatcher, type FieldRule } from './json-masker.js'
import { MaskingConfig } from './schema.js'

/** The strategy for a principal: the first of its roles the rule names, else the rule's own. */
function strategyFor(rule: { strategy: string; roles: Record<string, string> }, roles: readonly string[]): Strategy {
  for (const role of roles) {
    const chosen = rule.roles[role]
    if (chosen !== undefined) return chosen as Strategy
  }
  return rule.strategy as Strategy
}

export const masking = definePolicy({
  name: 'masking',
  priority: 400,
  description: 'Masks sensitive data in responses: fields by path or name, detectors (cards, SSNs, IBANs, e-mails, phones, JWTs, API keys, private keys), headers; per-role strategies.',
  configSchema: MaskingConfig,
  check(config) {
    const problems: { path: string; message: string }[] = []
    config.fields.forEach((field, i) => {
      if ((field.path === undefined) === (field.name === undefined)) problems.push({ path: `fields[${i}]`, message: 'must have exactly one of `path` or `name`' })
    })
    const strategies = [...config.fields, ...config.detect, ...config.headers].flatMap((r) => [r.strategy, ...Object.values(r.roles)])
    if (strategies.includes('hash') && config.hashKey === undefined) problems.push({ path: 'hashKey', message: 'is required when a strategy is `hash`' })
    return problems
  },
  create(config, deps) {
    const hashKey = config.hashKey ?? null
    // A masker per role combination, built on first use: rules resolve their strategies once.
    const maskers = new Map<string, JsonMasker>()
    const maskerFor = (roles: readonly string[]): JsonMasker => {
      const key = roles.join('\u0000')
      let masker = maskers.get(key)
      if (masker === undefined) {
        const fields: FieldRule[] = config.fields.map((field) => {
          const strategy = strategyFor(field, roles)
          if (field.path !== undefined) {
            const matches = pathMatcher(field.path)
            return { matches: (path) => matches(path), strategy, byName: false }
          }
          const matches = nameMatcher(field.name as string)
          return { matches: (_path, name) => matches(name), strategy, byName: true }
        })
        masker = new JsonMasker(fields, config.detect.map((rule) => detectorRule(rule.detector as DetectorName, strategyFor(rule, roles))), hashKey)
        if (maskers.size < 256) maskers.set(key, masker)
      }
      return masker
    }
    const rolesOf = (ctx: RequestContext) => ctx.state.principal?.roles ?? []
    const unreadable = (ctx: RequestContext, kind: 'too_large' | 'encoded' | 'not_json', reason: string) => {
      deps.metrics.maskingUninspected(deps.api, kind, config.oversize === 'block' ? 'blocked' : 'passed')
      deps.logger.warn({ requestId: ctx.requestId, reason, oversize: config.oversize }, 'response body not inspected for sensitive data')
      return config.oversize === 'block' ? respond.problem('GW_ERR_UPSTREAM_BAD_RESPONSE') : undefined
    }

    return {
      onResponse(ctx) {
        const response = ctx.response
        if (response === null || config.headers.length === 0) return undefined
        for (const rule of config.headers) {
          const name = rule.name.toLowerCase()
          const value = response.headers[name]
          if (value === undefined) continue
          const strategy = strategyFor(rule, rolesOf(ctx))
          if (strategy === 'drop') delete response.headers[name]
          else response.headers[name] = Array.isArray(value) ? value.map((v: string) => maskText(v, strategy, null, hashKey)) : maskText(value as string, strategy, null, hashKey)
        }
        return undefined
      },
      onResponseBody(ctx, body) {
        const response = ctx.response
        if (response === null || body.length === 0) return undefined
        const contentType = response.headers['content-type']
        const type = mediaTypeOf(typeof contentType === 'string' ? contentType : undefined)
        const json = isJsonMediaType(type)
        if (!json && !type.startsWith('text/')) return undefined
        const encoding = response.headers['content-encoding']
        if (encoding !== undefined && encoding !== 'identity') return unreadable(ctx, 'encoded', `encoded (${String(encoding)})`)
        if (body.length > config.maxBodyBytes) return unreadable(ctx, 'too_large', `larger than ${config.maxBodyBytes} bytes`)
        const masker = maskerFor(rolesOf(ctx))
        if (!json) {
          const masked = masker.mask(body.toString('utf8')) as string
          if (masker.masked > 0) {
            ctx.responseBody = Buffer.from(masked)
            noteMasked(ctx, masker)
          }
          return undefined
        }
        let value: unknown
        try {
          value = JSON.parse(body.toString('utf8'))
        } catch {
          return unreadable(ctx, 'not_json', 'not valid JSON')
        }
        const masked = masker.mask(value)
        if (masker.masked > 0) {
          ctx.responseBody = Buffer.from(JSON.stringify(masked))
          noteMasked(ctx, masker)
        }
        return undefined
      },
    }
  },
})

/** A response had sensitive data masked: how much and by what, never the values. */
function noteMasked(ctx: RequestContext, masker: JsonMasker): void {
  ctx.noteSecurity('masking', { action: 'sensitive-data-masked', details: { count: masker.masked, by: [...masker.maskedBy] } })
}
