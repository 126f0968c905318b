/**
 * CIDR lists compiled once into a matcher. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, as
 * dual-stack sockets report IPv4 peers) are matched as the IPv4 address they carry.
 */
import ipaddr from 'ipaddr.js'

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number]

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address; returns null when invalid. */
export function parseCidr(text: string): Range | null {
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text)
    const address = ipaddr.parse(text)
    return [address, address.kind() === 'ipv4' ? 32 : 128]
  } catch {
    return null
  }
}

/** Normalises a socket or header address; null when it is not an IP address. */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(text)) return null
  const address = ipaddr.parse(text)
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address()
  }
  return address
}

export type IpMatcher = (address: string) => boolean

/** Builds a matcher for a list of CIDRs that were validated at config load. */
export function createIpMatcher(cidrs: readonly string[]): IpMatcher {
  const v4: Range[] = []
  const v6: Range[] = []
  for (const cidr of cidrs) {
    const range = parseCidr(cidr)
    if (range === null) throw new Error(`invalid CIDR ${cidr}`)
    ;(range[0].kind() === 'ipv4' ? v4 : v6).push(range)
  }
  if (v4.length === 0 && v6.length === 0) return () => false
  return (text) => {
    const address = parseAddress(text)
    if (address === null) return false
    const ranges = address.kind() === 'ipv4' ? v4 : v6
    for (const range of ranges) if (address.match(range)) return true
    return false
  }
}

/** Canonical text form of an address (IPv4-mapped IPv6 shown as IPv4). */
export function canonicalAddress(text: string): string {
  const address = parseAddress(text)
  return address === null ? text : address.toString()
}
