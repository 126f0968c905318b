/**
 * An operation's parameters (path item's and operation's, the operation's winning by name and
 * location), and the reading of their values from a request as OpenAPI serialises them: `style`
 * and `explode` per location (form, spaceDelimited, pipeDelimited and deepObject in the query;
 * simple, label and matrix in the path; simple in headers; form in cookies). Values come out as
 * strings, arrays of strings or objects of strings; the schema validator coerces types.
 */
import { escapePointer, isRecord, type DocumentSet, type Located } from './document-set.js'

export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie'

export interface ParameterSpec {
  readonly name: string
  readonly in: ParameterLocation
  readonly required: boolean
  readonly style: string
  readonly explode: boolean
  readonly shape: 'array' | 'object' | 'scalar'
  /** The parameter's schema, where it is declared. */
  readonly schema: Located | null
}

const DEFAULT_STYLE: Record<ParameterLocation, string> = { path: 'simple', query: 'form', header: 'simple', cookie: 'form' }

function shapeOf(documents: DocumentSet, schema: Located | null): ParameterSpec['shape'] {
  if (schema === null) return 'scalar'
  const resolved = documents.deref(schema).value
  if (!isRecord(resolved)) return 'scalar'
  const types = Array.isArray(resolved.type) ? (resolved.type as unknown[]) : [resolved.type]
  if (types.includes('array')) return 'array'
  if (types.includes('object') || (resolved.type === undefined && isRecord(resolved.properties))) return 'object'
  return 'scalar'
}

export function collectParameters(documents: DocumentSet, pathItem: Located, operation: Located): ParameterSpec[] {
  const byKey = new Map<string, ParameterSpec>()
  for (const owner of [pathItem, operation]) {
    const list = isRecord(owner.value) ? owner.value.parameters : undefined
    if (!Array.isArray(list)) continue
    list.forEach((_, index) => {
      const { value, url, pointer } = documents.deref({ value: (list as unknown[])[index], url: owner.url, pointer: `${owner.pointer}/parameters/${index}` })
      if (!isRecord(value) || typeof value.name !== 'string' || typeof value.in !== 'string') return
      const location = value.in as ParameterLocation
      if (!(location in DEFAULT_STYLE)) return
      const style = typeof value.style === 'string' ? value.style : DEFAULT_STYLE[location]
      const schema: Located | null = isRecord(value.schema) ? { value: value.schema, url, pointer: `${pointer}/schema` } : mediaSchema(value, url, pointer)
      const name = location === 'header' ? value.name.toLowerCase() : value.name
      byKey.set(`${location} ${name}`, {
        name,
        in: location,
        required: location === 'path' || value.required === true,
        style,
        explode: typeof value.explode === 'boolean' ? value.explode : style === 'form',
        shape: shapeOf(documents, schema),
        schema,
      })
    })
  }
  return [...byKey.values()]
}

/** A parameter described by `content` (one media type) instead of `schema`. */
function mediaSchema(parameter: Record<string, unknown>, url: string, pointer: string): Located | null {
  if (!isRecord(parameter.content)) return null
  const [mediaType, media] = Object.entries(parameter.content)[0] ?? []
  if (mediaType === undefined || !isRecord(media) || !isRecord(media.schema)) return null
  return { value: media.schema, url, pointer: `${pointer}/content/${escapePointer(mediaType)}/schema` }
}

/** Splits `a,1,b,2` (or exploded `a=1,b=2`) into an object. */
function pairs(parts: readonly string[], exploded: boolean): Record<string, string> {
  const out: Record<string, string> = {}
  if (exploded) {
    for (const part of parts) {
      const eq = part.indexOf('=')
      if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1)
    }
  } else for (let i = 0; i + 1 < parts.length; i += 2) out[parts[i] as string] = parts[i + 1] as string
  return out
}

function shaped(spec: ParameterSpec, raw: string, separator: string): unknown {
  if (spec.shape === 'scalar') return raw
  const parts = raw === '' ? [] : raw.split(separator)
  return spec.shape === 'array' ? parts : pairs(parts, spec.explode)
}

export class MalformedQueryError extends Error {}

/** `a=1&b=x%20y` → [['a', '1'], ['b', 'x y']]; throws MalformedQueryError on bad percent-encoding. */
export function queryPairs(query: string): [string, string][] {
  if (query === '') return []
  return query.split('&').filter((p) => p !== '').map((pair) => {
    const eq = pair.indexOf('=')
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.replaceAll('+', ' '))
      } catch {
        throw new MalformedQueryError('malformed percent-encoding')
      }
    }
    return eq === -1 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))]
  })
}

/** The query's parameter values by name, and the names no parameter declares. */
export function readQuery(query: string, specs: readonly ParameterSpec[]): { values: Record<string, unknown>; undeclared: string[] } {
  const entries = queryPairs(query)
  const used = new Set<number>()
  const values: Record<string, unknown> = {}
  for (const spec of specs) {
    if (spec.in !== 'query') continue
    if (spec.style === 'deepObject') {
      const object: Record<string, string> = {}
      const prefix = `${spec.name}[`
      entries.forEach(([key, value], index) => {
        if (key.startsWith(prefix) && key.endsWith(']')) {
          object[key.slice(prefix.length, -1)] = value
          used.add(index)
        }
      })
      if (Object.keys(object).length > 0) values[spec.name] = object
      continue
    }
    const own = entries.map((entry, index) => [entry, index] as const).filter(([[key]]) => key === spec.name)
    for (const [, index] of own) used.add(index)
    if (spec.shape === 'array' && spec.explode && spec.style === 'form') {
      if (own.length > 0) values[spec.name] = own.map(([[, value]]) => value)
      continue
    }
    if (spec.shape === 'object' && spec.explode && spec.style === 'form') {
      // Each property is its own query parameter; the properties are whatever no other parameter claims.
      continue
    }
    const last = own.at(-1)
    if (last === undefined) continue
    const separator = spec.style === 'spaceDelimited' ? ' ' : spec.style === 'pipeDelimited' ? '|' : ','
    values[spec.name] = shaped(spec, last[0][1], separator)
  }
  const undeclared = entries.filter((_, index) => !used.has(index)).map(([key]) => key)
  const exploded = specs.find((s) => s.in === 'query' && s.shape === 'object' && s.explode && s.style === 'form')
  if (exploded !== undefined && undeclared.length > 0) {
    values[exploded.name] = Object.fromEntries(entries.filter((_, index) => !used.has(index)))
    return { values, undeclared: [] }
  }
  return { values, undeclared }
}

export function readPath(params: Readonly<Record<string, string>>, specs: readonly ParameterSpec[]): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const spec of specs) {
    if (spec.in !== 'path') continue
    let raw = params[spec.name]
    if (raw === undefined) continue
    if (spec.style === 'label') {
      raw = raw.startsWith('.') ? raw.slice(1) : raw
      values[spec.name] = shaped(spec, raw, spec.explode ? '.' : ',')
    } else if (spec.style === 'matrix') {
      const prefix = `;${spec.name}=`
      if (spec.shape === 'array' && spec.explode) values[spec.name] = raw.split(prefix).filter((p) => p !== '')
      else values[spec.name] = shaped(spec, raw.startsWith(prefix) ? raw.slice(prefix.length) : raw, spec.explode && spec.shape === 'object' ? ';' : ',')
    } else values[spec.name] = shaped(spec, raw, ',')
  }
  return values
}

export function readHeaders(headers: Readonly<Record<string, string | string[] | undefined>>, specs: readonly ParameterSpec[]): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const spec of specs) {
    if (spec.in !== 'header') continue
    const raw = headers[spec.name]
    if (raw === undefined) continue
    values[spec.name] = shaped(spec, Array.isArray(raw) ? raw.join(',') : raw, ',')
  }
  return values
}

/** A Cookie header's pairs as the validator reads them: names and values trimmed, parts without a name left out. */
export function cookiePairs(cookieHeader: string): [string, string][] {
  const out: [string, string][] = []
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0) out.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()])
  }
  return out
}

/** Each declared cookie's value; of a name given twice, the last. */
export function readCookies(cookieHeader: string | undefined, specs: readonly ParameterSpec[]): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  if (cookieHeader === undefined) return values
  const jar = new Map(cookiePairs(cookieHeader))
  for (const spec of specs) {
    if (spec.in !== 'cookie') continue
    const raw = jar.get(spec.name)
    if (raw !== undefined) values[spec.name] = shaped(spec, raw, ',')
  }
  return values
}
