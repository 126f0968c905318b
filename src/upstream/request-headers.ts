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
  /**
   * The trace fields (`traceparent`, `tracestate`) of this attempt as `[name, value, …]`, which
   * replace the client's; null when tracing is off (the client's are forwarded as they came).
   */
  trace: readonly string[] | null
}

/**
 * The field names a `Connection` value lists (lower-case), which are hop-by-hop too (RFC 9110
 * §7.6.1), or null when it lists none beyond `close` and the fields removed anyway — as it
 * almost always does (`keep-alive`, `close`).
 */
export function connectionListed(value: string): Set<string> | null {
  if (value === 'keep-alive' || value === 'close' || value === 'Keep-Alive' || value === 'Close') return null
  let names: Set<string> | null = null
  for (const name of value.split(',')) {
    const trimmed = name.trim().toLowerCase()
    if (trimmed !== '' && trimmed !== 'close' && !HOP_BY_HOP.has(trimmed)) (names ??= new Set()).add(trimmed)
  }
  return names
}

/** Fields the gateway always sets itself; the client's are dropped (trusted values are folded in). */
const SET_BY_GATEWAY = new Set(['host', 'x-request-id', 'x-forwarded-for', 'forwarded'])
const TRACE_FIELDS = new Set(['traceparent', 'tracestate'])

/**
 * The upstream request's fields as a flat `[name, value, …]` list (undici takes it as is; an
 * object built per request cost megamorphic stores here and a key list in undici). Policy edits
 * win over everything the gateway sets.
 */
export function buildUpstreamHeaders(
  incoming: IncomingHttpHeaders,
  info: ForwardingInfo,
  edits: ReadonlyMap<string, string | null> | null,
): string[] {
  const listed = incoming.connection === undefined ? null : connectionListed(incoming.connection)
  const replacesLength = info.bodyLength !== null
  const trace = info.trace
  const out: string[] = []
  for (const name in incoming) {
    const value = incoming[name]
    if (value === undefined || name.charCodeAt(0) === 58 /* : h2 pseudo-header */) continue
    if (HOP_BY_HOP.has(name) || SET_BY_GATEWAY.has(name) || (listed !== null && listed.has(name))) continue
    if (FORWARDING.has(name) && !info.peerTrusted) continue
    if ((replacesLength && name === 'content-length') || (edits !== null && edits.has(name))) continue
    if (trace !== null && TRACE_FIELDS.has(name)) continue
    if (typeof value === 'string') out.push(name, value)
    else for (const item of value) out.push(name, item)
  }
  const originalHost = incoming.host ?? incoming[':authority']
  const host = typeof originalHost === 'string' ? originalHost : undefined
  const trusted = info.peerTrusted
  const previousFor = trusted ? headerText(incoming['x-forwarded-for']) : undefined
  const previousForwarded = trusted ? headerText(incoming.forwarded) : undefined
  const element = forwardedElement(info.peerAddress, info.protocol, host)
  pushUnlessEdited(out, edits, 'host', info.upstreamHost)
  pushUnlessEdited(out, edits, 'x-request-id', info.requestId)
  pushUnlessEdited(out, edits, 'x-forwarded-for', previousFor === undefined ? info.peerAddress : `${previousFor}, ${info.peerAddress}`)
  // A trusted proxy's own X-Forwarded-Proto and -Host stand (the loop above kept them).
  if (!trusted || incoming['x-forwarded-proto'] === undefined) pushUnlessEdited(out, edits, 'x-forwarded-proto', info.protocol)
  if ((!trusted || incoming['x-forwarded-host'] === undefined) && host !== undefined) pushUnlessEdited(out, edits, 'x-forwarded-host', host)
  pushUnlessEdited(out, edits, 'forwarded', previousForwarded === undefined ? element : `${previousForwarded}, ${element}`)
  if (replacesLength) pushUnlessEdited(out, edits, 'content-length', String(info.bodyLength))
  if (trace !== null) for (let i = 0; i < trace.length; i += 2) pushUnlessEdited(out, edits, trace[i] as string, trace[i + 1] as string)
  if (edits !== null) for (const [name, value] of edits) if (value !== null) out.push(name, value)
  return out
}

function pushUnlessEdited(out: string[], edits: ReadonlyMap<string, string | null> | null, name: string, value: string): void {
  if (edits === null || !edits.has(name)) out.push(name, value)
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
