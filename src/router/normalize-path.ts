/**
 * Splits a raw request path into decoded segments for routing, and says how risky the raw path
 * is to forward. The raw path is forwarded unchanged; what the router and the policies see is the
 * decoded segment, so `group%2Fproject` is one segment whose value is `group/project` (GitLab
 * project ids, Azure resource ids, OPA data paths, object keys).
 *
 * Only what cannot be decoded is unroutable: raw bytes outside visible ASCII (RFC 3986 §3.3),
 * malformed percent-encoding, invalid UTF-8. Everything else is routed, and its hazard is judged
 * where the request would be forwarded, after the policies (the WAF among them) have seen it:
 * - `ambiguous`: an upstream could address another resource than the gateway routed — a dot
 *   segment, raw or hidden behind an encoded `/` or `\` (`a%2F..%2Fadmin`), a raw `\` (WHATWG URL
 *   readers take it for `/`), or NUL. Never forwarded.
 * - `encoded-separator`: a decoded segment holds `/` or `\` (`%2F`, `%5C`), which an upstream that
 *   decodes them before routing would split. Forwarded unless `server.encodedSlashes` is `reject`
 *   (Envoy's `path_with_escaped_slashes_action`, which also keeps them by default).
 */

export type PathHazard = 'none' | 'encoded-separator' | 'ambiguous'

/** `server.encodedSlashes`. */
export type EncodedSlashes = 'forward' | 'reject'

export interface SplitPath {
  /** Decoded segments, one per raw `/`-separated segment. */
  readonly segments: string[]
  readonly hazard: PathHazard
}

const VISIBLE_ASCII = /^[\x21-\x7e]*$/
/** A dot segment between separators or the segment's ends, once `/` and `\` count as separators. */
const HIDDEN_DOT_SEGMENT = /(?:^|[/\\])\.\.?(?:[/\\]|$)/
const SEPARATOR = /[/\\]/

/** The decoded segments and the path's hazard, or null when the path cannot be routed (400). */
export function splitPath(path: string): SplitPath | null {
  if (path.charCodeAt(0) !== 47 /* / */) return null
  if (path.length === 1) return { segments: [], hazard: 'none' }
  if (!VISIBLE_ASCII.test(path)) return null
  const raw = path.slice(1).split('/')
  // Most paths have nothing to decode and no dot segment: the split is the answer.
  if (!path.includes('%') && !path.includes('/.') && !path.includes('\\')) return { segments: raw, hazard: 'none' }
  const segments = new Array<string>(raw.length)
  let hazard: PathHazard = 'none'
  for (let i = 0; i < raw.length; i++) {
    const encoded = raw[i] as string
    let segment = encoded
    if (encoded.includes('%')) {
      try {
        segment = decodeURIComponent(encoded)
      } catch {
        return null
      }
    }
    segments[i] = segment
    if (hazard === 'ambiguous') continue
    if (encoded.includes('\\') || segment.includes('\0') || HIDDEN_DOT_SEGMENT.test(segment)) hazard = 'ambiguous'
    else if (SEPARATOR.test(segment)) hazard = 'encoded-separator'
  }
  return { segments, hazard }
}

/** Whether a path of this hazard must not reach the upstream under the `server.encodedSlashes` setting. */
export function refusesToForward(hazard: PathHazard, encodedSlashes: EncodedSlashes): boolean {
  return hazard === 'ambiguous' || (hazard === 'encoded-separator' && encodedSlashes === 'reject')
}
