/**
 * The API versions an `Accept` field names (RFC 9110 §12.5.1), most preferred first: by a
 * media-type parameter (`application/json; version=2`) or inside a vendor media type
 * (`application/vnd.example.v2+json`). Ranges are ordered by their weight (`q`), ties in the
 * order sent; a range with `q=0` (not acceptable) or that cannot be parsed names nothing.
 */

/** The lower-case text around `{version}` in a vendor media type. */
export interface VendorType {
  readonly prefix: string
  readonly suffix: string
}

interface Named {
  readonly label: string
  readonly q: number
}

const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

/** `parameter` is lower-case; the labels come back as sent (vendor ones lower-cased). */
export function versionsNamedInAccept(accept: string, parameter: string | null, vendor: VendorType | null): string[] {
  const named: Named[] = []
  const n = accept.length
  let i = 0
  while (i < n) {
    i = skipSpace(accept, i)
    const typeStart = i
    while (i < n && isTypeChar(accept.charCodeAt(i))) i++
    const mediaType = accept.slice(typeStart, i).toLowerCase()
    let label: string | null = null
    let q = 1
    let valid = mediaType.includes('/')
    i = skipSpace(accept, i)
    while (valid && i < n && accept.charCodeAt(i) === 59 /* ; */) {
      i = skipSpace(accept, i + 1)
      const nameStart = i
      while (i < n && isTokenChar(accept.charCodeAt(i))) i++
      const name = accept.slice(nameStart, i).toLowerCase()
      if (name === '' || accept.charCodeAt(i) !== 61 /* = */) {
        valid = false
        break
      }
      const value = readValue(accept, i + 1)
      if (value === null) {
        valid = false
        break
      }
      i = skipSpace(accept, value.end)
      if (name === 'q') {
        if (!QVALUE.test(value.text)) valid = false
        else q = Number(value.text)
      } else if (name === parameter) label = value.text
    }
    if (i < n && accept.charCodeAt(i) !== 44 /* , */) {
      valid = false
      while (i < n && accept.charCodeAt(i) !== 44) i++
    }
    i++
    if (vendor !== null && mediaType.length > vendor.prefix.length + vendor.suffix.length && mediaType.startsWith(vendor.prefix) && mediaType.endsWith(vendor.suffix)) {
      label = mediaType.slice(vendor.prefix.length, mediaType.length - vendor.suffix.length)
    }
    if (valid && label !== null && label !== '' && q > 0) named.push({ label, q })
  }
  // Array.prototype.sort is stable: equal weights keep the client's order.
  return named.sort((a, b) => b.q - a.q).map((entry) => entry.label)
}

/** A parameter value: a token, or a quoted string with its escapes resolved; null when a quote is not closed. */
function readValue(text: string, start: number): { text: string; end: number } | null {
  if (text.charCodeAt(start) !== 34 /* " */) {
    let i = start
    while (i < text.length && isTokenChar(text.charCodeAt(i))) i++
    return { text: text.slice(start, i), end: i }
  }
  let out = ''
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) return { text: out, end: i + 1 }
    if (c === 92 /* \ */ && i + 1 < text.length) i++
    out += text.charAt(i)
  }
  return null
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++
  return i
}

/** RFC 9110 §5.6.2 tchar. */
function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c > 32 && c < 127 && "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)))
}

function isTypeChar(c: number): boolean {
  return c === 47 /* / */ || isTokenChar(c)
}
