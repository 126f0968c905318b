/**
 * Request body processors: URL-encoded forms and JSON into ARGS_POST (JSON flattened like the
 * reference engines: `json.order.items.0.sku`), multipart into ARGS_POST, FILES and part headers,
 * XML into the `XML` variable (`/*` the text content, `//@*` attribute values). A body a
 * processor cannot read sets REQBODY_ERROR, which CRS turns into a block (rule 200002 in the
 * reference setup) — a body the WAF cannot read must not pass unseen.
 */
import { Collection, slotOf, type Variables } from './collections.js'
import { parseArguments } from './request-variables.js'

export type BodyProcessor = 'URLENCODED' | 'JSON' | 'MULTIPART' | 'XML'

const MAX_JSON_DEPTH = 256
/**
 * As ModSecurity's SecArgumentsLimit default: a body with more arguments is an error, not 10,000
 * values for every rule. The `waf` policy's `maxArguments` overrides it.
 */
export const DEFAULT_MAX_ARGUMENTS = 1000

/** The processor a Content-Type selects, or null (the body is then only REQUEST_BODY). */
export function processorFor(contentType: string | undefined): BodyProcessor | null {
  if (contentType === undefined || contentType === '') return null
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (type === 'application/x-www-form-urlencoded') return 'URLENCODED'
  if (type === 'multipart/form-data') return 'MULTIPART'
  if (type === 'application/json' || /^application\/[^;]*\+json$/.test(type)) return 'JSON'
  if (type === 'text/xml' || type === 'application/xml' || /^application\/[^;]*\+xml$/.test(type)) return 'XML'
  return null
}

/** Fills the body variables. `body` is latin1 (one character per byte); more than `maxArguments` arguments (or parts) is an error. */
export function processRequestBody(variables: Variables, body: string, processor: BodyProcessor | null, contentType: string, forceBodyVariable: boolean, maxArguments = DEFAULT_MAX_ARGUMENTS): void {
  const get = (name: string) => variables.ensure(slotOf(name))
  const setSingle = (name: string, value: string) => variables.set(name, Collection.of(name, value))
  setSingle('REQUEST_BODY_LENGTH', String(body.length))
  setSingle('REQBODY_PROCESSOR', processor ?? '')
  if (processor === null || processor === 'URLENCODED' || forceBodyVariable) get('REQUEST_BODY').set('REQUEST_BODY', body)
  if (body === '' || processor === null) return
  let error: string | null = null
  try {
    if (processor === 'URLENCODED') {
      parseArguments(body, get('ARGS_POST'), get('ARGS_POST_NAMES'))
      if (get('ARGS_POST').size > maxArguments) error = `URLENCODED: more than ${maxArguments} arguments`
    }
    else if (processor === 'JSON') flattenJson(JSON.parse(Buffer.from(body, 'latin1').toString('utf8')) as unknown, get('ARGS_POST'), get('ARGS_POST_NAMES'), maxArguments)
    else if (processor === 'MULTIPART') error = readMultipart(body, contentType, variables, maxArguments)
    else error = readXml(body, get('XML'))
  } catch (e) {
    error = `${processor} parsing error: ${(e as Error).message}`
  }
  if (error !== null) {
    setSingle('REQBODY_ERROR', '1')
    setSingle('REQBODY_ERROR_MSG', error)
  }
}

/** JSON values as byte strings again: they were decoded from UTF-8 and rules match bytes. */
const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1')

/**
 * A JSON document as arguments named by their path. A scalar is `json.a.b` (array elements
 * `json.a.0`). An array is also an argument of its own, `json.a` with its element count, as
 * Coraza reads it (ModSecurity names no container; its elements carry the key): a property whose
 * value is an array is then an argument name like any other, for rules on ARGS_NAMES, without its
 * elements counted twice. An empty array or object is one too (`0`, empty), where Coraza has
 * nothing: `{"$where": []}` has no element to carry its key. Values count towards `maxArguments`,
 * and so, apart, do arrays (nested single-element arrays would otherwise multiply the arguments
 * every rule reads), so a body holds at most twice `maxArguments` arguments.
 */
function flattenJson(value: unknown, args: Collection, names: Collection, maxArguments: number): void {
  const stack: [string, unknown, number][] = [['json', value, 0]]
  let values = 0
  let arrays = 0
  const add = (name: string, text: string) => {
    args.add(name, text)
    names.add(name, name)
  }
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [prefix, item, depth] = next
    if (depth > MAX_JSON_DEPTH) throw new Error(`nested deeper than ${MAX_JSON_DEPTH}`)
    if (Array.isArray(item)) {
      add(prefix, String(item.length))
      if (item.length === 0) values++
      else arrays++
      for (let i = item.length - 1; i >= 0; i--) stack.push([`${prefix}.${i}`, item[i], depth + 1])
    } else if (typeof item === 'object' && item !== null) {
      const entries: [string, unknown][] = Object.entries(item)
      if (entries.length === 0) {
        add(prefix, '')
        values++
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] ?? ['', null]
        stack.push([`${prefix}.${bytes(key)}`, child, depth + 1])
      }
    } else {
      add(prefix, typeof item === 'string' ? bytes(item) : typeof item === 'number' || typeof item === 'boolean' ? String(item) : '')
      values++
    }
    if (values > maxArguments || arrays > maxArguments) throw new Error(`more than ${maxArguments} arguments`)
  }
}

/**
 * Multipart read leniently about line endings (bare LF as well as CRLF, as the reference engines
 * accept) but not about structure: a part without a name, or no closing delimiter, is an error.
 */
function readMultipart(body: string, contentType: string, variables: Variables, maxArguments: number): string | null {
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  const marker = boundary?.[1] ?? boundary?.[2]
  if (marker === undefined) return 'multipart: no boundary'
  const get = (name: string) => variables.ensure(slotOf(name))
  const segments = body.split(`--${marker}`)
  if (segments.length < 2) return 'multipart: no parts'
  let combined = 0
  let closed = false
  let parts = 0
  for (const segment of segments.slice(1)) {
    if (segment.startsWith('--')) {
      closed = true
      break
    }
    if (++parts > maxArguments) return `multipart: more than ${maxArguments} parts`
    const part = segment.replace(/^\r?\n/, '').replace(/\r?\n$/, '')
    const headersEnd = /\r?\n\r?\n/.exec(part)
    const headers = (headersEnd === null ? part : part.slice(0, headersEnd.index)).split(/\r?\n/)
    const content = headersEnd === null ? '' : part.slice(headersEnd.index + headersEnd[0].length)
    const disposition = headers.find((h) => /^content-disposition:/i.test(h)) ?? ''
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1] ?? /;\s*name=([^;\s]*)/i.exec(disposition)?.[1]
    if (name === undefined) return 'multipart: a part has no name'
    for (const header of headers) get('MULTIPART_PART_HEADERS').add(name, header)
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? /;\s*filename=([^;\s]*)/i.exec(disposition)?.[1]
    if (filename !== undefined) {
      get('FILES').add(name, filename)
      get('FILES_NAMES').add(name, name)
      get('FILES_SIZES').add(name, String(content.length))
      combined += content.length
    } else {
      get('ARGS_POST').add(name, content)
      get('ARGS_POST_NAMES').add(name, name)
    }
  }
  variables.set('FILES_COMBINED_SIZE', single('FILES_COMBINED_SIZE', String(combined)))
  return closed ? null : 'multipart: no closing delimiter'
}

function single(name: string, value: string): Collection {
  const c = new Collection()
  c.add(name, value)
  return c
}

/**
 * XML read for matching, not for meaning: text content (entities decoded) joined as `/*`, and
 * attribute values as `//@*`. A document whose tags do not balance is an error.
 */
function readXml(body: string, xml: Collection): string | null {
  const texts: string[] = []
  const stack: string[] = []
  const decode = (s: string) =>
    s.replace(/&(?:(lt|gt|amp|quot|apos)|#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7}));/g, (_, name: string | undefined, hex: string | undefined, decimal: string | undefined) => {
      if (name !== undefined) return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[name] ?? ''
      const code = hex !== undefined ? parseInt(hex, 16) : Number(decimal)
      // As UTF-8 bytes: the engine matches bytes.
      return code <= 0x10ffff ? Buffer.from(String.fromCodePoint(code), 'utf8').toString('latin1') : ''
    })
  const tokens = /<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<\/\s*([^\s>]+)\s*>|<([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/gy
  let matched = 0
  for (const m of body.matchAll(tokens)) {
    matched += m[0].length
    if (m[1] !== undefined) texts.push(m[1])
    else if (m[2] !== undefined) {
      if (stack.pop() !== m[2]) return 'XML: mismatched closing tag'
    } else if (m[3] !== undefined) {
      for (const attribute of (m[4] ?? '').matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) xml.add('//@*', decode(attribute[2] ?? attribute[3] ?? ''))
      if (m[5] !== '/') stack.push(m[3])
    } else if (m[6] !== undefined && stack.length > 0) texts.push(decode(m[6]))
  }
  if (matched !== body.length || stack.length > 0) return 'XML: not well-formed'
  xml.add('/*', texts.join(''))
  return null
}
