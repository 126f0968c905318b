/**
 * Schema validation with readable messages: ajv's raw errors are translated into one line per
 * problem, located by path, with a did-you-mean for unknown keys.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { TSchema } from '@sinclair/typebox'
import type { ConfigProblem } from '../errors.js'
import { didYouMean } from './did-you-mean.js'
import { formatPath, splitPointer } from './format-path.js'

// ajv-formats is CommonJS with a default export property.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

export interface SchemaValidator {
  /** Validates in place, filling defaults; returns every problem found. */
  validate(data: unknown): ConfigProblem[]
}

/** `2027-01-31`, or a date-time with its offset (`2027-01-31T12:00:00Z`, `…+02:00`). */
const RFC3339_DATE_OR_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?$/

export function createSchemaValidator(schema: TSchema): SchemaValidator {
  // strictSchema is off because ajv refuses defaults inside unions, and route overrides are unions (filled separately).
  const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictSchema: false, allowUnionTypes: true })
  addFormats(ajv)
  ajv.addFormat('date-time-or-date', (value: string) => RFC3339_DATE_OR_TIME.test(value) && !Number.isNaN(Date.parse(value)))
  ajv.addKeyword({ keyword: 'x-message', schemaType: 'string' })
  const compiled: ValidateFunction = ajv.compile(schema)
  return {
    validate(data) {
      if (compiled(data)) return []
      return translateErrors(compiled.errors ?? [])
    },
  }
}

function translateErrors(errors: readonly ErrorObject[]): ConfigProblem[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf')
  const problems: ConfigProblem[] = []
  const seen = new Set<string>()
  for (const error of errors) {
    const union = unions.find((u) => error !== u && error.schemaPath.startsWith(`${u.schemaPath}/`))
    let problem: ConfigProblem | null
    if (union !== undefined) problem = translateUnionBranchError(error, union)
    else if (error.keyword === 'anyOf' && objectBranchOf(error) >= 0) problem = null
    else problem = translateError(error)
    if (problem === null) continue
    const key = `${problem.path}\u0000${problem.message}`
    if (!seen.has(key)) {
      seen.add(key)
      problems.push(problem)
    }
  }
  return problems
}

/** Inside a union, keep errors from the object branch when the value is an object; else one "one of" line. */
function translateUnionBranchError(error: ErrorObject, union: ErrorObject): ConfigProblem | null {
  const objectBranch = objectBranchOf(union)
  if (objectBranch >= 0 && error.schemaPath.startsWith(`${union.schemaPath}/${objectBranch}/`)) return translateError(error)
  return null
}

/** The index of the union's object branch when the failing value is an object, else -1. */
function objectBranchOf(union: ErrorObject): number {
  const value: unknown = union.data
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return -1
  return ((union.schema as TSchema[]) ?? []).findIndex((b) => b.type === 'object')
}

function translateError(error: ErrorObject): ConfigProblem | null {
  const segments: (string | number)[] = splitPointer(error.instancePath)
  const parent: Record<string, unknown> | undefined = error.parentSchema
  const custom = parent?.['x-message']
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {})
      const suggestion = didYouMean(key, known)
      return {
        path: formatPath([...segments, key]),
        message: `unknown key${suggestion === null ? '' : ` (did you mean "${suggestion}"?)`}`,
      }
    }
    case 'required':
      return { path: formatPath([...segments, (error.params as { missingProperty: string }).missingProperty]), message: 'is required' }
    case 'anyOf':
      return { path: formatPath(segments), message: describeUnion(error) }
    case 'type':
      return { path: formatPath(segments), message: `must be ${article((error.params as { type: string }).type)}` }
    case 'format':
    case 'pattern':
      return { path: formatPath(segments), message: typeof custom === 'string' ? custom : error.keyword === 'format' ? `must be a valid ${(error.params as { format: string }).format}` : 'has an invalid format' }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path: formatPath(segments), message: `must be ${(error.params as { comparison: string }).comparison} ${String((error.params as { limit: number }).limit)}` }
    case 'minItems':
      return { path: formatPath(segments), message: `must have at least ${String((error.params as { limit: number }).limit)} item(s)` }
    case 'minLength': {
      // "empty" only when it is: a secret one character short must say how long it has to be.
      const limit = (error.params as { limit: number }).limit
      return { path: formatPath(segments), message: limit <= 1 ? 'must not be empty' : `must be at least ${String(limit)} characters long` }
    }
    case 'maxLength':
      return { path: formatPath(segments), message: `must be at most ${String((error.params as { limit: number }).limit)} characters long` }
    case 'const':
    case 'enum':
      return { path: formatPath(segments), message: `must be one of: ${allowedValues(error).join(', ')}` }
    default:
      return { path: formatPath(segments), message: error.message ?? 'is invalid' }
  }
}

function describeUnion(error: ErrorObject): string {
  const branches = (error.schema as TSchema[]) ?? []
  const literals = branches.filter((b) => 'const' in b).map((b) => JSON.stringify(b.const))
  if (literals.length === branches.length) return `must be one of: ${literals.join(', ')}`
  const kinds = branches.map((b) => ('const' in b ? JSON.stringify(b.const) : String(b.type)))
  return `must be one of: ${kinds.join(', ')}`
}

function allowedValues(error: ErrorObject): string[] {
  const params = error.params as { allowedValue?: unknown; allowedValues?: unknown[] }
  if (params.allowedValues !== undefined) return params.allowedValues.map((v) => JSON.stringify(v))
  return [JSON.stringify(params.allowedValue)]
}

function article(type: string): string {
  const withArticle: Record<string, string> = {
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    object: 'an object (a mapping of keys)',
    array: 'a list',
    null: 'null',
  }
  return type
    .split(',')
    .map((t) => withArticle[t] ?? t)
    .join(' or ')
}
