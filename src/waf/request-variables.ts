/**
 * The request as SecLang variables: what phase 1 sees (line, URI, query arguments, headers,
 * cookies) and what the body processors add for phase 2 (ARGS_POST, FILES, XML, REQUEST_BODY).
 * Values are byte strings (latin1), names and values of arguments URL-decoded the way the
 * reference engines decode them (`+` is a space; an invalid `%` escape stays as it was).
 */
import { Collection, Variables } from './collections.js'
import { urlDecode } from './transformations.js'

export interface WafRequest {
  readonly method: string
  /** The request target as it arrived: origin form (`/a?b`) or absolute form. */
  readonly uri: string
  /** `HTTP/1.1`, `HTTP/2.0`. */
  readonly protocol: string
  /** In arrival order, values as latin1 strings. */
  readonly headers: readonly (readonly [string, string])[]
  readonly remoteAddress: string
}

/** Single-valued variables are stored as one-entry collections under their own name. */
const SINGLE = (name: string, value: string): [string, Collection] => {
  const collection = new Collection()
  collection.add(name, value)
  return [name, collection]
}

function percentDecode(text: string): string {
  if (!text.includes('%')) return text
  return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

/** An argument's name or value as the reference engines decode it: `+` is a space, `%hh` a byte. */
export function decodeArgument(text: string): string {
  return urlDecode(text, false)
}

/** `a=1&b=2` into a collection of decoded names and values (a name without `=` has an empty value). */
export function parseArguments(text: string, into: Collection, names?: Collection): void {
  if (text === '') return
  for (const pair of text.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const name = decodeArgument(eq === -1 ? pair : pair.slice(0, eq))
    const value = eq === -1 ? '' : decodeArgument(pair.slice(eq + 1))
    into.add(name, value)
    names?.add(name, name)
  }
}

export function requestVariables(request: WafRequest, uniqueId: string): Variables {
  const variables = new Variables()
  const collection = (name: string) => {
    const c = new Collection()
    variables.set(name, c)
    return c
  }
  const target = request.uri
  // Absolute form (`http://host/path`): the path starts after the authority.
  const pathStart = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target.indexOf('/', target.indexOf('//') + 2) : 0
  const originForm = pathStart === -1 ? '/' : target.slice(pathStart)
  const hash = originForm.indexOf('#')
  const withoutFragment = hash === -1 ? originForm : originForm.slice(0, hash)
  const question = withoutFragment.indexOf('?')
  // REQUEST_FILENAME is percent-decoded (not `+`), as the reference engines present it; the raw path is in REQUEST_URI.
  const path = percentDecode(question === -1 ? withoutFragment : withoutFragment.slice(0, question))
  const query = question === -1 ? '' : withoutFragment.slice(question + 1)

  for (const [name, value] of [
    ['REQUEST_METHOD', request.method],
    ['REQUEST_PROTOCOL', request.protocol],
    ['REQUEST_LINE', `${request.method} ${target} ${request.protocol}`],
    ['REQUEST_URI', withoutFragment],
    ['REQUEST_URI_RAW', target],
    ['REQUEST_FILENAME', path],
    ['REQUEST_BASENAME', path.slice(path.lastIndexOf('/') + 1)],
    ['QUERY_STRING', query],
    ['REMOTE_ADDR', request.remoteAddress],
    ['UNIQUE_ID', uniqueId],
    ['REQBODY_PROCESSOR', ''],
    ['REQBODY_ERROR', '0'],
    ['REQUEST_BODY_LENGTH', '0'],
  ] as const) {
    const [key, single] = SINGLE(name, value)
    variables.set(key, single)
  }

  const headers = collection('REQUEST_HEADERS')
  const headerNames = collection('REQUEST_HEADERS_NAMES')
  for (const [name, value] of request.headers) {
    headers.add(name, value)
    headerNames.add(name, name)
  }

  const cookies = collection('REQUEST_COOKIES')
  const cookieNames = collection('REQUEST_COOKIES_NAMES')
  for (const header of headers.get('cookie')) {
    for (const part of header.value.split(';')) {
      const trimmed = part.trim()
      if (trimmed === '') continue
      const eq = trimmed.indexOf('=')
      const name = eq === -1 ? trimmed : trimmed.slice(0, eq)
      cookies.add(name, eq === -1 ? '' : trimmed.slice(eq + 1))
      cookieNames.add(name, name)
    }
  }

  const argsGet = collection('ARGS_GET')
  const argsGetNames = collection('ARGS_GET_NAMES')
  parseArguments(query, argsGet, argsGetNames)
  for (const name of ['ARGS_POST', 'ARGS_POST_NAMES', 'FILES', 'FILES_NAMES', 'FILES_SIZES', 'MULTIPART_PART_HEADERS', 'XML', 'REQUEST_BODY', 'TX']) {
    collection(name)
  }
  return variables
}
