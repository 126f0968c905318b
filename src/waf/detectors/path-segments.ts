/**
 * A path's segments as values of their own, for detectors whose shapes start where a value
 * starts (`@detectSQLi` reads `1 UNION SELECT …` as an injection, not `/users/1 UNION SELECT …`):
 * a path parameter is pasted into a query on its own, like a query argument. Used by
 * `@detectSQLiInPath` on REQUEST_FILENAME when the route's parameters are not known (ARGS_PATH).
 */

/** Segments read per path: a longer path is not split further (its first segments are still read). */
const MAX_SEGMENTS = 64

/** The first non-null answer of `detect` over the path's non-empty segments. */
export function inPathSegments<T>(path: string, detect: (segment: string) => T | null): T | null {
  let start = 0
  for (let count = 0; start <= path.length && count < MAX_SEGMENTS; count++) {
    const slash = path.indexOf('/', start)
    const end = slash === -1 ? path.length : slash
    if (end > start) {
      const found = detect(path.slice(start, end))
      if (found !== null) return found
    }
    if (slash === -1) break
    start = slash + 1
  }
  return null
}
