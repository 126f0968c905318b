/** Checks 2 and 3, authorization: identity B on identity A's objects (BOLA), B on administrative operations (BFLA), undeclared methods. */
import { isAdminPath } from '../../audit/operation-kinds.js'
import type { OperationView } from '../../audit/operations.js'
import { accountOperations } from '../account-operations.js'
import { accountTakeover } from './account-takeover.js'
import { createOwned, listedOwned, markedBody, type OwnedObject } from '../owned-objects.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'
import type { Identity } from '../identities.js'
import type { Exchange } from '../scan-client.js'
import { adminIdentity, answersAlike, identityA, identityB, isPublicByDesign, isSuccess, requestAs, USER_PARAMETER } from './shared.js'


interface ItemPath {
  /** The item's path parameter, e.g. `noteId` of `/notes/{noteId}`. */
  readonly parameter: string
  readonly operations: ReadonlyMap<string, OperationView>
}

/** Collections with an item path below them: `/notes` and `/notes/{noteId}`. */
function collections(context: ScanContext): { collection: string; create?: OperationView; list?: OperationView; item: ItemPath }[] {
  const byPath = new Map<string, Map<string, OperationView>>()
  for (const operation of context.operations) {
    const methods = byPath.get(operation.pathTemplate) ?? new Map<string, OperationView>()
    methods.set(operation.method, operation)
    byPath.set(operation.pathTemplate, methods)
  }
  const out: ReturnType<typeof collections> = []
  for (const [path, methods] of byPath) {
    const match = /^(.*)\/\{([^}]+)\}$/.exec(path)
    if (!match?.[1] || !match[2]) continue
    const collection = byPath.get(match[1])
    out.push({ collection: match[1], create: collection?.get('post'), list: collection?.get('get'), item: { parameter: match[2], operations: methods } })
  }
  return out
}

/** A collection of user accounts whose POST is the sign-up: its objects are accounts, which account-takeover checks. */
const isAccountCollection = (context: ScanContext, create: OperationView | undefined) => create !== undefined && accountOperations(context.spec, context.operations).signUp?.operation === create

/** A collection of accounts (`/users/{username}`): its objects are users, which account-takeover checks, and a user's public profile is not an owned object. */
const isAccountItem = (collection: string, parameter: string) => USER_PARAMETER.test(parameter) || /\/(users|accounts|members|profiles|customers|people|owners)$/i.test(collection)

export const bola: ScanCheck = {
  id: 'bola',
  severity: 'critical',
  owasp: 'API1:2023',
  title: 'Broken object-level authorization: another identity reaches the object',
  description: "Identity B read, changed or deleted an object that identity A created (or that the API says is A's): the operation does not check who owns the object. Each finding is confirmed: a read by a second request, a change or deletion by reading the object back as A. Operations the document declares public are not checked.",
  remediation: "Check the caller's right to the object on every access (the gateway's `authz` ownership rules can enforce it); answer 404 to others.",
  async run(context) {
    const [a, b] = [identityA(context), identityB(context)]
    if (a === undefined || b === undefined) return
    for (const { collection, create, list, item } of collections(context)) {
      if (isAccountCollection(context, create) || isAccountItem(collection, item.parameter)) continue
      const guarded = ['get', 'put', 'patch', ...(context.allowDestructive ? ['delete'] : [])].flatMap((method) => {
        const operation = item.operations.get(method)
        return operation === undefined || isPublicByDesign(context, operation) ? [] : [operation]
      })
      if (guarded.length === 0) continue
      const created = create === undefined ? undefined : await createOwned(context, create, item.parameter, a)
      const object = created ?? (list === undefined ? undefined : (await listedOwned(context, list, item.parameter, a))[0])
      if (object === undefined) continue
      const read = item.operations.get('get')
      for (const operation of guarded) {
        // Other parameters naming a user name the owner: B asks for /users/alice/books/7, not its own path.
        const pathValues = { ...ownerParameters(operation, a), [item.parameter]: object.id }
        const readAsA = async () => (read === undefined ? undefined : await context.client.send(requestAs(context, read, a, { pathValues })))
        const what = `${a.name}'s object ${object.id}`
        if (operation.method === 'get') {
          const exchange = await context.client.send(requestAs(context, operation, b, { pathValues }))
          if (!isSuccess(exchange.status)) continue
          const reference = await readAsA()
          if (!shows(exchange, object, reference)) continue
          const again = await context.client.send(requestAs(context, operation, b, { pathValues, headers: { accept: '*/*', 'cache-control': 'no-cache' } }))
          if (isSuccess(again.status) && shows(again, object, reference)) context.report(operation, `${b.name} could GET ${what} (${String(exchange.status)}, twice, with the object's content).`, exchange)
        } else if (operation.method === 'delete') {
          const exchange = await context.client.send(requestAs(context, operation, b, { pathValues }))
          const after = isSuccess(exchange.status) ? await readAsA() : undefined
          if (after !== undefined && (after.status === 404 || after.status === 410)) context.report(operation, `${b.name} could DELETE ${what} (${String(exchange.status)}); ${a.name} then got ${String(after.status)} for it.`, exchange)
        } else {
          const marked = markedBody(context, operation)
          if (marked === undefined || marked.markers.length === 0) continue
          const exchange = await context.client.send(requestAs(context, operation, b, { pathValues, body: marked.body }))
          const after = isSuccess(exchange.status) ? await readAsA() : undefined
          if (after !== undefined && isSuccess(after.status) && marked.markers.some((marker) => after.body.includes(marker))) context.report(operation, `${b.name} could ${operation.method.toUpperCase()} ${what} (${String(exchange.status)}); ${a.name} then read ${b.name}'s values in it.`, exchange)
        }
      }
    }
  },
}

/** The document says only administrators may call it: an administrative path, or a summary or description that says so. */
function isAdministrative(operation: OperationView): boolean {
  const text = [operation.operation.summary, operation.operation.description].filter((part): part is string => typeof part === 'string').join(' ')
  return isAdminPath(operation.pathTemplate) || /\b(admins?|administrators?)\b[^.]{0,40}\bonly\b|\bonly\b[^.]{0,40}\b(admins?|administrators?)\b|\brequires?\b[^.]{0,30}\badmin/i.test(text)
}

/** Path parameters naming a user, filled with the owner's user name. */
function ownerParameters(operation: OperationView, owner: Identity): Record<string, string> {
  if (owner.username === undefined) return {}
  const names = operation.parameters.filter(({ parameter }) => parameter.in === 'path' && typeof parameter.name === 'string' && USER_PARAMETER.test(parameter.name)).map(({ parameter }) => String(parameter.name))
  return Object.fromEntries(names.map((name) => [name, owner.username ?? '']))
}

/**
 * Whether B's answer shows A's object: values the scan wrote into it other than its id (an answer
 * may echo the id: "Book pcs1234 not found"); for an object without such values, an answer shaped
 * like A's own read of it, naming its id, of about the same size.
 */
function shows(exchange: Exchange, object: OwnedObject, reference: Exchange | undefined): boolean {
  const markers = object.markers.filter((marker) => marker !== object.id)
  if (markers.length > 0) return markers.some((marker) => exchange.body.includes(marker))
  if (reference === undefined || !isSuccess(reference.status) || !answersAlike(exchange, reference)) return false
  return exchange.body.includes(object.id) && Math.abs(exchange.body.length - reference.body.length) <= reference.body.length / 5
}

export const bfla: ScanCheck = {
  id: 'bfla',
  severity: 'high',
  owasp: 'API5:2023',
  title: 'Broken function-level authorization: administrative operation open to a regular identity',
  description: 'An administrative operation (an `/admin`, `/internal`, `/management`… path, or one the document says is for administrators only) succeeded for identity B, twice. With an administrator identity, only operations the administrator can call are tried.',
  remediation: 'Require an administrator role or scope for administrative operations and refuse others with 403.',
  async run(context) {
    const b = identityB(context)
    if (b === undefined) return
    const admin = adminIdentity(context)
    for (const operation of context.operations) {
      if (!isAdministrative(operation) || isPublicByDesign(context, operation)) continue
      // A write is sent only with --destructive, never to a path naming something (it could be a given account), and never as the administrator first.
      const isRead = operation.method === 'get'
      if (!isRead && (!context.allowDestructive || operation.pathTemplate.includes('{'))) continue
      const reference = isRead ? await context.client.send(requestAs(context, operation, admin)) : undefined
      if (admin !== undefined && reference !== undefined && !isSuccess(reference.status)) continue
      const exchange = await context.client.send(requestAs(context, operation, b))
      if (!isSuccess(exchange.status)) continue
      // Like the administrator's answer; without an administrator, unlike the anonymous one (a 200 that says "admins only").
      if (reference !== undefined && (admin !== undefined ? !answersAlike(exchange, reference) : isSuccess(reference.status) && answersAlike(exchange, reference))) continue
      const again = await context.client.send(requestAs(context, operation, b, { headers: { accept: '*/*', 'cache-control': 'no-cache' } }))
      if (isSuccess(again.status) && answersAlike(again, exchange)) context.report(operation, `${b.name} called ${operation.method.toUpperCase()} ${operation.pathTemplate} (${String(exchange.status)}, twice)${admin === undefined ? '' : `, an operation for administrators such as ${admin.name}, answered alike`}.`, exchange)
    }
  },
}

const TAMPER_METHODS = ['get', 'put', 'patch', 'post', 'delete'] as const

export const methodTampering: ScanCheck = {
  id: 'method-tampering',
  severity: 'medium',
  owasp: 'API5:2023',
  title: 'Undeclared method accepted',
  description: 'A method the document does not declare for the path succeeded: an operation nobody reviewed (or an authorization check bound to the declared methods only) is reachable.',
  remediation: 'Answer 405 to undeclared methods (the gateway does, for documented APIs).',
  async run(context) {
    const a = identityA(context)
    const byPath = new Map<string, OperationView[]>()
    for (const operation of context.operations) byPath.set(operation.pathTemplate, [...(byPath.get(operation.pathTemplate) ?? []), operation])
    for (const [path, operations] of byPath) {
      const declared = new Set(operations.map((operation) => operation.method))
      const reference = operations[0]
      if (reference === undefined || path.includes('{')) continue
      for (const method of TAMPER_METHODS) {
        if (declared.has(method) || (method !== 'get' && !context.allowDestructive)) continue
        const request = requestAs(context, { ...reference, method, requestBodies: [] }, a, { body: method === 'get' ? undefined : {} })
        const exchange = await context.client.send(request)
        if (isSuccess(exchange.status)) context.report(reference, `${method.toUpperCase()} ${path} is not in the document but answered ${String(exchange.status)}.`, exchange)
      }
    }
  },
}

export const AUTHORIZATION_CHECKS: readonly ScanCheck[] = [bola, accountTakeover, bfla, methodTampering]
