/** Helpers the scan checks share: requests as an identity, JSON bodies, operations by kind. */
import { allowsAnonymous, type OperationView } from '../../audit/operations.js'
import { isObject } from '../../audit/spec-model.js'
import { ScanIdentity, type Identity } from '../identities.js'
import type { Exchange, ScanClient, ScanRequest } from '../scan-client.js'
import { buildRequest, type RequestParts } from '../sample-values.js'
import type { ScanContext } from '../scan-check.js'

export function withHeaders(request: ScanRequest, headers: Readonly<Record<string, string>>): ScanRequest {
  return { ...request, headers: { ...request.headers, ...headers } }
}

/** A request for `operation` sent as `identity` (none: anonymous). */
/** The caller's own account: `/me`, `/users/me`, `/profile`, `/whoami`… */
export const ME_PATH = /(^|\/)(me|self|whoami|profile|account|current(-?user)?)$/i

/** A path parameter that names a user account: filled with the acting identity's own user name when it has one. */
export const USER_PARAMETER = /^(user_?name|user|login|handle|account_?name|owner|member_?name|screen_?name)$/i

export function requestAs(context: ScanContext, operation: OperationView, identity: Identity | undefined, parts: RequestParts = {}): ScanRequest {
  const ownNames: Record<string, string> = {}
  if (identity?.username !== undefined) {
    for (const { parameter } of operation.parameters) if (parameter.in === 'path' && typeof parameter.name === 'string' && USER_PARAMETER.test(parameter.name)) ownNames[parameter.name] = identity.username
  }
  const withOwnNames = Object.keys(ownNames).length === 0 ? parts : { ...parts, pathValues: { ...ownNames, ...parts.pathValues } }
  const request = withHeaders(buildRequest(context.spec, context.basePath, operation, withOwnNames), identity?.headers ?? {})
  return identity instanceof ScanIdentity ? { ...request, identity } : request
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

export const isSuccess = (status: number) => status >= 200 && status < 300

/**
 * Public by design: the operation declares an empty requirement (`security: []` or `{}` among
 * them), or says nothing while the document secures other operations. In a document that names no
 * security at all, nothing is known to be public.
 */
export function isPublicByDesign(context: ScanContext, operation: OperationView): boolean {
  const declared = operation.operation.security
  if (Array.isArray(declared)) return declared.length === 0 || declared.some((requirement) => isObject(requirement) && Object.keys(requirement).length === 0)
  if (operation.security !== undefined) return allowsAnonymous(operation)
  return context.operations.some((other) => other.security !== undefined && !allowsAnonymous(other))
}

/** Operations the document secures (a requirement, none of them anonymous). */
export function securedOperations(context: ScanContext): OperationView[] {
  return context.operations.filter((operation) => !allowsAnonymous(operation))
}

const ordinary = (context: ScanContext) => context.identities.filter((identity) => identity.role !== 'admin')
/** The first ordinary identity: the owner of the objects the scan creates. */
export const identityA = (context: ScanContext): Identity | undefined => ordinary(context)[0]
/** The second ordinary identity: the one that must not reach A's objects nor administrative operations. */
export const identityB = (context: ScanContext): Identity | undefined => ordinary(context)[1]
/** The administrator, when one is given: what it may call and B may not is function-level authorization. */
export const adminIdentity = (context: ScanContext): Identity | undefined => context.identities.find((identity) => identity.role === 'admin')

export interface ReachableRead {
  readonly operation: OperationView
  readonly status: number
  readonly body: string
  readonly exchange: Exchange
}

/** Per scan (one client each): several checks start from the same reads. */
const readsOfScan = new WeakMap<ScanClient, Promise<ReachableRead[]>>()

/** GET operations without path parameters that identity A can call successfully with sample values, with the exchange; sent once per scan. */
export function reachableReads(context: ScanContext): Promise<ReachableRead[]> {
  let reads = readsOfScan.get(context.client)
  if (reads === undefined) {
    reads = (async () => {
      const out: ReachableRead[] = []
      for (const operation of context.operations) {
        if (operation.method !== 'get' || operation.pathTemplate.includes('{')) continue
        const exchange = await context.client.send(requestAs(context, operation, identityA(context)))
        if (isSuccess(exchange.status)) out.push({ operation, status: exchange.status, body: exchange.body, exchange })
      }
      return out
    })()
    readsOfScan.set(context.client, reads)
  }
  return reads
}

/** The shape of an answer: an array, the sorted keys of an object, or the body's size class for text. */
function shapeOf(body: string): string {
  const value = parseJson(body)
  if (Array.isArray(value)) return 'array'
  if (isObject(value)) return `object:${Object.keys(value).sort().join(',')}`
  return `text:${String(Math.round(Math.log2(body.length + 1)))}`
}

/**
 * Two answers alike: the same status class and the same shape. An API that answers a refused
 * token with `200 {"status": "fail", "message": …}` is then not taken to have accepted it.
 */
export function answersAlike(a: Exchange, b: Exchange): boolean {
  return Math.floor(a.status / 100) === Math.floor(b.status / 100) && shapeOf(a.body) === shapeOf(b.body)
}

/** The identity's user name: given with its log-in, else the one its JWT names (`preferred_username`, `username`, `name`, `email`, a `sub` that is not an opaque id). */
export function userNameOf(identity: Identity | undefined): string | undefined {
  if (identity === undefined) return undefined
  if (identity.username !== undefined) return identity.username
  const payload = identity.token?.split('.')[1]
  const claims = payload === undefined ? undefined : parseJson(Buffer.from(payload, 'base64url').toString())
  if (!isObject(claims)) return undefined
  for (const claim of ['preferred_username', 'username', 'name', 'email', 'sub']) {
    const value = claims[claim]
    if (typeof value === 'string' && value !== '' && !(claim === 'sub' && /^[0-9a-f-]{16,}$|^\d+$/i.test(value))) return value
  }
  return undefined
}
