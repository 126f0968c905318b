/** Headers of the response sent to the client: the upstream's minus hop-by-hop, plus policy edits. */
import { util as undiciUtil } from 'undici'
import type { HeaderValue } from '../pipeline/reply.js'
import { connectionListed, HOP_BY_HOP } from './request-headers.js'

const { headerNameToString } = undiciUtil

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
  // Repeated fields come as an array: `Connection: close` and `Connection: X-Private` list both.
  const listed = connection === undefined ? null : connectionListed(typeof connection === 'string' ? connection : connection.join(', '))
  if (listed !== null) for (const name of listed) delete upstream[name]
  // A response has a handful of fields: one pass over them beats a lookup per hop-by-hop name.
  for (const name in upstream) if (HOP_BY_HOP.has(name)) delete upstream[name]
  if (removed !== null) for (const name of removed) delete upstream[name]
  const out = upstream as Record<string, HeaderValue>
  mergeAdded(out, added)
  return out
}

/** Applies policy headers; `vary` is appended to, never replaced (it lists cache keys). */
export function mergeAdded(out: Record<string, HeaderValue>, added: ReadonlyMap<string, HeaderValue> | null): void {
  if (added === null) return
  for (const [name, value] of added) {
    const existing = out[name]
    // Repeated upstream `Vary` fields (an array) are kept, the policy's names after them.
    if (name === 'vary' && existing !== undefined) out[name] = [existing, value].flat().join(', ')
    else out[name] = value
  }
}

/**
 * The client's header fields as a flat `[name, value, …]` list made straight from undici's raw
 * fields, minus hop-by-hop ones, with the policies' edits (`removed`, then `added` as
 * `buildClientResponseHeaders` applies them) and the gateway's request id: for the common
 * response that no policy reads, this skips building an object, deleting from it (which turns it
 * into a slow dictionary) and reading it back. Names come out lower-case, duplicates
 * (`set-cookie`) stay separate fields.
 */
export function clientFieldList(
  raw: readonly (Buffer | string)[],
  requestId: string,
  added: ReadonlyMap<string, HeaderValue> | null = null,
  removed: ReadonlySet<string> | null = null,
): string[] {
  const out: string[] = []
  let connection: string | null = null
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = headerNameToString(raw[i] as Buffer | string)
    const field = raw[i + 1] as Buffer | string
    const value = typeof field === 'string' ? field : field.toString('latin1')
    if (name === 'connection') connection = connection === null ? value : `${connection}, ${value}`
    else if (HOP_BY_HOP.has(name) || name === 'x-request-id') continue
    else if (removed !== null && removed.has(name)) continue
    else if (added !== null && name !== 'vary' && added.has(name)) continue
    else out.push(name, value)
  }
  const fields = connection === null ? out : withoutConnectionListed(out, connection)
  if (added !== null) appendAdded(fields, added)
  fields.push('x-request-id', requestId)
  return fields
}

/** The policies' fields after the upstream's; `vary` is appended to, never replaced (it lists cache keys). */
function appendAdded(fields: string[], added: ReadonlyMap<string, HeaderValue>): void {
  for (const [name, value] of added) {
    if (name === 'vary' && typeof value === 'string') {
      let at = 0
      while (at < fields.length && fields[at] !== 'vary') at += 2
      if (at < fields.length) {
        fields[at + 1] = `${fields[at + 1] as string}, ${value}`
        continue
      }
    }
    if (typeof value === 'string') fields.push(name, value)
    else for (const item of value) fields.push(name, item)
  }
}

/** Drops the fields `Connection` names from a `[name, value, …]` list. */
function withoutConnectionListed(fields: string[], connection: string): string[] {
  const listed = connectionListed(connection)
  if (listed === null) return fields
  const kept: string[] = []
  for (let i = 0; i < fields.length; i += 2) if (!listed.has(fields[i] as string)) kept.push(fields[i] as string, fields[i + 1] as string)
  return kept
}
