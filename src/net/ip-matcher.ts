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

/** A range as bytes and a prefix length: matching compares bytes, with no object built per call. */
interface ByteRange {
  readonly bytes: readonly number[]
  readonly prefix: number
}

/** Builds a matcher for a list of CIDRs that were validated at config load. */
export function createIpMatcher(cidrs: readonly string[]): IpMatcher {
  const v4: ByteRange[] = []
  const v6: ByteRange[] = []
  for (const cidr of cidrs) {
    const range = parseCidr(cidr)
    if (range === null) throw new Error(`invalid CIDR ${cidr}`)
    ;(range[0].kind() === 'ipv4' ? v4 : v6).push({ bytes: range[0].toByteArray(), prefix: range[1] })
  }
  if (v4.length === 0 && v6.length === 0) return () => false
  return (text) => {
    // Plain dotted quads (nearly every peer address) are read without the general parser, which
    // builds objects per call; other forms (IPv6, octal or short IPv4) take it.
    const quad = dottedQuad(text)
    if (quad !== null) return matchesAny(quad, v4)
    const address = parseAddress(text)
    if (address === null) return false
    return matchesAny(address.toByteArray(), address.kind() === 'ipv4' ? v4 : v6)
  }
}

function matchesAny(bytes: readonly number[], ranges: readonly ByteRange[]): boolean {
  for (let i = 0; i < ranges.length; i++) if (inRange(bytes, ranges[i] as ByteRange)) return true
  return false
}

function inRange(bytes: readonly number[], range: ByteRange): boolean {
  let bits = range.prefix
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff
    if (((bytes[i] as number) & mask) !== ((range.bytes[i] as number) & mask)) return false
  }
  return true
}

/** `a.b.c.d` in decimal without leading zeros (which the general parser reads as octal), as bytes; null for anything else. */
function dottedQuad(text: string): number[] | null {
  if (text.length > 15) return null
  const bytes = [0, 0, 0, 0]
  let octet = 0
  let digits = 0
  let value = 0
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 0x2e : text.charCodeAt(i)
    if (c === 0x2e) {
      if (digits === 0 || octet === 4 || value > 255) return null
      bytes[octet++] = value
      digits = 0
      value = 0
    } else if (c >= 0x30 && c <= 0x39) {
      // A leading zero followed by more digits is octal to the general parser: left to it.
      if (digits === 1 && value === 0) return null
      if (++digits > 3) return null
      value = value * 10 + (c - 0x30)
    } else return null
  }
  return octet === 4 ? bytes : null
}

/** Canonical text form of an address (IPv4-mapped IPv6 shown as IPv4). */
export function canonicalAddress(text: string): string {
  const address = parseAddress(text)
  return address === null ? text : address.toString()
}
