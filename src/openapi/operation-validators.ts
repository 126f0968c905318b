/**
 * Validators for every operation of an OpenAPI document, compiled once (at load, or on an
 * operation's first request with `lazy`): one for each
 * parameter location (values coerced from strings as the schemas say) and one per declared
 * request media type. The document's files are handed to ajv whole, each under its file URL, so
 * `$ref`s — across files and recursive ones — resolve as JSON Schema resolves them; OpenAPI 3.0
 * schemas are first rewritten into JSON Schema (`nullable`, boolean exclusive bounds).
 */
import { Ajv2019 } from 'ajv/dist/2019.js'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { ErrorObject, ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import RE2 from 're2'
import type { RemoteDocuments } from './remote-documents.js'
import { ArgumentKinds, type ArgumentKind } from './argument-kinds.js'
import { DocumentSet, escapePointer, isRecord, type Located } from './document-set.js'
import { checkJsonText, type JsonLimits } from './json-limits.js'
import { isJsonMediaType, mediaTypeOf } from '../net/media-type.js'
import { multipartFields, parseMultipart, type PartEncoding } from './multipart.js'
import { UndeclaredStripper } from './strip-undeclared.js'
import { collectParameters, MalformedQueryError, queryPairs, readCookies, readHeaders, readPath, readQuery, type ParameterLocation, type ParameterSpec } from './parameters.js'

type Ajv = Ajv2019 | Ajv2020
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

export interface Violation {
  /** `query.limit`, `body.items[2].qty`, `header.x-trace`… */
  readonly location: string
  readonly message: string
}

export interface ValidatorOptions {
  /** Object schemas of request bodies accept no property they do not declare. */
  readonly strictBodies: boolean
  readonly rejectUndeclaredQuery: boolean
  readonly limits: JsonLimits
  readonly maxViolations: number
  /** Compile response validators (and the stripper) too. */
  readonly responses: boolean
  /** Remote documents `$ref`s may reach; none when absent. */
  readonly remote?: RemoteDocuments
  /**
   * Compile each operation on its first use instead of now: a gateway with hundreds of documents
   * starts in seconds, not a minute (ajv's code generation is ~4 ms an operation), and holds the
   * compiled code only of the operations called. An operation that does not compile throws on
   * each use. `portcullis validate` compiles eagerly, so it reports every problem.
   */
  readonly lazy?: boolean
}

export interface RequestParts {
  readonly params: Readonly<Record<string, string>>
  readonly query: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

/**
 * A response against its declaration: `undeclared` for a status or media type the operation
 * does not describe; `body` is set when stripping changed it.
 */
export type ResponseCheck =
  | { readonly kind: 'ok'; readonly body: Buffer | null }
  | { readonly kind: 'undeclared'; readonly violation: Violation }
  | { readonly kind: 'invalid'; readonly violations: readonly Violation[]; readonly body: Buffer | null }

/** A body that passed names the schema it was held to, when it was held to one (JSON, form and multipart bodies). */
export type BodyCheck =
  | { readonly kind: 'ok'; readonly heldTo?: { readonly format: 'json' | 'form' | 'multipart'; readonly schema: Located } }
  | { readonly kind: 'unsupported-media-type' }
  | { readonly kind: 'invalid'; readonly violations: readonly Violation[] }

export interface OperationValidator {
  /** Whether the operation declares a request body (the policy then reads bodies). */
  readonly declaresBody: boolean
  checkParameters(request: RequestParts): Violation[]
  checkBody(contentType: string | undefined, body: Buffer): BodyCheck
  /** `strip`: remove undeclared properties from a JSON body before checking it. */
  checkResponse(response: { status: number; contentType: string | undefined; contentEncoding: string | undefined }, body: Buffer, strip: boolean): ResponseCheck
  /** What the document holds a parameter to (undeclared ones: `other`), for the WAF's schema-aware mode. */
  parameterKind(location: ParameterLocation, name: string): ArgumentKind
  /** What a body value at `path` is held to, in a body that passed `checkBody` against `schema`. */
  bodyValueKind(schema: Located, path: readonly string[]): ArgumentKind
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const
const LOCATIONS: readonly ParameterLocation[] = ['path', 'query', 'header', 'cookie']

/** Validators by `METHOD template`. Throws an Error naming the file and problem. */
export function compileOperationValidators(file: string, options: ValidatorOptions): Map<string, OperationValidator> {
  const documents = new DocumentSet(file, { remote: options.remote })
  // What compiling needs, made on the first compile: with `lazy`, a document none of whose
  // operations is called costs its parse alone.
  const prepared = once(() => {
    const plain = createAjv(documents, false, false)
    const coercing = createAjv(documents, true, false)
    // Request bodies under `strictBodies` are checked against copies of the documents in which
    // every object position forbids undeclared properties.
    const bodies = options.strictBodies ? { json: createAjv(documents, false, true), coerced: createAjv(documents, true, true) } : { json: plain, coerced: coercing }
    return { compilers: { plain, coercing, bodies }, stripper: options.responses ? new UndeclaredStripper(documents) : null, kinds: new ArgumentKinds(documents) }
  })
  const validators = new Map<string, OperationValidator>()
  const paths = documents.at(documents.rootUrl, '/paths')
  if (!isRecord(paths)) return validators
  for (const template of Object.keys(paths)) {
    const pathItem = documents.deref({ value: paths[template], url: documents.rootUrl, pointer: `/paths/${escapePointer(template)}` })
    if (!isRecord(pathItem.value)) continue
    for (const method of METHODS) {
      const operation = pathItem.value[method]
      if (!isRecord(operation)) continue
      const located: Located = { value: operation, url: pathItem.url, pointer: `${pathItem.pointer}/${method}` }
      const key = `${method.toUpperCase()} ${template}`
      const compile = (): OperationValidator => {
        try {
          const { compilers, stripper, kinds } = prepared()
          return compileOperation(documents, compilers, stripper, kinds, pathItem, located, options)
        } catch (error) {
          throw new Error(`${key}: ${(error as Error).message}`, { cause: error })
        }
      }
      validators.set(key, options.lazy === true ? lazyValidator(operation.requestBody !== undefined, compile) : compile())
    }
  }
  return validators
}

/** `build`'s result, made on the first call and kept; a build that threw throws the same error on every call. */
function once<T>(build: () => T): () => T {
  let outcome: { value: T } | { error: unknown } | null = null
  return () => {
    if (outcome === null) {
      try {
        outcome = { value: build() }
      } catch (error) {
        outcome = { error }
      }
    }
    if ('error' in outcome) throw outcome.error
    return outcome.value
  }
}

/** A validator compiled on its first use; a compile that failed fails again on every use (the error names the operation). */
function lazyValidator(declaresBody: boolean, compile: () => OperationValidator): OperationValidator {
  const get = once(compile)
  return {
    declaresBody,
    checkParameters: (request) => get().checkParameters(request),
    checkBody: (contentType, body) => get().checkBody(contentType, body),
    checkResponse: (response, body, strip) => get().checkResponse(response, body, strip),
    parameterKind: (location, name) => get().parameterKind(location, name),
    bodyValueKind: (schema, path) => get().bodyValueKind(schema, path),
  }
}

/**
 * The document's `pattern`s run on request values: compiled with RE2 (linear time), so a pattern
 * with nested quantifiers cannot be made to backtrack for seconds by a crafted value. Where RE2
 * would read a pattern differently from JavaScript — `\s`/`\S` (RE2's are ASCII only, so a
 * no-break space would be refused), surrogate escapes, `\a` — or cannot compile it at all
 * (lookaround, back-references, counts above 1000), JavaScript's engine runs it as written: a
 * valid request is never refused for the engine's sake. Those patterns keep JavaScript's
 * worst case (docs/policies.md, openapi-validation).
 */
const READ_DIFFERENTLY_BY_RE2 = /\\[sSa]|\\u[dD][89a-fA-F]/

const linearRegExp = Object.assign(
  (pattern: string, flags: string): { test: (s: string) => boolean } => {
    if (!READ_DIFFERENTLY_BY_RE2.test(pattern)) {
      try {
        return new RE2(pattern, flags)
      } catch {
        // Not RE2 syntax: JavaScript's engine below.
      }
    }
    return new RegExp(pattern, flags)
  },
  { code: 'portcullisLinearRegExp' },
)

const MAX_URL_LENGTH = 8192

/** `format: url` as ajv-formats means it (an absolute http, https or ftp URL with a host), parsed instead of matched. */
function isUrl(value: string): boolean {
  if (value.length > MAX_URL_LENGTH || /\s/.test(value)) return false
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ftp:') && url.hostname !== ''
  } catch {
    return false
  }
}

function createAjv(documents: DocumentSet, coerce: boolean, closed: boolean): Ajv {
  // Unknown formats (documents invent many) are ignored quietly: ajv would print one line each.
  // Patterns are compiled without the `u` flag: documents are full of escapes (`\-`, `\/`) that
  // JavaScript accepts only without it, as most validators in other languages do.
  const options = {
    strict: false,
    allErrors: true,
    validateSchema: false,
    coerceTypes: coerce ? ('array' as const) : false,
    allowUnionTypes: true,
    logger: false as const,
    unicodeRegExp: false,
    code: { regExp: linearRegExp },
  }
  const ajv = documents.version === '3.1' ? new Ajv2020(options) : new Ajv2019(options)
  addFormats(ajv)
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 })
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) })
  ajv.addFormat('float', { type: 'number', validate: () => true })
  ajv.addFormat('double', { type: 'number', validate: () => true })
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/)
  ajv.addFormat('binary', true)
  ajv.addFormat('password', true)
  // ajv-formats' `url` pattern backtracks quadratically on crafted values (`http://` and 64 KB of `:`: 2.4 s).
  ajv.addFormat('url', isUrl)
  for (const [url, document] of documents.files) {
    const schema = toJsonSchema(structuredClone(document), documents.version)
    ajv.addSchema((closed ? closeObjects(schema) : schema) as object, url)
  }
  return ajv
}

/**
 * Wraps every schema at an object position — a property's, an array's items, additional
 * properties — as `{ allOf: [schema], unevaluatedProperties: false }`: properties the schema
 * declares (through its own `allOf`/`$ref`s too) are evaluated, anything else is refused.
 * `allOf`/`anyOf`/`oneOf` members are not wrapped: each sees only part of the object.
 */
function closeObjects(value: unknown): unknown {
  const close = (schema: unknown) => (isRecord(schema) || typeof schema === 'boolean' ? { allOf: [schema], unevaluatedProperties: false } : schema)
  const stack = [value]
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (Array.isArray(next)) stack.push(...(next as unknown[]))
    else if (isRecord(next)) {
      if (isRecord(next.properties)) for (const name of Object.keys(next.properties)) next.properties[name] = close(next.properties[name])
      if (isRecord(next.items)) next.items = close(next.items)
      if (isRecord(next.additionalProperties)) next.additionalProperties = close(next.additionalProperties)
      if (Array.isArray(next.prefixItems)) next.prefixItems = (next.prefixItems as unknown[]).map(close)
      for (const child of Object.values(next)) if (typeof child === 'object' && child !== null) stack.push(child)
    }
  }
  return value
}

/**
 * OpenAPI's schema dialect into JSON Schema: `nullable` (3.0, and found in many 3.1 documents),
 * boolean `exclusiveMinimum`/`exclusiveMaximum` (3.0); in 3.0, where `$id` means nothing, it is
 * dropped so that repeated ids do not clash.
 */
function toJsonSchema(value: unknown, version: '3.0' | '3.1'): unknown {
  const stack = [value]
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (Array.isArray(next)) stack.push(...(next as unknown[]))
    else if (isRecord(next)) {
      if (typeof next.nullable === 'boolean') {
        if (next.nullable && typeof next.type === 'string') next.type = [next.type, 'null']
        if (next.nullable && Array.isArray(next.enum)) next.enum = [...(next.enum as unknown[]), null]
        delete next.nullable
      }
      if (version === '3.0' && typeof next.$id === 'string') delete next.$id
      for (const [bound, exclusive] of [['minimum', 'exclusiveMinimum'], ['maximum', 'exclusiveMaximum']] as const) {
        if (typeof next[exclusive] === 'boolean') {
          if (next[exclusive] && typeof next[bound] === 'number') {
            next[exclusive] = next[bound]
            delete next[bound]
          } else delete next[exclusive]
        }
      }
      for (const child of Object.values(next)) if (typeof child === 'object' && child !== null) stack.push(child)
    }
  }
  return value
}

const refTo = (at: Located) => ({ $ref: `${at.url}#${at.pointer}` })

interface ResponseMedia {
  readonly pattern: RegExp
  readonly json: boolean
  readonly schema: Located | null
  readonly validate: ValidateFunction | null
}

/** Each declared response (`200`, `2XX`, `default`) with its media types. */
function compileResponses(documents: DocumentSet, plain: Ajv, operation: Located): Map<string, ResponseMedia[] | null> {
  const out = new Map<string, ResponseMedia[] | null>()
  const responses = isRecord(operation.value) && isRecord(operation.value.responses) ? operation.value.responses : {}
  for (const [status, raw] of Object.entries(responses)) {
    const response = documents.deref({ value: raw, url: operation.url, pointer: `${operation.pointer}/responses/${escapePointer(status)}` })
    const content = isRecord(response.value) && isRecord(response.value.content) ? response.value.content : null
    if (content === null) {
      out.set(status.toUpperCase(), null)
      continue
    }
    out.set(
      status.toUpperCase(),
      Object.entries(content).map(([mediaType, entry]) => {
        const schema = isRecord(entry) && isRecord(entry.schema) ? { value: entry.schema, url: response.url, pointer: `${response.pointer}/content/${escapePointer(mediaType)}/schema` } : null
        const json = isJsonMediaType(mediaType)
        return { pattern: mediaPattern(mediaType), json, schema, validate: schema !== null && json ? plain.compile(refTo(schema)) : null }
      }),
    )
  }
  return out
}

interface Compilers {
  readonly plain: Ajv
  readonly coercing: Ajv
  /** For request bodies: the same, or closed copies under `strictBodies`. */
  readonly bodies: { readonly json: Ajv; readonly coerced: Ajv }
}

function compileOperation(documents: DocumentSet, { plain, coercing, bodies }: Compilers, stripper: UndeclaredStripper | null, kinds: ArgumentKinds, pathItem: Located, operation: Located, options: ValidatorOptions): OperationValidator {
  const responses = stripper === null ? null : compileResponses(documents, plain, operation)
  const parameters = collectParameters(documents, pathItem, operation)
  const byLocation = new Map<ParameterLocation, ValidateFunction>()
  for (const location of LOCATIONS) {
    const specs = parameters.filter((p) => p.in === location)
    if (specs.length === 0) continue
    byLocation.set(
      location,
      coercing.compile({
        type: 'object',
        properties: Object.fromEntries(specs.map((spec) => [spec.name, spec.schema === null ? {} : refTo(spec.schema)])),
        required: specs.filter((s) => s.required).map((s) => s.name),
      }),
    )
  }
  const requestBody = isRecord(operation.value) && operation.value.requestBody !== undefined ? documents.deref({ value: operation.value.requestBody, url: operation.url, pointer: `${operation.pointer}/requestBody` }) : null
  const media: {
    pattern: RegExp
    kind: 'json' | 'form' | 'multipart' | 'other'
    schema: Located | null
    validate: ValidateFunction | null
    parts: ReadonlyMap<string, PartEncoding>
    /** Multipart JSON parts, checked without type coercion before the body is (which coerces text parts). */
    jsonParts: ReadonlyMap<string, ValidateFunction>
  }[] = []
  let bodyRequired = false
  if (requestBody !== null && isRecord(requestBody.value)) {
    bodyRequired = requestBody.value.required === true
    const content = isRecord(requestBody.value.content) ? requestBody.value.content : {}
    for (const [mediaType, entry] of Object.entries(content)) {
      const lower = mediaType.toLowerCase()
      const kind = isJsonMediaType(mediaType) ? 'json' : lower === 'application/x-www-form-urlencoded' ? 'form' : lower === 'multipart/form-data' ? 'multipart' : 'other'
      const schema = isRecord(entry) && isRecord(entry.schema) ? { value: entry.schema, url: requestBody.url, pointer: `${requestBody.pointer}/content/${escapePointer(mediaType)}/schema` } : null
      const root = schema === null ? null : options.strictBodies ? { ...refTo(schema), unevaluatedProperties: false } : refTo(schema)
      const validate = root === null || kind === 'other' ? null : (kind === 'json' ? bodies.json : bodies.coerced).compile(root)
      const parts = kind === 'multipart' && schema !== null ? partEncodings(documents, schema, isRecord(entry) ? entry.encoding : undefined) : new Map<string, PartEncoding & { schema: Located | null }>()
      const jsonParts = new Map([...parts].flatMap(([name, part]) => (part.structured && part.schema !== null ? [[name, bodies.json.compile(options.strictBodies ? { ...refTo(part.schema), unevaluatedProperties: false } : refTo(part.schema))] as const] : [])))
      media.push({ pattern: mediaPattern(mediaType), kind, schema, validate, parts, jsonParts })
    }
  }
  const max = options.maxViolations
  // Multipart bodies are not reported as held: the WAF's parser may split parts where this one
  // does not (a delimiter without its CRLF), so a WAF part need not be one this validator checked.
  const heldTo = (entry: (typeof media)[number]): BodyCheck =>
    entry.validate === null || entry.schema === null || entry.kind === 'other' || entry.kind === 'multipart' ? { kind: 'ok' } : { kind: 'ok', heldTo: { format: entry.kind, schema: entry.schema } }
  const parameterSchemas = new Map(parameters.map((p) => [`${p.in}\u0000${p.in === 'header' ? p.name.toLowerCase() : p.name}`, p.schema]))

  return {
    declaresBody: requestBody !== null,
    parameterKind(location, name) {
      const key = `${location}\u0000${location === 'header' ? name.toLowerCase() : name}`
      return parameterSchemas.has(key) ? kinds.ofParameter(parameterSchemas.get(key) ?? null, name, location) : location === 'path' ? 'identifier' : 'other'
    },
    bodyValueKind: (schema, path) => kinds.ofBodyValue(schema, path),
    checkParameters(request) {
      const violations: Violation[] = []
      let query: { values: Record<string, unknown>; undeclared: string[] }
      try {
        query = readQuery(request.query, parameters)
      } catch (error) {
        if (error instanceof MalformedQueryError) return [{ location: 'query', message: error.message }]
        throw error
      }
      if (options.rejectUndeclaredQuery) for (const name of query.undeclared) violations.push({ location: `query.${name}`, message: 'is not a declared parameter' })
      const values: Record<ParameterLocation, Record<string, unknown>> = {
        path: readPath(request.params, parameters),
        query: query.values,
        header: readHeaders(request.headers, parameters),
        cookie: readCookies(firstHeader(request.headers.cookie), parameters),
      }
      for (const [location, validate] of byLocation) {
        if (!validate(values[location])) violations.push(...violationsOf(location, validate.errors ?? [], max))
      }
      return distinct(violations, max)
    },
    checkBody(contentType, body) {
      if (body.length === 0) return bodyRequired ? { kind: 'invalid', violations: [{ location: 'body', message: 'is required' }] } : { kind: 'ok' }
      if (media.length === 0) return { kind: 'unsupported-media-type' }
      const type = mediaTypeOf(contentType)
      const entry = media.find((m) => m.pattern.test(type))
      if (entry === undefined) return { kind: 'unsupported-media-type' }
      if (entry.kind === 'other') return { kind: 'ok' }
      if (entry.kind === 'multipart') {
        const parsed = parseMultipart(body, contentType ?? '')
        if ('error' in parsed) return { kind: 'invalid', violations: [{ location: 'body', message: `multipart body ${parsed.error}` }] }
        const { fields, violations } = multipartFields(parsed.parts, entry.parts, options.limits)
        for (const [name, validate] of entry.jsonParts) {
          if (fields[name] !== undefined && !validate(fields[name])) violations.push(...violationsOf(`body.${name}`, validate.errors ?? [], max))
        }
        if (violations.length > 0) return { kind: 'invalid', violations: distinct(violations, max) }
        if (entry.validate === null || entry.validate(fields)) return heldTo(entry)
        return { kind: 'invalid', violations: violationsOf('body', entry.validate.errors ?? [], max) }
      }
      let text: string
      try {
        text = UTF8.decode(body)
      } catch {
        return { kind: 'invalid', violations: [{ location: 'body', message: 'is not valid UTF-8' }] }
      }
      let value: unknown
      if (entry.kind === 'json') {
        const structural = checkJsonText(text, options.limits, max)
        if (structural.length > 0) return { kind: 'invalid', violations: structural }
        try {
          value = JSON.parse(text)
        } catch {
          return { kind: 'invalid', violations: [{ location: 'body', message: 'is not valid JSON' }] }
        }
      } else {
        try {
          value = formObject(text)
        } catch {
          return { kind: 'invalid', violations: [{ location: 'body', message: 'is not a valid form (bad percent-encoding)' }] }
        }
      }
      if (entry.validate === null || entry.validate(value)) return entry.kind === 'json' && hasDottedName(value) ? { kind: 'ok' } : heldTo(entry)
      return { kind: 'invalid', violations: violationsOf('body', entry.validate.errors ?? [], max) }
    },
    checkResponse({ status, contentType, contentEncoding }, body, strip) {
      if (responses === null || stripper === null) return { kind: 'ok', body: null }
      // null is a response declared without content: look keys up by presence, not by value.
      const key = [String(status), `${String(status)[0] ?? ''}XX`, 'DEFAULT'].find((k) => responses.has(k))
      const declared = key === undefined ? undefined : responses.get(key)
      if (declared === undefined) return { kind: 'undeclared', violation: { location: 'response.status', message: `${status} is not a declared response` } }
      if (body.length === 0) return { kind: 'ok', body: null }
      if (declared === null) return { kind: 'undeclared', violation: { location: 'response.body', message: `the ${status} response declares no body` } }
      const type = mediaTypeOf(contentType)
      const entry = declared.find((m) => m.pattern.test(type))
      if (entry === undefined) return { kind: 'undeclared', violation: { location: 'response.header.content-type', message: `is not a media type the ${status} response declares` } }
      if (!entry.json || entry.schema === null) return { kind: 'ok', body: null }
      if (contentEncoding !== undefined && contentEncoding !== 'identity') return { kind: 'undeclared', violation: { location: 'response.header.content-encoding', message: 'an encoded body cannot be checked' } }
      let value: unknown
      try {
        value = JSON.parse(UTF8.decode(body))
      } catch {
        return { kind: 'invalid', violations: [{ location: 'response.body', message: 'is not valid JSON' }], body: null }
      }
      let stripped: Buffer | null = null
      if (strip) {
        const projected = stripper.strip(value, entry.schema)
        if (projected.removed > 0) stripped = Buffer.from(JSON.stringify(projected.value))
        value = projected.value
      }
      if (entry.validate === null || entry.validate(value)) return { kind: 'ok', body: stripped }
      return { kind: 'invalid', violations: violationsOf('response.body', entry.validate.errors ?? [], max), body: stripped }
    },
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join('; ') : value
}

/** `application/json`, `application/*`, `*\/*`, `application/*+json` as a matcher of a request's type. */
/**
 * Per property of a multipart body's schema: the media types the `encoding` object allows for its
 * parts (`contentType`, a comma-separated list), and whether its schema is an object (or an array
 * of objects), whose parts are JSON unless they say otherwise.
 */
function partEncodings(documents: DocumentSet, schema: Located, encoding: unknown): Map<string, PartEncoding & { schema: Located | null }> {
  const out = new Map<string, PartEncoding & { schema: Located | null }>()
  // 3.1 types may be lists (`[object, 'null']`).
  const isObjectType = (type: unknown) => type === 'object' || (Array.isArray(type) && type.includes('object'))
  const isObjectSchema = (located: Located): boolean => {
    const value = documents.deref(located).value
    return isRecord(value) && isObjectType(value.type)
  }
  const root = documents.deref(schema)
  const properties = isRecord(root.value) && isRecord(root.value.properties) ? root.value.properties : {}
  const names = new Set([...Object.keys(properties), ...(isRecord(encoding) ? Object.keys(encoding) : [])])
  for (const name of names) {
    const property = properties[name]
    let structured = false
    let array = false
    let located: Located | null = null
    if (property !== undefined) {
      located = documents.deref({ value: property, url: root.url, pointer: `${root.pointer}/properties/${escapePointer(name)}` })
      const type = isRecord(located.value) ? located.value.type : undefined
      const items = isRecord(located.value) ? located.value.items : undefined
      array = type === 'array'
      structured = isObjectType(type) || (array && items !== undefined && isObjectSchema({ value: items, url: located.url, pointer: `${located.pointer}/items` }))
    }
    const declared = isRecord(encoding) && isRecord(encoding[name]) ? encoding[name].contentType : undefined
    const allowed = typeof declared === 'string' ? declared.split(',').map((type) => mediaPattern(type.trim())) : null
    out.set(name, { allowed, structured, array, schema: located })
  }
  return out
}

function mediaPattern(mediaType: string): RegExp {
  const escaped = mediaType.toLowerCase().split(';')[0]?.trim().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*') ?? ''
  return new RegExp(`^${escaped}$`)
}

/** A form body as an object; a repeated field becomes an array. */
/**
 * Whether a JSON value has a property name with a `.`: the WAF names values by dotted paths
 * (`json.a.b`), so `{"a.b": …}` would pass for the value at `a` → `b` the document typed.
 */
function hasDottedName(value: unknown): boolean {
  const stack = [value]
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (Array.isArray(next)) stack.push(...(next as unknown[]))
    else if (isRecord(next)) {
      for (const [key, child] of Object.entries(next)) {
        if (key.includes('.')) return true
        if (typeof child === 'object' && child !== null) stack.push(child)
      }
    }
  }
  return false
}

function formObject(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of queryPairs(text)) {
    const existing = out[key]
    out[key] = existing === undefined ? value : Array.isArray(existing) ? [...(existing as string[]), value] : [existing, value]
  }
  return out
}

/** The first `max` distinct violations: parts or parameters that repeat one problem list it once. */
function distinct(violations: readonly Violation[], max: number): Violation[] {
  const seen = new Set<string>()
  const out: Violation[] = []
  for (const violation of violations) {
    if (out.length >= max) break
    const key = `${violation.location}\u0000${violation.message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push(violation)
  }
  return out
}

/** ajv's errors as violations at readable locations; values are never echoed. */
function violationsOf(root: string, errors: readonly ErrorObject[], max: number): Violation[] {
  const seen = new Set<string>()
  const out: Violation[] = []
  for (const error of errors) {
    if (out.length >= max) break
    let location = root + pointerToPath(error.instancePath)
    let message = error.message ?? 'is invalid'
    const params = error.params as Record<string, unknown>
    if (error.keyword === 'required') {
      location += propertyPath(String(params.missingProperty))
      message = 'is required'
    } else if (error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') {
      location += propertyPath(String(params.additionalProperty ?? params.unevaluatedProperty))
      message = 'is not declared'
    } else if (error.keyword === 'if' || error.keyword === 'anyOf' || error.keyword === 'oneOf') {
      // Their sub-errors say more; these summaries only repeat them.
      if (errors.length > 1) continue
    }
    const text = `${location}: ${message}`
    if (seen.has(text)) continue
    seen.add(text)
    out.push({ location, message })
  }
  return out
}

function propertyPath(name: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`
}

function pointerToPath(pointer: string): string {
  if (pointer === '') return ''
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : propertyPath(segment)))
    .join('')
}

export type { ParameterSpec }
