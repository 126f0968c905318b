import { Type, type Static } from '@sinclair/typebox'

export const LimitKeyPart = Type.Union([Type.Literal('consumer'), Type.Literal('apiKey'), Type.Literal('ip'), Type.Literal('route'), Type.Literal('api'), Type.String({ pattern: '^header:[A-Za-z0-9-]+$' })], {
  description:
    'What one counter covers: `consumer` (the principal; anonymous requests count by client address), `apiKey`, `ip` (IPv6 grouped by `ipv6Prefix`), `route`, `api`, or `header:<name>`.',
})

export const Limit = Type.Object(
  {
    name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,40}$', description: 'Names the limit in the RateLimit headers and admin reads; default `<kind><index>`.' })),
    // Optional rather than defaulted: route overrides are validated before defaults are filled.
    per: Type.Optional(Type.Union([LimitKeyPart, Type.Array(LimitKeyPart, { minItems: 1, maxItems: 4 })], { description: 'The key, or several combined (default `consumer`).' })),
    rate: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?/(s|m|h|d)$', 'x-message': 'must be like 100/s, 30/m, 1000/h or 5000/d', description: 'A rate with bursts (GCRA), e.g. `100/s`.' })),
    burst: Type.Optional(Type.Integer({ minimum: 1, description: 'With `rate`: units allowed at once (default: the rate’s count).' })),
    window: Type.Optional(Type.String({ pattern: '^[0-9]+(s|m|h|d)$', 'x-message': 'must be like 90s, 15m, 1h or 1d', description: 'A sliding window, with `limit`.' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, description: 'With `window`: units allowed in any such window (sliding-window counter).' })),
    quota: Type.Optional(
      Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?(e[0-9]+)?/(day|month)$', 'x-message': 'must be like 10000/day or 1e6/month', description: 'A quota per calendar day or month, e.g. `1e6/month`.' }),
    ),
    timeZone: Type.Optional(Type.String({ description: 'With `quota`: the IANA time zone whose midnight starts a day or month (default UTC).' })),
  },
  { additionalProperties: false, description: 'One of `rate` (+ `burst`), `window` + `limit`, or `quota`.' },
)
export type LimitConfig = Static<typeof Limit>

export const Plans = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }),
  Type.Object({ limits: Type.Array(Limit, { minItems: 1 }) }, { additionalProperties: false }),
  { default: {}, description: 'Limits by plan (tier), defined once: a consumer’s `plan` selects them wherever `rate-limit` applies (`plans: true`). A `default` plan applies to principals without a known plan.' },
)
export type PlansConfig = Static<typeof Plans>

export const RateLimitConfig = Type.Object({
  limits: Type.Array(Limit, { default: [], description: 'Limits on every request of the API (or route); all must pass.' }),
  plans: Type.Boolean({ default: true, description: 'Also apply the limits of the principal’s plan (top-level `plans`).' }),
  headers: Type.Union([Type.Literal('ietf'), Type.Literal('legacy'), Type.Literal('both'), Type.Literal('none')], {
    default: 'ietf',
    description: '`ietf`: `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers); `legacy`: `X-RateLimit-Limit`, `-Remaining`, `-Reset`; `both`; `none`.',
  }),
  ban: Type.Optional(
    Type.Object(
      {
        after: Type.Integer({ minimum: 1, description: 'Refusals within `within` that ban the refused limit’s subject (its key: a consumer, an address…).' }),
        within: Type.String({ pattern: '^[0-9]+(s|m|h|d)$', default: '1m', description: 'The window refusals are counted in.' }),
        for: Type.String({ pattern: '^[0-9]+(s|m|h|d)$', default: '15m', description: 'How long a ban lasts; every request of the subject is refused meanwhile, on every node sharing the store.' }),
      },
      { additionalProperties: false, description: 'Temporary bans for subjects that keep exceeding a limit; listed and lifted through the admin API.' },
    ),
  ),
  concurrency: Type.Optional(
    Type.Object(
      {
        per: Type.Optional(Type.Union([LimitKeyPart, Type.Array(LimitKeyPart, { minItems: 1, maxItems: 4 })], { description: 'The key (default `consumer`).' })),
        max: Type.Integer({ minimum: 1, description: 'Requests in flight at once per key, on each node.' }),
        queue: Type.Integer({ minimum: 0, default: 0, description: 'Requests that may wait for a slot; past it 503 at once.' }),
        queueTimeout: Type.String({ pattern: '^[0-9]+(ms|s|m)$', default: '1s', description: 'How long a request may wait for a slot; then 503.' }),
      },
      { additionalProperties: false, description: 'In-flight limits per key on each node (requests in flight are the node’s own resource).' },
    ),
  ),
  ipv6Prefix: Type.Integer({ minimum: 1, maximum: 128, default: 64, description: 'IPv6 clients are counted by this prefix (a /64 is usually one subscriber).' }),
})
