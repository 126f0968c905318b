/**
 * Each operation's rule from its OpenAPI `security` requirements: public (`security: []` or an
 * empty alternative), undeclared (no `security` anywhere), or alternatives of schemes and scopes,
 * with the authentication methods that can satisfy each scheme type.
 */
import type { AuthMethod, Principal } from '../../identity/principal.js'
import type { SchemeRequirement } from '../../openapi/list-operations.js'

/** Which authentication methods can satisfy a scheme of each OpenAPI type. */
const METHODS_OF_SCHEME: Readonly<Record<string, readonly AuthMethod[]>> = {
  oauth2: ['jwt', 'introspection'],
  openIdConnect: ['jwt', 'introspection'],
  http: ['jwt', 'introspection'],
  apiKey: ['apiKey'],
  mutualTLS: ['mtls'],
}

export interface Alternative {
  /** Methods that can satisfy every scheme of the alternative. */
  readonly methods: ReadonlySet<AuthMethod>
  readonly scopes: readonly string[]
  /** The schemes as the document names them, for explanations. */
  readonly schemes: readonly string[]
}

export type Rule = { kind: 'public' } | { kind: 'undeclared' } | { kind: 'requirements'; alternatives: readonly Alternative[] }

export const UNDECLARED: Rule = { kind: 'undeclared' }

export function ruleOf(security: readonly (readonly SchemeRequirement[])[] | null, unknownSchemes: Set<string>): Rule {
  if (security === null) return UNDECLARED
  // OpenAPI: `[]`, or an alternative `{}`, means no authentication is needed.
  if (security.length === 0 || security.some((alternative) => alternative.length === 0)) return { kind: 'public' }
  return {
    kind: 'requirements',
    alternatives: security.map((alternative) => {
      let methods: Set<AuthMethod> | null = null
      for (const requirement of alternative) {
        const accepted = METHODS_OF_SCHEME[requirement.type] ?? []
        if (accepted.length === 0) unknownSchemes.add(requirement.scheme)
        methods = new Set(methods === null ? accepted : accepted.filter((m) => (methods as Set<AuthMethod>).has(m)))
      }
      return { methods: methods ?? new Set(), scopes: [...new Set(alternative.flatMap((r) => r.scopes))], schemes: alternative.map((r) => r.scheme) }
    }),
  }
}

/** Why no alternative is satisfied, for denials: what each needs and what the principal has. */
export function explainUnmet(alternatives: readonly Alternative[], principal: Principal, scopes: ReadonlySet<string>): string {
  const needs = alternatives.map((a) => `${a.schemes.join('+')} (${[...a.methods].join('/') || 'no method'})${a.scopes.length === 0 ? '' : ` with ${a.scopes.join(' ')}`}`)
  return `needs ${needs.join(' or ')}; the principal authenticated by ${principal.method} with scopes ${scopes.size === 0 ? '(none)' : [...scopes].join(' ')} (its own and its roles')`
}
