/** Headers of the response sent to the client: the upstream's minus hop-by-hop, plus policy edits. */
import type { HeaderValue } from '../pipeline/reply.js'
import { HOP_BY_HOP } from './request-headers.js'

export function buildClientResponseHeaders(
  upstream: Readonly<Record<string, HeaderValue | undefined>>,
  added: ReadonlyMap<string, HeaderValue> | null,
  removed: ReadonlySet<string> | null,
): Record<string, HeaderValue> {
  const connection = upstream.connection
  const listed = typeof connection === 'string' ? connection.toLowerCase().split(',').map((s) => s.trim()) : null
  const out: Record<string, HeaderValue> = {}
  for (const name in upstream) {
    const value = upstream[name]
    if (value === undefined || HOP_BY_HOP.has(name) || (removed !== null && removed.has(name))) continue
    if (listed !== null && listed.includes(name)) continue
    out[name] = value
  }
  mergeAdded(out, added)
  return out
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
