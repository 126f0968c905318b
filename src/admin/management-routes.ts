/**
 * The admin API's management routes: consumers, their API keys, and the audit log.
 *
 *   GET  /consumers                     POST /consumers
 *   GET  /consumers/{id}                PATCH /consumers/{id}        DELETE /consumers/{id}
 *   GET  /consumers/{id}/keys           POST /consumers/{id}/keys    (the key is in this answer only)
 *   GET  /keys[?consumer=ID]            GET  /keys/{id}
 *   POST /keys/{id}/rotate              POST /keys/{id}/revoke
 *   GET  /audit[?limit=N&before=ID]
 *
 * Every change goes through Management, which writes the audit entry; `onChange` lets this
 * node forget cached key look-ups at once (other nodes within `identity.apiKeys.cacheSec`).
 */
import type { Actor, Management } from './management.js'
import { ConsumerPatchInput, InvalidInputError, NewConsumerInput, NewKeyInput, RotateKeyInput, parseInput, toKeyOptions } from './management-input.js'
import { viewAudit, viewConsumer, viewKey } from './management-view.js'

export interface ManagementRequest {
  readonly method: string
  /** Decoded path segments: `/consumers/acme/keys` → ['consumers', 'acme', 'keys']. */
  readonly segments: readonly string[]
  readonly query: URLSearchParams
  readonly actor: Actor
  /** The parsed JSON body; `{}` when there is none. */
  body(): Promise<unknown>
}

export type ManagementReply =
  | { readonly kind: 'json'; readonly status: number; readonly body: unknown; readonly location?: string }
  | { readonly kind: 'empty'; readonly status: 204 }
  | { readonly kind: 'method-not-allowed'; readonly allow: string }

export interface ManagementRoutesOptions {
  readonly management: Management
  readonly clock: { now(): number }
  /** A key (by id) or every cached key look-up (no id) may be out of date. */
  readonly onChange: (keyId?: string) => void
}

const AUDIT_PAGE_DEFAULT = 100
const AUDIT_PAGE_MAX = 1000

/** Answers a management request, or null when no management route has this path. */
export function createManagementRoutes(options: ManagementRoutesOptions): (req: ManagementRequest) => Promise<ManagementReply> | null {
  const { management, clock, onChange } = options
  const json = (status: number, body: unknown, location?: string): ManagementReply => ({ kind: 'json', status, body, ...(location === undefined ? {} : { location }) })
  const notAllowed = (allow: string): ManagementReply => ({ kind: 'method-not-allowed', allow })

  async function consumers(req: ManagementRequest): Promise<ManagementReply> {
    if (req.method === 'GET') return json(200, { consumers: (await management.listConsumers()).map(viewConsumer) })
    if (req.method !== 'POST') return notAllowed('GET, POST')
    const input = parseInput(NewConsumerInput, await req.body())
    const consumer = await management.createConsumer(req.actor, input)
    return json(201, viewConsumer(consumer), `/consumers/${encodeURIComponent(consumer.id)}`)
  }

  async function consumer(req: ManagementRequest, id: string): Promise<ManagementReply> {
    switch (req.method) {
      case 'GET':
        return json(200, viewConsumer(await management.getConsumer(id)))
      case 'PATCH': {
        const updated = await management.updateConsumer(req.actor, id, parseInput(ConsumerPatchInput, await req.body()))
        onChange()
        return json(200, viewConsumer(updated))
      }
      case 'DELETE':
        await management.deleteConsumer(req.actor, id)
        onChange()
        return { kind: 'empty', status: 204 }
      default:
        return notAllowed('GET, PATCH, DELETE')
    }
  }

  async function consumerKeys(req: ManagementRequest, id: string): Promise<ManagementReply> {
    if (req.method === 'GET') {
      await management.getConsumer(id)
      return json(200, { keys: (await management.listKeys(id)).map(viewKey) })
    }
    if (req.method !== 'POST') return notAllowed('GET, POST')
    const options = toKeyOptions(parseInput(NewKeyInput, await req.body()), clock.now())
    const { key, record } = await management.createKey(req.actor, id, options)
    return json(201, { key, record: viewKey(record) }, `/keys/${record.id}`)
  }

  async function keys(req: ManagementRequest): Promise<ManagementReply> {
    if (req.method !== 'GET') return notAllowed('GET')
    const consumerId = req.query.get('consumer') ?? undefined
    return json(200, { keys: (await management.listKeys(consumerId)).map(viewKey) })
  }

  async function key(req: ManagementRequest, id: string, action: string | undefined): Promise<ManagementReply> {
    if (action === undefined) return req.method === 'GET' ? json(200, viewKey(await management.getKey(id))) : notAllowed('GET')
    if (req.method !== 'POST') return notAllowed('POST')
    if (action === 'revoke') {
      const record = await management.revokeKey(req.actor, id)
      onChange(id)
      return json(200, viewKey(record))
    }
    const { overlapSec } = parseInput(RotateKeyInput, await req.body())
    const rotated = await management.rotateKey(req.actor, id, overlapSec * 1000)
    onChange(id)
    return json(201, { key: rotated.key, record: viewKey(rotated.record), previous: viewKey(rotated.previous) }, `/keys/${rotated.record.id}`)
  }

  async function audit(req: ManagementRequest): Promise<ManagementReply> {
    if (req.method !== 'GET') return notAllowed('GET')
    const limit = integerParam(req.query, 'limit', 1, AUDIT_PAGE_MAX) ?? AUDIT_PAGE_DEFAULT
    const before = integerParam(req.query, 'before', 1, Number.MAX_SAFE_INTEGER)
    const entries = await management.listAudit(limit, before)
    const last = entries.at(-1)
    return json(200, { entries: entries.map(viewAudit), next: entries.length === limit && last !== undefined ? `/audit?limit=${limit}&before=${last.id}` : null })
  }

  return (req) => {
    const [collection, id, sub, ...rest] = req.segments
    if (rest.length > 0) return null
    switch (collection) {
      case 'consumers':
        if (id === undefined) return consumers(req)
        if (sub === undefined) return consumer(req, id)
        return sub === 'keys' ? consumerKeys(req, id) : null
      case 'keys':
        if (id === undefined) return keys(req)
        return sub === undefined || sub === 'rotate' || sub === 'revoke' ? key(req, id, sub) : null
      case 'audit':
        return id === undefined ? audit(req) : null
      default:
        return null
    }
  }
}

function integerParam(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = query.get(name)
  if (raw === null) return undefined
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new InvalidInputError([{ path: name, message: `must be an integer from ${min} to ${max}` }])
  return value
}
