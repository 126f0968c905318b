/**
 * The operations of an OpenAPI document an attack can go into (scripts/waf-attack-corpus.ts): their
 * parameters and bodies read from the document (local `$ref`s followed, `allOf` merged), and the
 * free string fields — no enum, format or pattern — of each placement, with values sampled from the
 * schema (`openapi-sampler`) where a request needs them.
 */
import { FALLBACK_COOKIES, FALLBACK_HEADERS, RESERVED_HEADERS } from './waf-attack-requests.js'
import type { Rng } from './waf-attack-random.js'
import type { Placement } from './waf-corpus-format.js'
import type { OperationValidator } from '../src/openapi/operation-validators.js'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type Schema = Record<string, unknown>

/** openapi-sampler's one function. */
export interface Sampler {
  sample(schema: unknown, options: unknown, spec: unknown): Json
}


export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required: boolean
  schema: Schema
}

export interface Operation {
  document: Document
  method: string
  template: string
  operationId: string
  parameters: Parameter[]
  body: { type: string; schema: Schema; kind: 'json' | 'form' | 'multipart' } | null
  bodyRequired: boolean
  validator: OperationValidator
}

export interface Document {
  file: string
  api: string
  spec: Schema
  basePath: string
}

/** A field of an operation that takes the attack. */
export interface Slot {
  placement: Placement
  operation: Operation
  /** Parameter name, body property path (`a.b`), or header/cookie name. */
  field: string[]
  maxLength: number
}

export function deref(spec: Schema, value: unknown, hops = 0): unknown {
  if (hops > 20 || typeof value !== 'object' || value === null) return value
  const ref = (value as { $ref?: unknown }).$ref
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return value
  let target: unknown = spec
  for (const part of ref.slice(2).split('/')) target = (target as Schema | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')]
  return deref(spec, target, hops + 1)
}

/** A schema with its `allOf` parts' properties merged in. */
export function merged(spec: Schema, value: unknown, depth = 0): Schema {
  const schema = (deref(spec, value) ?? {}) as Schema
  if (!Array.isArray(schema.allOf) || depth > 5) return schema
  const parts = (schema.allOf as unknown[]).map((part) => merged(spec, part, depth + 1))
  const properties: Schema = {}
  const required: unknown[] = []
  const out: Schema = {}
  for (const part of [...parts, schema]) {
    Object.assign(out, part)
    Object.assign(properties, part.properties)
    if (Array.isArray(part.required)) required.push(...(part.required as unknown[]))
  }
  return { ...out, properties, required }
}

/** The maxLength of a free string (no enum, format or pattern), or null when it is not one. */
export function freeString(spec: Schema, value: unknown): number | null {
  const schema = merged(spec, value)
  const types = Array.isArray(schema.type) ? schema.type : [schema.type]
  if (!types.includes('string') || 'enum' in schema || 'const' in schema || 'pattern' in schema || ('format' in schema && schema.format !== '')) return null
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : 100_000
  return max >= 48 ? max : null
}

/** Replaces sampled strings that could look like an attack themselves (`../dictionary`, `pa$$word`, examples) with plain words. */
export function plain(value: Json): Json {
  if (typeof value === 'string') return /[<>'"`;|$(){}\\]|\.\.|--|\/\*/.test(value) ? 'sample' : value
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

export function sample(sampler: Sampler, spec: Schema, schema: unknown): Json {
  try {
    return plain(sampler.sample(deref(spec, schema) ?? {}, { skipReadOnly: true, quiet: true, enablePatterns: true }, spec))
  } catch {
    return 'sample'
  }
}

export function scalar(value: Json): string | null {
  if (value === null || typeof value === 'object') return null
  return String(value)
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete']
const CLEAN_TEMPLATE = /^\/[\x21-\x7e]*$/

export function operationsOf(document: Document): Omit<Operation, 'validator'>[] {
  const { spec } = document
  const out: Omit<Operation, 'validator'>[] = []
  for (const [template, rawItem] of Object.entries((spec.paths ?? {}) as Schema)) {
    if (!CLEAN_TEMPLATE.test(template.replace(/\{[^}]*\}/g, 'x')) || /[?#]/.test(template)) continue
    const item = deref(spec, rawItem) as Schema | undefined
    for (const method of METHODS) {
      const operation = item?.[method] as Schema | undefined
      if (operation === undefined) continue
      const declared = new Map<string, Parameter>()
      for (const raw of [...((item?.parameters as unknown[] | undefined) ?? []), ...((operation.parameters as unknown[] | undefined) ?? [])]) {
        const p = (deref(spec, raw) ?? {}) as Schema
        if (typeof p.name !== 'string' || !['path', 'query', 'header', 'cookie'].includes(String(p.in))) continue
        declared.set(`${String(p.in)} ${p.name}`, { name: p.name, in: p.in as Parameter['in'], required: p.required === true || p.in === 'path', schema: (p.schema ?? {}) as Schema })
      }
      const requestBody = deref(spec, operation.requestBody) as { content?: Record<string, { schema?: unknown }>; required?: boolean } | undefined
      const content = requestBody?.content ?? {}
      const types = Object.keys(content)
      const jsonType = types.find((t) => /^application\/json\s*(?:;|$)/i.test(t))
      const formType = types.find((t) => t.startsWith('application/x-www-form-urlencoded'))
      const multipartType = types.find((t) => t.startsWith('multipart/form-data'))
      const chosen = jsonType !== undefined ? { type: jsonType, kind: 'json' as const } : formType !== undefined ? { type: formType, kind: 'form' as const } : multipartType !== undefined ? { type: multipartType, kind: 'multipart' as const } : null
      out.push({
        document,
        method: method.toUpperCase(),
        template,
        operationId: typeof operation.operationId === 'string' ? operation.operationId : `${method.toUpperCase()} ${template}`,
        parameters: [...declared.values()],
        body: chosen === null ? null : { ...chosen, schema: (content[chosen.type]?.schema ?? {}) as Schema },
        bodyRequired: requestBody?.required === true,
      })
    }
  }
  return out
}

/** The fields of an operation that take an attack, by placement. */
export function slotsOf(operation: Operation, rng: Rng, sampler: Sampler): Slot[] {
  const { spec } = operation.document
  const slots: Slot[] = []
  const bodyFree = operation.body === null || !operation.bodyRequired
  // OData's `$filter`, `$top`… are names CRS on ModSecurity reads as MongoDB operators (942290):
  // such a request would be blocked whatever the attack. The benign corpus measures that; here it
  // would only blur what detecting the attack is worth.
  if (operation.parameters.some((p) => p.required && p.name.startsWith('$'))) return []
  for (const p of operation.parameters) {
    if (p.name.startsWith('$')) continue
    const max = freeString(spec, p.schema)
    if (max === null) continue
    if (p.in === 'path' && bodyFree) slots.push({ placement: 'path', operation, field: [p.name], maxLength: max })
    if (p.in === 'query' && bodyFree) slots.push({ placement: 'query', operation, field: [p.name], maxLength: max })
    if (p.in === 'header' && bodyFree && !RESERVED_HEADERS.has(p.name.toLowerCase())) slots.push({ placement: 'header', operation, field: [p.name.toLowerCase()], maxLength: max })
    if (p.in === 'cookie' && bodyFree) slots.push({ placement: 'cookie', operation, field: [p.name], maxLength: max })
  }
  if (bodyFree && operation.method === 'GET') {
    const declared = new Set(operation.parameters.filter((p) => p.in === 'header' || p.in === 'cookie').map((p) => p.name.toLowerCase()))
    const header = rng.pick(FALLBACK_HEADERS.filter((h) => !declared.has(h)))
    const cookie = rng.pick(FALLBACK_COOKIES.filter((c) => !declared.has(c)))
    if (!slots.some((s) => s.placement === 'header')) slots.push({ placement: 'header', operation, field: [header], maxLength: 100_000 })
    if (!slots.some((s) => s.placement === 'cookie')) slots.push({ placement: 'cookie', operation, field: [cookie], maxLength: 100_000 })
  }
  const body = operation.body
  if (body !== null) {
    const schema = merged(spec, body.schema)
    const sampled = sample(sampler, spec, body.schema)
    if (body.kind === 'json' && sampled !== null && typeof sampled === 'object' && !Array.isArray(sampled)) {
      for (const [path, max] of stringLeaves(spec, schema, sampled, [])) slots.push({ placement: 'json', operation, field: path, maxLength: max })
    }
    if (body.kind !== 'json') {
      const properties = (schema.properties ?? {}) as Record<string, unknown>
      for (const [name, property] of Object.entries(properties)) {
        const max = freeString(spec, property)
        if (max === null) continue
        slots.push({ placement: body.kind, operation, field: [name], maxLength: max })
        if (body.kind === 'form') slots.push({ placement: 'form-name', operation, field: [name], maxLength: max })
      }
    }
  }
  return slots
}

export function stringLeaves(spec: Schema, schema: Schema, value: Json, path: string[]): [string[], number][] {
  if (path.length > 3 || value === null || typeof value !== 'object' || Array.isArray(value)) return []
  const properties = (schema.properties ?? {}) as Record<string, unknown>
  const out: [string[], number][] = []
  for (const [key, item] of Object.entries(value)) {
    const property = properties[key]
    if (property === undefined) continue
    if (typeof item === 'string') {
      const max = freeString(spec, property)
      if (max !== null) out.push([[...path, key], max])
    } else out.push(...stringLeaves(spec, merged(spec, property), item, [...path, key]))
  }
  return out
}

