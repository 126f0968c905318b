/**
 * Operations in one shape for Swagger 2.0 and OpenAPI 3: effective security, parameters (path
 * level merged with operation level, refs followed), request body schemas and responses, each
 * with the path where it is written so findings point into the user's file.
 */
import { isObject, type JsonObject, type Path, type SpecModel } from './spec-model.js'

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const
export const WRITE_METHODS: ReadonlySet<string> = new Set(['post', 'put', 'patch', 'delete'])

export interface MediaSchema {
  readonly mediaType: string
  readonly schema: unknown
  readonly path: Path
  /** The media type's own example (`example`, else the first of `examples`), when it has one. */
  readonly example?: unknown
}

export interface ParameterView {
  readonly parameter: JsonObject
  readonly path: Path
  /** The schema (OpenAPI 3) or the parameter itself (Swagger 2.0, where it carries `type`). */
  readonly schema: JsonObject | undefined
}

export interface ResponseView {
  readonly status: string
  readonly response: JsonObject
  /** Where the response is written (the `$ref` target when referenced). */
  readonly path: Path
  readonly contents: readonly MediaSchema[]
  readonly headers: JsonObject | undefined
}

export type SecurityRequirement = Readonly<Record<string, readonly string[]>>

export interface OperationView {
  readonly pathTemplate: string
  readonly method: string
  readonly operation: JsonObject
  readonly path: Path
  /** Effective requirements (operation level, else document level); undefined when neither declares any. */
  readonly security: readonly SecurityRequirement[] | undefined
  readonly parameters: readonly ParameterView[]
  readonly requestBodies: readonly MediaSchema[]
  readonly responses: readonly ResponseView[]
}

function requirementsOf(value: unknown): SecurityRequirement[] | undefined {
  if (!Array.isArray(value)) return undefined
  return value.filter(isObject).map((entry) => Object.fromEntries(Object.entries(entry).map(([name, scopes]) => [name, Array.isArray(scopes) ? scopes.map(String) : []])))
}

function parametersOf(spec: SpecModel, pathItem: JsonObject, pathItemPath: Path, operation: JsonObject, operationPath: Path): ParameterView[] {
  const byKey = new Map<string, ParameterView>()
  const add = (list: unknown, listPath: Path) => {
    if (!Array.isArray(list)) return
    list.forEach((raw, index) => {
      const { value, path } = spec.resolve(raw, [...listPath, String(index)])
      if (!isObject(value)) return
      const schema = spec.isOas3 ? spec.resolve(value.schema, [...path, 'schema']).value : value.in === 'body' ? spec.resolve(value.schema, [...path, 'schema']).value : value
      byKey.set(`${String(value.in)}:${String(value.name)}`, { parameter: value, path, schema: isObject(schema) ? schema : undefined })
    })
  }
  add(pathItem.parameters, [...pathItemPath, 'parameters'])
  add(operation.parameters, [...operationPath, 'parameters'])
  return [...byKey.values()]
}

function mediaSchemas(spec: SpecModel, content: unknown, contentPath: Path): MediaSchema[] {
  if (!isObject(content)) return []
  return Object.entries(content).flatMap(([mediaType, media]) => {
    if (!isObject(media)) return []
    const { value, path } = spec.resolve(media.schema, [...contentPath, mediaType, 'schema'])
    const named = isObject(media.examples) ? Object.values(media.examples).map((example) => spec.resolve(example, []).value).find(isObject) : undefined
    const example = media.example !== undefined ? media.example : named?.value
    return [{ mediaType, schema: value, path, ...(example === undefined ? {} : { example }) }]
  })
}

function requestBodiesOf(spec: SpecModel, operation: JsonObject, operationPath: Path, parameters: readonly ParameterView[], consumes: readonly string[]): MediaSchema[] {
  if (spec.isOas3) {
    const { value, path } = spec.resolve(operation.requestBody, [...operationPath, 'requestBody'])
    return isObject(value) ? mediaSchemas(spec, value.content, [...path, 'content']) : []
  }
  const body = parameters.find((parameter) => parameter.parameter.in === 'body')
  if (!body) return []
  const { value, path } = spec.resolve(body.parameter.schema, [...body.path, 'schema'])
  return consumes.map((mediaType) => ({ mediaType, schema: value, path }))
}

function responsesOf(spec: SpecModel, operation: JsonObject, operationPath: Path, produces: readonly string[]): ResponseView[] {
  const responses = operation.responses
  if (!isObject(responses)) return []
  return Object.entries(responses).flatMap(([status, raw]) => {
    const { value, path } = spec.resolve(raw, [...operationPath, 'responses', status])
    if (!isObject(value)) return []
    const headers = isObject(value.headers) ? value.headers : undefined
    if (spec.isOas3) return [{ status, response: value, path, contents: mediaSchemas(spec, value.content, [...path, 'content']), headers }]
    if (value.schema === undefined) return [{ status, response: value, path, contents: [], headers }]
    const schema = spec.resolve(value.schema, [...path, 'schema'])
    return [{ status, response: value, path, contents: produces.map((mediaType) => ({ mediaType, schema: schema.value, path: schema.path })), headers }]
  })
}

function stringList(value: unknown, fallback: readonly string[]): readonly string[] {
  return Array.isArray(value) && value.length > 0 ? value.map(String) : fallback
}

const operationsCache = new WeakMap<SpecModel, readonly OperationView[]>()

/** Every operation under `paths`, in document order. */
export function operationsOf(spec: SpecModel): readonly OperationView[] {
  const cached = operationsCache.get(spec)
  if (cached) return cached
  const operations: OperationView[] = []
  const paths = spec.document.paths
  const documentSecurity = requirementsOf(spec.document.security)
  const documentConsumes = stringList(spec.document.consumes, ['application/json'])
  const documentProduces = stringList(spec.document.produces, ['application/json'])
  if (isObject(paths)) {
    for (const [pathTemplate, rawItem] of Object.entries(paths)) {
      const item = spec.resolve(rawItem, ['paths', pathTemplate])
      if (!isObject(item.value)) continue
      for (const method of HTTP_METHODS) {
        const operation = item.value[method]
        if (!isObject(operation)) continue
        const path = [...item.path, method]
        const parameters = parametersOf(spec, item.value, item.path, operation, path)
        operations.push({
          pathTemplate,
          method,
          operation,
          path,
          security: requirementsOf(operation.security) ?? documentSecurity,
          parameters,
          requestBodies: requestBodiesOf(spec, operation, path, parameters, stringList(operation.consumes, documentConsumes)),
          responses: responsesOf(spec, operation, path, stringList(operation.produces, documentProduces)),
        })
      }
    }
  }
  operationsCache.set(spec, operations)
  return operations
}

/** Whether an operation can be called without credentials: no requirement, or an empty one (`{}`) among them. */
export function allowsAnonymous(operation: OperationView): boolean {
  return operation.security === undefined || operation.security.length === 0 || operation.security.some((requirement) => Object.keys(requirement).length === 0)
}

/** Descends a schema through properties, items, compositions (refs followed, each schema once). */
export function* schemaTree(spec: SpecModel, schema: unknown, path: Path, seen = new Set<unknown>()): Generator<{ schema: JsonObject; path: Path }> {
  const resolved = spec.resolve(schema, path)
  if (!isObject(resolved.value) || seen.has(resolved.value)) return
  seen.add(resolved.value)
  const node = resolved.value
  yield { schema: node, path: resolved.path }
  if (isObject(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) yield* schemaTree(spec, child, [...resolved.path, 'properties', name], seen)
  }
  if (node.items !== undefined) yield* schemaTree(spec, node.items, [...resolved.path, 'items'], seen)
  if (isObject(node.additionalProperties)) yield* schemaTree(spec, node.additionalProperties, [...resolved.path, 'additionalProperties'], seen)
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = node[key]
    if (Array.isArray(list)) {
      for (const [index, child] of list.entries()) yield* schemaTree(spec, child, [...resolved.path, key, String(index)], seen)
    }
  }
}
