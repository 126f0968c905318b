import { Type } from '@sinclair/typebox'

const Method = Type.Union([Type.Literal('jwt'), Type.Literal('introspection'), Type.Literal('apiKey'), Type.Literal('mtls')])
const HeaderName = (fallback: string, what: string) =>
  Type.Union([Type.String({ pattern: '^[A-Za-z0-9-]+$' }), Type.Null()], { default: fallback, description: `Upstream header with ${what}; null to send none.` })

export const AuthConfig = Type.Object({
  methods: Type.Array(Method, {
    minItems: 1,
    uniqueItems: true,
    description: 'Accepted methods, in order: the first whose credential the request carries decides (a failed credential is never retried with the next method).',
  }),
  scopes: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Scopes the credential must all carry (403 insufficient_scope otherwise).' }),
  requireDpop: Type.Boolean({
    default: false,
    description: 'Accept access tokens only as `Authorization: DPoP` with a valid proof (RFC 9449; needs identity.dpop). Tokens bound to a key (`cnf.jkt`) always need their proof.',
  }),
  optional: Type.Boolean({ default: false, description: 'Let requests without any credential through, anonymous (a bad credential is still refused).' }),
  forwardCredential: Type.Boolean({ default: true, description: 'Forward the Authorization header or API key upstream; false strips it.' }),
  realm: Type.String({ default: 'api', pattern: '^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]*$', description: 'Realm named in WWW-Authenticate challenges.' }),
  headers: Type.Object(
    {
      consumerId: HeaderName('x-consumer-id', 'the consumer id'),
      consumerName: HeaderName('x-consumer-name', 'the consumer name'),
      scopes: HeaderName('x-consumer-scopes', 'the space-separated scopes'),
      roles: HeaderName('x-consumer-roles', 'the space-separated roles'),
      plan: HeaderName('x-consumer-plan', 'the plan'),
      method: HeaderName('x-auth-method', 'the method that authenticated the request'),
    },
    {
      additionalProperties: false,
      default: {},
      description: 'Identity headers for the upstream. Whatever the client sent under these names is removed first, so they cannot be spoofed.',
    },
  ),
})
