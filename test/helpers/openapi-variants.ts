/**
 * The same API written in the other document versions, for diff fixtures kept in OpenAPI 3.0:
 * 3.1 (nullable as a `null` type, exclusive bounds as numbers) and Swagger 2.0 (definitions,
 * body parameters, consumes/produces, securityDefinitions, host/basePath). Covers what the
 * fixtures use; what Swagger 2.0 cannot say (cookie parameters, style/explode, oneOf/anyOf/not,
 * OpenID Connect and bearer schemes, several OAuth flows, several servers) is left out.
 */
type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const clone = <T>(value: T): T => structuredClone(value)

function mapDeep(value: unknown, visit: (node: Json) => Json): unknown {
  if (Array.isArray(value)) return value.map((item) => mapDeep(item, visit))
  if (!isObject(value)) return value
  const mapped = Object.fromEntries(Object.entries(value).map(([key, child]) => [key, key === 'enum' || key === 'default' || key === 'example' ? child : mapDeep(child, visit)]))
  return visit(mapped)
}

/** OpenAPI 3.0 → 3.1. */
export function toOas31(document: Json): Json {
  const converted = mapDeep(clone(document), (node) => {
    const next = { ...node }
    if (next.nullable === true) {
      delete next.nullable
      if (typeof next.type === 'string') next.type = [next.type, 'null']
    }
    for (const [flag, limit] of [
      ['exclusiveMinimum', 'minimum'],
      ['exclusiveMaximum', 'maximum'],
    ] as const) {
      if (typeof next[flag] !== 'boolean') continue
      if (next[flag]) {
        next[flag] = next[limit]
        delete next[limit]
      } else delete next[flag]
    }
    return next
  }) as Json
  return { ...converted, openapi: '3.1.0' }
}

const REF_TARGETS: readonly [string, string][] = [
  ['#/components/schemas/', '#/definitions/'],
  ['#/components/parameters/', '#/parameters/'],
  ['#/components/responses/', '#/responses/'],
]

/** A 3.0 schema as Swagger 2.0 writes it. */
function swaggerSchema(schema: unknown): unknown {
  return mapDeep(clone(schema), (node) => {
    const next = { ...node }
    const ref = next.$ref
    if (typeof ref === 'string') next.$ref = REF_TARGETS.reduce((target, [from, to]) => target.replace(from, to), ref)
    if (next.nullable !== undefined) {
      next['x-nullable'] = next.nullable
      delete next.nullable
    }
    for (const unsupported of ['oneOf', 'anyOf', 'not', 'writeOnly', 'deprecated']) delete next[unsupported]
    if (isObject(next.discriminator)) next.discriminator = next.discriminator.propertyName
    return next
  })
}

function swaggerParameter(parameter: Json): Json | undefined {
  if (parameter.in === 'cookie') return undefined
  const { schema, style: _style, explode: _explode, content: _content, ...rest } = parameter
  return { ...rest, ...(isObject(schema) ? (swaggerSchema(schema) as Json) : { type: 'string' }) }
}

const FLOW_NAMES: Readonly<Record<string, string>> = { implicit: 'implicit', password: 'password', clientCredentials: 'application', authorizationCode: 'accessCode' }

function swaggerScheme(scheme: Json): Json | undefined {
  if (scheme.type === 'http') return scheme.scheme === 'basic' ? { type: 'basic' } : undefined
  if (scheme.type === 'apiKey') return scheme.in === 'cookie' ? undefined : { ...scheme }
  if (scheme.type !== 'oauth2' || !isObject(scheme.flows)) return undefined
  const [name, flow] = Object.entries(scheme.flows)[0] ?? []
  if (name === undefined || !isObject(flow)) return undefined
  return { type: 'oauth2', flow: FLOW_NAMES[name], ...flow }
}

function swaggerOperation(operation: Json): Json {
  const { requestBody, responses, parameters, ...rest } = operation
  const converted: Json = { ...rest }
  const list: Json[] = Array.isArray(parameters) ? parameters.filter(isObject).flatMap((parameter): Json[] => { const converted = swaggerParameter(parameter); return converted ? [converted] : [] }) : []
  if (isObject(requestBody) && isObject(requestBody.content)) {
    const media = Object.entries(requestBody.content)
    const first = media[0]?.[1]
    converted.consumes = media.map(([type]) => type)
    list.push({ name: 'body', in: 'body', required: requestBody.required === true, schema: swaggerSchema(isObject(first) ? first.schema : {}) })
  }
  if (list.length > 0) converted.parameters = list
  const produces = new Set<string>()
  const convertedResponses: Json = {}
  for (const [status, raw] of Object.entries(isObject(responses) ? responses : {})) {
    if (!isObject(raw)) continue
    const response: Json = { description: raw.description ?? '' }
    const content = isObject(raw.content) ? Object.entries(raw.content) : []
    for (const [type] of content) produces.add(type)
    const first = content[0]?.[1]
    if (isObject(first) && first.schema !== undefined) response.schema = swaggerSchema(first.schema)
    if (isObject(raw.headers)) {
      response.headers = Object.fromEntries(Object.entries(raw.headers).filter((entry): entry is [string, Json] => isObject(entry[1])).map(([name, header]) => [name, { ...(swaggerSchema(header.schema ?? { type: 'string' }) as Json) }]))
    }
    convertedResponses[status] = response
  }
  if (produces.size > 0) converted.produces = [...produces]
  converted.responses = convertedResponses
  return converted
}

/** OpenAPI 3.0 → Swagger 2.0. */
export function toSwagger2(document: Json): Json {
  const { openapi: _openapi, servers, paths, components, ...rest } = clone(document)
  const swagger: Json = { swagger: '2.0', ...rest }
  const first = Array.isArray(servers) && isObject(servers[0]) && typeof servers[0].url === 'string' ? new URL(servers[0].url) : undefined
  if (first) Object.assign(swagger, { host: first.host, basePath: first.pathname, schemes: [first.protocol.replace(':', '')] })
  swagger.paths = Object.fromEntries(
    Object.entries(isObject(paths) ? paths : {}).map(([template, item]) => {
      if (!isObject(item)) return [template, item]
      const converted: Json = {}
      for (const [key, value] of Object.entries(item)) {
        if (key === 'parameters' && Array.isArray(value)) converted.parameters = value.filter(isObject).flatMap((parameter) => swaggerParameter(parameter) ?? [])
        else converted[key] = isObject(value) ? swaggerOperation(value) : value
      }
      return [template, converted]
    }),
  )
  const schemas = isObject(components) && isObject(components.schemas) ? components.schemas : undefined
  if (schemas) swagger.definitions = Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, swaggerSchema(schema)]))
  const schemes = isObject(components) && isObject(components.securitySchemes) ? components.securitySchemes : undefined
  if (schemes) swagger.securityDefinitions = Object.fromEntries(Object.entries(schemes).flatMap(([name, scheme]) => (isObject(scheme) && swaggerScheme(scheme) ? [[name, swaggerScheme(scheme)]] : [])))
  return swagger
}

/** The same document as JSON with every object's keys in reverse order and local schema refs under `paths` inlined (recursive ones kept). */
export function reformatted(document: Json): Json {
  const resolve = (ref: string): unknown => ref.slice(2).split('/').reduce<unknown>((node, key) => (isObject(node) ? node[key.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined), document)
  const inline = (value: unknown, stack: readonly string[]): unknown => {
    if (Array.isArray(value)) return value.map((item) => inline(item, stack))
    if (!isObject(value)) return value
    if (typeof value.$ref === 'string' && value.$ref.startsWith('#/') && !stack.includes(value.$ref)) return inline(resolve(value.$ref), [...stack, value.$ref])
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, inline(child, stack)]))
  }
  const reverse = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(reverse)
    if (!isObject(value)) return value
    return Object.fromEntries(Object.entries(value).reverse().map(([key, child]) => [key, reverse(child)]))
  }
  return reverse({ ...document, paths: inline(document.paths, []) }) as Json
}
