/**
 * Headers of the request sent upstream: hop-by-hop fields removed (RFC 9110 §7.6.1, including
 * those the client named in `Connection`), forwarding fields set — believed from the client only
 * when its peer is a trusted proxy — and policy edits applied.
 */
import type { IncomingHttpHeaders } from 'node:http'

/** RFC 9110 §7.6.1 plus fields proxies must not forward; `expect` is answered by the gateway. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
])

/** Forwarding fields an untrusted client must not be able to set. */
const FORWARDING = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-prefix', 'x-real-ip', 'forwarded'])

export interface ForwardingInfo {
  peerAddress: string
  peerTrusted: boolean
  protocol: 'http' | 'https'
  requestId: string
  upstreamHost: string
  /** Content length of a replaced (buffered) body, or null to keep the client's framing. */
  bodyLength: number | null
}

/** Field names listed in `Connection` (lower-case), which are hop-by-hop too. */
function connectionListed(headers: IncomingHttpHeaders): Set<string> | null {
  const value = headers.connection
  if (value === undefined) return null
  const names = new Set<string>()
  for (const name of value.split(',')) {
    const trimmed = name.trim().toLowerCase()
    if (trimmed !== '') names.add(trimmed)
  }
  return names
}

export function buildUpstreamHeaders(
  incoming: IncomingHttpHeaders,
  info: ForwardingInfo,
  edits: ReadonlyMap<string, string | null> | null,
): Record<string, string | string[]> {
  const listed = connectionListed(incoming)
  const out: Record<string, string | string[]> = {}
  for (const name in incoming) {
    const value = incoming[name]
    if (value === undefined || name.charCodeAt(0) === 58 /* : h2 pseudo-header */) continue
    if (HOP_BY_HOP.has(name) || (listed !== null && listed.has(name))) continue
    if (FORWARDING.has(name) && !info.peerTrusted) continue
    out[name] = value
  }
  const originalHost = incoming.host ?? incoming[':authority']
  out.host = info.upstreamHost
  out['x-request-id'] = info.requestId

  const previousFor = info.peerTrusted ? headerText(incoming['x-forwarded-for']) : undefined
  out['x-forwarded-for'] = previousFor === undefined ? info.peerAddress : `${previousFor}, ${info.peerAddress}`
  if (!info.peerTrusted || incoming['x-forwarded-proto'] === undefined) out['x-forwarded-proto'] = info.protocol
  if ((!info.peerTrusted || incoming['x-forwarded-host'] === undefined) && typeof originalHost === 'string') out['x-forwarded-host'] = originalHost

  const element = forwardedElement(info.peerAddress, info.protocol, typeof originalHost === 'string' ? originalHost : undefined)
  const previousForwarded = info.peerTrusted ? incoming.forwarded : undefined
  out.forwarded = previousForwarded === undefined ? element : `${previousForwarded}, ${element}`

  if (info.bodyLength !== null) {
    out['content-length'] = String(info.bodyLength)
  }
  if (edits !== null) {
    for (const [name, value] of edits) {
      if (value === null) delete out[name]
      else out[name] = value
    }
  }
  return out
}

/** A header that arrived more than once is one comma-separated list (RFC 9110 §5.3). */
function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

// Consecutive requests mostly come from the same peer for the same host (keep-alive, one client
// fleet): the last element is kept rather than rebuilt per request.
let lastPeer = ''
let lastProtocol = ''
let lastHost: string | undefined = ''
let lastElement = ''

/** One RFC 7239 element; IPv6 addresses are bracketed and quoted (§6). */
function forwardedElement(peer: string, protocol: string, host: string | undefined): string {
  if (peer === lastPeer && host === lastHost && protocol === lastProtocol) return lastElement
  const node = peer.includes(':') ? `"[${peer}]"` : peer
  let element = `for=${node};proto=${protocol}`
  if (host !== undefined) element += `;host=${TOKEN.test(host) ? host : `"${host.replace(/["\\]/g, '\\$&')}"`}`
  lastPeer = peer
  lastProtocol = protocol
  lastHost = host
  lastElement = element
  return element
}
