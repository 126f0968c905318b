/**
 * `security-headers`: HSTS on TLS, nosniff, frame and referrer policies, CSP, and removal of
 * headers that reveal the upstream's software.
 */
import { definePolicy } from '../../pipeline/define-policy.js'
import { SecurityHeadersConfig } from './schema.js'

export const securityHeaders = definePolicy({
  name: 'security-headers',
  priority: 500,
  description: 'Adds protective response headers and removes revealing ones.',
  configSchema: SecurityHeadersConfig,
  create(config) {
    const { hsts } = config
    const hstsValue = `max-age=${hsts.maxAgeSeconds}${hsts.includeSubDomains ? '; includeSubDomains' : ''}${hsts.preload ? '; preload' : ''}`
    const fixed: [string, string][] = [['x-content-type-options', 'nosniff']]
    if (config.frameOptions !== 'off') fixed.push(['x-frame-options', config.frameOptions])
    if (config.contentSecurityPolicy !== '') fixed.push(['content-security-policy', config.contentSecurityPolicy])
    if (config.referrerPolicy !== '') fixed.push(['referrer-policy', config.referrerPolicy])
    const removed = config.removeHeaders.map((h) => h.toLowerCase())
    return {
      // Runs on onRequest so local replies (denials) carry the headers too.
      onRequest(ctx) {
        for (const [name, value] of fixed) ctx.responseHeaders.set(name, value)
        if (ctx.client.tls !== null) ctx.responseHeaders.set('strict-transport-security', hstsValue)
        for (const name of removed) ctx.removedResponseHeaders.add(name)
      },
    }
  },
})
