/**
 * Compares two schemas in a direction. What clients send (request) breaks when it narrows; what
 * they read (response) breaks when it widens. The walk follows properties, items, additional
 * properties and oneOf/anyOf variants; a pair of schemas is compared once per direction (the
 * result is reused wherever the pair occurs again), cycles stop at the pair in progress, and the
 * whole comparison is bounded in nodes.
 */
import type { Path, SpecModel } from '../../audit/spec-model.js'
import { additionalPropertiesOf, canonicalJson, schemaView, showValue, type Bound, type Located, type SchemaView } from './schema-view.js'

/** One difference, relative to the pair compared: `trail` names the member (`items`, `[]`, `{}`, `oneOf[Pet]`). */
export interface SchemaChange {
  readonly aspect: string
  /** An aspect of an object member (`removed`, `became-required`…) rather than of a schema. */
  readonly member: boolean
  readonly trail: readonly string[]
  readonly message: string
  readonly oldPath: Path
  readonly newPath: Path
}

const DEFAULT_MAX_NODES = 200_000

const BOUND_KEYWORDS: Readonly<Record<string, readonly [keyword: string, upper: boolean]>> = {
  'max-length': ['maxLength', true],
  'min-length': ['minLength', false],
  maximum: ['maximum', true],
  minimum: ['minimum', false],
  'max-items': ['maxItems', true],
  'min-items': ['minItems', false],
  'max-properties': ['maxProperties', true],
  'min-properties': ['minProperties', false],
}

const show = showValue
const showBound = (bound: Bound, keyword: string) => `${bound.exclusive ? `exclusive ${keyword}` : keyword} ${String(bound.value)}`
const showTypes = (types: ReadonlySet<string> | undefined) => (types === undefined ? 'any' : [...types].join('|') || 'null')

/** Whether `types` allows every value of `type` (an integer is a number). */
function covers(types: ReadonlySet<string> | undefined, type: string): boolean {
  return types === undefined || types.has(type) || (type === 'integer' && types.has('number'))
}
function coversAll(wide: ReadonlySet<string> | undefined, narrow: ReadonlySet<string> | undefined): boolean {
  if (narrow === undefined) return wide === undefined
  return [...narrow].every((type) => covers(wide, type))
}

export class SchemaComparer {
  readonly #old: SpecModel
  readonly #new: SpecModel
  readonly #maxNodes: number
  readonly #ids = new WeakMap<object, number>()
  #nextId = 0
  readonly #memo = new Map<string, readonly SchemaChange[]>()
  readonly #inProgress = new Set<string>()
  #nodes = 0
  truncated = false

  constructor(oldSpec: SpecModel, newSpec: SpecModel, maxNodes = DEFAULT_MAX_NODES) {
    this.#old = oldSpec
    this.#new = newSpec
    this.#maxNodes = maxNodes
  }

  /** Differences between the schema at `oldPath` and the one at `newPath`; `request` is the direction. */
  compare(oldSchema: unknown, oldPath: Path, newSchema: unknown, newPath: Path, request: boolean): readonly SchemaChange[] {
    const oldView = schemaView(this.#old, oldSchema, oldPath)
    const newView = schemaView(this.#new, newSchema, newPath)
    const key = `${String(this.#idOf(oldView.node))}:${String(this.#idOf(newView.node))}:${request ? 'q' : 's'}`
    const memo = this.#memo.get(key)
    if (memo) return memo
    // A pair already being compared further up: its changes are reported from there.
    if (this.#inProgress.has(key)) return []
    if (++this.#nodes > this.#maxNodes) {
      this.truncated = true
      return []
    }
    this.#inProgress.add(key)
    const changes = new PairComparison(this, { spec: this.#old, view: oldView }, { spec: this.#new, view: newView }, request).run()
    this.#inProgress.delete(key)
    // Reused even when it stopped at a pair in progress (a recursive schema): every change is then
    // still reported once, under the first operation that reached it, and each pair costs one walk.
    this.#memo.set(key, changes)
    return changes
  }

  #idOf(node: object): number {
    let id = this.#ids.get(node)
    if (id === undefined) {
      id = this.#nextId++
      this.#ids.set(node, id)
    }
    return id
  }
}

/** The comparison of one pair of schema views. */
class PairComparison {
  readonly #comparer: SchemaComparer
  readonly #old: SchemaView
  readonly #new: SchemaView
  readonly #oldSpec: SpecModel
  readonly #newSpec: SpecModel
  readonly #request: boolean
  readonly #changes: SchemaChange[] = []

  constructor(comparer: SchemaComparer, before: { spec: SpecModel; view: SchemaView }, after: { spec: SpecModel; view: SchemaView }, request: boolean) {
    this.#comparer = comparer
    this.#old = before.view
    this.#new = after.view
    this.#oldSpec = before.spec
    this.#newSpec = after.spec
    this.#request = request
  }

  run(): SchemaChange[] {
    if (this.#old.externalRef !== undefined || this.#new.externalRef !== undefined) {
      if (this.#old.externalRef !== this.#new.externalRef) this.#add('external-ref-changed', `reference changed from ${this.#old.externalRef ?? '(inline)'} to ${this.#new.externalRef ?? '(inline)'}`, '$ref')
      return this.#changes
    }
    const typeChanged = this.#types()
    this.#nullable()
    if (!typeChanged) this.#format()
    this.#enum()
    this.#pattern()
    this.#bounds()
    this.#multipleOf()
    this.#uniqueItems()
    this.#default()
    this.#discriminator()
    this.#not()
    this.#properties()
    this.#additionalProperties()
    this.#items()
    this.#variants('oneOf', 'one-of')
    this.#variants('anyOf', 'any-of')
    return this.#changes
  }

  #add(aspect: string, message: string, keyword: string, member = false, trail: readonly string[] = []): void {
    const oldPath = this.#old.keywords.get(keyword)?.path ?? this.#old.path
    const newPath = this.#new.keywords.get(keyword)?.path ?? this.#new.path
    this.#changes.push({ aspect, member, trail, message, oldPath, newPath })
  }

  #types(): boolean {
    const { types: before } = this.#old
    const { types: after } = this.#new
    const widened = coversAll(after, before)
    const narrowed = coversAll(before, after)
    if (widened && narrowed) return false
    const message = `type changed from ${showTypes(before)} to ${showTypes(after)}`
    if (widened) this.#add('type-widened', message, 'type')
    else if (narrowed) this.#add('type-narrowed', message, 'type')
    else this.#add('type-changed', message, 'type')
    return !widened && !narrowed
  }

  #nullable(): void {
    if (this.#old.nullable === this.#new.nullable) return
    const keyword = this.#new.keywords.has('nullable') || this.#old.keywords.has('nullable') ? 'nullable' : this.#new.keywords.has('x-nullable') || this.#old.keywords.has('x-nullable') ? 'x-nullable' : 'type'
    if (this.#new.nullable) this.#add('became-nullable', 'null became a valid value', keyword)
    else this.#add('became-not-nullable', 'null is no longer a valid value', keyword)
  }

  #value(view: SchemaView, keyword: string): unknown {
    return view.keywords.get(keyword)?.value
  }

  #format(): void {
    const before = this.#value(this.#old, 'format')
    const after = this.#value(this.#new, 'format')
    if (before === after) return
    if (before === undefined) this.#add('format-added', `format ${show(after)} added`, 'format')
    else if (after === undefined) this.#add('format-removed', `format ${show(before)} removed`, 'format')
    else this.#add('format-changed', `format changed from ${show(before)} to ${show(after)}`, 'format')
  }

  #enum(): void {
    const before = this.#value(this.#old, 'enum')
    const after = this.#value(this.#new, 'enum')
    if (!Array.isArray(before) && !Array.isArray(after)) return
    if (!Array.isArray(before)) {
      this.#add('enum-added', `values restricted to ${canonicalJson(after)}`, 'enum')
      return
    }
    if (!Array.isArray(after)) {
      this.#add('enum-removed', `the restriction to ${canonicalJson(before)} was removed`, 'enum')
      return
    }
    const oldValues = new Set(before.map((value) => canonicalJson(value)))
    const newValues = new Set(after.map((value) => canonicalJson(value)))
    for (const value of oldValues) if (!newValues.has(value)) this.#add('enum-value-removed', `enum value ${value} removed`, 'enum')
    for (const value of newValues) if (!oldValues.has(value)) this.#add('enum-value-added', `enum value ${value} added`, 'enum')
  }

  #pattern(): void {
    const before = this.#value(this.#old, 'pattern')
    const after = this.#value(this.#new, 'pattern')
    if (before === after) return
    if (before === undefined) this.#add('pattern-added', `pattern ${show(after)} added`, 'pattern')
    else if (after === undefined) this.#add('pattern-removed', `pattern ${show(before)} removed`, 'pattern')
    else this.#add('pattern-changed', `pattern changed from ${show(before)} to ${show(after)}`, 'pattern')
  }

  #bounds(): void {
    for (const [name, [keyword, upper]] of Object.entries(BOUND_KEYWORDS)) {
      const before = this.#old.bounds.get(name)
      const after = this.#new.bounds.get(name)
      this.#bound(name, keyword, upper, before, after)
    }
  }

  #bound(name: string, keyword: string, upper: boolean, before: Located<Bound> | undefined, after: Located<Bound> | undefined): void {
    if (before === undefined && after === undefined) return
    const place = { oldPath: before?.path ?? this.#old.path, newPath: after?.path ?? this.#new.path, member: false, trail: [] }
    if (before === undefined && after !== undefined) {
      this.#changes.push({ aspect: `${name}-set`, message: `${showBound(after.value, keyword)} set`, ...place })
      return
    }
    if (after === undefined && before !== undefined) {
      this.#changes.push({ aspect: `${name}-unset`, message: `${showBound(before.value, keyword)} removed`, ...place })
      return
    }
    if (before === undefined || after === undefined) return
    const a = before.value
    const b = after.value
    if (a.value === b.value && a.exclusive === b.exclusive) return
    // Same value: the exclusive one is the tighter bound.
    const higher = b.value > a.value || (b.value === a.value && (upper ? a.exclusive : b.exclusive))
    const direction = higher ? 'increased' : 'decreased'
    this.#changes.push({ aspect: `${name}-${direction}`, message: `${keyword} ${direction} from ${showBound(a, keyword)} to ${showBound(b, keyword)}`, ...place })
  }

  #multipleOf(): void {
    const before = this.#value(this.#old, 'multipleOf')
    const after = this.#value(this.#new, 'multipleOf')
    if (before === after) return
    if (before === undefined) this.#add('multiple-of-set', `multipleOf ${show(after)} set`, 'multipleOf')
    else if (after === undefined) this.#add('multiple-of-unset', `multipleOf ${show(before)} removed`, 'multipleOf')
    else this.#add('multiple-of-changed', `multipleOf changed from ${show(before)} to ${show(after)}`, 'multipleOf')
  }

  #uniqueItems(): void {
    const before = this.#value(this.#old, 'uniqueItems') === true
    const after = this.#value(this.#new, 'uniqueItems') === true
    if (before === after) return
    this.#add(after ? 'unique-items-set' : 'unique-items-unset', after ? 'items must now be unique' : 'items no longer need to be unique', 'uniqueItems')
  }

  #default(): void {
    const before = this.#value(this.#old, 'default')
    const after = this.#value(this.#new, 'default')
    if (before === undefined && after === undefined) return
    if (before === undefined) this.#add('default-added', `default ${canonicalJson(after)} added`, 'default')
    else if (after === undefined) this.#add('default-removed', `default ${canonicalJson(before)} removed`, 'default')
    else if (canonicalJson(before) !== canonicalJson(after)) this.#add('default-changed', `default changed from ${canonicalJson(before)} to ${canonicalJson(after)}`, 'default')
  }

  #discriminator(): void {
    const before = this.#value(this.#old, 'discriminator')
    const after = this.#value(this.#new, 'discriminator')
    if (before === undefined && after === undefined) return
    const propertyOf = (value: unknown) => (typeof value === 'string' ? value : typeof value === 'object' && value !== null ? (value as { propertyName?: unknown }).propertyName : undefined)
    const mappingOf = (value: unknown) => canonicalJson(typeof value === 'object' && value !== null ? (value as { mapping?: unknown }).mapping : undefined)
    if (propertyOf(before) !== propertyOf(after)) this.#add('discriminator-property-changed', `discriminator property changed from ${show(propertyOf(before) ?? '(none)')} to ${show(propertyOf(after) ?? '(none)')}`, 'discriminator')
    else if (mappingOf(before) !== mappingOf(after)) this.#add('discriminator-mapping-changed', `discriminator mapping changed from ${mappingOf(before)} to ${mappingOf(after)}`, 'discriminator')
  }

  #not(): void {
    const before = this.#value(this.#old, 'not')
    const after = this.#value(this.#new, 'not')
    if ((before === undefined) === (after === undefined)) return
    if (after !== undefined) this.#add('not-added', 'a `not` subschema was added', 'not')
    else this.#add('not-removed', 'the `not` subschema was removed', 'not')
  }

  #nested(trail: string, oldSchema: unknown, oldPath: Path, newSchema: unknown, newPath: Path): void {
    for (const change of this.#comparer.compare(oldSchema, oldPath, newSchema, newPath, this.#request)) this.#changes.push({ ...change, trail: [trail, ...change.trail] })
  }

  #properties(): void {
    const before = this.#old.properties
    const after = this.#new.properties
    if (before.size === 0 && after.size === 0) return
    for (const [name, oldProperty] of before) {
      const newProperty = after.get(name)
      const oldRequired = this.#old.required.has(name)
      if (newProperty === undefined) {
        if (this.#unused(this.#old, oldProperty)) continue
        this.#changes.push({ aspect: oldRequired ? 'required-removed' : 'removed', member: true, trail: [name], message: `${oldRequired ? 'required ' : ''}property removed`, oldPath: oldProperty.path, newPath: this.#new.path })
        continue
      }
      this.#member(name, oldProperty, newProperty)
      this.#nested(name, oldProperty.value, oldProperty.path, newProperty.value, newProperty.path)
    }
    for (const [name, newProperty] of after) {
      if (before.has(name)) continue
      const required = this.#new.required.has(name) && !(this.#request && this.#flag(this.#new, newProperty, 'readOnly'))
      this.#changes.push({ aspect: required ? 'new-required' : 'new-optional', member: true, trail: [name], message: `new ${required ? 'required' : 'optional'} property`, oldPath: this.#old.path, newPath: newProperty.path })
    }
  }

  /** A member that never travels in this direction: readOnly in a request, writeOnly in a response. */
  #unused(view: SchemaView, property: Located<unknown>): boolean {
    return this.#flag(view, property, this.#request ? 'readOnly' : 'writeOnly')
  }

  #flag(view: SchemaView, property: Located<unknown>, flag: string): boolean {
    return this.#childView(view === this.#old ? 'old' : 'new', property).keywords.get(flag)?.value === true
  }

  #childView(side: 'old' | 'new', property: Located<unknown>): SchemaView {
    return schemaView(side === 'old' ? this.#oldSpec : this.#newSpec, property.value, property.path)
  }

  #member(name: string, oldProperty: Located<unknown>, newProperty: Located<unknown>): void {
    const oldChild = this.#childView('old', oldProperty)
    const newChild = this.#childView('new', newProperty)
    const push = (aspect: string, message: string, oldPath: Path = oldProperty.path, newPath: Path = newProperty.path) => this.#changes.push({ aspect, member: true, trail: [name], message, oldPath, newPath })
    const wasRequired = this.#old.required.has(name)
    const isRequired = this.#new.required.has(name)
    const flag = (view: SchemaView, key: string) => view.keywords.get(key)?.value === true
    if (wasRequired !== isRequired && !this.#unused(this.#new, newProperty)) {
      if (isRequired) push('became-required', 'became required', this.#old.requiredPath, this.#new.requiredPath)
      else push('became-optional', 'became optional', this.#old.requiredPath, this.#new.requiredPath)
    }
    for (const [key, on, off] of [
      ['readOnly', 'became-read-only', 'became-not-read-only'],
      ['writeOnly', 'became-write-only', 'became-not-write-only'],
      ['deprecated', 'deprecated', 'deprecation-removed'],
    ] as const) {
      const before = flag(oldChild, key)
      const after = flag(newChild, key)
      if (before !== after) push(after ? on : off, after ? `${key} set` : `${key} removed`, oldChild.keywords.get(key)?.path ?? oldProperty.path, newChild.keywords.get(key)?.path ?? newProperty.path)
    }
  }

  #additionalProperties(): void {
    const before = additionalPropertiesOf(this.#old)
    const after = additionalPropertiesOf(this.#new)
    if (before.kind === 'schema' && after.kind === 'schema') {
      this.#nested('{}', before.schema, before.path, after.schema, after.path)
      return
    }
    if (before.kind === after.kind) return
    const openness = { open: 2, schema: 1, closed: 0 } as const
    if (openness[after.kind] > openness[before.kind]) this.#add('additional-properties-widened', `additional properties changed from ${before.kind} to ${after.kind}`, 'additionalProperties')
    else this.#add('additional-properties-narrowed', `additional properties changed from ${before.kind} to ${after.kind}`, 'additionalProperties')
  }

  #items(): void {
    const before = this.#old.keywords.get('items')
    const after = this.#new.keywords.get('items')
    if (before === undefined && after === undefined) return
    this.#nested('[]', before?.value ?? {}, before?.path ?? this.#old.path, after?.value ?? {}, after?.path ?? this.#new.path)
  }

  #variants(keyword: 'oneOf' | 'anyOf', aspect: string): void {
    const listOf = (view: SchemaView) => {
      const found = view.keywords.get(keyword)
      return Array.isArray(found?.value) ? found.value.map((schema: unknown, index) => ({ schema, path: [...(found?.path ?? view.path), String(index)], index })) : []
    }
    const before = listOf(this.#old)
    const after = listOf(this.#new)
    if (before.length === 0 && after.length === 0) return
    for (const [oldVariant, newVariant] of matchVariants(before, after)) {
      const label = `${keyword}[${variantLabel(oldVariant?.schema ?? newVariant?.schema, (oldVariant ?? newVariant)?.index ?? 0)}]`
      if (oldVariant && newVariant) this.#nested(label, oldVariant.schema, oldVariant.path, newVariant.schema, newVariant.path)
      else if (newVariant) this.#changes.push({ aspect: `${aspect}-variant-added`, member: false, trail: [], message: `${label} added`, oldPath: this.#old.keywords.get(keyword)?.path ?? this.#old.path, newPath: newVariant.path })
      else if (oldVariant) this.#changes.push({ aspect: `${aspect}-variant-removed`, member: false, trail: [], message: `${label} removed`, oldPath: oldVariant.path, newPath: this.#new.keywords.get(keyword)?.path ?? this.#new.path })
    }
  }
}

interface Variant {
  readonly schema: unknown
  readonly path: Path
  readonly index: number
}

function refOf(schema: unknown): string | undefined {
  return typeof schema === 'object' && schema !== null && typeof (schema as { $ref?: unknown }).$ref === 'string' ? (schema as { $ref: string }).$ref : undefined
}

function variantLabel(schema: unknown, index: number): string {
  const ref = refOf(schema)
  if (ref !== undefined) return ref.slice(ref.lastIndexOf('/') + 1)
  const title = typeof schema === 'object' && schema !== null ? (schema as { title?: unknown }).title : undefined
  return typeof title === 'string' ? title : String(index)
}

/** Pairs variants by `$ref`, then by equal content, then by position among those left. */
function matchVariants(before: readonly Variant[], after: readonly Variant[]): [Variant | undefined, Variant | undefined][] {
  const pairs: [Variant | undefined, Variant | undefined][] = []
  const left = new Set(before)
  const right = new Set(after)
  const pairBy = (keyOf: (variant: Variant) => string | undefined) => {
    for (const oldVariant of [...left]) {
      const key = keyOf(oldVariant)
      if (key === undefined) continue
      const match = [...right].find((newVariant) => keyOf(newVariant) === key)
      if (match === undefined) continue
      pairs.push([oldVariant, match])
      left.delete(oldVariant)
      right.delete(match)
    }
  }
  pairBy((variant) => refOf(variant.schema))
  pairBy((variant) => canonicalJson(variant.schema))
  const restOld = [...left]
  const restNew = [...right]
  for (let i = 0; i < Math.max(restOld.length, restNew.length); i++) pairs.push([restOld[i], restNew[i]])
  return pairs
}
