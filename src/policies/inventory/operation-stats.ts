/**
 * What the inventory keeps of one operation (method and template): how often it was called and
 * when last, the statuses answered, query parameter names, media types and the shapes of sampled
 * JSON bodies. Every collection has a bound; what passes it is counted, not stored.
 */
import { mediaTypeOf } from '../../net/media-type.js'
import { paramKindOf } from './segment-kinds.js'
import { schemaOf, ShapeRecorder, type ShapeLimits, type ShapeSchema } from './json-shape.js'

export interface StatsLimits {
  readonly shapes: ShapeLimits
}

const MAX_STATUSES = 24
const MAX_QUERY_NAMES = 32
const MAX_QUERY_NAME_LENGTH = 64
const MAX_MEDIA_TYPES = 8
const MAX_RESPONSE_SHAPES = 8
/** Query pairs read per request: a query string of thousands of names costs no more than this. */
const QUERY_PAIRS_READ = 64
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/

/** The operation in a snapshot (JSON). */
export interface OperationView {
  count: number
  lastSeen: string | null
  statuses: Record<string, number>
  query: string[]
  requestMediaTypes: Record<string, number>
  responseMediaTypes: Record<string, number>
  requestSchema?: ShapeSchema
  responseSchemas?: Record<string, ShapeSchema>
  /** Observations past a bound (statuses, names, media types), counted and not kept. */
  overflow: number
}

export class OperationStats {
  count = 0
  lastSeen = 0
  overflow = 0
  readonly statuses = new Map<number, number>()
  readonly queryNames = new Set<string>()
  readonly requestTypes = new Map<string, number>()
  readonly responseTypes = new Map<string, number>()
  requestShape: ShapeRecorder | null = null
  readonly responseShapes = new Map<number, ShapeRecorder>()
  readonly #limits: StatsLimits

  constructor(limits: StatsLimits) {
    this.#limits = limits
  }

  /** One request: its status, when, and its query's parameter names. */
  record(status: number, at: number, query: string): void {
    this.count++
    this.lastSeen = at
    this.#bump(this.statuses, status, MAX_STATUSES)
    if (query !== '') this.#recordQuery(query)
  }

  recordRequestType(type: string): void {
    this.#bump(this.requestTypes, type, MAX_MEDIA_TYPES)
  }

  recordResponseType(type: string): void {
    this.#bump(this.responseTypes, type, MAX_MEDIA_TYPES)
  }

  /** A sampled JSON request body, already parsed. */
  recordRequestBody(value: unknown): void {
    ;(this.requestShape ??= new ShapeRecorder(this.#limits.shapes)).observe(value)
  }

  /** A sampled JSON response body, already parsed. */
  recordResponseBody(status: number, value: unknown): void {
    let recorder = this.responseShapes.get(status)
    if (recorder === undefined) {
      if (this.responseShapes.size >= MAX_RESPONSE_SHAPES) {
        this.overflow++
        return
      }
      this.responseShapes.set(status, (recorder = new ShapeRecorder(this.#limits.shapes)))
    }
    recorder.observe(value)
  }

  /** Adds `other` (a template that merged into this one). */
  merge(other: OperationStats): void {
    this.count += other.count
    this.lastSeen = Math.max(this.lastSeen, other.lastSeen)
    this.overflow += other.overflow
    for (const [status, n] of other.statuses) this.#bump(this.statuses, status, MAX_STATUSES, n)
    for (const name of other.queryNames) this.#addQueryName(name)
    for (const [type, n] of other.requestTypes) this.#bump(this.requestTypes, type, MAX_MEDIA_TYPES, n)
    for (const [type, n] of other.responseTypes) this.#bump(this.responseTypes, type, MAX_MEDIA_TYPES, n)
    if (other.requestShape !== null) (this.requestShape ??= new ShapeRecorder(this.#limits.shapes)).merge(other.requestShape)
    for (const [status, recorder] of other.responseShapes) {
      let mine = this.responseShapes.get(status)
      if (mine === undefined) {
        if (this.responseShapes.size >= MAX_RESPONSE_SHAPES) continue
        this.responseShapes.set(status, (mine = new ShapeRecorder(this.#limits.shapes)))
      }
      mine.merge(recorder)
    }
  }

  view(): OperationView {
    const view: OperationView = {
      count: this.count,
      lastSeen: this.lastSeen === 0 ? null : new Date(this.lastSeen).toISOString(),
      statuses: Object.fromEntries([...this.statuses].sort(([a], [b]) => a - b).map(([s, n]) => [String(s), n])),
      query: [...this.queryNames].sort(),
      requestMediaTypes: Object.fromEntries(this.requestTypes),
      responseMediaTypes: Object.fromEntries(this.responseTypes),
      overflow: this.overflow,
    }
    if (this.requestShape !== null) view.requestSchema = schemaOf(this.requestShape.root)
    if (this.responseShapes.size > 0) view.responseSchemas = Object.fromEntries([...this.responseShapes].sort(([a], [b]) => a - b).map(([s, r]) => [String(s), schemaOf(r.root)]))
    return view
  }

  #recordQuery(query: string): void {
    let start = 0
    for (let pairs = 0; pairs < QUERY_PAIRS_READ && start <= query.length; pairs++) {
      let end = query.indexOf('&', start)
      if (end === -1) end = query.length
      const equals = query.indexOf('=', start)
      const name = query.slice(start, equals === -1 || equals > end ? end : equals)
      if (name !== '') this.#addQueryName(decodeName(name))
      start = end + 1
    }
  }

  /** Names only: one that looks like a value (an id, an e-mail address) or is too long is not kept. */
  #addQueryName(name: string): void {
    if (this.queryNames.has(name)) return
    if (name.length > MAX_QUERY_NAME_LENGTH || paramKindOf(name) !== null || this.queryNames.size >= MAX_QUERY_NAMES) this.overflow++
    else this.queryNames.add(name)
  }

  #bump<K>(map: Map<K, number>, key: K, max: number, by = 1): void {
    const n = map.get(key)
    if (n !== undefined) map.set(key, n + by)
    else if (map.size < max) map.set(key, by)
    else this.overflow += by
  }
}

/** A Content-Type's media type, lower-case without parameters; null when it is absent or not shaped like one (nothing else is kept). */
export function recordableMediaType(header: unknown): string | null {
  if (typeof header !== 'string') return null
  const type = mediaTypeOf(header)
  return MEDIA_TYPE.test(type) ? type : null
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '))
  } catch {
    return name
  }
}
