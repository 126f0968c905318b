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

/** What a request (or an admin's usage query) says about who and what it is. */
export interface KeyInputs {
  readonly consumer: string | null
  readonly keyId: string | null
  readonly address: string
  /** `METHOD template`. */
  readonly route: string
  header(name: string): string | undefined
}

function keyPart(part: string, inputs: KeyInputs, ipv6Prefix: number): string {
  switch (part) {
    case 'consumer':
      return inputs.consumer === null ? `ip=${groupedAddress(inputs.address, ipv6Prefix)}` : `c=${inputs.consumer}`
    case 'apiKey':
      if (inputs.keyId !== null) return `k=${inputs.keyId}`
      return inputs.consumer === null ? `ip=${groupedAddress(inputs.address, ipv6Prefix)}` : `c=${inputs.consumer}`
    case 'ip':
      return `ip=${groupedAddress(inputs.address, ipv6Prefix)}`
    case 'route':
      return `r=${inputs.route}`
    case 'api':
      return 'api'
    default:
      return `h=${createHash('sha256').update(inputs.header(part.slice('header:'.length).toLowerCase()) ?? '').digest('base64url').slice(0, 22)}`
  }
}

/** The key parts of `parts` for these inputs, joined: what a counter or an in-flight slot is kept under. */
export function keyOf(parts: readonly string[], inputs: KeyInputs, ipv6Prefix: number): string {
  return parts.map((part) => keyPart(part, inputs, ipv6Prefix)).join('|')
}

/** A request's key inputs. */
export function requestKeyInputs(ctx: RequestContext): KeyInputs {
  const principal = ctx.state.principal
  return {
    consumer: principal?.id ?? null,
    keyId: principal?.keyId ?? null,
    address: ctx.client.address,
    route: `${ctx.method} ${ctx.route.template}`,
    header: (name) => {
      const value = ctx.headers[name]
      return Array.isArray(value) ? value.join(',') : value
    },
  }
}
