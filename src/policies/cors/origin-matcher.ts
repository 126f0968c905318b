/** Compiles an origin allowlist into a predicate: exact origins, `*.` subdomain wildcards, or `*`. */

const ORIGIN = /^(https?):\/\/(\*\.)?([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/

/** True when `text` is an origin the allowlist can hold. */
export function isValidOriginPattern(text: string): boolean {
  return text === '*' || ORIGIN.test(text)
}

export function createOriginMatcher(patterns: readonly string[]): (origin: string) => boolean {
  if (patterns.includes('*')) return () => true
  const exact = new Set<string>()
  const suffixes: { scheme: string; suffix: string; port: string }[] = []
  for (const pattern of patterns) {
    const match = ORIGIN.exec(pattern)
    if (match === null) continue
    if (match[2] === undefined) exact.add(pattern)
    else suffixes.push({ scheme: `${match[1]}://`, suffix: `.${match[3]}`, port: match[4] ?? '' })
  }
  return (origin) => {
    const lower = origin.toLowerCase()
    if (exact.has(lower)) return true
    for (const { scheme, suffix, port } of suffixes) {
      if (!lower.startsWith(scheme)) continue
      const hostPort = lower.slice(scheme.length)
      if (port !== '' && !hostPort.endsWith(port)) continue
      const host = port === '' ? hostPort : hostPort.slice(0, -port.length)
      // One or more labels before the suffix; the bare parent domain is not a subdomain.
      if (host.endsWith(suffix) && host.length > suffix.length && !host.includes(':')) return true
    }
    return false
  }
}
