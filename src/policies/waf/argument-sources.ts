/**
 * What the gateway knows of a request's arguments beyond what ModSecurity sees, for the WAF: the
 * path parameters (ARGS_PATH), and — when `openapi-validation` held the request to the API's
 * document — what each value was held to (schema-aware inspection, argument-kinds.ts).
 */
import type { MatchedRoute, RequestContext } from '../../pipeline/context.js'
import type { ArgumentKind } from '../../openapi/argument-kinds.js'
import { cookiePairs } from '../../openapi/parameters.js'
import type { ArgumentInspection } from '../../waf/engine.js'
import type { Rule } from '../../waf/rules.js'

/** A segment of only these can carry no injection (words, numbers, ids, file names). */
const PLAIN_SEGMENT = /^[A-Za-z0-9._~-]*$/

/** The engine matches bytes: a decoded value as the latin1 string of its UTF-8 bytes. */
export function asBytes(value: string): string {
  // eslint-disable-next-line no-control-regex -- ASCII, the common case, is its own byte string
  return /^[\x00-\x7f]*$/.test(value) ? value : Buffer.from(value, 'utf8').toString('latin1')
}

/**
 * ARGS_PATH: a templated route's parameters by name; for an API without templates (a catch-all),
 * each decoded segment that is more than a word or a number, named by its position (1-based).
 */
export function pathArguments(route: MatchedRoute, path: string): [string, string][] {
  const out: [string, string][] = []
  if (route.template !== '*') {
    for (const [name, value] of Object.entries(route.params)) out.push([name, asBytes(value)])
    return out
  }
  const segments = path.split('/')
  for (let i = 1; i < segments.length; i++) {
    const raw = segments[i] as string
    if (PLAIN_SEGMENT.test(raw)) continue
    let decoded: string
    try {
      decoded = decodeURIComponent(raw)
    } catch {
      decoded = raw
    }
    out.push([String(i), asBytes(decoded)])
  }
  return out
}

const LEVEL: Record<ArgumentKind, 'skip' | 'high' | 'all'> = { typed: 'skip', text: 'high', identifier: 'all', other: 'all' }

/** Rules that rarely misfire on prose: the native detectors, and rules tagged `confidence/high`. */
export function isHighConfidence(rule: Rule): boolean {
  const operator = rule.operator?.name.toLowerCase()
  return operator === 'detectsqli' || operator === 'detectxss' || rule.tags.includes('confidence/high')
}

/**
 * The schema-aware inspection of a request `openapi-validation` passed, or undefined when it did
 * not hold the request to a document (no policy, an operation it does not know, a violation let
 * through in report mode).
 */
export function schemaInspection(ctx: RequestContext): ArgumentInspection | undefined {
  const validated = ctx.state.validatedRequest
  if (validated === undefined) return undefined
  const { validator, body } = validated
  let repeatedCookies: ReadonlySet<string> | undefined
  return {
    isHighConfidence,
    levelOf(collection, key) {
      switch (collection) {
        case 'ARGS_PATH':
          return LEVEL[validator.parameterKind('path', key)]
        case 'ARGS_GET':
          return LEVEL[validator.parameterKind('query', key)]
        case 'REQUEST_COOKIES':
          // The validator trims names (`id =1` is `id`) and checks the last of a repeated one; the
          // WAF keeps `id ` apart, so `id=<attack>; id =1` is one `id` to it, which the validator never checked.
          repeatedCookies ??= repeatedNames(ctx.headers.cookie)
          return repeatedCookies.has(key) ? 'all' : LEVEL[validator.parameterKind('cookie', key)]
        case 'REQUEST_HEADERS':
          return LEVEL[validator.parameterKind('header', key)]
        case 'ARGS_POST':
          if (body === null || body === undefined) return 'all'
          if (body.format === 'json') return key.startsWith('json.') ? LEVEL[validator.bodyValueKind(body.schema, key.slice(5).split('.'))] : 'all'
          return LEVEL[validator.bodyValueKind(body.schema, [key])]
      }
    },
  }
}

/** The cookie names the validator's reading of the Cookie header (or headers) finds more than once. */
function repeatedNames(header: string | string[] | undefined): ReadonlySet<string> {
  const seen = new Set<string>()
  const repeated = new Set<string>()
  if (header === undefined) return repeated
  for (const [name] of cookiePairs(Array.isArray(header) ? header.join('; ') : header)) {
    if (seen.has(name)) repeated.add(name)
    seen.add(name)
  }
  return repeated
}
