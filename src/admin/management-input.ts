/**
 * What the admin API and the CLI accept when they change consumers and keys: one schema per
 * change, validated with the config's validator so both report the same located problems
 * (`scopes[1]: must be a string`). Times are ISO 8601 on the way in and out.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { ConfigProblem } from '../errors.js'
import type { NewKeyOptions } from '../identity/api-keys.js'
import { createSchemaValidator, type SchemaValidator } from '../config/validate.js'

const Name = Type.String({ minLength: 1, maxLength: 200, description: 'Human-readable name.' })
const Token = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\s]+$', 'x-message': 'must be a non-empty string without spaces' })
const Roles = Type.Array(Token, { maxItems: 100, uniqueItems: true, description: 'Roles of the consumer.' })
const Scopes = Type.Array(Token, { maxItems: 500, uniqueItems: true, description: 'OAuth-style scopes.' })
const Plan = Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], { description: 'Plan name (rate limits and quotas).' })
const Metadata = Type.Record(Type.String(), Type.Unknown(), { description: 'Free-form attributes handed to later policies.' })

export const CONSUMER_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$'

export const NewConsumerInput = Type.Object(
  {
    id: Type.String({ pattern: CONSUMER_ID_PATTERN, 'x-message': 'must be 1-128 letters, digits or ._:@- and start with a letter or digit' }),
    name: Name,
    roles: Type.Optional(Roles),
    scopes: Type.Optional(Scopes),
    plan: Type.Optional(Plan),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

export const ConsumerPatchInput = Type.Object(
  { name: Type.Optional(Name), roles: Type.Optional(Roles), scopes: Type.Optional(Scopes), plan: Type.Optional(Plan), metadata: Type.Optional(Metadata) },
  { additionalProperties: false, minProperties: 1 },
)

export const NewKeyInput = Type.Object(
  {
    label: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], { description: 'What the key is for.' })),
    scopes: Type.Optional(Type.Array(Token, { maxItems: 500, uniqueItems: true, description: "Scopes of this key; empty means the consumer's." })),
    plan: Type.Optional(Plan),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'Expiry as an ISO 8601 date-time.' })),
    expiresInSec: Type.Optional(Type.Integer({ minimum: 1, description: 'Expiry relative to now, in seconds.' })),
  },
  { additionalProperties: false },
)

export const RotateKeyInput = Type.Object(
  { overlapSec: Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400, description: 'How long the old key keeps working.' }) },
  { additionalProperties: false },
)

/** Input that does not satisfy its schema; carries every problem, located by path. */
export class InvalidInputError extends Error {
  readonly problems: readonly ConfigProblem[]

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n'))
    this.name = 'InvalidInputError'
    this.problems = problems
  }
}

const validators = new Map<TSchema, SchemaValidator>()

/** Validates (filling defaults) and returns the input typed, or throws InvalidInputError. */
export function parseInput<S extends TSchema>(schema: S, data: unknown): Static<S> {
  let validator = validators.get(schema)
  if (validator === undefined) {
    validator = createSchemaValidator(schema)
    validators.set(schema, validator)
  }
  const problems = validator.validate(data)
  if (problems.length > 0) throw new InvalidInputError(problems)
  return data
}

/** Key options with the expiry resolved to milliseconds; an expiry in the past is refused. */
export function toKeyOptions(input: Static<typeof NewKeyInput>, now: number): NewKeyOptions {
  if (input.expiresAt !== undefined && input.expiresInSec !== undefined) {
    throw new InvalidInputError([{ path: 'expiresAt', message: 'give either expiresAt or expiresInSec, not both' }])
  }
  let expiresAt: number | null = null
  if (input.expiresAt !== undefined) {
    expiresAt = Date.parse(input.expiresAt)
    if (expiresAt <= now) throw new InvalidInputError([{ path: 'expiresAt', message: 'must be in the future' }])
  } else if (input.expiresInSec !== undefined) {
    expiresAt = now + input.expiresInSec * 1000
  }
  return { label: input.label ?? null, scopes: input.scopes ?? [], plan: input.plan ?? null, expiresAt }
}
