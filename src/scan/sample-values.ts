/**
 * Valid values from a document: examples and defaults first, then values that satisfy the schema
 * (enums, formats, bounds), so the scanner's requests pass validation and reach the code behind it.
 */
import { randomUUID } from 'node:crypto'
import { isObject, type JsonObject, type SpecModel } from '../audit/spec-model.js'
import type { MediaSchema, OperationView } from '../audit/operations.js'
import type { ScanRequest } from './scan-client.js'

const MAX_DEPTH = 5

function firstExample(schema: JsonObject): unknown {
  if (schema.example !== undefined) return schema.example
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0]
  if (schema.default !== undefined) return schema.default
  if (schema.const !== undefined) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  return undefined
}

const PASSWORD_PROPERTY = /pass(word)?|passwd|pwd|passphrase/i

/** What a property's name says its value looks like, for a string schema without a format. */
const NAMED_STRINGS: readonly [RegExp, string][] = [
  [/(^|_|-)(e-?mail|mail)($|_|-)|Email$/i, 'scan@example.com'],
  [/phone|mobile|^tel$|telephone|fax/i, '+14155550199'],
  [/(^|_)(url|uri|website|homepage|link)$|Url$|Uri$/i, 'https://example.com/'],
  [/zip|postal|postcode/i, '94105'],
  [/(^|_)(country)($|_?code$)|Country$/i, 'US'],
  [/(^|_)(date|birthday|dob)$|Date$/i, new Date().toISOString().slice(0, 10)],
]

/** Whether a property's name says its value has a shape (a phone number, an address, a URL…): not free text to write a marker into. */
export const isShapedByName = (name: string) => NAMED_STRINGS.some(([pattern]) => pattern.test(name))

function sampleString(schema: JsonObject, name: string | undefined): string {
  if (schema.format === undefined && name !== undefined) {
    const named = NAMED_STRINGS.find(([pattern]) => pattern.test(name))?.[1]
    const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity
    if (named !== undefined && named.length <= maxLength) return named
  }
  switch (schema.format) {
    case 'uuid':
      return randomUUID()
    case 'email':
      return 'scan@example.com'
    case 'date-time':
      return new Date().toISOString()
    case 'date':
      return new Date().toISOString().slice(0, 10)
    case 'uri':
    case 'url':
      return 'https://example.com/'
    case 'ipv4':
      return '192.0.2.1'
    case 'ipv6':
      return '2001:db8::1'
    case 'password':
      return 'Sc4n-password!'
    default: {
      const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0
      const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : 64
      return 'portcullis'.padEnd(minLength, 'x').slice(0, Math.max(minLength, Math.min(10, maxLength)))
    }
  }
}

/** A value valid for `schema` (refs followed), or undefined for a schema it cannot satisfy. */
export function sampleValue(spec: SpecModel, schema: unknown, depth = 0, name?: string): unknown {
  const resolved = spec.resolve(schema, []).value
  if (!isObject(resolved) || depth > MAX_DEPTH) return undefined
  const example = firstExample(resolved)
  if (example !== undefined) return example
  for (const key of ['oneOf', 'anyOf'] as const) {
    const options = resolved[key]
    if (Array.isArray(options) && options.length > 0) return sampleValue(spec, options[0], depth + 1)
  }
  if (Array.isArray(resolved.allOf)) {
    const merged: Record<string, unknown> = {}
    for (const part of resolved.allOf) Object.assign(merged, sampleValue(spec, part, depth + 1))
    return merged
  }
  const type: unknown = Array.isArray(resolved.type) ? (resolved.type as unknown[]).find((t) => t !== 'null') : resolved.type
  switch (type) {
    case 'string':
      return sampleString(resolved, name)
    case 'integer':
    case 'number':
      return typeof resolved.minimum === 'number' ? Math.max(resolved.minimum, 1) : typeof resolved.maximum === 'number' ? Math.min(resolved.maximum, 1) : 1
    case 'boolean':
      return true
    case 'array': {
      const item = sampleValue(spec, resolved.items, depth + 1)
      const count = typeof resolved.minItems === 'number' ? Math.max(1, resolved.minItems) : 1
      return item === undefined ? [] : Array.from({ length: count }, () => item)
    }
    default: {
      if (!isObject(resolved.properties) && type !== 'object') return undefined
      const out: Record<string, unknown> = {}
      for (const [name, property] of Object.entries(isObject(resolved.properties) ? resolved.properties : {})) {
        const propertySchema = spec.resolve(property, []).value
        if (isObject(propertySchema) && propertySchema.readOnly === true) continue
        // A password's example may be a real one: never sent.
        const value = PASSWORD_PROPERTY.test(name) && isObject(propertySchema) ? sampleString({ ...propertySchema, format: 'password' }, undefined) : sampleValue(spec, property, depth + 1, name)
        if (value !== undefined) out[name] = value
      }
      return out
    }
  }
}

/** Property names whose example values may be real credentials: never taken from the document's examples. */
const CREDENTIAL_PROPERTY = /user|login|name|e-?mail|mail|pass|pwd|secret|token|key|credential|account|phone/i

/**
 * A request body: the schema's sample, with the media type's own example laid over it (the author's
 * valid values) — except for properties that may hold real credentials (a log-in example is often
 * a real account's).
 */
const USER_PROPERTY = /^(user_?name|user|login|e_?mail|email_?address|account|handle)$/i

/** A credentials body (a user name and a password): the user name generated, never the schema's example (often a real account). */
function credentialsFree(sample: unknown): unknown {
  if (!isObject(sample) || !Object.keys(sample).some((name) => PASSWORD_PROPERTY.test(name))) return sample
  return Object.fromEntries(Object.entries(sample).map(([name, value]) => [name, USER_PROPERTY.test(name) && typeof value === 'string' ? (/mail/i.test(name) ? 'portcullis-scan@example.com' : 'portcullis-scan') : value]))
}

export function bodySample(spec: SpecModel, media: MediaSchema): unknown {
  const sample = credentialsFree(sampleValue(spec, media.schema))
  if (!isObject(media.example)) return sample
  const example = Object.fromEntries(Object.entries(media.example).filter(([name]) => !CREDENTIAL_PROPERTY.test(name)))
  return isObject(sample) ? { ...sample, ...example } : sample === undefined && Object.keys(example).length > 0 ? example : sample
}

export interface RequestParts {
  /** Values for path parameters by name; samples for the rest. */
  readonly pathValues?: Readonly<Record<string, string>>
  readonly query?: Readonly<Record<string, string>>
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

/** A request for an operation: path parameters filled, required query parameters sampled, a JSON body when it takes one. */
export function buildRequest(spec: SpecModel, basePath: string, operation: OperationView, parts: RequestParts = {}): ScanRequest {
  let path = operation.pathTemplate
  const query = new URLSearchParams()
  for (const { parameter, schema } of operation.parameters) {
    const name = typeof parameter.name === 'string' ? parameter.name : ''
    const sampled = parameter.example ?? sampleValue(spec, spec.isOas3 ? parameter.schema : schema)
    const value = sampled === undefined ? undefined : typeof sampled === 'string' ? sampled : JSON.stringify(sampled)
    if (parameter.in === 'path') path = path.replaceAll(`{${name}}`, encodeURIComponent(parts.pathValues?.[name] ?? value ?? '1'))
    else if (parameter.in === 'query' && parameter.required === true && value !== undefined && parts.query?.[name] === undefined) query.set(name, value)
  }
  for (const [name, value] of Object.entries(parts.query ?? {})) query.set(name, value)
  const json = operation.requestBodies.find((body) => /json/i.test(body.mediaType))
  const body = parts.body !== undefined ? parts.body : json === undefined ? undefined : bodySample(spec, json)
  const search = query.toString()
  return {
    method: operation.method.toUpperCase(),
    path: `${basePath}${path}${search === '' ? '' : `?${search}`}`,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...parts.headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }
}
