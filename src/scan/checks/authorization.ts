/** Checks 2 and 3, authorization: identity B on identity A's objects (BOLA), B on administrative operations (BFLA), undeclared methods. */
import { isAdminPath } from '../../audit/operation-kinds.js'
import type { OperationView } from '../../audit/operations.js'
import { accountOperations } from '../account-operations.js'
import { accountTakeover } from './account-takeover.js'
import { createOwned, listedOwned, markedBody, type OwnedObject } from '../owned-objects.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'
import { adminIdentity, identityA, identityB, isPublicByDesign, isSuccess, requestAs } from './shared.js'


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

/** Whether the answer shows the object: one of its markers, or (when it has none) its id. */
const shows = (body: string, object: OwnedObject) => (object.markers.length > 0 ? object.markers.some((marker) => body.includes(marker)) : body.includes(object.id))

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
    for (const { create, list, item } of collections(context)) {
      if (isAccountCollection(context, create)) continue
      const guarded = ['get', 'put', 'patch', ...(context.allowDestructive ? ['delete'] : [])].flatMap((method) => {
        const operation = item.operations.get(method)
        return operation === undefined || isPublicByDesign(context, operation) ? [] : [operation]
      })
      if (guarded.length === 0) continue
      const created = create === undefined ? undefined : await createOwned(context, create, item.parameter, a)
      const object = created ?? (list === undefined ? undefined : (await listedOwned(context, list, item.parameter, a))[0])
      if (object === undefined) continue
      const read = item.operations.get('get')
      const readAsA = async () => (read === undefined ? undefined : await context.client.send(requestAs(context, read, a, { pathValues: { [item.parameter]: object.id } })))
      for (const operation of guarded) {
        const pathValues = { [item.parameter]: object.id }
        const what = `${a.name}'s object ${object.id}`
        if (operation.method === 'get') {
          const exchange = await context.client.send(requestAs(context, operation, b, { pathValues }))
          if (!isSuccess(exchange.status) || !shows(exchange.body, object)) continue
          const again = await context.client.send(requestAs(context, operation, b, { pathValues, headers: { accept: '*/*', 'cache-control': 'no-cache' } }))
          if (isSuccess(again.status) && shows(again.body, object)) context.report(operation, `${b.name} could GET ${what} (${String(exchange.status)}, twice, with the object's content).`, exchange)
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
      if (operation.method !== 'get' && !context.allowDestructive) continue
      if (admin !== undefined && !isSuccess((await context.client.send(requestAs(context, operation, admin))).status)) continue
      const exchange = await context.client.send(requestAs(context, operation, b))
      if (!isSuccess(exchange.status)) continue
      const again = await context.client.send(requestAs(context, operation, b, { headers: { accept: '*/*', 'cache-control': 'no-cache' } }))
      if (isSuccess(again.status)) context.report(operation, `${b.name} called ${operation.method.toUpperCase()} ${operation.pathTemplate} (${String(exchange.status)}, twice)${admin === undefined ? '' : `, an operation for administrators such as ${admin.name}`}.`, exchange)
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
