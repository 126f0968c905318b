/**
 * Route templates (`/orders/{id}`, `/files/{name}.{ext}`) parsed into segments the route tree
 * indexes. A parameter spans at most one path segment, as in OpenAPI.
 */

export type TemplateSegment =
  | { kind: 'static'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'pattern'; source: string; regex: RegExp; names: string[] }

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
    else segments.push({ kind: 'pattern', source: part, regex: patternRegex(part), names })
  }
  return { segments, paramNames }
}

function patternRegex(part: string): RegExp {
  let source = '^'
  let last = 0
  for (const match of part.matchAll(PARAM)) {
    source += escapeRegex(part.slice(last, match.index)) + '(.+?)'
    last = (match.index ?? 0) + match[0].length
  }
  return new RegExp(`${source}${escapeRegex(part.slice(last))}$`)
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
