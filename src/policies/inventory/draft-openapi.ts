/**
 * A draft OpenAPI 3.1 document from an API's inventory, for a person to review: the paths and
 * methods seen, their path and query parameters, request bodies and responses with the learned
 * schemas, and `x-portcullis-seen` (how often, when last, which statuses). Orphans (declared,
 * never seen) have nothing learned and are left out; a learned template that has the shape of a
 * declared one takes the declared template's parameter names, so the draft never holds two
 * templates OpenAPI would call the same path.
 */
import { isJsonMediaType } from '../../net/media-type.js'
import type { ApiRecord, OperationRecord } from './api-inventory.js'
import type { ShapeSchema } from './json-shape.js'

export interface DraftOptions {
  /** Only operations not in the API's document (shadow); otherwise every operation seen. */
  readonly undocumentedOnly: boolean
}

type Json = Record<string, unknown>

/** OpenAPI's fixed methods of a path item (§4.8.8); others cannot be described there. */
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])
/** Statuses a client closing early produces (nginx's 499): not an answer of the API. */
const NOT_ANSWERS = new Set(['499'])
const PARAM = /\{([^}]+)\}/g

export function buildDraftOpenApi(api: ApiRecord, since: string | null, options: DraftOptions): Json {
  const declaredByShape = new Map<string, string>()
  for (const operation of api.operations) if (operation.declared) declaredByShape.set(shapeOf(operation.template), operation.template)
  const paths: Record<string, Json> = {}
  for (const operation of api.operations) {
    if (operation.count === 0) continue
    if (options.undocumentedOnly && operation.classification !== 'shadow') continue
    const template = operation.declared ? operation.template : (declaredByShape.get(shapeOf(operation.template)) ?? operation.template)
    const renamed = renameParameters(operation, template)
    const item = (paths[template] ??= {})
    const method = operation.method.toLowerCase()
    if (!METHODS.has(method)) {
      const unlisted = (item['x-portcullis-unlisted-methods'] ??= []) as string[]
      unlisted.push(operation.method)
      continue
    }
    item[method] = operationObject(renamed, template)
  }
  const sorted = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  return {
    openapi: '3.1.0',
    info: {
      title: `${api.name} (discovered from traffic)`,
      version: 'draft',
      description:
        `Drafted by Portcullis from the traffic it proxied${since === null ? '' : ` since ${since}`}. Review before use: templates are inferred, ` +
        'schemas list the types and field names seen (never a value), and operations nobody called are missing.',
    },
    ...(api.basePath !== '/' && { servers: [{ url: api.basePath }] }),
    paths: sorted,
  }
}

function operationObject(operation: OperationRecord, template: string): Json {
  const parameters: Json[] = []
  for (const match of template.matchAll(PARAM)) {
    const name = match[1] as string
    parameters.push({ name, in: 'path', required: true, schema: parameterSchema(operation.parameters?.[name] ?? []) })
  }
  for (const name of operation.query) parameters.push({ name, in: 'query', required: false, schema: { type: 'string' } })
  const object: Json = {}
  if (operation.operationId !== null) object.operationId = operation.operationId
  if (operation.deprecated) object.deprecated = true
  if (parameters.length > 0) object.parameters = parameters
  const requestTypes = Object.keys(operation.requestMediaTypes)
  if (requestTypes.length > 0) {
    object.requestBody = { content: Object.fromEntries(requestTypes.map((type) => [type, mediaObject(isJsonMediaType(type) ? operation.requestSchema : undefined)])) }
  }
  object.responses = responsesOf(operation)
  object['x-portcullis-seen'] = { count: operation.count, lastSeen: operation.lastSeen, statuses: operation.statuses }
  object['x-portcullis-classification'] = operation.classification
  if (operation.sunset !== null) object['x-sunset'] = operation.sunset
  return object
}

function responsesOf(operation: OperationRecord): Json {
  const responses: Json = {}
  const jsonType = Object.keys(operation.responseMediaTypes).find(isJsonMediaType) ?? 'application/json'
  for (const [status, count] of Object.entries(operation.statuses)) {
    if (NOT_ANSWERS.has(status)) continue
    const schema = operation.responseSchemas?.[status]
    responses[status] = { description: `Seen ${String(count)} time${count === 1 ? '' : 's'}.`, ...(schema !== undefined && { content: { [jsonType]: mediaObject(schema) } }) }
  }
  if (Object.keys(responses).length === 0) responses.default = { description: 'No complete response seen.' }
  return responses
}

function mediaObject(schema: ShapeSchema | undefined): Json {
  return schema === undefined ? {} : { schema }
}

/** A path parameter's schema from the kinds of values seen in it. */
function parameterSchema(kinds: readonly string[]): Json {
  if (kinds.length === 1) {
    switch (kinds[0]) {
      case 'integer':
        return { type: 'integer' }
      case 'uuid':
        return { type: 'string', format: 'uuid' }
      case 'email':
        return { type: 'string', format: 'email' }
    }
  }
  return { type: 'string' }
}

/** The operation with its parameters named as in `template` (a declared template of the same shape). */
function renameParameters(operation: OperationRecord, template: string): OperationRecord {
  if (template === operation.template || operation.parameters === undefined) return operation
  const from = [...operation.template.matchAll(PARAM)].map((m) => m[1] as string)
  const to = [...template.matchAll(PARAM)].map((m) => m[1] as string)
  const parameters = Object.fromEntries(from.map((name, i) => [to[i] ?? name, operation.parameters?.[name] ?? []]))
  return { ...operation, template, parameters }
}

function shapeOf(template: string): string {
  return template.replace(PARAM, '{}')
}
