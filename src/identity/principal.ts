/** The authenticated identity handed to later policies (authz, rate limits, logs) and the upstream. */
export type AuthMethod = 'jwt' | 'introspection' | 'apiKey' | 'mtls'

export interface Principal {
  /** The consumer's id: a token's subject (or client id), an API key's owner, a certificate's name. */
  readonly id: string
  readonly method: AuthMethod
  readonly name: string | null
  readonly roles: readonly string[]
  readonly scopes: readonly string[]
  readonly plan: string | null
  /** Token claims (JWT or introspection), empty for API keys and certificates. */
  readonly claims: Readonly<Record<string, unknown>>
  /** The consumer's metadata from the data store, when there is a consumer record. */
  readonly metadata: Readonly<Record<string, unknown>>
  /** OAuth client the token was issued to, when known. */
  readonly clientId: string | null
  /** The API key's public id, for `apiKey`. */
  readonly keyId: string | null
  /** When the credential stops being valid, ms since the epoch; null when it does not expire. */
  readonly expiresAt: number | null
}

declare module '../pipeline/context.js' {
  interface RequestState {
    principal?: Principal
  }
}

/** Scopes from a claim that is a space-separated string (RFC 8693 §4.2) or an array. */
export function scopesFrom(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((s) => s !== '')
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string')
  return []
}
