/** Checks 2 and 3, authorization: identity B on identity A's objects (BOLA), B on administrative operations (BFLA), undeclared methods. */
import { isAdminPath } from '../../audit/operation-kinds.js'
import type { OperationView } from '../../audit/operations.js'
import { isObject } from '../../audit/spec-model.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'
import { identityA, identityB, isSuccess, parseJson, requestAs } from './shared.js'


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

/** The id of an object in a response: the property named like the path parameter, or `id`. */
function idOf(value: unknown, parameter: string): string | undefined {
  if (!isObject(value)) return undefined
  const base = parameter.replace(/(_id|Id|-id)$/, '')
  for (const key of [parameter, 'id', `${base}_id`, 'uuid']) {
    const id = value[key]
    if (typeof id === 'string' || typeof id === 'number') return String(id)
  }
  return undefined
}

/** Ids of objects identity A owns: one it creates, then those it lists. */
async function objectsOfA(context: ScanContext, create: OperationView | undefined, list: OperationView | undefined, parameter: string): Promise<string[]> {
  const ids: string[] = []
  if (create !== undefined) {
    const created = await context.client.send(requestAs(context, create, identityA(context)))
    const id = isSuccess(created.status) ? idOf(parseJson(created.body), parameter) : undefined
    if (id !== undefined) ids.push(id)
  }
  if (ids.length === 0 && list !== undefined) {
    const listed = parseJson((await context.client.send(requestAs(context, list, identityA(context)))).body)
    const items = Array.isArray(listed) ? listed : isObject(listed) ? Object.values(listed).find(Array.isArray) : undefined
    for (const item of (items as unknown[] | undefined)?.slice(0, 2) ?? []) {
      const id = idOf(item, parameter)
      if (id !== undefined) ids.push(id)
    }
  }
  return ids
}

export const bola: ScanCheck = {
  id: 'bola',
  severity: 'critical',
  owasp: 'API1:2023',
  title: 'Broken object-level authorization: another identity reaches the object',
  description: "Identity B read, changed or deleted an object that identity A created or listed: the operation does not check who owns the object.",
  remediation: "Check the caller's right to the object on every access (the gateway's `authz` ownership rules can enforce it); answer 404 to others.",
  async run(context) {
    const [a, b] = [identityA(context), identityB(context)]
    if (a === undefined || b === undefined) return
    for (const { create, list, item } of collections(context)) {
      const ids = await objectsOfA(context, create, list, item.parameter)
      const id = ids[0]
      if (id === undefined) continue
      const methods = ['get', 'put', 'patch', ...(context.allowDestructive ? ['delete'] : [])]
      for (const method of methods) {
        const operation = item.operations.get(method)
        if (operation === undefined) continue
        const exchange = await context.client.send(requestAs(context, operation, b, { pathValues: { [item.parameter]: id } }))
        if (isSuccess(exchange.status)) context.report(operation, `${b.name} could ${method.toUpperCase()} ${a.name}'s object ${id} (${String(exchange.status)}).`, exchange)
      }
    }
  },
}

export const bfla: ScanCheck = {
  id: 'bfla',
  severity: 'high',
  owasp: 'API5:2023',
  title: 'Broken function-level authorization: administrative operation open to a regular identity',
  description: 'An administrative-looking operation (`/admin`, `/internal`, `/management`…) succeeded for identity B.',
  remediation: 'Require an administrator role or scope for administrative operations and refuse others with 403.',
  async run(context) {
    const b = identityB(context)
    if (b === undefined) return
    for (const operation of context.operations) {
      if (!isAdminPath(operation.pathTemplate)) continue
      if (operation.method !== 'get' && !context.allowDestructive) continue
      const exchange = await context.client.send(requestAs(context, operation, b))
      if (isSuccess(exchange.status)) context.report(operation, `${b.name} called ${operation.method.toUpperCase()} ${operation.pathTemplate} (${String(exchange.status)}).`, exchange)
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

export const AUTHORIZATION_CHECKS: readonly ScanCheck[] = [bola, bfla, methodTampering]
