import { Type } from '@sinclair/typebox'

export const AuthzConfig = Type.Object({
  roles: Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 })), {
    default: {},
    description: 'Scopes each role grants, e.g. `{ admin: [orders:read, orders:write] }`: a principal holds its own scopes plus those of its roles.',
  }),
  undeclared: Type.Union([Type.Literal('deny'), Type.Literal('allow')], {
    default: 'deny',
    description:
      'Operations whose OpenAPI document declares no `security` (and routes only in the config): denied by default, and each is named in a warning at load. Mark public operations with `security: []`.',
  }),
  cedar: Type.Optional(
    Type.Object(
      {
        policies: Type.String({ minLength: 1, description: 'File of Cedar policies (relative to the config file). A request needs a permit and no forbid.' }),
        schema: Type.Optional(Type.String({ minLength: 1, description: 'Cedar schema file; the policies are validated against it at load (strict mode).' })),
        headers: Type.Array(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), { default: [], description: 'Request headers handed to the policies as `context.headers`.' }),
        decisionCacheSize: Type.Integer({
          minimum: 0,
          maximum: 1000000,
          default: 10000,
          description:
            'Decisions remembered by their exact inputs (the principal, operation, resource and context attributes the operation’s policies read); a repeat request skips the evaluation. 0 turns the cache off. A reload that changes the API or its policy files starts a new cache.',
        }),
        bodyFields: Type.Array(Type.String({ pattern: '^[^.]+(\\.[^.]+)*$' }), {
          default: [],
          description:
            'Request-body fields (dotted paths, e.g. `ownerId`, `customer.id`) handed to the policies as `resource.body` (always a record, empty without a body). Setting any makes the gateway buffer request bodies; a non-empty body that is neither JSON nor a form is denied.',
        }),
      },
      { additionalProperties: false, description: 'Cedar policies evaluated after the OpenAPI requirements pass (deny wins).' },
    ),
  ),
  responseOwner: Type.Optional(
    Type.Object(
      {
        field: Type.String({ minLength: 1, description: 'Dotted path of the owner field in a JSON response body (in each element when the body is an array), e.g. `ownerId`.' }),
        principal: Type.String({
          minLength: 1,
          default: 'id',
          description: 'What the field must equal: `id` (the principal id), `claims.<name>` or `metadata.<name>`.',
        }),
        exemptRoles: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Roles whose holders may read anyone’s objects.' }),
        methods: Type.Array(Type.String({ pattern: '^[A-Z]+$' }), { default: ['GET', 'HEAD'], description: 'Requests whose 2xx responses are checked.' }),
        operations: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description: 'Operations checked (operationId, or `METHOD template` for operations without one); empty: every operation of the API.',
        }),
      },
      {
        additionalProperties: false,
        description: 'Ownership checked on the response (OWASP API1, BOLA): an object whose owner is not the principal becomes a 403 and its body is never sent. Buffers the checked responses.',
      },
    ),
  ),
  admin: Type.Object(
    {
      roles: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Roles allowed to call administrative operations.' }),
      tags: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Operations with one of these tags are administrative.' }),
      extension: Type.String({ pattern: '^x-', default: 'x-admin', description: 'Operations where this `x-` field is true are administrative.' }),
      pathPrefixes: Type.Array(Type.String({ pattern: '^/' }), { default: [], description: 'Operations whose route template starts with one of these are administrative.' }),
    },
    { additionalProperties: false, default: {}, description: 'Function-level authorization (OWASP API5): who may call administrative operations.' },
  ),
})
