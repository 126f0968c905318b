/**
 * Removes from a JSON value every object property its schema does not declare (OWASP API3,
 * excessive data exposure): the schema's `properties`, merged across `allOf`/`anyOf`/`oneOf`
 * members and `$ref`s; `additionalProperties` that is true or a schema keeps the rest (projected
 * with that schema); an object schema that declares no properties at all is left alone. Arrays
 * are projected item by item. The walk follows the document, so recursive schemas work.
 */
import { isRecord, type DocumentSet, type Located } from './document-set.js'

const MAX_DEPTH = 64

interface Shape {
  /** Schemas of each declared property. */
  readonly properties: Map<string, Located[]>
  /** Schemas for undeclared properties; null when they are removed. */
  readonly additional: Located[] | null
  readonly items: Located[]
  /** No member declares properties: leave objects as they are. */
  readonly freeForm: boolean
}

export class UndeclaredStripper {
  readonly #documents: DocumentSet
  readonly #shapes = new Map<string, Shape>()
  /** Shapes by the schema lists the walk passes around (the same arrays every time). */
  readonly #shapesOfLists = new WeakMap<readonly Located[], Shape>()
  /** One stable list per root schema, so the root's shape is found by identity too. */
  readonly #roots = new Map<string, readonly Located[]>()

  constructor(documents: DocumentSet) {
    this.#documents = documents
  }

  /** The value without its undeclared properties, and how many were removed. */
  strip(value: unknown, schema: Located): { value: unknown; removed: number } {
    const counter = { removed: 0 }
    const id = `${schema.url}#${schema.pointer}`
    let root = this.#roots.get(id)
    if (root === undefined) this.#roots.set(id, (root = [schema]))
    return { value: this.#project(value, root, 0, counter), removed: counter.removed }
  }

  #project(value: unknown, schemas: readonly Located[], depth: number, counter: { removed: number }): unknown {
    // Strings, numbers and the like have nothing to strip: no shape is looked up for them.
    if (typeof value !== 'object' || value === null || depth > MAX_DEPTH || schemas.length === 0) return value
    let shape = this.#shapesOfLists.get(schemas)
    if (shape === undefined) this.#shapesOfLists.set(schemas, (shape = this.#shapeOf(schemas)))
    if (Array.isArray(value)) return shape.items.length === 0 ? value : value.map((item: unknown) => this.#project(item, shape.items, depth + 1, counter))
    if (shape.freeForm) return value
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(value)) {
      const declared = shape.properties.get(key)
      if (declared !== undefined) out[key] = this.#project(child, declared, depth + 1, counter)
      else if (shape.additional !== null) out[key] = this.#project(child, shape.additional, depth + 1, counter)
      else counter.removed++
    }
    return out
  }

  /** The merged shape of several schemas, remembered by their locations. */
  #shapeOf(schemas: readonly Located[]): Shape {
    const key = schemas.map((s) => `${s.url}#${s.pointer}`).join('|')
    let shape = this.#shapes.get(key)
    if (shape !== undefined) return shape
    const members: Located[] = []
    const seen = new Set<string>()
    const visit = (at: Located) => {
      const resolved = this.#documents.deref(at)
      const id = `${resolved.url}#${resolved.pointer}`
      if (seen.has(id) || !isRecord(resolved.value)) return
      seen.add(id)
      members.push(resolved)
      for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
        const list = resolved.value[keyword]
        if (Array.isArray(list)) list.forEach((member, i) => visit({ value: member, url: resolved.url, pointer: `${resolved.pointer}/${keyword}/${i}` }))
      }
    }
    for (const schema of schemas) visit(schema)
    const properties = new Map<string, Located[]>()
    let additional: Located[] | null = null
    let declaresProperties = false
    const items: Located[] = []
    for (const member of members) {
      const value = member.value as Record<string, unknown>
      if (isRecord(value.properties)) {
        declaresProperties = true
        for (const [name, schema] of Object.entries(value.properties)) {
          const list = properties.get(name) ?? []
          list.push({ value: schema, url: member.url, pointer: `${member.pointer}/properties/${name.replaceAll('~', '~0').replaceAll('/', '~1')}` })
          properties.set(name, list)
        }
      }
      if (value.additionalProperties === true) additional ??= []
      else if (isRecord(value.additionalProperties)) (additional ??= []).push({ value: value.additionalProperties, url: member.url, pointer: `${member.pointer}/additionalProperties` })
      if (isRecord(value.items)) items.push({ value: value.items, url: member.url, pointer: `${member.pointer}/items` })
    }
    shape = { properties, additional, items, freeForm: !declaresProperties }
    this.#shapes.set(key, shape)
    return shape
  }
}
