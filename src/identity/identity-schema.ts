/**
 * The `identity` section's schema: where credentials are verified (IdPs, key sets, the API-key
 * store). The `auth` policy declares the section (policies/auth/identity-section.ts) and chooses
 * per API or route which of these methods it accepts; the verifiers here read their config types.
 */
import { Type, type Static } from '@sinclair/typebox'

function httpUrl(description: string) {
  return Type.String({ format: 'uri', pattern: '^https?://[^?#]+$', 'x-message': 'must be an http:// or https:// URL without query or fragment', description })
}

const AsymmetricAlgorithm = Type.Union(
  ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'].map((a) => Type.Literal(a)),
)
const SymmetricAlgorithm = Type.Union(['HS256', 'HS384', 'HS512'].map((a) => Type.Literal(a)))

export const JwtProvider = Type.Object(
  {
    issuer: Type.Optional(
      Type.String({ minLength: 1, description: 'Expected `iss`. Without `jwksUri` or `keys`, the key set is found by OIDC discovery at `{issuer}/.well-known/openid-configuration`.' }),
    ),
    jwksUri: Type.Optional(httpUrl('URL of the JSON Web Key Set.')),
    keys: Type.Optional(
      Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, description: 'Static public keys as JWKs (instead of a key set URL).' }),
    ),
    secret: Type.Optional(
      Type.String({ minLength: 32, description: 'Shared secret for HS* tokens (at least 32 characters); use ${env:NAME} or ${file:PATH}. Never combined with public keys.' }),
    ),
    audiences: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Accepted `aud` values; a token must name one of them.' }),
    algorithms: Type.Array(Type.Union([AsymmetricAlgorithm, SymmetricAlgorithm]), {
      minItems: 1,
      default: ['RS256', 'ES256'],
      description: 'Accepted `alg` values. `none` is never accepted; HS* only with `secret`, asymmetric ones only with public keys.',
    }),
    clockToleranceSec: Type.Integer({ minimum: 0, maximum: 300, default: 30, description: 'Leeway for `exp`, `nbf` and `iat`.' }),
    typ: Type.Optional(Type.String({ description: 'Required `typ` header, e.g. `at+jwt` for RFC 9068 access tokens.' })),
    requiredClaims: Type.Array(Type.String(), { default: ['exp'], description: 'Claims every token must carry.' }),
    maxTokenAgeSec: Type.Optional(Type.Integer({ minimum: 1, description: 'Refuse tokens issued (`iat`) longer ago than this.' })),
    scopeClaim: Type.String({ default: 'scope', description: 'Claim holding the scopes (a space-separated string or an array); `scp` is read too.' }),
    rolesClaim: Type.String({ default: 'roles', description: 'Claim holding the roles (an array or a space-separated string).' }),
    consumerClaim: Type.String({ default: 'sub', description: 'Claim naming the consumer (principal id).' }),
    requireCertificateBound: Type.Boolean({
      default: false,
      description: 'Accept only tokens bound to the client certificate (RFC 8705 `cnf.x5t#S256`). Bound tokens are always checked against the certificate.',
    }),
    cacheVerified: Type.Boolean({ default: true, description: 'Remember verified tokens (by SHA-256) until they expire, so each is verified once.' }),
    jwks: Type.Object(
      {
        minRefreshSec: Type.Integer({ minimum: 1, default: 60, description: 'Shortest interval between key-set fetches, whatever the cache headers say.' }),
        maxRefreshSec: Type.Integer({ minimum: 1, default: 3600, description: 'Longest a fetched key set is used before it is fetched again.' }),
        unknownKidCooldownSec: Type.Integer({
          minimum: 1,
          default: 30,
          description: 'A token with an unknown `kid` triggers at most one fetch per this interval, shared by all such tokens.',
        }),
        timeoutMs: Type.Integer({ minimum: 1, default: 5000, description: 'Timeout of one fetch.' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, description: 'JWT bearer tokens (`jwt` method).' },
)
export type JwtProviderConfig = Static<typeof JwtProvider>

export const Introspection = Type.Object(
  {
    endpoint: Type.Optional(httpUrl('RFC 7662 introspection endpoint; found by OIDC discovery from `issuer` when absent.')),
    issuer: Type.Optional(Type.String({ minLength: 1, description: 'Issuer for discovery, and the expected `iss` of active tokens when given.' })),
    clientId: Type.String({ minLength: 1, description: 'Client id the gateway authenticates to the endpoint with.' }),
    clientSecret: Type.String({ minLength: 1, description: 'Client secret; use ${env:NAME} or ${file:PATH}.' }),
    clientAuth: Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post')], { default: 'client_secret_basic' }),
    audiences: Type.Array(Type.String(), { default: [], description: 'When not empty, an active token’s `aud` must name one of these.' }),
    cacheMaxSec: Type.Integer({ minimum: 0, default: 300, description: 'Longest an active result is cached (never past the token’s `exp`).' }),
    negativeCacheSec: Type.Integer({ minimum: 0, default: 10, description: 'How long an inactive result is cached.' }),
    timeoutMs: Type.Integer({ minimum: 1, default: 5000 }),
    scopeClaim: Type.String({ default: 'scope' }),
    rolesClaim: Type.String({ default: 'roles' }),
    consumerClaim: Type.String({ default: 'sub', description: 'Member naming the consumer; `client_id` is used when it is absent.' }),
  },
  { additionalProperties: false, description: 'OAuth 2.0 token introspection for opaque tokens (`introspection` method).' },
)
export type IntrospectionConfig = Static<typeof Introspection>

export const ApiKeys = Type.Object(
  {
    header: Type.String({ default: 'x-api-key', pattern: '^[A-Za-z0-9-]+$', description: 'Request header carrying the key.' }),
    queryParameter: Type.Optional(
      Type.String({ minLength: 1, description: 'Also accept the key from this query parameter. Keys in URLs end up in logs and caches: avoid.' }),
    ),
    cacheSec: Type.Integer({
      minimum: 0,
      maximum: 60,
      default: 5,
      description: 'How long a key (or a certificate consumer) looked up in the data store is remembered; revocation reaches every node within this.',
    }),
    staleIfErrorSec: Type.Integer({
      minimum: 0,
      maximum: 86400,
      default: 300,
      description:
        'While the data store is unreachable, keys looked up within this long before keep working (revocations cannot reach the gateway then either); 0 refuses every key (503) once its cache entry expires.',
    }),
  },
  { additionalProperties: false, default: {}, description: 'API keys issued by the gateway (`apiKey` method).' },
)
export type ApiKeysConfig = Static<typeof ApiKeys>

export const Mtls = Type.Object(
  {
    consumerFrom: Type.Union([Type.Literal('subject.CN'), Type.Literal('san.dns'), Type.Literal('san.email'), Type.Literal('san.uri'), Type.Literal('thumbprint')], {
      default: 'subject.CN',
      description: 'Which part of the verified client certificate names the consumer.',
    }),
    requireConsumer: Type.Boolean({ default: false, description: 'Accept only certificates whose name is a consumer id in the data store.' }),
  },
  { additionalProperties: false, default: {}, description: 'Verified client certificates as identities (`mtls` method).' },
)
export type MtlsConfig = Static<typeof Mtls>

export const Dpop = Type.Object(
  {
    algorithms: Type.Array(AsymmetricAlgorithm, {
      minItems: 1,
      default: ['ES256', 'EdDSA', 'RS256', 'PS256'],
      description: 'Accepted `alg` values of DPoP proofs (asymmetric only).',
    }),
    maxAgeSec: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 300,
      description: 'How old a proof may be (its `iat`); its `jti` is remembered this long so a proof cannot be replayed.',
    }),
    clockToleranceSec: Type.Integer({ minimum: 0, maximum: 300, default: 5, description: 'Leeway for a client clock ahead of the gateway’s.' }),
  },
  {
    additionalProperties: false,
    description: 'DPoP (RFC 9449): `Authorization: DPoP <token>` with a `DPoP` proof header, for access tokens bound to the client’s key (`cnf.jkt`).',
  },
)
export type DpopConfig = Static<typeof Dpop>

export const Identity = Type.Object(
  {
    jwt: Type.Optional(JwtProvider),
    introspection: Type.Optional(Introspection),
    apiKeys: ApiKeys,
    mtls: Mtls,
    dpop: Type.Optional(Dpop),
  },
  { additionalProperties: false, default: {}, description: 'How credentials are verified; the `auth` policy picks the methods.' },
)
export type IdentityConfig = Static<typeof Identity>
