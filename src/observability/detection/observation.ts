/**
 * What detection learns of one finished request: who (network, principal, credential), what
 * (API, operation, object id) and how it ended. Built once per request by the `detection` policy;
 * holds no request value beyond ids (user names are hashed).
 */
import { createHash } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'

export interface Observation {
  readonly at: number
  /** The client's address, IPv6 cut to the configured prefix (`2001:db8:1:2::/64`). */
  readonly source: string
  /** The client's network for credential reuse (IPv4 /24, IPv6 /48 by default). */
  readonly network: string
  /** The authenticated principal's id, or null. */
  readonly principal: string | null
  /** The credential used (`k=<key id>`, `t=<token id>`, `c=<principal>`), or null. */
  readonly credential: string | null
  readonly api: string
  /** `METHOD /template`, or null when no route matched. */
  readonly operation: string | null
  /** The value of the route's last path parameter (the object read), or null. */
  readonly objectId: string | null
  readonly status: number
  /** The gateway's problem code when it refused the request. */
  readonly code: string | null
  /** Why authentication refused the credential (`expired`, `revoked`…), or null. */
  readonly authReason: string | null
  /** A refused credential at the gateway, or a 401/403 from a log-in operation. */
  readonly failedLogin: boolean
  /** The log-in's user name, hashed, when the request named one. */
  readonly loginUser: string | null
  readonly bytesOut: number
  /** The operation is deprecated or past its sunset. */
  readonly retired: boolean
  /** For a request no route matched: its method and path shape (`GET /v1/users/{id}`). */
  readonly undeclared: string | null
}

/** `address` as detection counts it: IPv4 whole, IPv6 by its first `prefix` bits. */
export function networkOf(address: string, ipv4Prefix: number, ipv6Prefix: number): string {
  if (isIPv4(address)) return ipv4Prefix >= 32 ? address : `${maskIpv4(address, ipv4Prefix)}/${ipv4Prefix}`
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return networkOf(mapped[1] as string, ipv4Prefix, ipv6Prefix)
  if (!isIPv6(address)) return address
  return ipv6Prefix >= 128 ? address : `${maskIpv6(address, ipv6Prefix)}/${ipv6Prefix}`
}

function maskIpv4(address: string, prefix: number): string {
  const value = address.split('.').reduce((n, part) => n * 256 + Number(part), 0)
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  const masked = (value & mask) >>> 0
  return [24, 16, 8, 0].map((shift) => (masked >>> shift) & 255).join('.')
}

function maskIpv6(address: string, prefix: number): string {
  const [head = '', tail = ''] = address.split('::')
  const headParts = head === '' ? [] : head.split(':')
  const tailParts = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::') ? [...headParts, ...Array<string>(8 - headParts.length - tailParts.length).fill('0'), ...tailParts] : headParts
  const kept = groups.slice(0, 8).map((group, i) => {
    const bits = Math.max(0, Math.min(16, prefix - i * 16))
    const value = Number.parseInt(group === '' ? '0' : group, 16)
    return (bits === 0 ? 0 : value & (0xffff << (16 - bits)) & 0xffff).toString(16)
  })
  return kept.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')
}

/** A user name as detection keeps it: a short hash (counted and compared, never shown). */
export function hashedUser(name: string): string {
  return createHash('sha256').update(name.trim().toLowerCase()).digest('hex').slice(0, 16)
}

const NUMERIC = /^\d+$/
const OPAQUE = /^(?=.*\d)[0-9a-f-]{8,}$/i

/** A path no route matched, with ids replaced (`/v1/users/42` → `/v1/users/{id}`), at most 6 segments: one counter per shape, not per id. */
export function pathShape(path: string): string {
  const segments = path.split('/').filter((s) => s !== '').slice(0, 6)
  return `/${segments.map((s) => (NUMERIC.test(s) || OPAQUE.test(s) || s.length > 40 ? '{id}' : s.toLowerCase())).join('/')}`
}
