/**
 * Where the scan puts a payload: every string parameter the document declares — in the path, the
 * query, a header — and every string property of a JSON body, each with a valid value to start
 * from (the acting identity's own user name for a path parameter that names a user). The
 * operations are those the scan may call at all, except DELETE and those that set a password
 * (a payload would become the acting identity's password).
 */
import { randomBytes } from 'node:crypto'
import type { OperationView } from '../audit/operations.js'
import { isObject } from '../audit/spec-model.js'
import { accountBody, accountOperations } from './account-operations.js'
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

/** An operation that writes to the acting identity's own account: a non-GET whose path names a user (filled with A's own name). */
export const writesOwnAccount = (operation: OperationView) =>
  operation.method !== 'get' && operation.parameters.some(({ parameter }) => parameter.in === 'path' && typeof parameter.name === 'string' && USER_PARAMETER.test(parameter.name))

const pointsOfContext = new WeakMap<readonly OperationView[], Map<boolean, InjectionPoint[]>>()

/**
 * `ownAccount`: also the operations that write to A's own account (ReDoS, whose payloads no
 * validator accepts, needs them; the injections would store their payloads in A's profile).
 */
export function injectionPoints(context: ScanContext, options: { ownAccount?: boolean } = {}): readonly InjectionPoint[] {
  const ownAccount = options.ownAccount === true
  const byOption = pointsOfContext.get(context.operations) ?? new Map<boolean, InjectionPoint[]>()
  pointsOfContext.set(context.operations, byOption)
  const cached = byOption.get(ownAccount)
  if (cached !== undefined) return cached
  const a = identityA(context)
  const points: InjectionPoint[] = []
  for (const operation of context.operations) {
    if (operation.method === 'delete' || changesCredentials(operation) || (!ownAccount && writesOwnAccount(operation))) continue
    for (const { parameter, schema } of operation.parameters) {
      const location = parameter.in
      if ((location !== 'query' && location !== 'path' && location !== 'header') || typeof parameter.name !== 'string') continue
      if (location === 'header' && RESERVED_HEADER.test(parameter.name)) continue
      const ownName = location === 'path' && a?.username !== undefined && USER_PARAMETER.test(parameter.name) ? a.username : undefined
      const value = ownName ?? parameter.example ?? sampleValue(context.spec, context.spec.isOas3 ? parameter.schema : schema)
      if (typeof value === 'string') points.push({ operation, location, name: parameter.name, value })
    }
    const sample = baseBody(context, operation)
    if (isObject(sample)) for (const [name, value] of Object.entries(sample)) if (typeof value === 'string') points.push({ operation, location: 'body', name, value })
  }
  byOption.set(ownAccount, points)
  return points
}

/** Credentials generated once per process: payloads at a log-in never pair with a real account's name or password. */
const GENERATED = { username: `portcullis-${randomBytes(4).toString('hex')}`, password: `Wrong-${randomBytes(6).toString('hex')}` }

/** The body a payload goes into: the document's sample, with generated credentials for log-in, sign-up and reset operations (their examples may be a real account's). */
function baseBody(context: ScanContext, operation: OperationView): unknown {
  const body = jsonBody(operation)
  if (body === undefined) return undefined
  const accounts = accountOperations(context.spec, context.operations)
  const account = [accounts.logIn, accounts.signUp, accounts.passwordReset].find((candidate) => candidate?.operation === operation)
  return account === undefined ? bodySample(context.spec, body) : accountBody(account, GENERATED)
}

/** Sends the operation as identity A with `value` at the point (other values as the document samples them). */
export function sendAt(context: ScanContext, point: InjectionPoint, value: unknown, body?: Readonly<Record<string, unknown>>): Promise<Exchange> {
  const a = identityA(context)
  switch (point.location) {
    case 'query':
      return context.client.send(requestAs(context, point.operation, a, { query: { [point.name]: String(value) } }))
    case 'path':
      return context.client.send(requestAs(context, point.operation, a, { pathValues: { [point.name]: String(value) } }))
    case 'header':
      return context.client.send(requestAs(context, point.operation, a, { headers: { [point.name]: String(value) } }))
    case 'body': {
      const sample = body ?? baseBody(context, point.operation)
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
