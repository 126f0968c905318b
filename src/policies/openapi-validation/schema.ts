import { Type } from '@sinclair/typebox'

export const OpenApiValidationConfig = Type.Object({
  mode: Type.Union([Type.Literal('block'), Type.Literal('report')], {
    default: 'block',
    description: '`block`: a request that does not match its operation is refused (400, or 415 for its media type); `report`: it passes and the violations are logged.',
  }),
  response: Type.Union([Type.Literal('off'), Type.Literal('report'), Type.Literal('block'), Type.Literal('strip')], {
    default: 'off',
    description:
      'Responses against the document: `report` logs violations; `block` answers 502 instead of a non-conforming response; `strip` removes properties the response schema does not declare (OWASP API3) and passes the rest, refusing (502) undeclared statuses and media types. Any mode but `off` buffers responses.',
  }),
  rejectUndeclaredQuery: Type.Boolean({ default: false, description: 'Query parameters the operation does not declare are violations.' }),
  strictBodies: Type.Boolean({
    default: false,
    description: 'Request bodies may not carry properties their schemas do not declare (`additionalProperties: false` for documents that leave it open), at every depth; properties declared across `allOf` members count.',
  }),
  limits: Type.Object(
    {
      depth: Type.Integer({ minimum: 1, maximum: 1000, default: 32, description: 'Deepest JSON nesting.' }),
      keys: Type.Integer({ minimum: 1, default: 1000, description: 'Most keys in one JSON object.' }),
      arrayLength: Type.Integer({ minimum: 1, default: 10000, description: 'Longest JSON array.' }),
      stringLength: Type.Integer({ minimum: 1, default: 1000000, description: 'Longest JSON string (characters), whatever the schema allows.' }),
      maxBodyBytes: Type.Integer({ minimum: 0, default: 1048576, description: 'Largest request body (413 past it).' }),
    },
    { additionalProperties: false, default: {}, description: 'Limits schemas usually lack, checked before the schema.' },
  ),
})
