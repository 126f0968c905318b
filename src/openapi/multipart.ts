/**
 * A buffered `multipart/form-data` body as fields, for validation: text parts as strings, file
 * parts (those with a filename) as their bytes read as latin1 (a `format: binary` string of the
 * right length). Strict: anything malformed — no boundary, a part without `form-data` and a
 * name, no closing delimiter — is refused rather than guessed, since a part the gateway reads
 * differently from the backend would slip past validation.
 */
export type MultipartResult = { readonly fields: Record<string, unknown> } | { readonly error: string }

const MAX_PARTS = 1000
const CRLF = Buffer.from('\r\n')
const HEADER_END = Buffer.from('\r\n\r\n')

export function parseMultipart(body: Buffer, contentType: string): MultipartResult {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  const boundary = match?.[1] ?? match?.[2]
  if (boundary === undefined || boundary.length > 70) return { error: 'has no valid boundary' }
  const delimiter = Buffer.from(`--${boundary}`)
  let at = body.indexOf(delimiter)
  if (at === -1) return { error: 'has no parts' }
  const fields: Record<string, unknown> = {}
  for (let parts = 0; parts <= MAX_PARTS; parts++) {
    at += delimiter.length
    if (body.subarray(at, at + 2).toString('latin1') === '--') return { fields }
    if (!body.subarray(at, at + 2).equals(CRLF)) return { error: 'has a malformed delimiter' }
    const headersEnd = body.indexOf(HEADER_END, at + 2)
    if (headersEnd === -1) return { error: 'has a part without headers' }
    const headers = body.subarray(at + 2, headersEnd).toString('latin1').split('\r\n')
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), headersEnd + 4)
    if (next === -1) return { error: 'is not closed' }
    const disposition = headers.find((h) => /^content-disposition:/i.test(h)) ?? ''
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1]
    if (!/^content-disposition:\s*form-data\s*;/i.test(disposition) || name === undefined) return { error: 'has a part that is not a named form-data field' }
    const content = body.subarray(headersEnd + 4, next)
    const value = /;\s*filename="/i.test(disposition) ? content.toString('latin1') : content.toString('utf8')
    const existing = fields[name]
    fields[name] = existing === undefined ? value : Array.isArray(existing) ? [...(existing as unknown[]), value] : [existing, value]
    at = next + CRLF.length
  }
  return { error: `has more than ${MAX_PARTS} parts` }
}
