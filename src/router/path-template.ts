/**
 * Route templates (`/orders/{id}`, `/files/{name}.{ext}`) parsed into segments the route tree
 * indexes. A parameter spans at most one path segment, as in OpenAPI.
 */

export type TemplateSegment =
  | { kind: 'static'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'pattern'; source: string; match: (segment: string) => string[] | null; names: string[] }

export interface ParsedTemplate {
  segments: TemplateSegment[]
  paramNames: string[]
}

const PARAM = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g
const WHOLE_PARAM = /^\{[A-Za-z_][A-Za-z0-9_.-]*\}$/

/** Parses a template; throws an Error whose message says what is wrong. */
export function parseTemplate(template: string): ParsedTemplate {
  if (!template.startsWith('/')) throw new Error('must start with /')
  if (template.includes('?') || template.includes('#')) throw new Error('must not contain a query or fragment')
  const segments: TemplateSegment[] = []
  const paramNames: string[] = []
  const parts = template === '/' ? [] : template.slice(1).split('/')
  for (const part of parts) {
    // Fast paths for the common shapes; tens of thousands of templates load at every reload.
    if (!part.includes('{') && !part.includes('}')) {
      segments.push({ kind: 'static', value: part })
      continue
    }
    if (part.startsWith('{') && part.indexOf('{', 1) === -1 && part.indexOf('}') === part.length - 1 && WHOLE_PARAM.test(part)) {
      const name = part.slice(1, -1)
      if (paramNames.includes(name)) throw new Error(`repeats the parameter {${name}}`)
      paramNames.push(name)
      segments.push({ kind: 'param', name })
      continue
    }
    const names = [...part.matchAll(PARAM)].map((m) => m[1] as string)
    const leftover = part.replace(PARAM, '')
    if (leftover.includes('{') || leftover.includes('}')) throw new Error(`has an unbalanced or invalid parameter in "${part}"`)
    for (const name of names) {
      if (paramNames.includes(name)) throw new Error(`repeats the parameter {${name}}`)
      paramNames.push(name)
    }
    if (names.length === 0) segments.push({ kind: 'static', value: part })
    else if (part === `{${names[0]}}`) segments.push({ kind: 'param', name: names[0] as string })
    else segments.push({ kind: 'pattern', source: part, match: patternMatcher(part), names })
  }
  return { segments, paramNames }
}

/** Characters `.` does not match: no parameter value holds one. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/

/**
 * A matcher of segments like `{name}.{ext}`, returning the parameters' values: what
 * `^name(.+?)\.(.+?)$` captures, found without backtracking. Each value takes at least one
 * character; the literal after it is its leftmost occurrence (a later one leaves the values after
 * it no more room), the last literal ends the segment. The regex retried every split of the
 * segment: quadratic with two parameters, cubic with three (8 KB of `-` in `{a}-{b}-{c}`: 57 s).
 */
function patternMatcher(part: string): (segment: string) => string[] | null {
  const literals: string[] = []
  let last = 0
  for (const match of part.matchAll(PARAM)) {
    literals.push(part.slice(last, match.index))
    last = (match.index ?? 0) + match[0].length
  }
  literals.push(part.slice(last))
  // A literal holding a line terminator (no real template has one) is left to the regex.
  if (literals.some((literal) => LINE_TERMINATOR.test(literal))) {
    const regex = new RegExp(`^${literals.map(escapeRegex).join('(.+?)')}$`)
    return (segment) => regex.exec(segment)?.slice(1) ?? null
  }
  const first = literals[0] as string
  const final = literals.at(-1) as string
  return (segment) => {
    const end = segment.length - final.length
    if (end < first.length || !segment.startsWith(first) || !segment.endsWith(final) || LINE_TERMINATOR.test(segment)) return null
    const values: string[] = []
    let at = first.length
    for (let i = 1; i < literals.length - 1; i++) {
      const literal = literals[i] as string
      const found = segment.indexOf(literal, at + 1)
      if (found === -1 || found + literal.length >= end) return null
      values.push(segment.slice(at, found))
      at = found + literal.length
    }
    if (at >= end) return null
    values.push(segment.slice(at, end))
    return values
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
