/**
 * The client's address behind trusted proxies: X-Forwarded-For is believed only when the socket
 * peer is a trusted proxy, and then only up to the first untrusted hop from the right, so a
 * client cannot prepend a forged address.
 */
import { canonicalAddress, parseAddress, type IpMatcher } from './ip-matcher.js'

export function resolveClientAddress(peer: string, forwardedFor: string | undefined, isTrusted: IpMatcher): string {
  if (forwardedFor === undefined || !isTrusted(peer)) return peer
  const hops = forwardedFor.split(',')
  let client = peer
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = (hops[i] as string).trim()
    if (parseAddress(hop) === null) return client
    client = canonicalAddress(hop)
    if (!isTrusted(client)) return client
  }
  return client
}
