/**
 * Splits a raw request path into decoded segments, refusing what could make the gateway and the
 * upstream disagree about which resource is addressed: dot segments, encoded `/` or `\`, NUL,
 * malformed percent-encoding and invalid UTF-8. The raw path is forwarded unchanged, so the
 * upstream sees exactly the path the router matched.
 */

const VISIBLE_ASCII = /^[\x21-\x7e]*$/

/** Decoded segments, or null when the path must be refused with 400. */
export function splitPath(path: string): string[] | null {
  if (path.charCodeAt(0) !== 47 /* / */) return null
  if (path.length === 1) return []
  // RFC 3986 allows only visible ASCII in a path; raw bytes beyond it must be percent-encoded.
  if (!VISIBLE_ASCII.test(path)) return null
  const raw = path.slice(1).split('/')
  // Most paths have nothing to decode and no dot segment: the split is the answer.
  if (!path.includes('%') && !path.includes('/.') && !path.includes('\\')) return raw
  const out = new Array<string>(raw.length)
  for (let i = 0; i < raw.length; i++) {
    let segment = raw[i] as string
    if (segment.includes('%')) {
      const lower = segment.toLowerCase()
      if (lower.includes('%2f') || lower.includes('%5c') || lower.includes('%00')) return null
      try {
        segment = decodeURIComponent(segment)
      } catch {
        return null
      }
    }
    if (segment === '.' || segment === '..' || segment.includes('\\')) return null
    out[i] = segment
  }
  return out
}
