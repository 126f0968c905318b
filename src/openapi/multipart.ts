/**
 * A buffered `multipart/form-data` body read for validation. The parser is strict: anything
 * malformed — no boundary, a part without `form-data` and a name, no closing delimiter — is
 * refused rather than guessed, since a part the gateway reads differently from the backend
 * would slip past validation. Parts then become fields by the operation's `encoding` object
 * (OpenAPI 3.x "Encoding Object"): a part whose media type is JSON is parsed and checked as JSON;
 * a part with a `contentType` list in the encoding must carry one of those types.
 */
import { isJsonMediaType, mediaTypeOf } from '../net/media-type.js'
import { checkJsonText, type JsonLimits, type JsonViolation } from './json-limits.js'

export interface MultipartPart {
  readonly name: string
  /** Null for a part without `filename` (a text field). */
  readonly filename: string | null
  /** The part's own `Content-Type`, null when absent (RFC 7578 §4.4: then `text/plain`). */
  readonly contentType: string | null
  readonly content: Buffer
}

export type MultipartResult = { readonly parts: readonly MultipartPart[] } | { readonly error: string }

/** How one property's parts are encoded, from the operation's `encoding` and the property's schema. */
export interface PartEncoding {
  /** The media types its parts may carry (`image/*` wildcards), or null when the document does not say. */
  readonly allowed: readonly RegExp[] | null
  /** The property's schema is an object or an array of objects: a part without a Content-Type is read as JSON. */
  readonly structured: boolean
  /** The property's schema is an array: its parts (even one) are its items. */
  readonly array: boolean
}

const MAX_PARTS = 1000
const CRLF = Buffer.from('\r\n')
const HEADER_END = Buffer.from('\r\n\r\n')
const UTF8 = new TextDecoder('utf-8', { fatal: true })

export function parseMultipart(body: Buffer, contentType: string): MultipartResult {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  const boundary = match?.[1] ?? match?.[2]
  if (boundary === undefined || boundary.length > 70) return { error: 'has no valid boundary' }
  const delimiter = Buffer.from(`--${boundary}`)
  const nextDelimiter = Buffer.concat([CRLF, delimiter])
  let at = body.indexOf(delimiter)
  if (at === -1) return { error: 'has no parts' }
  const parts: MultipartPart[] = []
  for (let count = 0; count <= MAX_PARTS; count++) {
    at += delimiter.length
    if (body.subarray(at, at + 2).toString('latin1') === '--') return { parts }
    if (!body.subarray(at, at + 2).equals(CRLF)) return { error: 'has a malformed delimiter' }
    const headersEnd = body.indexOf(HEADER_END, at + 2)
    if (headersEnd === -1) return { error: 'has a part without headers' }
    const headers = body.subarray(at + 2, headersEnd).toString('latin1').split('\r\n')
    const next = body.indexOf(nextDelimiter, headersEnd + 4)
    if (next === -1) return { error: 'is not closed' }
    const disposition = headers.find((h) => /^content-disposition:/i.test(h)) ?? ''
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1]
    if (!/^content-disposition:\s*form-data\s*;/i.test(disposition) || name === undefined) return { error: 'has a part that is not a named form-data field' }
    const typeHeader = headers.find((h) => /^content-type:/i.test(h))
    parts.push({
      name,
      filename: /;\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? null,
      contentType: typeHeader === undefined ? null : typeHeader.slice(typeHeader.indexOf(':') + 1).trim(),
      content: body.subarray(headersEnd + 4, next),
    })
    at = next + CRLF.length
  }
  return { error: `has more than ${MAX_PARTS} parts` }
}

/**
 * The parts as the object the body schema checks: files (parts with a filename) as their bytes
 * read as latin1 (a `format: binary` string of the right length), JSON parts parsed, text parts
 * as strings; a repeated name becomes an array. Violations for parts whose media type the
 * encoding does not allow, or whose JSON or UTF-8 is invalid.
 */
export function multipartFields(
  parts: readonly MultipartPart[],
  encodings: ReadonlyMap<string, PartEncoding>,
  limits: JsonLimits,
): { fields: Record<string, unknown>; violations: JsonViolation[] } {
  const fields: Record<string, unknown> = {}
  const violations: JsonViolation[] = []
  for (const part of parts) {
    const location = `body.${part.name}`
    const encoding = encodings.get(part.name)
    const mediaType = part.contentType === null ? 'text/plain' : mediaTypeOf(part.contentType)
    if (encoding?.allowed != null && !encoding.allowed.some((pattern) => pattern.test(mediaType))) {
      violations.push({ location, message: `part has media type ${mediaType.slice(0, 100)}, not one the operation accepts` })
      continue
    }
    const value = partValue(part, mediaType, encoding?.structured === true && part.contentType === null, limits)
    if ('violation' in value) {
      // JSON limits locate within the part: `body.x` there is `body.<name>.x` here.
      violations.push({ location: `${location}${value.violation.location.slice('body'.length)}`, message: value.violation.message })
      continue
    }
    const existing = fields[part.name]
    if (encoding?.array === true) fields[part.name] = [...((existing ?? []) as unknown[]), value.value]
    else fields[part.name] = existing === undefined ? value.value : Array.isArray(existing) ? [...(existing as unknown[]), value.value] : [existing, value.value]
  }
  return { fields, violations }
}

function partValue(part: MultipartPart, mediaType: string, structured: boolean, limits: JsonLimits): { value: unknown } | { violation: JsonViolation } {
  if (part.filename !== null && !isJsonMediaType(mediaType)) return { value: part.content.toString('latin1') }
  let text: string
  try {
    text = UTF8.decode(part.content)
  } catch {
    return { violation: { location: 'body', message: 'is not valid UTF-8' } }
  }
  if (!isJsonMediaType(mediaType) && !structured) return { value: text }
  const [structural] = checkJsonText(text, limits, 1)
  if (structural !== undefined) return { violation: structural }
  try {
    return { value: JSON.parse(text) as unknown }
  } catch {
    return { violation: { location: 'body', message: 'is not valid JSON' } }
  }
}
