/**
 * Sample-free shapes of JSON bodies: types, field names and string formats, merged across
 * samples; never a value. Bounded: `maxDepth` levels (deeper values count by type only),
 * `maxProperties` names per object (the rest mark the object truncated), the first
 * `ARRAY_ITEMS_SEEN` items of an array, `maxNodes` shapes in all, and a budget of shapes shared by
 * every recorder of an API. Keys that look like values
 * (ids, e-mail addresses, dates: `{"user_8f3a…": {…}}`) are not names: they become the object's
 * `additionalProperties`, so a map keyed by ids leaks none of them.
 */
import { paramKindOf } from './segment-kinds.js'

export type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null'

export interface ShapeLimits {
  readonly maxDepth: number
  readonly maxProperties: number
  readonly maxNodes: number
  /** Shape nodes every recorder of one API may still add, shared by them: the API's bound whatever its number of operations. */
  readonly budget?: { remaining: number }
}

/** The JSON Schema written for a shape (OpenAPI 3.1 / JSON Schema 2020-12). */
export interface ShapeSchema {
  type?: JsonType | JsonType[]
  format?: string
  properties?: Record<string, ShapeSchema>
  required?: string[]
  additionalProperties?: ShapeSchema
  items?: ShapeSchema
  'x-portcullis-truncated'?: true
}

const ARRAY_ITEMS_SEEN = 32
const FORMATS: readonly [string, RegExp][] = [
  ['uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i],
  ['date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i],
  ['date', /^\d{4}-\d{2}-\d{2}$/],
  // The lookahead checks the domain's characters once: without it a domain of dots and a space was rescanned from every dot.
  ['email', /^[^@\s]+@(?=[^@\s]+$)[^@\s]+\.[^@\s]+$/],
  ['uri', /^https?:\/\/[^\s]+$/i],
]

interface Property {
  readonly shape: Shape
  seen: number
}

/** One position of a JSON document, across the samples seen there. */
export class Shape {
  readonly types = new Set<JsonType>()
  /** undefined: no string yet; '': strings of several or no format. */
  format: string | undefined = undefined
  objects = 0
  properties: Map<string, Property> | null = null
  additional: Shape | null = null
  items: Shape | null = null
  truncated = false
}

/** A shape and the budget of nodes it may still grow by. */
export class ShapeRecorder {
  readonly root = new Shape()
  readonly #limits: ShapeLimits
  #nodes = 1

  constructor(limits: ShapeLimits) {
    this.#limits = limits
  }

  /** Adds one parsed JSON value's shape. */
  observe(value: unknown): void {
    this.#observe(this.root, value, 0)
  }

  /** Adds another recorder's shape (two templates that became one). */
  merge(other: ShapeRecorder): void {
    this.#merge(this.root, other.root, 0)
  }

  #observe(shape: Shape, value: unknown, depth: number): void {
    const type = typeOf(value)
    shape.types.add(type)
    if (depth >= this.#limits.maxDepth) {
      if (type === 'object' || type === 'array') shape.truncated = true
      return
    }
    switch (type) {
      case 'string':
        shape.format = mergeFormat(shape.format, formatOf(value as string))
        return
      case 'array': {
        const items = value as unknown[]
        const count = Math.min(items.length, ARRAY_ITEMS_SEEN)
        for (let i = 0; i < count; i++) {
          const item = (shape.items ??= this.#newShape())
          if (item === null) {
            shape.truncated = true
            return
          }
          this.#observe(item, items[i], depth + 1)
        }
        return
      }
      case 'object': {
        shape.objects++
        for (const key of Object.keys(value as object)) {
          const child = this.#propertyShape(shape, key)
          if (child !== null) this.#observe(child, (value as Record<string, unknown>)[key], depth + 1)
        }
        return
      }
    }
  }

  /** The shape of `key` in `shape`: a named property, or the additional properties for keys that are values. */
  #propertyShape(shape: Shape, key: string): Shape | null {
    if (paramKindOf(key) !== null) {
      shape.additional ??= this.#newShape()
      if (shape.additional === null) shape.truncated = true
      return shape.additional
    }
    const properties = (shape.properties ??= new Map<string, Property>())
    const existing = properties.get(key)
    if (existing !== undefined) {
      existing.seen++
      return existing.shape
    }
    const fresh = properties.size < this.#limits.maxProperties ? this.#newShape() : null
    if (fresh === null) {
      shape.truncated = true
      return null
    }
    properties.set(key, { shape: fresh, seen: 1 })
    return fresh
  }

  #newShape(): Shape | null {
    const budget = this.#limits.budget
    if (this.#nodes >= this.#limits.maxNodes || (budget !== undefined && budget.remaining <= 0)) return null
    this.#nodes++
    if (budget !== undefined) budget.remaining--
    return new Shape()
  }

  #merge(into: Shape, from: Shape, depth: number): void {
    for (const type of from.types) into.types.add(type)
    if (from.format !== undefined) into.format = mergeFormat(into.format, from.format)
    into.truncated ||= from.truncated
    if (depth >= this.#limits.maxDepth) return
    into.objects += from.objects
    if (from.items !== null) {
      into.items ??= this.#newShape()
      if (into.items === null) into.truncated = true
      else this.#merge(into.items, from.items, depth + 1)
    }
    if (from.additional !== null) {
      into.additional ??= this.#newShape()
      if (into.additional === null) into.truncated = true
      else this.#merge(into.additional, from.additional, depth + 1)
    }
    if (from.properties !== null) {
      for (const [key, property] of from.properties) {
        const properties = (into.properties ??= new Map<string, Property>())
        let target = properties.get(key)
        if (target === undefined) {
          const fresh = properties.size < this.#limits.maxProperties ? this.#newShape() : null
          if (fresh === null) {
            into.truncated = true
            continue
          }
          properties.set(key, (target = { shape: fresh, seen: 0 }))
        }
        target.seen += property.seen
        this.#merge(target.shape, property.shape, depth + 1)
      }
    }
  }
}

/** The JSON Schema of a shape: a property is required when every object seen there had it. */
export function schemaOf(shape: Shape): ShapeSchema {
  const schema: ShapeSchema = {}
  const types = [...shape.types]
  if (types.includes('integer') && types.includes('number')) types.splice(types.indexOf('integer'), 1)
  types.sort()
  if (types.length === 1) schema.type = types[0]
  else if (types.length > 1) schema.type = types
  if (shape.format !== undefined && shape.format !== '') schema.format = shape.format
  if (shape.properties !== null && shape.properties.size > 0) {
    schema.properties = Object.fromEntries([...shape.properties].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, p]) => [key, schemaOf(p.shape)]))
    const required = [...shape.properties].filter(([, p]) => p.seen >= shape.objects).map(([key]) => key).sort()
    if (required.length > 0) schema.required = required
  }
  if (shape.additional !== null) schema.additionalProperties = schemaOf(shape.additional)
  if (shape.items !== null) schema.items = schemaOf(shape.items)
  if (shape.truncated) schema['x-portcullis-truncated'] = true
  return schema
}

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  switch (typeof value) {
    case 'string':
      return 'string'
    case 'boolean':
      return 'boolean'
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number'
    default:
      return 'object'
  }
}

function formatOf(value: string): string {
  if (value.length > 320) return ''
  for (const [name, pattern] of FORMATS) if (pattern.test(value)) return name
  return ''
}

function mergeFormat(current: string | undefined, next: string): string {
  return current === undefined || current === next ? next : ''
}
