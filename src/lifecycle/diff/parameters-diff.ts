/**
 * Parameters of a matched operation, paired by location and name (header names without case;
 * path parameters through the template's renames). Swagger 2.0 body parameters are the request
 * body and compared there.
 */
import type { ParameterView } from '../../audit/operations.js'
import { isObject, type Path, type SpecModel } from '../../audit/spec-model.js'
import { compareSchemasAt, operationLabel, type DiffContext } from './diff-context.js'
import type { OperationPair } from './operation-match.js'
import { showValue } from './schema-view.js'

function keyOf(parameter: ParameterView, renamed: ReadonlyMap<string, string>): string {
  const where = String(parameter.parameter.in)
  const name = String(parameter.parameter.name)
  if (where === 'header') return `header:${name.toLowerCase()}`
  if (where === 'path') return `path:${renamed.get(name) ?? name}`
  return `${where}:${name}`
}

function byKey(parameters: readonly ParameterView[], renamed: ReadonlyMap<string, string> = new Map()): Map<string, ParameterView> {
  return new Map(parameters.filter((parameter) => parameter.parameter.in !== 'body').map((parameter) => [keyOf(parameter, renamed), parameter]))
}

const isRequired = (parameter: ParameterView) => parameter.parameter.required === true || parameter.parameter.in === 'path'
const describe = (parameter: ParameterView) => `${String(parameter.parameter.in)} parameter ${String(parameter.parameter.name)}`

/** How a value is written on the wire, defaults filled in (OpenAPI 3 §4.8.12.4; Swagger 2.0 collectionFormat csv). */
function serializationOf(spec: SpecModel, parameter: ParameterView): string {
  const value = parameter.parameter
  if (!spec.isOas3) return showValue(value.collectionFormat ?? 'csv')
  const style = showValue(value.style ?? (value.in === 'query' || value.in === 'cookie' ? 'form' : 'simple'))
  const explode = value.explode === undefined ? style === 'form' : value.explode === true
  return `${style}${explode ? ', explode' : ''}`
}

/** The parameter's schema and where it is written: `schema`, the schema of its one `content` entry, or (Swagger 2.0) the parameter itself. */
function schemaOf(spec: SpecModel, parameter: ParameterView): { schema: unknown; path: Path; mediaType?: string } {
  const value = parameter.parameter
  if (!spec.isOas3) return { schema: value, path: parameter.path }
  if (value.schema !== undefined) return { schema: value.schema, path: [...parameter.path, 'schema'] }
  if (isObject(value.content)) {
    const [mediaType, media] = Object.entries(value.content)[0] ?? []
    if (mediaType !== undefined && isObject(media)) return { schema: media.schema, path: [...parameter.path, 'content', mediaType, 'schema'], mediaType }
  }
  return { schema: undefined, path: parameter.path }
}

export function diffParameters(context: DiffContext, pair: OperationPair): void {
  const operation = operationLabel(pair.new.method, pair.new.pathTemplate)
  const before = byKey(pair.old.parameters, pair.renamed)
  const after = byKey(pair.new.parameters)
  for (const [key, oldParameter] of before) {
    const newParameter = after.get(key)
    if (newParameter === undefined) context.changes.add('request-parameter-removed', `${describe(oldParameter)} removed`, { operation, oldPath: oldParameter.path, newPath: pair.new.path })
    else diffParameter(context, operation, oldParameter, newParameter)
  }
  for (const [key, newParameter] of after) {
    if (before.has(key)) continue
    const required = isRequired(newParameter)
    context.changes.add(required ? 'new-required-request-parameter' : 'new-optional-request-parameter', `new ${required ? 'required' : 'optional'} ${describe(newParameter)}`, { operation, oldPath: pair.old.path, newPath: newParameter.path })
  }
}

function diffParameter(context: DiffContext, operation: string, before: ParameterView, after: ParameterView): void {
  const at = (key: string) => ({ operation, oldPath: [...before.path, key], newPath: [...after.path, key] })
  const name = describe(after)
  if (!isRequired(before) && isRequired(after)) context.changes.add('request-parameter-became-required', `${name} became required`, at('required'))
  if (isRequired(before) && !isRequired(after)) context.changes.add('request-parameter-became-optional', `${name} became optional`, at('required'))
  const oldSerialization = serializationOf(context.old, before)
  const newSerialization = serializationOf(context.new, after)
  // Across Swagger 2.0 and OpenAPI 3 the two notations cannot be compared word for word.
  if (context.old.isOas3 === context.new.isOas3 && oldSerialization !== newSerialization) {
    context.changes.add('request-parameter-serialization-changed', `${name}: serialization changed from ${oldSerialization} to ${newSerialization}`, at(context.new.isOas3 ? 'style' : 'collectionFormat'))
  }
  const oldEmpty = before.parameter.allowEmptyValue === true
  const newEmpty = after.parameter.allowEmptyValue === true
  if (oldEmpty !== newEmpty) context.changes.add(newEmpty ? 'request-parameter-empty-value-allowed' : 'request-parameter-empty-value-disallowed', `${name}: allowEmptyValue ${newEmpty ? 'switched on' : 'switched off'}`, at('allowEmptyValue'))
  const oldDeprecated = before.parameter.deprecated === true
  const newDeprecated = after.parameter.deprecated === true
  if (oldDeprecated !== newDeprecated) context.changes.add(newDeprecated ? 'request-parameter-deprecated' : 'request-parameter-deprecation-removed', `${name} ${newDeprecated ? 'deprecated' : 'no longer deprecated'}`, at('deprecated'))
  const oldSchema = schemaOf(context.old, before)
  const newSchema = schemaOf(context.new, after)
  if (oldSchema.mediaType !== newSchema.mediaType && oldSchema.mediaType !== undefined && newSchema.mediaType !== undefined) {
    context.changes.add('request-parameter-media-type-changed', `${name}: media type changed from ${oldSchema.mediaType} to ${newSchema.mediaType}`, at('content'))
  }
  compareSchemasAt(context, 'request-parameter', name, operation, oldSchema, newSchema)
}
