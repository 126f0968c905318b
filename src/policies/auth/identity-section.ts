/**
 * The top-level `identity` section, which the auth policy declares as its own: how credentials
 * are verified (IdPs, key sets, API keys, certificates, DPoP). The schema lives beside the
 * verifiers that read it (identity/identity-schema.ts); the checks it cannot express are here.
 */
import type { ConfigProblem } from '../../errors.js'
import { Identity, type IdentityConfig } from '../../identity/identity-schema.js'
import type { PolicySection } from '../../pipeline/define-policy.js'

const SYMMETRIC = /^HS/

export const identitySection: PolicySection<typeof Identity> = {
  schema: Identity,
  check({ jwt, introspection }) {
    const problems: ConfigProblem[] = []
    if (jwt !== undefined) {
      const sources = [jwt.jwksUri, jwt.keys, jwt.secret].filter((s) => s !== undefined).length
      if (sources > 1) problems.push({ path: 'jwt', message: 'must have only one of jwksUri, keys or secret' })
      if (sources === 0 && jwt.issuer === undefined) problems.push({ path: 'jwt', message: 'must have issuer (for OIDC discovery), jwksUri, keys or secret' })
      jwt.algorithms.forEach((alg, index) => {
        const symmetric = SYMMETRIC.test(alg)
        // Key confusion: a public key must never verify an HMAC, a secret never stands for a public key.
        if (symmetric && jwt.secret === undefined) problems.push({ path: `jwt.algorithms[${index}]`, message: `${alg} needs identity.jwt.secret; public keys only verify asymmetric algorithms` })
        if (!symmetric && jwt.secret !== undefined) problems.push({ path: `jwt.algorithms[${index}]`, message: `${alg} cannot be verified with a shared secret` })
      })
      if (jwt.jwks.minRefreshSec > jwt.jwks.maxRefreshSec) problems.push({ path: 'jwt.jwks.minRefreshSec', message: 'must not exceed maxRefreshSec' })
    }
    if (introspection !== undefined && introspection.endpoint === undefined && introspection.issuer === undefined) {
      problems.push({ path: 'introspection', message: 'must have endpoint or issuer (for OIDC discovery)' })
    }
    return problems
  },
}

/** The loaded `identity` section of a validated config (for the CLI, which reads `apiKeys.cacheSec`). */
export function identityConfigOf(config: Readonly<Record<string, unknown>>): IdentityConfig {
  return config.identity as IdentityConfig
}
