/** The request body of a matched operation: presence, required, media types and their schemas (Swagger 2.0: the body parameter per `consumes`). */
import type { OperationView } from '../../audit/operations.js'
import { isObject, type Path, type SpecModel } from '../../audit/spec-model.js'
import { compareSchemasAt, operationLabel, type DiffContext } from './diff-context.js'
import { byMediaType, mediaPath } from './media-types.js'
import type { OperationPair } from './operation-match.js'

interface BodyPresence {
  readonly present: boolean
  readonly required: boolean
  readonly path: Path
}

function bodyOf(spec: SpecModel, operation: OperationView): BodyPresence {
  if (spec.isOas3) {
    const { value, path } = spec.resolve(operation.operation.requestBody, [...operation.path, 'requestBody'])
    return isObject(value) ? { present: true, required: value.required === true, path } : { present: false, required: false, path: operation.path }
  }
  const body = operation.parameters.find((parameter) => parameter.parameter.in === 'body')
  return body ? { present: true, required: body.parameter.required === true, path: body.path } : { present: false, required: false, path: operation.path }
}

export function diffRequestBody(context: DiffContext, pair: OperationPair): void {
  const operation = operationLabel(pair.new.method, pair.new.pathTemplate)
  const before = bodyOf(context.old, pair.old)
  const after = bodyOf(context.new, pair.new)
  const places = { operation, oldPath: before.path, newPath: after.path }
  if (!before.present && !after.present) return
  if (!before.present) {
    context.changes.add(after.required ? 'new-required-request-body' : 'new-optional-request-body', `new ${after.required ? 'required' : 'optional'} request body`, places)
    return
  }
  if (!after.present) {
    context.changes.add('request-body-removed', 'request body removed', places)
    return
  }
  if (!before.required && after.required) context.changes.add('request-body-became-required', 'request body became required', { operation, oldPath: [...before.path, 'required'], newPath: [...after.path, 'required'] })
  if (before.required && !after.required) context.changes.add('request-body-became-optional', 'request body became optional', { operation, oldPath: [...before.path, 'required'], newPath: [...after.path, 'required'] })
  const oldContents = byMediaType(pair.old.requestBodies)
  const newContents = byMediaType(pair.new.requestBodies)
  for (const [key, oldContent] of oldContents) {
    const newContent = newContents.get(key)
    if (newContent === undefined) {
      context.changes.add('request-body-media-type-removed', `request media type ${oldContent.mediaType} no longer accepted`, { operation, oldPath: mediaPath(context.old, before.path, oldContent.mediaType), newPath: after.path })
      continue
    }
    compareSchemasAt(context, 'request-body', `request body ${newContent.mediaType}`, operation, { schema: oldContent.schema, path: oldContent.path }, { schema: newContent.schema, path: newContent.path })
  }
  for (const [key, newContent] of newContents) {
    if (!oldContents.has(key)) context.changes.add('request-body-media-type-added', `request media type ${newContent.mediaType} now accepted`, { operation, oldPath: before.path, newPath: mediaPath(context.new, after.path, newContent.mediaType) })
  }
}
