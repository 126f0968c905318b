/**
 * `request-limits`: per-API bounds on URL, headers and body, tighter than the listener's hard
 * limits. The body limit is enforced while the body streams, not only from Content-Length.
 */
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond } from '../../pipeline/reply.js'
import { RequestLimitsConfig } from './schema.js'

export const requestLimits = definePolicy({
  name: 'request-limits',
  priority: 3500,
  description: 'Limits on URL length, header count and size, and body size.',
  configSchema: RequestLimitsConfig,
  create(config) {
    return {
      requestBodyLimit: config.maxBodyBytes,
      onRequest(ctx) {
        const targetLength = ctx.path.length + (ctx.query === '' ? 0 : ctx.query.length + 1)
        if (targetLength > config.maxUrlLength) return respond.problem('GW_ERR_REQUEST_URL_TOO_LONG')
        const raw = ctx.rawHeaders
        if (raw.length / 2 > config.maxHeaderCount) return respond.problem('GW_ERR_REQUEST_HEADERS_TOO_LARGE')
        let headerBytes = 0
        for (const part of raw) headerBytes += part.length
        if (headerBytes > config.maxHeaderBytes) return respond.problem('GW_ERR_REQUEST_HEADERS_TOO_LARGE')
        const declared = ctx.headers['content-length']
        if (declared !== undefined && Number(declared) > config.maxBodyBytes) return respond.problem('GW_ERR_REQUEST_BODY_TOO_LARGE')
      },
    }
  },
})
