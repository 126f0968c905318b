/**
 * Objects an identity owns, learned the only reliable ways: it created them (with values unique to
 * this scan, so a later answer can be recognised as showing them), or the API says whose they are
 * (an owner-like property naming the identity). Never by position in a list: a shared list puts
 * anybody's objects first.
 */
import { randomBytes } from 'node:crypto'
import type { OperationView } from '../audit/operations.js'
import { isObject, type JsonObject } from '../audit/spec-model.js'
import type { Identity } from './identities.js'
import type { ScanContext } from './scan-check.js'
import { bodySample, isShapedByName } from './sample-values.js'
import { isSuccess, parseJson, requestAs } from './checks/shared.js'

export interface OwnedObject {
  /** The value for the item path's parameter. */
  readonly id: string
  /** Values unique to this object (the scan wrote them), to recognise it in an answer. */
  readonly markers: readonly string[]
}

const OWNER_PROPERTY = /^(owner|owner_?id|user|user_?id|user_?name|username|author|created_?by|creator|account|account_?id)$/i
/** Object envelopes APIs wrap answers in. */
const ENVELOPE = /^(data|result|item|object|resource|payload)$/i

const baseOf = (parameter: string) => parameter.replace(/(_id|Id|-id|_name|Name|_key|Key)$/, '')

/**
 * The object in an answer: under an envelope property such as `data`, or under the only property
 * that holds an object (`{"status": "success", "owner": {…}}`), else the value itself.
 */
export function objectIn(value: unknown): JsonObject | undefined {
  if (!isObject(value)) return undefined
  for (const [key, inner] of Object.entries(value)) if (ENVELOPE.test(key) && isObject(inner)) return inner
  const objects = Object.values(value).filter(isObject)
  return objects.length === 1 && objects[0] !== undefined && Object.values(value).every((inner) => isObject(inner) || typeof inner !== 'object') ? objects[0] : value
}

/** The items of a list answer: the array itself, or the first array under the answer's properties. */
export function itemsIn(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value as unknown[]
  if (!isObject(value)) return undefined
  return Object.values(value).find((inner): inner is unknown[] => Array.isArray(inner))
}

/** The id of an object for the path parameter: the property named like it, its base, `id` or `uuid`. */
export function idOf(value: unknown, parameter: string): string | undefined {
  const object = objectIn(value)
  if (object === undefined) return undefined
  const base = baseOf(parameter)
  for (const key of [parameter, 'id', `${base}_id`, `${base}Id`, base, 'uuid']) {
    const id = object[key]
    if ((typeof id === 'string' && id !== '') || typeof id === 'number') return String(id)
  }
  return undefined
}

/** A JSON body for `operation` whose free-text strings are unique markers (formats, enums and patterns keep their samples). */
export function markedBody(context: ScanContext, operation: OperationView): { body: Record<string, unknown>; markers: string[] } | undefined {
  const json = operation.requestBodies.find((candidate) => /json/i.test(candidate.mediaType))
  if (json === undefined) return undefined
  const sample = bodySample(context.spec, json)
  if (!isObject(sample)) return undefined
  const schema = context.spec.resolve(json.schema, []).value
  const properties = isObject(schema) && isObject(schema.properties) ? schema.properties : {}
  const body: Record<string, unknown> = { ...sample }
  const markers: string[] = []
  for (const [name, value] of Object.entries(sample)) {
    const property = context.spec.resolve(properties[name], []).value
    if (typeof value !== 'string' || !isObject(property) || property.format !== undefined || property.enum !== undefined || property.pattern !== undefined || isShapedByName(name)) continue
    const maxLength = typeof property.maxLength === 'number' ? property.maxLength : 64
    if (maxLength < 12) continue
    const marker = `pcs${randomBytes(5).toString('hex')}`.slice(0, maxLength)
    body[name] = marker
    markers.push(marker)
  }
  return { body, markers }
}

/** Creates an object as `owner` through the collection's POST; the id comes from the answer or from the value sent for the item parameter. */
export async function createOwned(context: ScanContext, create: OperationView, parameter: string, owner: Identity): Promise<OwnedObject | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const marked = markedBody(context, create)
    if (marked === undefined) return undefined
    const created = await context.client.send(requestAs(context, create, owner, { body: marked.body }))
    if (!isSuccess(created.status)) continue
    const base = baseOf(parameter).toLowerCase()
    const sentId = Object.entries(marked.body).find(([name]) => name === parameter || name.toLowerCase() === base)?.[1]
    const id = idOf(parseJson(created.body), parameter) ?? (typeof sentId === 'string' ? sentId : undefined)
    if (id !== undefined) return { id, markers: marked.markers }
  }
  return undefined
}

/** The owner's names as an API would write them: user name, token subject. */
export function namesOf(identity: Identity): string[] {
  const names = identity.username === undefined ? [] : [identity.username]
  const payload = identity.token?.split('.')[1]
  if (payload !== undefined) {
    const claims = parseJson(Buffer.from(payload, 'base64url').toString())
    if (isObject(claims)) for (const claim of ['sub', 'username', 'preferred_username', 'user_id', 'uid']) if (typeof claims[claim] === 'string' || typeof claims[claim] === 'number') names.push(String(claims[claim]))
  }
  return names
}

/** Ids of listed objects whose owner-like property names `owner`. */
export async function listedOwned(context: ScanContext, list: OperationView, parameter: string, owner: Identity): Promise<OwnedObject[]> {
  const names = new Set(namesOf(owner))
  if (names.size === 0) return []
  const items = itemsIn(objectIn(parseJson((await context.client.send(requestAs(context, list, owner))).body))) ?? []
  const owned: OwnedObject[] = []
  for (const item of items.slice(0, 50)) {
    if (!isObject(item)) continue
    const ownedBy = Object.entries(item).some(([key, value]) => OWNER_PROPERTY.test(key) && (typeof value === 'string' || typeof value === 'number') && names.has(String(value)))
    const id = ownedBy ? idOf(item, parameter) : undefined
    if (id !== undefined) owned.push({ id, markers: [] })
    if (owned.length >= 2) break
  }
  return owned
}
