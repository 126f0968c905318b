/**
 * SecLang collections: ordered multimaps from a key to values (ARGS may hold `id` twice). Keys
 * are selected case-insensitively, as the reference engines select them (`ARGS:ID` finds `id`),
 * through an index, since CRS looks TX variables up by name hundreds of times per request.
 * Values are byte strings (latin1).
 */
export interface Entry {
  /** The key as it arrived (for MATCHED_VAR_NAME and regex selectors). */
  readonly key: string
  readonly value: string
  /**
   * This value after each transformation chain a rule applied, as chain id then result, flat
   * (`Rule.transformKeys`): rules share the work. A few chains per value: an array scan costs
   * less than a Map, whose allocation alone weighed on every request.
   */
  transforms: (number | string)[] | undefined
  /** The known misses of this value (known-misses.ts), once looked up; null when it is too long to have any. */
  misses: number[] | null | undefined
  /** How far a caller's schema-aware inspection reads this value (engine.ts `ArgumentInspection`), once asked. */
  inspection: 'skip' | 'high' | 'all' | undefined
  /**
   * Read by every transaction of a rule set that sets the same value (`SharedSingles`): what it
   * keeps must hold for all of them (`misses` only once known; a first sighting's null is one
   * transaction's).
   */
  readonly shared: boolean
}

/** Every entry has every field from the start: one shape for the engine's reads. */
function entryOf(key: string, value: string, shared = false): Entry {
  return { key, value, transforms: undefined, misses: undefined, inspection: undefined, shared }
}

const NONE: readonly Entry[] = []

/** In a `trace`: the collection was read whole (no lower-case key can be this: it has upper-case letters). */
export const WHOLE = 'WHOLE'

/**
 * ARGS_PATH holds a request's path parameters (Coraza's name for them): a gateway that routes by
 * template knows them, and an injection in `/users/{id}` is an argument like `?id=`.
 */
const COMPOSED: Readonly<Record<string, readonly string[]>> = { ARGS: ['ARGS_GET', 'ARGS_POST', 'ARGS_PATH'], ARGS_NAMES: ['ARGS_GET_NAMES', 'ARGS_POST_NAMES', 'ARGS_PATH_NAMES'] }

/** The collections holding a collection's entries: ARGS is ARGS_GET, ARGS_POST then ARGS_PATH; others themselves. */
export function sourcesOf(name: string): readonly string[] {
  let sources = SOURCES.get(name)
  if (sources === undefined) {
    sources = COMPOSED[name] ?? [name]
    SOURCES.set(name, sources)
  }
  return sources
}

const SOURCES = new Map<string, readonly string[]>()

export class Collection {
  #entries: Entry[] = []
  /** Lower-case key → entries; built on the first keyed read: most collections of a request (single values, names) are only ever read whole. */
  #index: Map<string, Entry[]> | null = null
  /**
   * The index of the collection this one was copied from, read where `#index` has no list for a
   * key: never changed (a list from it is replaced, not changed in place), so a copy costs no
   * index of its own until it is written.
   */
  #base: ReadonlyMap<string, readonly Entry[]> | null = null
  /** Changes on every write: lets readers reuse what they derived from an unchanged collection. */
  version = 0
  /** While set, what is read: lower-case keys, and `WHOLE` when read whole (the engine learns what a rule's outcome depends on). */
  trace: Set<string> | null = null

  #indexed(): Map<string, Entry[]> {
    if (this.#index === null) {
      const index = new Map<string, Entry[]>()
      for (const entry of this.#entries) {
        const normal = entry.key.toLowerCase()
        const list = index.get(normal)
        if (list === undefined) index.set(normal, [entry])
        else list.push(entry)
      }
      this.#index = index
    }
    return this.#index
  }

  /** The list under a lower-case key, this collection's own or its base's (which must not be changed). */
  #listOf(normal: string): readonly Entry[] | undefined {
    const own = this.#indexed().get(normal)
    if (own !== undefined || this.#base === null) return own
    return this.#base.get(normal)
  }

  /** A collection of one entry, its storage sized for one (a request sets a dozen single-valued variables); `shared` by transactions (`SharedSingles`). */
  static of(key: string, value: string, shared = false): Collection {
    const collection = new Collection()
    collection.#entries = [entryOf(key, value, shared)]
    collection.version = 1
    return collection
  }

  /** `lowerKey`, when given, is `key` in lower case (a rule's, from `canonicalKey`). */
  add(key: string, value: string, lowerKey?: string): void {
    const entry = entryOf(key, value)
    this.version++
    this.#entries.push(entry)
    if (this.#index === null) return
    const normal = lowerKey ?? key.toLowerCase()
    const own = this.#index.get(normal)
    if (own !== undefined) {
      own.push(entry)
      return
    }
    const inherited = this.#base?.get(normal)
    this.#index.set(normal, inherited === undefined ? [entry] : [...inherited, entry])
  }

  /** Replaces every value under `key` by one (in place when there was one: TX is set constantly). */
  set(key: string, value: string, lowerKey?: string): void {
    const normal = lowerKey ?? key.toLowerCase()
    const list = this.#listOf(normal)
    if (list?.length === 1) {
      const old = list[0] as Entry
      const entry = entryOf(key, value)
      this.version++
      // In place: the engine reads writable collections (TX) from a copy while a rule runs.
      this.#entries[this.#entries.indexOf(old)] = entry
      const own = this.#indexed().get(normal)
      if (own === undefined) this.#indexed().set(normal, [entry])
      else own[0] = entry
      return
    }
    this.remove(key, normal)
    this.add(key, value, normal)
  }

  /**
   * Whether none of `lowerKeys` was written since this collection was copied (`copyFrom`): what
   * was derived from those keys of the template still holds.
   */
  unchangedSinceCopy(lowerKeys: readonly string[]): boolean {
    if (this.#base === null || this.#index === null) return false
    for (let i = 0; i < lowerKeys.length; i++) if (this.#index.has(lowerKeys[i] as string)) return false
    return true
  }

  /**
   * Makes this empty collection a copy of `template`, reading the template's index until it is
   * written (the template must never be written again): cheaper than adding the entries one by
   * one and indexing them again (each request starts from the TX that CRS's initialization leaves).
   */
  copyFrom(template: Collection): void {
    if (this.#entries.length > 0) throw new Error('copyFrom needs an empty collection')
    this.version++
    this.#entries = template.#entries.slice()
    this.#index = new Map()
    this.#base = template.#indexed()
  }

  /** Re-keys its index with `canonicalKey` (a template of rule-set lifetime, whose keys come from rules: bounded). */
  canonicalizeKeys(): void {
    const index = new Map<string, Entry[]>()
    for (const [key, list] of this.#indexed()) index.set(canonicalKey(key), list)
    this.#index = index
  }

  /** Empties the collection (MATCHED_VARS before each rule). */
  clear(): void {
    if (this.#entries.length === 0) return
    this.version++
    this.#entries = []
    this.#index = null
    this.#base = null
  }

  remove(key: string, lowerKey?: string): void {
    const normal = lowerKey ?? key.toLowerCase()
    const list = this.#listOf(normal)
    if (list === undefined || list.length === 0) return
    this.version++
    // An empty list of its own hides the base's.
    if (this.#base === null) this.#indexed().delete(normal)
    else this.#indexed().set(normal, [])
    this.#entries = this.#entries.filter((e) => !list.includes(e))
  }

  /** The entries under `key`, any case. */
  get(key: string): readonly Entry[] {
    return this.getLower(key.toLowerCase())
  }

  /** The entries under an already lower-case key. */
  getLower(lowerKey: string): readonly Entry[] {
    if (this.trace !== null) this.trace.add(lowerKey)
    if (this.#entries.length === 0) return NONE
    return this.#listOf(lowerKey) ?? NONE
  }

  first(key: string): string | undefined {
    return this.get(key)[0]?.value
  }

  all(): readonly Entry[] {
    if (this.trace !== null) this.trace.add(WHOLE)
    return this.#entries
  }

  get size(): number {
    return this.#entries.length
  }
}

const CANONICAL = new Map<string, string>()

/**
 * One string object per distinct lower-case key that rules name (`TX:anomaly_score`,
 * `%{tx.paranoia_level}`, `setvar:tx.x`): a map finds a key it holds as the same object at once,
 * where an equal copy costs a hash and a comparison of characters (CRS reads TX by key hundreds of
 * times per request). For keys from rules only, never from requests: the pool is never emptied.
 */
export function canonicalKey(lowerKey: string): string {
  const found = CANONICAL.get(lowerKey)
  if (found !== undefined) return found
  CANONICAL.set(lowerKey, lowerKey)
  return lowerKey
}

/** Collection names as small numbers, shared by all rule sets: targets resolve theirs at load. */
const SLOTS = new Map<string, number>()

/** Slots below this fit in a bit mask (the engine's test of which collections hold something). */
export const MASKABLE_SLOTS = 31

// The collections of a request and response first, so that they get maskable slots whatever loads
// first; REMOTE_ADDR and UNIQUE_ID last, as they always hold a value and a mask cannot pass them over.
for (const name of [
  'TX', 'REQUEST_HEADERS', 'REQUEST_HEADERS_NAMES', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES', 'ARGS_GET', 'ARGS_GET_NAMES', 'ARGS_POST', 'ARGS_POST_NAMES',
  'ARGS_PATH', 'ARGS_PATH_NAMES', 'REQUEST_LINE', 'REQUEST_METHOD', 'REQUEST_PROTOCOL', 'REQUEST_URI', 'REQUEST_URI_RAW', 'REQUEST_FILENAME', 'REQUEST_BASENAME',
  'QUERY_STRING', 'REQUEST_BODY', 'REQUEST_BODY_LENGTH', 'REQBODY_PROCESSOR', 'REQBODY_ERROR', 'FILES', 'FILES_NAMES', 'FILES_SIZES', 'MULTIPART_PART_HEADERS',
  'XML', 'RESPONSE_HEADERS', 'RESPONSE_BODY', 'RESPONSE_STATUS', 'REMOTE_ADDR', 'UNIQUE_ID',
]) {
  slotOf(name)
}

export function slotOf(name: string): number {
  let slot = SLOTS.get(name)
  if (slot === undefined) {
    slot = SLOTS.size
    SLOTS.set(name, slot)
  }
  return slot
}

/** A transaction's collections by name, read by slot on the hot path (a rule reads several per evaluation). */
export class Variables {
  // Sized for the known collections up front: filled out of order, a growing array would go holey and slow.
  readonly #bySlot: (Collection | undefined)[] = new Array<Collection | undefined>(SLOTS.size).fill(undefined)
  readonly #shared: SharedSingles | null

  /** `shared`: the rule set's single-valued collections (`single`); none, each is made for this transaction. */
  constructor(shared: SharedSingles | null = null) {
    this.#shared = shared
  }

  get(name: string): Collection | undefined {
    return this.#bySlot[slotOf(name)]
  }

  set(name: string, collection: Collection): void {
    this.#bySlot[slotOf(name)] = collection
  }

  at(slot: number): Collection | undefined {
    return this.#bySlot[slot]
  }

  /** The collection in `slot`, created empty when there is none. */
  ensure(slot: number): Collection {
    let collection = this.#bySlot[slot]
    if (collection === undefined) {
      collection = new Collection()
      this.#bySlot[slot] = collection
    }
    return collection
  }

  /**
   * Sets a single-valued variable: a collection holding `value` under its own name, shared with
   * the rule set's other transactions that set the same value (`SharedSingles`); `unique` for a
   * value that never repeats (UNIQUE_ID).
   */
  single(slot: number, name: string, value: string, unique = false): void {
    this.#bySlot[slot] = unique || this.#shared === null ? Collection.of(name, value) : this.#shared.of(slot, name, value)
  }
}

/** Longer values are not shared: they rarely repeat, and would hold memory. */
const MAX_SHARED_LENGTH = 512
/** Values shared per variable; the lot is dropped when it fills. */
const SHARED_PER_SLOT = 1024

/**
 * A rule set's single-valued collections of the values seen, shared by its transactions that set
 * the same value: a request line, path, method or address repeats from request to request, and a
 * shared entry keeps what the rule set's rules derived from the value (its transformations, its
 * known misses, whose bits are that rule set's) instead of a dozen collections made per request.
 * Such a collection is never changed: a new value replaces a variable's collection
 * (`Variables.set`, `single`), never edits it.
 */
export class SharedSingles {
  readonly #bySlot: (Map<string, Collection> | undefined)[] = []

  /** The collection of `value` for the variable in `slot`, made once while the value is remembered. */
  of(slot: number, name: string, value: string): Collection {
    if (value.length > MAX_SHARED_LENGTH) return Collection.of(name, value)
    let shared = this.#bySlot[slot]
    if (shared === undefined) this.#bySlot[slot] = shared = new Map()
    let collection = shared.get(value)
    if (collection === undefined) {
      if (shared.size >= SHARED_PER_SLOT) shared.clear()
      // A copy: a short value may be a slice of a long request target, which it would keep alive.
      const own = ' '.concat(value).slice(1)
      collection = Collection.of(name, own, true)
      shared.set(own, collection)
    }
    return collection
  }
}
