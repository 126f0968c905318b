/**
 * An OpenAPI document and the files its `$ref`s reach, loaded once at config load. Refs are URIs
 * relative to the file they appear in, with a JSON-pointer fragment. Remote (http, https) refs are
 * refused unless the API allows their URL prefix: by default the gateway does not fetch parts of
 * its security model from the network. A remote document may never reach a local file.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { load as loadYaml } from 'js-yaml'
import { RemoteDocuments } from './remote-documents.js'

export type OpenApiVersion = '3.0' | '3.1'

/** A value found by following a pointer or a chain of `$ref`s: where it lives matters for its own refs. */
export interface Located<T = unknown> {
  readonly value: T
  /** The file's URL. */
  readonly url: string
  /** JSON pointer of the value in that file. */
  readonly pointer: string
}

const MAX_FILES = 1000
const MAX_REF_HOPS = 64

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1')
}

function unescapePointer(segment: string): string {
  return decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~')
}

function parseDocument(text: string): unknown {
  return /^\s*\{/.test(text) ? JSON.parse(text) : loadYaml(text)
}

/** A file URL as its path, anything else as itself: for messages. */
function describe(url: string): string {
  return url.startsWith('file:') ? fileURLToPath(url) : url
}

export interface DocumentSetOptions {
  /** Remote documents that may be fetched; none when absent. */
  readonly remote?: RemoteDocuments
}

const NO_REMOTE_DOCUMENTS = new RemoteDocuments([])

export class DocumentSet {
  readonly rootUrl: string
  readonly version: OpenApiVersion
  /** Loaded files by URL. */
  readonly files = new Map<string, unknown>()

  readonly #remote: RemoteDocuments

  /** Throws an Error naming the file and the problem. */
  constructor(rootFile: string, options: DocumentSetOptions = {}) {
    this.#remote = options.remote ?? NO_REMOTE_DOCUMENTS
    this.rootUrl = pathToFileURL(rootFile).href
    const root = this.#load(this.rootUrl)
    const version = isRecord(root) && typeof root.openapi === 'string' ? /^3\.([01])\./.exec(root.openapi)?.[1] : undefined
    if (version === undefined) throw new Error(`${rootFile} is not an OpenAPI 3.0 or 3.1 document`)
    this.version = version === '0' ? '3.0' : '3.1'
    // Every file any ref reaches is loaded now, so schema compilation can resolve them all, and
    // every ref is checked to point at something: validators may be compiled only on first use.
    const pending = [this.rootUrl]
    const refs: [ref: string, url: string, from: string][] = []
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      for (const [ref, checked] of refsIn(this.files.get(next))) {
        const url = this.#fileOf(ref, next)
        if (checked) refs.push([ref, url, next])
        if (!this.files.has(url)) {
          this.#load(url)
          pending.push(url)
        }
      }
    }
    for (const [ref, url, from] of refs) {
      const hash = ref.indexOf('#')
      let target: unknown
      try {
        target = this.at(url, hash === -1 ? '' : ref.slice(hash + 1))
      } catch {
        throw new Error(`$ref ${ref} in ${describe(from)} is not a JSON pointer`)
      }
      if (target === undefined) throw new Error(`$ref ${ref} in ${describe(from)} points at nothing`)
    }
  }

  /** The value at `pointer` in the file at `url`. */
  at(url: string, pointer: string): unknown {
    let value = this.files.get(url)
    for (const segment of pointer.split('/').slice(1)) {
      value = isRecord(value) ? value[unescapePointer(segment)] : Array.isArray(value) ? value[Number(segment)] : undefined
    }
    return value
  }

  /** Follows `$ref`s from a located value until a value without one. */
  deref<T = unknown>(start: Located): Located<T> {
    let current = start
    for (let hop = 0; hop < MAX_REF_HOPS; hop++) {
      const ref = isRecord(current.value) ? current.value.$ref : undefined
      if (typeof ref !== 'string') return current as Located<T>
      const url = this.#fileOf(ref, current.url)
      const hash = ref.indexOf('#')
      const pointer = hash === -1 ? '' : ref.slice(hash + 1)
      const value = this.at(url, pointer)
      if (value === undefined) throw new Error(`$ref ${ref} in ${describe(current.url)} points at nothing`)
      current = { value, url, pointer }
    }
    throw new Error(`$ref chain longer than ${MAX_REF_HOPS} from ${describe(start.url)}#${start.pointer}`)
  }

  #fileOf(ref: string, baseUrl: string): string {
    const hash = ref.indexOf('#')
    const target = hash === -1 ? ref : ref.slice(0, hash)
    if (target === '') return baseUrl
    const url = new URL(target, baseUrl)
    url.hash = ''
    if (url.protocol === 'file:') {
      if (!baseUrl.startsWith('file:')) throw new Error(`$ref ${ref} in ${baseUrl}: a remote document may not refer to a local file`)
      return url.href
    }
    if (this.#remote.empty) throw new Error(`remote $ref ${ref} in ${describe(baseUrl)}: remote references are not followed (allow their URL prefix in the API's openapiRemoteRefs)`)
    if (!this.#remote.allows(url)) throw new Error(`remote $ref ${ref} in ${describe(baseUrl)}: ${url.href} is not under a prefix in the API's openapiRemoteRefs`)
    return url.href
  }

  #load(url: string): unknown {
    if (this.files.size >= MAX_FILES) throw new Error(`more than ${MAX_FILES} files referenced from ${describe(this.rootUrl)}`)
    let document: unknown
    try {
      document = parseDocument(url.startsWith('file:') ? readFileSync(fileURLToPath(url), 'utf8') : this.#remote.text(url))
    } catch (error) {
      throw new Error(`cannot load ${describe(url)}: ${(error as Error).message}`, { cause: error })
    }
    this.files.set(url, document)
    return document
  }
}

/** Keys whose values are data (examples, defaults, extensions), where a `$ref` is a value, not a reference. */
const DATA_KEYS = new Set(['example', 'examples', 'default', 'enum', 'const', 'value'])

/**
 * The `$ref`s in `value`, each with whether its target is checked at load: not inside data, nor
 * under a schema's `$id` (JSON Schema resolves those against the `$id`, ajv as it compiles).
 */
function* refsIn(value: unknown): Generator<[ref: string, checked: boolean]> {
  const stack: [unknown, boolean][] = [[value, true]]
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [next, checked] = item
    if (Array.isArray(next)) for (const child of next as unknown[]) stack.push([child, checked])
    else if (isRecord(next)) {
      const scoped = checked && typeof next.$id !== 'string'
      if (typeof next.$ref === 'string') yield [next.$ref, scoped]
      for (const [key, child] of Object.entries(next)) {
        if (typeof child === 'object' && child !== null) stack.push([child, scoped && !DATA_KEYS.has(key) && !key.startsWith('x-')])
      }
    }
  }
}
