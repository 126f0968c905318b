import { Type } from '@sinclair/typebox'

export const OpenApiValidationConfig = Type.Object({
  mode: Type.Union([Type.Literal('block'), Type.Literal('report')], {
    default: 'block',
    description: '`block`: a request that does not match its operation is refused (400, or 415 for its media type); `report`: it passes and the violations are logged.',
  }),
  response: Type.Union([Type.Literal('off'), Type.Literal('report'), Type.Literal('block'), Type.Literal('strip')], {
    default: 'off',
    description:
      'Responses against the document: `report` logs violations; `block` answers 502 instead of a non-conforming response; `strip` removes properties the response schema does not declare (OWASP API3) and passes the rest, refusing (502) undeclared statuses and media types. Error responses the document does not describe follow `undeclaredErrorResponses`. Any mode but `off` buffers responses.',
  }),
  undeclaredErrorResponses: Type.Union([Type.Literal('pass'), Type.Literal('block')], {
    default: 'pass',
    description:
      'With `response: block` or `strip`, an upstream error response (4xx, 5xx) whose status, media type or body the document does not describe (an undeclared `application/problem+json` 503, a body where the 404 declares none): `pass` lets it through unchanged and reports it (log and metrics); `block` answers 502 instead, so only described errors reach clients. Described error responses are checked like any other.',
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
