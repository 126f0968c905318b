/**
 * Ownership checked on a response body (OWASP API1, BOLA): every object in the JSON body (each
 * element of a list) must carry an owner field equal to the principal's id, claim or metadata.
 * Anything that cannot be checked is refused.
 */
import type { Principal } from '../../identity/principal.js'

export type OwnerOutcome = 'owner' | 'not_owner' | 'no_owner_field' | 'unreadable'

export function createOwnerCheck(owner: { field: string; principal: string }): (body: Buffer, principal: Principal | undefined) => OwnerOutcome {
  const fieldPath = owner.field.split('.')
  const [source, ...rest] = owner.principal.split('.')
  const expectedOf = (principal: Principal): unknown => {
    if (source === 'id') return principal.id
    const base: unknown = source === 'claims' ? principal.claims : source === 'metadata' ? principal.metadata : undefined
    return rest.reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined), base)
  }
  const fieldOf = (item: unknown): unknown => fieldPath.reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined), item)
  return (body, principal) => {
    if (principal === undefined) return 'not_owner'
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      return 'unreadable'
    }
    const expected = scalar(expectedOf(principal))
    if (expected === null) return 'not_owner'
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      const actual = fieldOf(item)
      if (actual === undefined) return 'no_owner_field'
      if (scalar(actual) !== expected) return 'not_owner'
    }
    return 'owner'
  }
}

/** A string or number as text (ids are compared as text: 42 and "42" are one owner); else null. */
function scalar(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null
}
