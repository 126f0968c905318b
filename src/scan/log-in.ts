/**
 * Logs an identity in through the document's log-in operation and turns the answer into
 * credentials: a token from the JSON body (sent the way the document's security scheme says:
 * bearer, an API-key header or cookie) or the session cookies it set. With HTTP Basic as the
 * scheme the user name and password are the credentials themselves.
 */
import type { OperationView } from '../audit/operations.js'
import { allowsAnonymous } from '../audit/operations.js'
import { isObject, type SpecModel } from '../audit/spec-model.js'
import { accountBody, accountOperations } from './account-operations.js'
import type { ScanIdentity } from './identities.js'
import type { ScanClient } from './scan-client.js'

const TOKEN_KEY = /^(access_?token|auth_?token|id_?token|token|jwt|bearer|session_?token|api_?key)$/i

/** A token-looking string in a JSON answer: under a token-named key, at most three levels deep. */
export function tokenIn(value: unknown, depth = 0): string | undefined {
  if (!isObject(value) || depth > 3) return undefined
  for (const [key, inner] of Object.entries(value)) if (TOKEN_KEY.test(key) && typeof inner === 'string' && inner.length >= 8) return inner
  for (const inner of Object.values(value)) {
    const found = tokenIn(inner, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

/** How the document's secured operations take a credential: the first scheme they name. */
function credentialCarrier(spec: SpecModel, operations: readonly OperationView[]): { kind: 'bearer' | 'basic' } | { kind: 'header' | 'cookie' | 'query'; name: string } {
  const used = new Set(operations.filter((operation) => !allowsAnonymous(operation)).flatMap((operation) => (operation.security ?? []).flatMap((requirement) => Object.keys(requirement))))
  for (const { name, scheme } of spec.securitySchemes) {
    if (!used.has(name)) continue
    const type = typeof scheme.type === 'string' ? scheme.type.toLowerCase() : ''
    if (type === 'basic' || (type === 'http' && typeof scheme.scheme === 'string' && scheme.scheme.toLowerCase() === 'basic')) return { kind: 'basic' }
    if (type === 'apikey' && typeof scheme.name === 'string') {
      // Swagger 2.0 documents often describe a bearer header as an API key named Authorization.
      if (scheme.in === 'header' && scheme.name.toLowerCase() === 'authorization') return { kind: 'bearer' }
      if (scheme.in === 'header' || scheme.in === 'cookie' || scheme.in === 'query') return { kind: scheme.in, name: scheme.name }
    }
    return { kind: 'bearer' }
  }
  return { kind: 'bearer' }
}

export class LogInError extends Error {}

/**
 * Logs `identity` in and stores its credentials. Throws LogInError when the document has no
 * usable log-in operation or the target refuses the credentials (the message says which).
 */
export async function logIn(client: ScanClient, spec: SpecModel, basePath: string, operations: readonly OperationView[], identity: ScanIdentity): Promise<void> {
  const { username, password } = identity
  if (username === undefined || password === undefined) throw new LogInError(`--login ${identity.name}: no user name and password`)
  const carrier = credentialCarrier(spec, operations)
  if (carrier.kind === 'basic') {
    identity.setCredentials({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }, undefined)
    return
  }
  const account = accountOperations(spec, operations).logIn
  if (account === undefined) throw new LogInError(`--login ${identity.name}: the document has no log-in operation (a POST whose path or operationId says login, signin, token or auth, with user-name and password properties)`)
  const { operation } = account
  const isForm = operation.requestBodies.some((body) => /x-www-form-urlencoded/i.test(body.mediaType)) && !operation.requestBodies.some((body) => /json/i.test(body.mediaType))
  const body = accountBody(account, { username, password })
  const exchange = await client.send({
    method: operation.method.toUpperCase(),
    path: `${basePath}${operation.pathTemplate}`,
    headers: { 'content-type': isForm ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: isForm ? new URLSearchParams(Object.entries(body).map(([name, value]): [string, string] => [name, typeof value === 'string' ? value : JSON.stringify(value)])).toString() : JSON.stringify(body),
  })
  const where = `${operation.method.toUpperCase()} ${operation.pathTemplate}`
  if (exchange.status < 200 || exchange.status >= 300) throw new LogInError(`--login ${identity.name}: ${where} answered ${exchange.status === 0 ? 'nothing' : String(exchange.status)}`)
  let parsed: unknown
  try {
    parsed = JSON.parse(exchange.body) as unknown
  } catch {
    parsed = undefined
  }
  const token = tokenIn(parsed) ?? bearerIn(exchange.headers.authorization)
  if (token !== undefined) {
    const headers: Record<string, string> = carrier.kind === 'bearer' ? { authorization: `Bearer ${token}` } : carrier.kind === 'header' ? { [carrier.name]: token } : carrier.kind === 'cookie' ? { cookie: `${carrier.name}=${token}` } : { authorization: `Bearer ${token}` }
    identity.setCredentials(headers, token)
    return
  }
  const cookies = sessionCookies(exchange.headers['set-cookie'])
  if (cookies !== undefined) {
    identity.setCredentials({ cookie: cookies }, undefined)
    return
  }
  throw new LogInError(`--login ${identity.name}: ${where} answered ${String(exchange.status)} without a token (looked for token, access_token, auth_token… in the JSON body) or a cookie`)
}

function bearerIn(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(header)?.[1]
}

/** `name=value` pairs of Set-Cookie headers (joined by the client with ", "), attributes dropped. */
function sessionCookies(setCookie: string | undefined): string | undefined {
  if (setCookie === undefined) return undefined
  const pairs = setCookie
    .split(/,(?=\s*[^;,=\s]+=)/)
    .map((cookie) => cookie.split(';')[0]?.trim() ?? '')
    .filter((pair) => /^[^=\s]+=/.test(pair))
  return pairs.length === 0 ? undefined : pairs.join('; ')
}

/** `logIn`, with a refusal as `false` rather than an error: for accounts the scan itself creates or changes. */
export async function logInQuietly(client: ScanClient, spec: SpecModel, basePath: string, operations: readonly OperationView[], identity: ScanIdentity): Promise<boolean> {
  try {
    await logIn(client, spec, basePath, operations, identity)
    return true
  } catch (error) {
    if (error instanceof LogInError) return false
    throw error
  }
}
