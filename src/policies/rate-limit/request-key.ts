/**
 * The part of a counter's key a request contributes: who (consumer, API key, client address
 * grouped by prefix), what (route, API) or a header's value. Header values are hashed: they can
 * be long and may be personal data, and key names are visible to anyone reading the store.
 */
import { createHash } from 'node:crypto'
import ipaddr from 'ipaddr.js'
import { parseAddress } from '../../net/ip-matcher.js'
import type { RequestContext } from '../../pipeline/context.js'

/** The client address as counted: IPv4 whole, IPv6 by its first `ipv6Prefix` bits. */
export function groupedAddress(address: string, ipv6Prefix: number): string {
  const parsed = parseAddress(address)
  if (parsed === null) return address
  if (parsed.kind() === 'ipv4' || ipv6Prefix >= 128) return parsed.toString()
  const bytes = (parsed as ipaddr.IPv6).toByteArray()
  for (let bit = ipv6Prefix; bit < 128; bit++) bytes[bit >> 3] = (bytes[bit >> 3] as number) & ~(0x80 >> (bit & 7))
  return `${ipaddr.fromByteArray(bytes).toString()}/${ipv6Prefix}`
}

export function keyPart(part: string, ctx: RequestContext, ipv6Prefix: number): string {
  const principal = ctx.state.principal
  switch (part) {
    case 'consumer':
      return principal === undefined ? `ip=${groupedAddress(ctx.client.address, ipv6Prefix)}` : `c=${principal.id}`
    case 'apiKey':
      if (principal?.keyId != null) return `k=${principal.keyId}`
      return principal === undefined ? `ip=${groupedAddress(ctx.client.address, ipv6Prefix)}` : `c=${principal.id}`
    case 'ip':
      return `ip=${groupedAddress(ctx.client.address, ipv6Prefix)}`
    case 'route':
      return `r=${ctx.method} ${ctx.route.template}`
    case 'api':
      return 'api'
    default: {
      const value = ctx.headers[part.slice('header:'.length).toLowerCase()]
      const text = Array.isArray(value) ? value.join(',') : (value ?? '')
      return `h=${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`
    }
  }
}
