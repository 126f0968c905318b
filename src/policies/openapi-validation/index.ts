/**
 * `openapi-validation`: the API's OpenAPI document as a positive model of its requests. Every
 * operation's parameters (path, query, header, cookie, as serialised by their style) and request
 * body (JSON, form; by media type, 415 for an undeclared one) are checked against validators
 * compiled when the config loads; JSON is first held to limits schemas lack (depth, keys,
 * lengths), duplicate keys, valid UTF-8 and safe integers. Undeclared paths and methods never
 * get here: the API's routes are the document's. A violation is a 400 problem listing each one.
 * With `response`, the upstream's answers are held to the document too; its error answers the
 * document does not describe pass, reported, unless `undeclaredErrorResponses: block`.
 */
import type { RequestContext, SecurityNote } from '../../pipeline/context.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond, type Reply } from '../../pipeline/reply.js'
import { compileOperationValidators, type BodyCheck, type OperationValidator, type Violation } from '../../openapi/operation-validators.js'
import { OpenApiValidationConfig } from './schema.js'

declare module '../../pipeline/context.js' {
  interface RequestState {
    /**
     * Set once the request's parameters matched the document (and its body, `body`, when it was
     * held to a schema): the WAF's schema-aware mode reads what each value was held to from it.
     */
    validatedRequest?: { readonly validator: OperationValidator; body: Extract<BodyCheck, { kind: 'ok' }>['heldTo'] | null }
  }
}

const MAX_VIOLATIONS = 20

export const openapiValidation = definePolicy({
  name: 'openapi-validation',
  priority: 1500,
  description: 'Requests checked against the API’s OpenAPI document: parameters, media types, bodies, JSON limits.',
  configSchema: OpenApiValidationConfig,
  create(config, deps) {
    if (deps.openapiFile === null) throw new Error('the API has no `openapi` document to validate against')
    const validators = compileOperationValidators(deps.openapiFile, {
      strictBodies: config.strictBodies,
      rejectUndeclaredQuery: config.rejectUndeclaredQuery,
      limits: config.limits,
      maxViolations: MAX_VIOLATIONS,
      responses: config.response !== 'off',
      remote: deps.openapiRemote,
      lazy: deps.eager !== true,
    })
    const validatorOf = (ctx: RequestContext): OperationValidator | undefined =>
      validators.get(`${ctx.method} ${ctx.route.template}`) ?? (ctx.method === 'HEAD' ? validators.get(`GET ${ctx.route.template}`) : undefined)

    const refuse = (ctx: RequestContext, violations: readonly Violation[], reply: Reply): Reply | undefined => {
      const operation = ctx.route.operationId ?? `${ctx.method} ${ctx.route.template}`
      deps.metrics.validation(deps.api, 'request', config.mode === 'report' ? 'reported' : 'blocked')
      ctx.noteSecurity('openapi-validation', violationNote(operation, violations, config.mode === 'report' ? 'openapi-violation-reported' : null))
      if (config.mode === 'report') {
        deps.logger.warn({ requestId: ctx.requestId, operation, violations }, 'request does not match the API description (report only: passed)')
        return undefined
      }
      deps.logger.info({ requestId: ctx.requestId, operation, violations: violations.length }, 'request does not match the API description')
      return reply
    }
    const invalid = (violations: readonly Violation[]) =>
      respond.problem('GW_ERR_REQUEST_INVALID', { detail: violations.map((v) => `${v.location}: ${v.message}`).join('; ').slice(0, 500), extensions: { errors: violations } })

    const responseMode = config.response
    const onResponseBody = (ctx: RequestContext, body: Buffer): Reply | undefined => {
      const response = ctx.response
      const validator = validatorOf(ctx)
      if (response === null || validator === undefined) return undefined
      const header = (name: string) => {
        const value = response.headers[name]
        return typeof value === 'string' ? value : undefined
      }
      const check = validator.checkResponse({ status: response.status, contentType: header('content-type'), contentEncoding: header('content-encoding') }, body, responseMode === 'strip')
      if (check.kind !== 'undeclared' && check.body !== null) {
        ctx.responseBody = check.body
        deps.metrics.validation(deps.api, 'response', 'stripped')
      }
      if (check.kind === 'ok') return undefined
      const violations = check.kind === 'undeclared' ? [check.violation] : check.violations
      const operation = ctx.route.operationId ?? `${ctx.method} ${ctx.route.template}`
      // An upstream's own error answer (a 503 problem from its framework) is seldom in the
      // document; replacing it with a 502 hides what went wrong, so it passes unless told not to.
      const passedError = check.kind === 'undeclared' && response.status >= 400 && config.undeclaredErrorResponses === 'pass'
      const refuse = !passedError && (responseMode === 'block' || (responseMode === 'strip' && check.kind === 'undeclared'))
      deps.metrics.validation(deps.api, 'response', refuse ? 'blocked' : 'reported')
      ctx.noteSecurity('openapi-validation', violationNote(operation, violations, refuse ? null : 'openapi-response-violation-reported'))
      deps.logger.warn({ requestId: ctx.requestId, operation, status: response.status, violations, refused: refuse }, 'response does not match the API description')
      return refuse ? respond.problem('GW_ERR_UPSTREAM_RESPONSE_INVALID') : undefined
    }

    return {
      ...(responseMode === 'off' ? {} : { onResponseBody }),
      requestBodyLimit: config.limits.maxBodyBytes,
      onRequest(ctx) {
        if (ctx.isPreflight) return undefined
        const validator = validatorOf(ctx)
        if (validator === undefined) return undefined
        const violations = validator.checkParameters({ params: ctx.route.params, query: ctx.query, headers: ctx.headers })
        if (violations.length === 0) {
          ctx.state.validatedRequest = { validator, body: null }
          return undefined
        }
        return refuse(ctx, violations, invalid(violations))
      },
      onRequestBody(ctx, body) {
        if (ctx.isPreflight) return undefined
        const validator = validatorOf(ctx)
        if (validator === undefined) return undefined
        const check = validator.checkBody(ctx.headers['content-type'], body)
        if (check.kind === 'ok') {
          const validated = ctx.state.validatedRequest
          if (validated !== undefined && body.length > 0) validated.body = check.heldTo ?? null
          return undefined
        }
        if (check.kind === 'unsupported-media-type') {
          const violation = { location: 'header.content-type', message: validator.declaresBody ? 'is not a media type this operation accepts' : 'this operation takes no request body' }
          return refuse(ctx, [violation], respond.problem('GW_ERR_UNSUPPORTED_MEDIA_TYPE', { detail: `${violation.location}: ${violation.message}`, extensions: { errors: [violation] } }))
        }
        return refuse(ctx, check.violations, invalid(check.violations))
      },
    }
  },
})

/**
 * Where a request or response failed the description, for its security event: locations and how
 * many, not the messages (an enum's or pattern's text may echo what was sent).
 */
function violationNote(operation: string, violations: readonly Violation[], action: string | null): SecurityNote {
  const locations = [...new Set(violations.map((v) => v.location))].slice(0, 20)
  return { reason: `${violations.length} violation(s) at ${locations.join(', ')}`.slice(0, 300), details: { operation, locations, violations: violations.length }, ...(action === null ? {} : { action }) }
}
