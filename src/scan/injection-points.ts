/**
 * Where the scan puts a payload: every string parameter the document declares — in the path, the
 * query, a header — and every string property of a JSON body, each with a valid value to start
 * from (the acting identity's own user name for a path parameter that names a user). The
 * operations are those the scan may call at all, except DELETE and those that set a password
 * (a payload would become the acting identity's password).
 */
import type { OperationView } from '../audit/operations.js'
import { isObject } from '../audit/spec-model.js'
import { identityA, requestAs, USER_PARAMETER } from './checks/shared.js'
import type { ScanContext } from './scan-check.js'
import type { Exchange } from './scan-client.js'
import { bodySample, sampleValue } from './sample-values.js'

export type InjectionLocation = 'path' | 'query' | 'header' | 'body'

export interface InjectionPoint {
  readonly operation: OperationView
  readonly location: InjectionLocation
  readonly name: string
  /** A valid value: the baseline the payloads are compared with. */
  readonly value: string
}

/** Headers a client does not choose freely or that carry the scan's own credentials. */
const RESERVED_HEADER = /^(authorization|cookie|content-type|content-length|host|accept|accept-encoding|connection|transfer-encoding|user-agent)$/i

function jsonBody(operation: OperationView) {
  return operation.requestBodies.find((candidate) => /json/i.test(candidate.mediaType))
}

/** An operation that sets a password: a payload there would change the acting identity's own credentials. */
const CREDENTIAL_CHANGE = /pass(word)?|passwd|pwd|credential|secret/i
const changesCredentials = (operation: OperationView) => operation.method !== 'get' && CREDENTIAL_CHANGE.test(`${operation.pathTemplate} ${typeof operation.operation.operationId === 'string' ? operation.operation.operationId : ''}`)

const pointsOfContext = new WeakMap<readonly OperationView[], InjectionPoint[]>()

export function injectionPoints(context: ScanContext): readonly InjectionPoint[] {
  const cached = pointsOfContext.get(context.operations)
  if (cached !== undefined) return cached
  const a = identityA(context)
  const points: InjectionPoint[] = []
  for (const operation of context.operations) {
    if (operation.method === 'delete' || changesCredentials(operation)) continue
    for (const { parameter, schema } of operation.parameters) {
      const location = parameter.in
      if ((location !== 'query' && location !== 'path' && location !== 'header') || typeof parameter.name !== 'string') continue
      if (location === 'header' && RESERVED_HEADER.test(parameter.name)) continue
      const ownName = location === 'path' && a?.username !== undefined && USER_PARAMETER.test(parameter.name) ? a.username : undefined
      const value = ownName ?? parameter.example ?? sampleValue(context.spec, context.spec.isOas3 ? parameter.schema : schema)
      if (typeof value === 'string') points.push({ operation, location, name: parameter.name, value })
    }
    const body = jsonBody(operation)
    const sample = body === undefined ? undefined : bodySample(context.spec, body)
    if (isObject(sample)) for (const [name, value] of Object.entries(sample)) if (typeof value === 'string') points.push({ operation, location: 'body', name, value })
  }
  pointsOfContext.set(context.operations, points)
  return points
}

/** Sends the operation as identity A with `value` at the point (other values as the document samples them). */
export function sendAt(context: ScanContext, point: InjectionPoint, value: unknown): Promise<Exchange> {
  const a = identityA(context)
  switch (point.location) {
    case 'query':
      return context.client.send(requestAs(context, point.operation, a, { query: { [point.name]: String(value) } }))
    case 'path':
      return context.client.send(requestAs(context, point.operation, a, { pathValues: { [point.name]: String(value) } }))
    case 'header':
      return context.client.send(requestAs(context, point.operation, a, { headers: { [point.name]: String(value) } }))
    case 'body': {
      const body = jsonBody(point.operation)
      const sample = body === undefined ? {} : bodySample(context.spec, body)
      return context.client.send(requestAs(context, point.operation, a, { body: { ...(isObject(sample) ? sample : {}), [point.name]: value } }))
    }
  }
}

/** Sends the operation as identity A with the point's query parameter replaced by raw query text (operators in brackets: `name[$ne]=x`). */
export function sendWithQuery(context: ScanContext, point: InjectionPoint, rawQuery: string): Promise<Exchange> {
  const request = requestAs(context, point.operation, identityA(context))
  const [path = '', search = ''] = request.path.split('?', 2)
  const others = new URLSearchParams(search)
  others.delete(point.name)
  const rest = others.toString()
  return context.client.send({ ...request, path: `${path}?${rest === '' ? '' : `${rest}&`}${rawQuery}` })
}

const LOCATION_NAMES: Readonly<Record<InjectionLocation, string>> = { path: 'path parameter', query: 'query parameter', header: 'header', body: 'body property' }

/** "query parameter "q" of GET /notes/search" */
export const describePoint = (point: InjectionPoint) => `${LOCATION_NAMES[point.location]} "${point.name}" of ${point.operation.method.toUpperCase()} ${point.operation.pathTemplate}`
