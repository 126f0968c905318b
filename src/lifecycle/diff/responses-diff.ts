/** Responses of a matched operation: statuses, bodies per media type (compared as what clients read) and headers. */
import type { ResponseView } from '../../audit/operations.js'
import { isObject, type JsonObject, type Path, type SpecModel } from '../../audit/spec-model.js'
import { compareSchemasAt, operationLabel, type DiffContext } from './diff-context.js'
import { byMediaType, mediaPath } from './media-types.js'
import type { OperationPair } from './operation-match.js'

const isSuccess = (status: string) => /^[23]/.test(status)

export function diffResponses(context: DiffContext, pair: OperationPair): void {
  const operation = operationLabel(pair.new.method, pair.new.pathTemplate)
  const before = new Map(pair.old.responses.map((response) => [response.status.toUpperCase(), response]))
  const after = new Map(pair.new.responses.map((response) => [response.status.toUpperCase(), response]))
  const responsesPath = (path: Path) => [...path, 'responses']
  for (const [status, oldResponse] of before) {
    const newResponse = after.get(status)
    if (newResponse === undefined) {
      context.changes.add(isSuccess(status) ? 'response-success-status-removed' : 'response-non-success-status-removed', `response ${oldResponse.status} removed`, { operation, oldPath: oldResponse.path, newPath: responsesPath(pair.new.path) })
      continue
    }
    diffResponse(context, operation, oldResponse, newResponse)
  }
  for (const [status, newResponse] of after) {
    if (before.has(status)) continue
    context.changes.add(isSuccess(status) ? 'response-success-status-added' : 'response-non-success-status-added', `response ${newResponse.status} added`, { operation, oldPath: responsesPath(pair.old.path), newPath: newResponse.path })
  }
}

function diffResponse(context: DiffContext, operation: string, before: ResponseView, after: ResponseView): void {
  const status = after.status
  if (before.contents.length > 0 && after.contents.length === 0) context.changes.add('response-body-removed', `response ${status} no longer has a body`, { operation, oldPath: before.path, newPath: after.path })
  else if (before.contents.length === 0 && after.contents.length > 0) context.changes.add('response-body-added', `response ${status} now has a body`, { operation, oldPath: before.path, newPath: after.path })
  else {
    const oldContents = byMediaType(before.contents)
    const newContents = byMediaType(after.contents)
    for (const [key, oldContent] of oldContents) {
      const newContent = newContents.get(key)
      if (newContent === undefined) {
        context.changes.add('response-media-type-removed', `response ${status}: media type ${oldContent.mediaType} no longer produced`, { operation, oldPath: mediaPath(context.old, before.path, oldContent.mediaType), newPath: after.path })
        continue
      }
      compareSchemasAt(context, 'response-body', `response ${status} ${newContent.mediaType}`, operation, { schema: oldContent.schema, path: oldContent.path }, { schema: newContent.schema, path: newContent.path })
    }
    for (const [key, newContent] of newContents) {
      if (!oldContents.has(key)) context.changes.add('response-media-type-added', `response ${status}: media type ${newContent.mediaType} now produced`, { operation, oldPath: before.path, newPath: mediaPath(context.new, after.path, newContent.mediaType) })
    }
  }
  diffHeaders(context, operation, status, before, after)
}

interface HeaderView {
  readonly name: string
  readonly header: JsonObject
  readonly path: Path
}

function headersOf(spec: SpecModel, response: ResponseView): Map<string, HeaderView> {
  const headers = new Map<string, HeaderView>()
  if (!isObject(response.headers)) return headers
  for (const [name, raw] of Object.entries(response.headers)) {
    const { value, path } = spec.resolve(raw, [...response.path, 'headers', name])
    if (isObject(value)) headers.set(name.toLowerCase(), { name, header: value, path })
  }
  return headers
}

/** The header's schema: `schema` (OpenAPI 3) or the header itself (Swagger 2.0, where it carries `type`). */
function headerSchema(spec: SpecModel, header: HeaderView): { schema: unknown; path: Path } {
  return spec.isOas3 ? { schema: header.header.schema, path: [...header.path, 'schema'] } : { schema: header.header, path: header.path }
}

function diffHeaders(context: DiffContext, operation: string, status: string, before: ResponseView, after: ResponseView): void {
  const oldHeaders = headersOf(context.old, before)
  const newHeaders = headersOf(context.new, after)
  for (const [key, oldHeader] of oldHeaders) {
    const newHeader = newHeaders.get(key)
    const required = oldHeader.header.required === true
    if (newHeader === undefined) {
      context.changes.add(required ? 'response-required-header-removed' : 'response-optional-header-removed', `response ${status}: ${required ? 'required ' : ''}header ${oldHeader.name} removed`, { operation, oldPath: oldHeader.path, newPath: after.path })
      continue
    }
    const nowRequired = newHeader.header.required === true
    if (required !== nowRequired) {
      context.changes.add(nowRequired ? 'response-header-became-required' : 'response-header-became-optional', `response ${status}: header ${newHeader.name} became ${nowRequired ? 'required' : 'optional'}`, { operation, oldPath: [...oldHeader.path, 'required'], newPath: [...newHeader.path, 'required'] })
    }
    compareSchemasAt(context, 'response-header', `response ${status} header ${newHeader.name}`, operation, headerSchema(context.old, oldHeader), headerSchema(context.new, newHeader))
  }
  for (const [key, newHeader] of newHeaders) {
    if (!oldHeaders.has(key)) context.changes.add('response-header-added', `response ${status}: header ${newHeader.name} added`, { operation, oldPath: before.path, newPath: newHeader.path })
  }
}
