/**
 * A schema as the comparison reads it, the same for Swagger 2.0, OpenAPI 3.0 and 3.1: local refs
 * followed, `allOf` members merged into their parent (moving a property into an `allOf` member is
 * no change), nullability from `nullable`, `x-nullable` or a `null` type, `const` as a one-value
 * enum, and bounds with their exclusivity (3.0 booleans, 3.1 numbers) in one shape.
 */
import { isObject, type JsonObject, type Path, type SpecModel } from '../../audit/spec-model.js'

export interface Located<T> {
  readonly value: T
  /** Where it is written (a keyword inside the schema, or the schema itself). */
  readonly path: Path
}

export interface Bound {
  readonly value: number
  readonly exclusive: boolean
}

export type AdditionalProperties = { readonly kind: 'open' } | { readonly kind: 'closed' } | { readonly kind: 'schema'; readonly schema: unknown; readonly path: Path }

export interface SchemaView {
  readonly node: JsonObject
  readonly path: Path
  /** A `$ref` to another file, left unresolved as the auditor leaves it. */
  readonly externalRef: string | undefined
  /** Types other than `null`; undefined when any type is allowed. */
  readonly types: ReadonlySet<string> | undefined
  readonly nullable: boolean
  readonly keywords: ReadonlyMap<string, Located<unknown>>
  readonly bounds: ReadonlyMap<string, Located<Bound>>
  readonly properties: ReadonlyMap<string, Located<unknown>>
  readonly required: ReadonlySet<string>
  readonly requiredPath: Path
}

/** Scalar keywords read as they are (from the schema itself, else from the first `allOf` member that has them). */
const PLAIN_KEYWORDS = ['format', 'pattern', 'multipleOf', 'uniqueItems', 'items', 'additionalProperties', 'oneOf', 'anyOf', 'not', 'discriminator', 'default', 'readOnly', 'writeOnly', 'deprecated'] as const
const UPPER_BOUNDS: Readonly<Record<string, string>> = { maxLength: 'max-length', maxItems: 'max-items', maxProperties: 'max-properties' }
const LOWER_BOUNDS: Readonly<Record<string, string>> = { minLength: 'min-length', minItems: 'min-items', minProperties: 'min-properties' }
const MAX_ALL_OF_DEPTH = 16

const views = new WeakMap<SpecModel, WeakMap<object, SchemaView>>()

/** The view of `schema` (written at `path`) in `spec`; built once per schema object. */
export function schemaView(spec: SpecModel, schema: unknown, path: Path): SchemaView {
  const resolved = spec.resolve(schema, path)
  const node = isObject(resolved.value) ? resolved.value : {}
  let cache = views.get(spec)
  if (cache === undefined) {
    cache = new WeakMap()
    views.set(spec, cache)
  }
  const cached = cache.get(node)
  if (cached !== undefined) return cached
  const view = buildView(spec, node, resolved.path)
  cache.set(node, view)
  return view
}

interface Parts {
  readonly keywords: Map<string, Located<unknown>>
  readonly properties: Map<string, Located<unknown>>
  readonly required: Set<string>
  typeNode: { node: JsonObject; path: Path } | undefined
  requiredPath: Path | undefined
}

function collect(spec: SpecModel, node: JsonObject, path: Path, parts: Parts, depth: number, seen: Set<JsonObject>): void {
  if (seen.has(node)) return
  seen.add(node)
  for (const keyword of [...PLAIN_KEYWORDS, 'enum', 'const', 'nullable', 'x-nullable', 'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', ...Object.keys(UPPER_BOUNDS), ...Object.keys(LOWER_BOUNDS)]) {
    if (node[keyword] !== undefined && !parts.keywords.has(keyword)) parts.keywords.set(keyword, { value: node[keyword], path: [...path, keyword] })
  }
  if (node.type !== undefined && parts.typeNode === undefined) parts.typeNode = { node, path }
  if (isObject(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) if (!parts.properties.has(name)) parts.properties.set(name, { value: child, path: [...path, 'properties', name] })
  }
  if (Array.isArray(node.required)) {
    for (const name of node.required) if (typeof name === 'string') parts.required.add(name)
    parts.requiredPath ??= [...path, 'required']
  }
  if (node.$ref !== undefined && typeof node.$ref === 'string' && !node.$ref.startsWith('#') && !parts.keywords.has('$ref')) parts.keywords.set('$ref', { value: node.$ref, path: [...path, '$ref'] })
  if (depth >= MAX_ALL_OF_DEPTH || !Array.isArray(node.allOf)) return
  node.allOf.forEach((member, index) => {
    const resolved = spec.resolve(member, [...path, 'allOf', String(index)])
    if (isObject(resolved.value)) collect(spec, resolved.value, resolved.path, parts, depth + 1, seen)
  })
}

function typesOf(spec: SpecModel, typeNode: JsonObject | undefined): { types: Set<string> | undefined; nullType: boolean } {
  const type = typeNode?.type
  if (typeof type === 'string') return type === 'null' ? { types: new Set(), nullType: true } : { types: new Set([type]), nullType: false }
  if (Array.isArray(type) && spec.format === 'oas3.1') {
    const names = type.filter((name): name is string => typeof name === 'string')
    return { types: new Set(names.filter((name) => name !== 'null')), nullType: names.includes('null') }
  }
  return { types: undefined, nullType: false }
}

function boundsOf(keywords: ReadonlyMap<string, Located<unknown>>): Map<string, Located<Bound>> {
  const bounds = new Map<string, Located<Bound>>()
  const number = (keyword: string) => {
    const found = keywords.get(keyword)
    return found !== undefined && typeof found.value === 'number' ? (found as Located<number>) : undefined
  }
  for (const [keyword, name] of Object.entries({ ...UPPER_BOUNDS, ...LOWER_BOUNDS })) {
    const found = number(keyword)
    if (found) bounds.set(name, { value: { value: found.value, exclusive: false }, path: found.path })
  }
  for (const [limit, exclusiveKeyword, name, upper] of [
    ['maximum', 'exclusiveMaximum', 'maximum', true],
    ['minimum', 'exclusiveMinimum', 'minimum', false],
  ] as const) {
    const inclusive = number(limit)
    const exclusiveNumber = number(exclusiveKeyword)
    // OpenAPI 3.1 (JSON Schema 2020-12) writes an exclusive limit as a number; 3.0 and 2.0 as a boolean beside the limit.
    if (exclusiveNumber && (inclusive === undefined || (upper ? exclusiveNumber.value <= inclusive.value : exclusiveNumber.value >= inclusive.value))) {
      bounds.set(name, { value: { value: exclusiveNumber.value, exclusive: true }, path: exclusiveNumber.path })
    } else if (inclusive) {
      bounds.set(name, { value: { value: inclusive.value, exclusive: keywords.get(exclusiveKeyword)?.value === true }, path: inclusive.path })
    }
  }
  return bounds
}

function buildView(spec: SpecModel, node: JsonObject, path: Path): SchemaView {
  const parts: Parts = { keywords: new Map(), properties: new Map(), required: new Set(), typeNode: undefined, requiredPath: undefined }
  collect(spec, node, path, parts, 0, new Set())
  const { types, nullType } = typesOf(spec, parts.typeNode?.node)
  const keywords = parts.keywords
  const constValue = keywords.get('const')
  if (constValue !== undefined && !keywords.has('enum')) keywords.set('enum', { value: [constValue.value], path: constValue.path })
  const nullable = nullType || keywords.get('nullable')?.value === true || keywords.get('x-nullable')?.value === true
  if (parts.typeNode) keywords.set('type', { value: parts.typeNode.node.type, path: [...parts.typeNode.path, 'type'] })
  const externalRef = keywords.get('$ref')?.value
  return {
    node,
    path,
    externalRef: typeof externalRef === 'string' ? externalRef : undefined,
    types,
    nullable,
    keywords,
    bounds: boundsOf(keywords),
    properties: parts.properties,
    required: parts.required,
    requiredPath: parts.requiredPath ?? path,
  }
}

/** `additionalProperties` in one of three kinds: absent, `true` and `{}` are all open. */
export function additionalPropertiesOf(view: SchemaView): AdditionalProperties {
  const found = view.keywords.get('additionalProperties')
  if (found === undefined || found.value === true) return { kind: 'open' }
  if (found.value === false) return { kind: 'closed' }
  if (isObject(found.value) && Object.keys(found.value).length === 0) return { kind: 'open' }
  return { kind: 'schema', schema: found.value, path: found.path }
}

/** A value as a message shows it: strings as they are, anything else as JSON. */
export function showValue(value: unknown): string {
  return typeof value === 'string' ? value : canonicalJson(value)
}

/** JSON with sorted keys, bounded in depth: to compare enum values, defaults and schemas by content. */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > 24) return '…'
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item, depth + 1)).join(',')}]`
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key], depth + 1)}`)
      .join(',')}}`
  }
  return JSON.stringify(value) ?? 'undefined'
}
