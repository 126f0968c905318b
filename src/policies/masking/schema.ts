import { Type } from '@sinclair/typebox'

const StrategyName = Type.Union(['redact', 'partial', 'hash', 'drop', 'none'].map((s) => Type.Literal(s)), {
  description: '`redact`, `partial` (what the kind lets show, e.g. `**** **** **** 1234`), `hash` (keyed HMAC), `drop` (remove the field), `none`.',
})
const ByRole = Type.Record(Type.String({ minLength: 1 }), StrategyName, { default: {}, description: 'Strategy by principal role (the first of the principal’s roles listed wins), e.g. `{ support: partial, admin: none }`.' })

export const MaskingConfig = Type.Object({
  fields: Type.Array(
    Type.Object(
      {
        path: Type.Optional(Type.String({ pattern: '^\\$(\\.\\.?[^.\\[\\]]+|\\[(\\*|[0-9]+)\\])+$', description: 'JSON path: `$.card.number`, `$.items[*].iban`, `$..password` (any depth).' })),
        name: Type.Optional(Type.String({ minLength: 1, description: 'Field-name pattern, any depth, case-insensitive; `*` matches anything: `password`, `*token*`.' })),
        strategy: StrategyName,
        roles: ByRole,
      },
      { additionalProperties: false },
    ),
    { default: [], description: 'Fields masked wherever the response body has them (one of `path` or `name` each).' },
  ),
  detect: Type.Array(
    Type.Object(
      {
        detector: Type.Union(['pan', 'ssn', 'iban', 'email', 'phone', 'jwt', 'apiKey', 'privateKey'].map((d) => Type.Literal(d))),
        strategy: StrategyName,
        roles: ByRole,
      },
      { additionalProperties: false },
    ),
    { default: [], description: 'Detectors run over every string of a JSON body, and over text bodies.' },
  ),
  headers: Type.Array(
    Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9-]+$' }), strategy: StrategyName, roles: ByRole }, { additionalProperties: false }),
    { default: [], description: 'Response headers masked (`drop` removes them).' },
  ),
  hashKey: Type.Optional(Type.String({ minLength: 16, description: 'HMAC key of `hash` (a `${env:…}` or `${file:…}` reference).' })),
  maxBodyBytes: Type.Integer({ minimum: 1, default: 1048576, description: 'Largest body inspected.' }),
  oversize: Type.Union([Type.Literal('pass'), Type.Literal('block')], {
    default: 'block',
    description: 'A body too large (or too encoded) to inspect: `block` answers 502, `pass` lets it through; either way it is logged.',
  }),
})
