/**
 * The admin API's security-event route, for the dashboard and operators:
 *
 *   GET /events[?since=&until=&kind=&category=&action=&code=&ip=&consumer=&api=&minSeverity=&q=TEXT&limit=N&before=ID|after=ID]
 *
 * Newest first, at most `limit` (default 100, at most 1000) per page; `next` is the next page's
 * URL while there may be more. `since`/`until` take an ISO 8601 time or ms since the epoch; `q` is
 * text anywhere in the event; `after` keeps only events stored after that id (a live view's cursor).
 * Events are read from `stores.data`'s `security_events` table, filled by the `events.store` sink.
 */
import type { DataStore, SecurityEventQuery } from '../stores/data-store.js'
import { InvalidInputError } from './management-input.js'
import type { ManagementReply, ManagementRequest } from './management-routes.js'

export interface EventRoutesOptions {
  /** The data store; null when the gateway has none (the route then answers 404). */
  readonly store: DataStore | null
}

const PAGE_DEFAULT = 100
const PAGE_MAX = 1000
const MAX_FILTER_LENGTH = 256

const TEXT_FILTERS = { kind: 'kind', category: 'category', action: 'action', code: 'code', ip: 'sourceIp', consumer: 'consumer', api: 'api', q: 'text' } as const

export function createEventRoutes(options: EventRoutesOptions): (req: ManagementRequest) => Promise<ManagementReply> | null {
  const { store } = options
  async function list(req: ManagementRequest, events: DataStore): Promise<ManagementReply> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return { kind: 'method-not-allowed', allow: 'GET, HEAD' }
    const query = parseQuery(req.query)
    const found = await events.listSecurityEvents(query)
    const last = found.at(-1)
    let next: string | null = null
    if (found.length === query.limit && last !== undefined) {
      const params = new URLSearchParams(req.query)
      params.set('before', String(last.id))
      next = `/events?${params.toString()}`
    }
    return { kind: 'json', status: 200, body: { events: found.map((e) => e.document), next } }
  }
  return (req) => {
    if (req.segments.length !== 1 || req.segments[0] !== 'events' || store === null) return null
    return list(req, store)
  }
}

function parseQuery(params: URLSearchParams): SecurityEventQuery {
  const problems: { path: string; message: string }[] = []
  const integer = (name: string, min: number, max: number): number | undefined => {
    const raw = params.get(name)
    if (raw === null) return undefined
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || value < min || value > max) problems.push({ path: name, message: `must be an integer from ${min} to ${max}` })
    return value
  }
  const time = (name: string): number | undefined => {
    const raw = params.get(name)
    if (raw === null) return undefined
    const value = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw)
    if (!Number.isFinite(value)) problems.push({ path: name, message: 'must be an ISO 8601 time or milliseconds since the epoch' })
    return value
  }
  const query: Record<string, unknown> = {
    limit: integer('limit', 1, PAGE_MAX) ?? PAGE_DEFAULT,
    before: integer('before', 1, Number.MAX_SAFE_INTEGER),
    after: integer('after', 0, Number.MAX_SAFE_INTEGER),
    minSeverity: integer('minSeverity', 1, 10),
    since: time('since'),
    until: time('until'),
  }
  for (const [param, field] of Object.entries(TEXT_FILTERS)) {
    const value = params.get(param)
    if (value === null) continue
    if (value.length === 0 || value.length > MAX_FILTER_LENGTH) problems.push({ path: param, message: `must be 1 to ${MAX_FILTER_LENGTH} characters` })
    query[field] = value
  }
  if (problems.length > 0) throw new InvalidInputError(problems)
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as unknown as SecurityEventQuery
}
