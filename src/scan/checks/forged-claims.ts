/**
 * Claims for tokens the scan signs once it knows the secret, and how to tell whose answer a
 * response is: the weak-secret check proves it can be another user and an administrator.
 */
import type { Identity } from '../identities.js'

/** The identity fields that say who an identity is, where the scan's identities carry them. */
type DescribedIdentity = Identity & { readonly role?: 'user' | 'admin'; readonly username?: string }

/** The identity declared as the administrator, if any. */
export function adminIdentity(identities: readonly Identity[]): Identity | undefined {
  return identities.find((identity) => (identity as DescribedIdentity).role === 'admin')
}

/** The claims with a fresh `iat` and an `exp` an hour ahead: a copied token may have expired. */
export function freshClaims(claims: Record<string, unknown>): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return { ...claims, iat: now, exp: now + 3600 }
}

/** The claims with every common spelling of "administrator" added. */
export function escalatedClaims(claims: Record<string, unknown>): Record<string, unknown> {
  const roles: unknown[] = Array.isArray(claims.roles) ? (claims.roles as unknown[]) : []
  const scope = typeof claims.scope === 'string' && claims.scope !== '' ? `${claims.scope} admin` : 'admin'
  return { ...claims, role: 'admin', admin: true, isAdmin: true, is_admin: true, roles: [...roles, 'admin'], scope }
}

const IDENTITY_CLAIMS = ['sub', 'username', 'preferred_username', 'email'] as const

/** Values naming the identity: its declared username and its token's subject, username and email. */
export function identityMarkers(identity: Identity, claims: Record<string, unknown> | undefined): string[] {
  const values = [(identity as DescribedIdentity).username, ...IDENTITY_CLAIMS.map((claim) => claims?.[claim])]
  return [...new Set(values.filter((value): value is string => typeof value === 'string' && value.length >= 2))]
}

const NAME_CHARACTER = /[\w.@-]/

/** Whether `text` holds `marker` as a whole value, not inside a longer one (`bob` in `bobby`). */
export function mentions(text: string, marker: string): boolean {
  for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, at + 1)) {
    if (!NAME_CHARACTER.test(text.charAt(at - 1)) && !NAME_CHARACTER.test(text.charAt(at + marker.length))) return true
  }
  return false
}
