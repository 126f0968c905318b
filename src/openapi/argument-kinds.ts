/**
 * What an OpenAPI document holds each of a request's values to, for the WAF's schema-aware mode:
 * once the positive model has checked a value, an integer, a boolean, an enum member, a uuid or a
 * date (or a string held to a pattern of safe characters) cannot carry an injection and need not
 * be inspected; free text (long or unbounded strings, fields named like prose) is where benign
 * punctuation and words live, so only rules that rarely misfire read it; identifier-like strings
 * (path parameters, names, codes, short bounded strings) are read by every rule.
 */
import { isRecord, type DocumentSet, type Located } from './document-set.js'

export type ArgumentKind = 'typed' | 'text' | 'identifier' | 'other'

/**
 * String formats the validator checks (ajv-formats) and whose values hold only digits, hex,
 * letters of a fixed alphabet and separators. Not `int32`/`int64`/`float`/`double`: the gateway
 * checks those on numbers only, and `{type: string, format: int64}` holds any string. Not `byte`:
 * its alphabet is safe, what it decodes to is anything. Not `ipv4`/`ipv6`: an address names what
 * a server may fetch (`169.254.169.254` is a cloud metadata service).
 */
const SAFE_FORMATS = new Set(['uuid', 'date', 'date-time', 'time', 'duration'])
/** Names under which APIs carry prose. */
const TEXT_NAME = /(?:^|[_.-])(?:description|desc|comments?|message|msg|body|text|content|notes?|bio|summary|details?|review|feedback|reason|remarks?|about|caption|subject|title|query|q|search|instructions?|answer|question)$/i
const TEXT_NAME_CAMEL = /(?:Description|Comment|Message|Body|Text|Content|Note|Notes|Summary|Details|Review|Feedback|Reason|Remarks|Caption|Subject|Title)$/
/** Strings bounded to more than this are text unless their name says otherwise (unbounded ones are not: most documents set no bound). */
const TEXT_MIN_LENGTH = 256
/** Names of identifiers: read by every rule. */
const IDENTIFIER_NAME = /(?:^|[_.-])(?:id|uuid|key|code|slug|username|user_?name|login|handle|sku|ref|reference|name|email|account|tenant|project|path|file|filename|url|uri|host|domain)$/i
const IDENTIFIER_NAME_CAMEL = /(?:Id|Key|Code|Slug|Name|Ref|Path|File|Url|Uri|Host)$/
/** A string bounded to this or fewer characters is an identifier. */
const IDENTIFIER_MAX_LENGTH = 64

/**
 * Whether a `pattern` admits only letters, digits, `_` and `-`: anchored at both ends, no
 * alternation at its top, escapes only `\d`, `\w`, `\-` and `\_`, character-class ranges only
 * within digits, upper- or lower-case letters (`A-z` holds `` ` `` and `\`), and no other
 * literal (`.`, `/` and `:` make paths and URLs). Conservative: a pattern it cannot read is not safe.
 */
export function isSafePattern(pattern: string): boolean {
  if (!pattern.startsWith('^') || !pattern.endsWith('$') || pattern.endsWith('\\$')) return false
  const body = pattern.slice(1, -1)
  let depth = 0
  let inClass = false
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string
    if (c === '\\') {
      if (!/[dw\-_]/.test(body[i + 1] ?? '')) return false
      i++
      continue
    }
    if (inClass) {
      if (c === ']') inClass = false
      else if (c === '^' && body[i - 1] === '[') return false
      else if (c === '-' && body[i - 1] !== '[' && body[i + 1] !== ']') {
        const from = body[i - 1] ?? ''
        const to = body[i + 1] ?? ''
        if (!SAME_RANGE.some((range) => range.test(from) && range.test(to)) || from > to) return false
      } else if (!/[A-Za-z0-9_-]/.test(c)) return false
      continue
    }
    if (c === '[') inClass = true
    else if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === '|' && depth === 0) return false
    else if (!/[A-Za-z0-9_\-?*+{},|]/.test(c)) return false
  }
  return !inClass && depth === 0
}

const SAME_RANGE = [/^[0-9]$/, /^[A-Z]$/, /^[a-z]$/]

function typesOf(schema: Record<string, unknown>): string[] {
  const type = schema.type
  if (typeof type === 'string') return [type]
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string')
  return []
}

/** `array` or `object` where the schema holds a non-null value to that type alone; else null. */
function containerOf(schema: Record<string, unknown>): 'array' | 'object' | null {
  const types = typesOf(schema).filter((t) => t !== 'null')
  return types.length === 1 && (types[0] === 'array' || types[0] === 'object') ? types[0] : null
}

export class ArgumentKinds {
  readonly #documents: DocumentSet
  /** By schema location and argument: a request's arguments repeat across requests. Bounded: cleared when full. */
  readonly #memo = new Map<string, ArgumentKind>()

  constructor(documents: DocumentSet) {
    this.#documents = documents
  }

  /** The kind of a parameter's value (`path`, `query`, `header`, `cookie`) by its schema. */
  ofParameter(schema: Located | null, name: string, location: 'path' | 'query' | 'header' | 'cookie'): ArgumentKind {
    const kind = this.#memoised(schema, name, () => this.#kindOf(schema === null ? null : this.#merged(schema), name))
    // Path parameters are identifiers by nature: a route's segments are never prose.
    return location === 'path' && (kind === 'other' || kind === 'text') ? 'identifier' : kind
  }

  /** The kind of the value at `path` (property names and array indices) in a body held to `root`. */
  ofBodyValue(root: Located, path: readonly string[]): ArgumentKind {
    // Array indices are not folded together: a schema may name properties `0`, `1`… (bounded memo).
    const key = path.join('\u0000')
    return this.#memoised(root, key, () => {
      const schema = this.#schemaAt(root, path)
      return schema === null ? 'other' : this.#kindOf(schema, path[path.length - 1] ?? '')
    })
  }

  #memoised(schema: Located | null, key: string, compute: () => ArgumentKind): ArgumentKind {
    const memoKey = `${schema === null ? '' : `${schema.url}#${schema.pointer}`}\u0001${key}`
    let kind = this.#memo.get(memoKey)
    if (kind === undefined) {
      kind = compute()
      if (this.#memo.size >= 10_000) this.#memo.clear()
      this.#memo.set(memoKey, kind)
    }
    return kind
  }

  /** A schema with its `$ref` followed and its `allOf` members' keywords merged in (the first wins). */
  #merged(at: Located): Record<string, unknown> | null {
    // A reference to an `$anchor` (`#name`) is no JSON pointer: `deref` cannot follow it.
    if (isRecord(at.value) && typeof at.value.$ref === 'string' && /#[^/]/.test(at.value.$ref)) return null
    const resolved = this.#documents.deref(at)
    if (!isRecord(resolved.value)) return null
    const schema = resolved.value
    if (!Array.isArray(schema.allOf)) return schema
    // Under an `$id`, the members' references resolve against it, not against the file.
    if (typeof schema.$id === 'string') return null
    const merged: Record<string, unknown> = { ...schema }
    delete merged.allOf
    ;(schema.allOf as unknown[]).forEach((member, i) => {
      const part = this.#merged({ value: member, url: resolved.url, pointer: `${resolved.pointer}/allOf/${i}` })
      if (part === null) return
      for (const [k, v] of Object.entries(part)) {
        if (k === 'properties' && isRecord(v)) merged.properties = { ...v, ...(isRecord(merged.properties) ? merged.properties : {}) }
        else if (!(k in merged)) merged[k] = v
      }
    })
    return merged
  }

  /** The schema the value at `path` is held to, or null where the document does not say (unknown properties, `oneOf`). */
  #schemaAt(root: Located, path: readonly string[]): Record<string, unknown> | null {
    let at: Located = root
    let schema = this.#merged(at)
    // Beneath a schema with an `$id`, references resolve against that `$id` (JSON Schema), where
    // `deref` reads them against the file: no answer is given there.
    let scoped = schema !== null && typeof schema.$id === 'string'
    for (const segment of path) {
      if (schema === null) return null
      const resolved = this.#documents.deref(at)
      // The WAF names array elements as it names properties (`json.a.0`): a numeric name is an
      // element only where the document holds the value to an array (`items` says nothing of an
      // object's key `0`), and a property only where it holds it to an object.
      const container = /^\d+$/.test(segment) ? containerOf(schema) : 'object'
      const properties = isRecord(schema.properties) ? schema.properties : null
      // `items` holds the elements after `prefixItems` (2020-12) only; `additionalProperties` the
      // names no `patternProperties` matches.
      if (container === 'array' && isRecord(schema.items) && schema.prefixItems === undefined) at = { value: schema.items, url: resolved.url, pointer: `${resolved.pointer}/items` }
      else if (container !== 'object') return null
      else if (properties !== null && Object.hasOwn(properties, segment)) at = { value: properties[segment], url: resolved.url, pointer: `${resolved.pointer}/properties/${segment}` }
      else if (isRecord(schema.additionalProperties) && schema.patternProperties === undefined) at = { value: schema.additionalProperties, url: resolved.url, pointer: `${resolved.pointer}/additionalProperties` }
      else return null
      if (scoped && isRecord(at.value) && typeof at.value.$ref === 'string') return null
      schema = this.#merged(at)
      scoped ||= schema !== null && typeof schema.$id === 'string'
    }
    return schema
  }

  #kindOf(schema: Record<string, unknown> | null, name: string): ArgumentKind {
    if (schema === null) return 'other'
    if (Array.isArray(schema.enum) || 'const' in schema) return 'typed'
    const types = typesOf(schema).filter((t) => t !== 'null')
    if (types.length > 0 && types.every((t) => t === 'integer' || t === 'number' || t === 'boolean')) return 'typed'
    if (types.length !== 1 || types[0] !== 'string') return 'other'
    // Base64 (`byte`, `contentEncoding`) is an encoding of any bytes (a serialized Java object is
    // `rO0AB…`, letters and digits): never a pass, whatever its pattern; and never prose.
    if (schema.format === 'byte' || typeof schema.contentEncoding === 'string') return 'identifier'
    if (typeof schema.format === 'string' && SAFE_FORMATS.has(schema.format)) return 'typed'
    if (typeof schema.pattern === 'string' && isSafePattern(schema.pattern)) return 'typed'
    const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : null
    if (IDENTIFIER_NAME.test(name) || IDENTIFIER_NAME_CAMEL.test(name) || (maxLength !== null && maxLength <= IDENTIFIER_MAX_LENGTH)) return 'identifier'
    if (TEXT_NAME.test(name) || TEXT_NAME_CAMEL.test(name) || (maxLength !== null && maxLength > TEXT_MIN_LENGTH)) return 'text'
    return 'other'
  }
}
