/**
 * The request as SecLang variables: what phase 1 sees (line, URI, query arguments, headers,
 * cookies) and what the body processors add for phase 2 (ARGS_POST, FILES, XML, REQUEST_BODY).
 * Values are byte strings (latin1), names and values of arguments URL-decoded the way the
 * reference engines decode them (`+` is a space; an invalid `%` escape stays as it was).
 */
import { Collection, slotOf, Variables, type SharedSingles } from './collections.js'
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
  /** Path parameters (name, decoded value) where the caller knows the route's template: ARGS_PATH. */
  readonly pathArguments?: readonly (readonly [string, string])[]
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

/** Slots of the variables every request sets, resolved once. */
const SLOT = {
  method: slotOf('REQUEST_METHOD'),
  protocol: slotOf('REQUEST_PROTOCOL'),
  line: slotOf('REQUEST_LINE'),
  uri: slotOf('REQUEST_URI'),
  uriRaw: slotOf('REQUEST_URI_RAW'),
  filename: slotOf('REQUEST_FILENAME'),
  basename: slotOf('REQUEST_BASENAME'),
  query: slotOf('QUERY_STRING'),
  remoteAddress: slotOf('REMOTE_ADDR'),
  uniqueId: slotOf('UNIQUE_ID'),
  bodyProcessor: slotOf('REQBODY_PROCESSOR'),
  bodyError: slotOf('REQBODY_ERROR'),
  bodyLength: slotOf('REQUEST_BODY_LENGTH'),
  headers: slotOf('REQUEST_HEADERS'),
  headerNames: slotOf('REQUEST_HEADERS_NAMES'),
  cookies: slotOf('REQUEST_COOKIES'),
  cookieNames: slotOf('REQUEST_COOKIES_NAMES'),
  argsGet: slotOf('ARGS_GET'),
  argsGetNames: slotOf('ARGS_GET_NAMES'),
  argsPath: slotOf('ARGS_PATH'),
  argsPathNames: slotOf('ARGS_PATH_NAMES'),
}

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i

/**
 * The variables of the request line and headers. Collections a request leaves empty (cookies,
 * query arguments, everything of the body) are not created: the engine reads a missing
 * collection as an empty one, and the body processors create what they fill (`Variables.ensure`).
 */
export function requestVariables(request: WafRequest, uniqueId: string, shared: SharedSingles | null = null): Variables {
  const variables = new Variables(shared)
  const target = request.uri
  // Absolute form (`http://host/path`): the path starts after the authority.
  const pathStart = ABSOLUTE_FORM.test(target) ? target.indexOf('/', target.indexOf('//') + 2) : 0
  const originForm = pathStart === -1 ? '/' : target.slice(pathStart)
  const hash = originForm.indexOf('#')
  const withoutFragment = hash === -1 ? originForm : originForm.slice(0, hash)
  const question = withoutFragment.indexOf('?')
  // REQUEST_FILENAME is percent-decoded (not `+`), as the reference engines present it; the raw path is in REQUEST_URI.
  const path = percentDecode(question === -1 ? withoutFragment : withoutFragment.slice(0, question))
  const query = question === -1 ? '' : withoutFragment.slice(question + 1)

  variables.single(SLOT.method, 'REQUEST_METHOD', request.method)
  variables.single(SLOT.protocol, 'REQUEST_PROTOCOL', request.protocol)
  variables.single(SLOT.line, 'REQUEST_LINE', `${request.method} ${target} ${request.protocol}`)
  variables.single(SLOT.uri, 'REQUEST_URI', withoutFragment)
  variables.single(SLOT.uriRaw, 'REQUEST_URI_RAW', target)
  variables.single(SLOT.filename, 'REQUEST_FILENAME', path)
  variables.single(SLOT.basename, 'REQUEST_BASENAME', path.slice(path.lastIndexOf('/') + 1))
  variables.single(SLOT.query, 'QUERY_STRING', query)
  variables.single(SLOT.remoteAddress, 'REMOTE_ADDR', request.remoteAddress)
  variables.single(SLOT.uniqueId, 'UNIQUE_ID', uniqueId, true)
  variables.single(SLOT.bodyProcessor, 'REQBODY_PROCESSOR', '')
  variables.single(SLOT.bodyError, 'REQBODY_ERROR', '0')
  variables.single(SLOT.bodyLength, 'REQUEST_BODY_LENGTH', '0')

  const headers = variables.ensure(SLOT.headers)
  const headerNames = variables.ensure(SLOT.headerNames)
  const requestHeaders = request.headers
  let cookieHeaders = false
  for (let i = 0; i < requestHeaders.length; i++) {
    const [name, value] = requestHeaders[i] as readonly [string, string]
    headers.add(name, value)
    headerNames.add(name, name)
    if (name.length === 6 && name.toLowerCase() === 'cookie') cookieHeaders = true
  }

  if (cookieHeaders) {
    const cookies = variables.ensure(SLOT.cookies)
    const cookieNames = variables.ensure(SLOT.cookieNames)
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
  }

  if (query !== '') parseArguments(query, variables.ensure(SLOT.argsGet), variables.ensure(SLOT.argsGetNames))
  const pathArguments = request.pathArguments
  if (pathArguments !== undefined && pathArguments.length > 0) {
    const args = variables.ensure(SLOT.argsPath)
    const names = variables.ensure(SLOT.argsPathNames)
    for (const [name, value] of pathArguments) {
      args.add(name, value)
      names.add(name, name)
    }
  }
  return variables
}
