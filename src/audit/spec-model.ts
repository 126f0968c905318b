/**
 * What rules read: every object in the document with its path (as JSONPath's `$..` sees them),
 * local `$ref`s followed, and the security schemes in one shape for Swagger 2.0 and OpenAPI 3.
 * Built once per document and shared by all rules.
 */
import type { SpecFormat, SpecSource } from './spec-source.js'

export type JsonObject = Record<string, unknown>
export type Path = readonly string[]

export interface ObjectNode {
  readonly value: JsonObject
  readonly path: Path
}

export interface SecuritySchemeView {
  readonly name: string
  readonly scheme: JsonObject
  readonly path: Path
  /** `http` schemes and Swagger's `basic` alike: `basic`, `bearer`, … in lower case; undefined otherwise. */
  readonly httpScheme: string | undefined
  /** OAuth flows by OpenAPI 3 name (`implicit`, `password`, `clientCredentials`, `authorizationCode`). */
  readonly oauthFlows: readonly { readonly name: string; readonly flow: JsonObject; readonly path: Path }[]
}

const MAX_REF_HOPS = 32

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Swagger 2.0 flow names → OpenAPI 3 names. */
const SWAGGER_FLOWS: Readonly<Record<string, string>> = { implicit: 'implicit', password: 'password', application: 'clientCredentials', accessCode: 'authorizationCode' }

/** Keys whose values are example data, not part of the API's description: schema-shaped rules skip them… */
const DATA_KEYS = new Set(['example', 'examples', 'default', 'enum', 'const', 'x-examples'])
/** …unless they name a member of one of these maps (a property called `default`, the `default` response). */
const NAMED_MEMBER_MAPS = new Set(['properties', 'patternProperties', 'responses', 'schemas', 'definitions', 'parameters', 'headers', 'securitySchemes', 'securityDefinitions'])

export class SpecModel {
  readonly source: SpecSource
  readonly format: SpecFormat
  readonly document: JsonObject
  #nodes: ObjectNode[] | undefined
  #schemes: SecuritySchemeView[] | undefined

  constructor(source: SpecSource) {
    this.source = source
    this.format = source.format
    this.document = source.document
  }

  get isOas3(): boolean {
    return this.format !== 'oas2'
  }

  /** Every object below the root, depth first, skipping example data. */
  get nodes(): readonly ObjectNode[] {
    if (this.#nodes) return this.#nodes
    const nodes: ObjectNode[] = []
    const visit = (value: unknown, path: string[]) => {
      const ownKey = path.at(-1) ?? ''
      const isDataKey = (key: string) => DATA_KEYS.has(key) && !NAMED_MEMBER_MAPS.has(ownKey)
      if (Array.isArray(value)) {
        value.forEach((item, index) => {
          visit(item, [...path, String(index)])
        })
        return
      }
      if (!isObject(value)) return
      if (path.length > 0) nodes.push({ value, path })
      for (const [key, child] of Object.entries(value)) {
        if (typeof child === 'object' && child !== null && !isDataKey(key)) visit(child, [...path, key])
      }
    }
    visit(this.document, [])
    this.#nodes = nodes
    return nodes
  }

  /** Whether a schema has `type` (in 3.1 also a type list that includes it). */
  hasType(schema: unknown, type: string): boolean {
    if (!isObject(schema)) return false
    return schema.type === type || (this.format === 'oas3.1' && Array.isArray(schema.type) && schema.type.includes(type))
  }

  /** The value at `path` in the document as written, or undefined. */
  at(path: Path): unknown {
    let value: unknown = this.document
    for (const key of path) {
      if (Array.isArray(value)) value = value[Number(key)]
      else if (isObject(value)) value = value[key]
      else return undefined
    }
    return value
  }

  /** The longest prefix of `path` that exists in the document: where a finding about a missing member is shown. */
  existingPrefix(path: Path): Path {
    let value: unknown = this.document
    for (let i = 0; i < path.length; i++) {
      const key = path[i] ?? ''
      const next = Array.isArray(value) ? (value as unknown[])[Number(key)] : isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined
      if (next === undefined) return path.slice(0, i)
      value = next
    }
    return path
  }

  /** Follows local `$ref`s (`#/…`); a value without one is returned with its own path. External refs stay unresolved. */
  resolve(value: unknown, path: Path): { value: unknown; path: Path } {
    let current = value
    let currentPath = path
    for (let hop = 0; hop < MAX_REF_HOPS && isObject(current) && typeof current.$ref === 'string' && current.$ref.startsWith('#/'); hop++) {
      const target = current.$ref
        .slice(2)
        .split('/')
        .map((segment) => decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~'))
      currentPath = target
      current = this.at(target)
    }
    return { value: current, path: currentPath }
  }

  /** The security schemes the document defines (`components.securitySchemes` or `securityDefinitions`). */
  get securitySchemes(): readonly SecuritySchemeView[] {
    if (this.#schemes) return this.#schemes
    const base = this.isOas3 ? ['components', 'securitySchemes'] : ['securityDefinitions']
    const container = this.at(base)
    const schemes: SecuritySchemeView[] = []
    if (isObject(container)) {
      for (const [name, raw] of Object.entries(container)) {
        const { value, path } = this.resolve(raw, [...base, name])
        if (!isObject(value)) continue
        schemes.push({ name, scheme: value, path, httpScheme: httpSchemeOf(value), oauthFlows: this.#flowsOf(value, path) })
      }
    }
    this.#schemes = schemes
    return schemes
  }

  #flowsOf(scheme: JsonObject, path: Path): SecuritySchemeView['oauthFlows'] {
    if (scheme.type !== 'oauth2') return []
    if (!this.isOas3) {
      const flow = typeof scheme.flow === 'string' ? SWAGGER_FLOWS[scheme.flow] : undefined
      return flow === undefined ? [] : [{ name: flow, flow: scheme, path }]
    }
    if (!isObject(scheme.flows)) return []
    return Object.entries(scheme.flows).flatMap(([name, flow]) => (isObject(flow) ? [{ name, flow, path: [...path, 'flows', name] }] : []))
  }
}

function httpSchemeOf(scheme: JsonObject): string | undefined {
  if (scheme.type === 'basic') return 'basic'
  if (scheme.type === 'http' && typeof scheme.scheme === 'string') return scheme.scheme.toLowerCase()
  return undefined
}
