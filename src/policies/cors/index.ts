/**
 * `cors`: answers preflights locally and adds CORS response headers for allowed origins
 * (Fetch standard, CORS protocol). `*` is never combined with credentials.
 */
import type { ConfigProblem } from '../../errors.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond, type HeaderValue } from '../../pipeline/reply.js'
import { createOriginMatcher, isValidOriginPattern } from './origin-matcher.js'
import { CorsConfig } from './schema.js'

// Fetch standard: CORS-safelisted request headers never need to be allowed explicitly.
const SAFELISTED_HEADERS = new Set(['accept', 'accept-language', 'content-language', 'content-type', 'range'])

export const cors = definePolicy({
  name: 'cors',
  priority: 2800,
  description: 'Cross-origin resource sharing with an explicit origin allowlist.',
  configSchema: CorsConfig,
  check(config) {
    const problems: ConfigProblem[] = []
    config.origins.forEach((origin, index) => {
      if (!isValidOriginPattern(origin)) {
        problems.push({ path: `origins[${index}]`, message: 'must be an origin like https://app.example.com (scheme, host, optional port; no path)' })
      }
    })
    if (config.credentials && config.origins.includes('*')) {
      problems.push({ path: 'origins', message: 'must list origins explicitly when credentials is true (`*` with credentials is refused)' })
    }
    return problems
  },
  create(config) {
    const isAllowedOrigin = createOriginMatcher(config.origins)
    const anyOrigin = config.origins.includes('*')
    const methods = new Set(config.methods)
    const allowHeaders = new Set(config.allowHeaders.map((h) => h.toLowerCase()))
    const allowMethodsValue = config.methods.join(', ')
    const allowHeadersValue = config.allowHeaders.join(', ')
    const exposeValue = config.exposeHeaders.join(', ')

    function allowOriginHeaders(origin: string): Record<string, HeaderValue> {
      const headers: Record<string, HeaderValue> = { 'access-control-allow-origin': anyOrigin ? '*' : origin }
      if (!anyOrigin) headers.vary = 'Origin'
      if (config.credentials) headers['access-control-allow-credentials'] = 'true'
      return headers
    }

    return {
      onRequest(ctx) {
        const origin = ctx.headers.origin
        if (origin === undefined) return
        const allowed = isAllowedOrigin(origin)
        if (ctx.isPreflight) {
          const method = ctx.headers['access-control-request-method'] ?? ''
          const requested = (ctx.headers['access-control-request-headers'] ?? '')
            .split(',')
            .map((h) => h.trim().toLowerCase())
            .filter((h) => h !== '')
          const headersOk = requested.every((h) => allowHeaders.has(h) || SAFELISTED_HEADERS.has(h))
          if (!allowed || !methods.has(method) || !headersOk) return respond.problem('GW_ERR_CORS_PREFLIGHT_DENIED')
          return respond.send(204, {
            ...allowOriginHeaders(origin),
            'access-control-allow-methods': allowMethodsValue,
            'access-control-allow-headers': allowHeadersValue,
            'access-control-max-age': String(config.maxAgeSeconds),
            vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
          })
        }
        if (!allowed) {
          if (config.rejectDisallowedOrigins && !isSameOrigin(origin, ctx.headers.host, ctx.client.tls !== null)) {
            return respond.problem('GW_ERR_CORS_ORIGIN_DENIED')
          }
          return
        }
        for (const [name, value] of Object.entries(allowOriginHeaders(origin))) {
          if (name === 'vary') ctx.addVary(value as string)
          else ctx.responseHeaders.set(name, value)
        }
        if (exposeValue !== '') ctx.responseHeaders.set('access-control-expose-headers', exposeValue)
      },
    }
  },
})

function isSameOrigin(origin: string, host: string | undefined, tls: boolean): boolean {
  return host !== undefined && origin.toLowerCase() === `${tls ? 'https' : 'http'}://${host.toLowerCase()}`
}
