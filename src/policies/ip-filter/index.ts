/**
 * `ip-filter`: CIDR allow and deny lists on the client address (after the trusted-proxy list
 * has been applied, so a spoofed X-Forwarded-For from an untrusted peer cannot pass).
 */
import type { ConfigProblem } from '../../errors.js'
import { createIpMatcher, parseCidr } from '../../net/ip-matcher.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond } from '../../pipeline/reply.js'
import { IpFilterConfig } from './schema.js'

export const ipFilter = definePolicy({
  name: 'ip-filter',
  priority: 3000,
  description: 'Allow or deny clients by IPv4/IPv6 CIDR ranges.',
  configSchema: IpFilterConfig,
  check(config) {
    const problems: ConfigProblem[] = []
    for (const list of ['allow', 'deny'] as const) {
      config[list].forEach((cidr, index) => {
        if (parseCidr(cidr) === null) problems.push({ path: `${list}[${index}]`, message: 'must be an IP address or CIDR range' })
      })
    }
    return problems
  },
  create(config) {
    const isAllowed = createIpMatcher(config.allow)
    const isDenied = createIpMatcher(config.deny)
    const allowListed = config.allow.length > 0
    return {
      onRequest(ctx) {
        const address = ctx.client.address
        if (isDenied(address) || (allowListed && !isAllowed(address))) return respond.problem('GW_ERR_IP_DENIED')
      },
    }
  },
})
