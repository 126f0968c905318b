/** Headers of the response sent to the client: the upstream's minus hop-by-hop, plus policy edits. */
import type { HeaderValue } from '../pipeline/reply.js'
import { HOP_BY_HOP } from './request-headers.js'

/**
 * Turns the upstream's headers into the client's, in place: undici hands each response a fresh
 * object, and copying it per response cost more than deleting the few fields that must go.
 */
export function buildClientResponseHeaders(
  upstream: Record<string, HeaderValue | undefined>,
  added: ReadonlyMap<string, HeaderValue> | null,
  removed: ReadonlySet<string> | null,
): Record<string, HeaderValue> {
  const connection = upstream.connection
  if (typeof connection === 'string') removeConnectionListed(upstream, connection)
  // A response has a handful of fields: one pass over them beats a lookup per hop-by-hop name.
  for (const name in upstream) if (HOP_BY_HOP.has(name)) delete upstream[name]
  if (removed !== null) for (const name of removed) delete upstream[name]
  const out = upstream as Record<string, HeaderValue>
  mergeAdded(out, added)
  return out
}

/** Removes the fields `Connection` names (RFC 9110 §7.6.1); usually it names only `keep-alive` or `close`. */
function removeConnectionListed(upstream: Record<string, HeaderValue | undefined>, connection: string): void {
  if (!connection.includes(',')) {
    const name = connection.trim().toLowerCase()
    if (!HOP_BY_HOP.has(name) && name !== 'close') delete upstream[name]
    return
  }
  for (const name of connection.split(',')) delete upstream[name.trim().toLowerCase()]
}

/** Applies policy headers; `vary` is appended to, never replaced (it lists cache keys). */
export function mergeAdded(out: Record<string, HeaderValue>, added: ReadonlyMap<string, HeaderValue> | null): void {
  if (added === null) return
  for (const [name, value] of added) {
    const existing = out[name]
    if (name === 'vary' && typeof existing === 'string' && typeof value === 'string') out[name] = `${existing}, ${value}`
    else out[name] = value
  }
}
