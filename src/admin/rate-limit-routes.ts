/**
 * The admin API's rate-limit routes: bans (visible and liftable on every node, since they live in
 * the shared counter store) and the current usage of a key.
 *
 *   GET    /rate-limits/bans[?api=NAME|prefix=SUBJECT-PREFIX&limit=N]
 *   DELETE /rate-limits/bans/{subject}
 *   GET    /rate-limits/usage?api=NAME&route=METHOD%20/template[&consumer=ID&apiKey=KEYID&ip=ADDR&plan=P&header.NAME=VALUE]
 *
 * A subject is `{<api>}:<key parts>` as the ban listing shows it (e.g. `{orders}:c=alice`). Lifting a ban is written to the
 * audit log when the gateway has a data store.
 */
import type { Static } from '@sinclair/typebox'
import { LimitSet } from '../policies/rate-limit/limit-set.js'
import type { PlansConfig, RateLimitConfig } from '../policies/rate-limit/schema.js'
import { apiIdentities } from '../config/api-versions.js'
import type { LoadedConfig } from '../config/load-config.js'
import type { CounterStore } from '../stores/counter-store.js'
import type { Management } from './management.js'
import { InvalidInputError } from './management-input.js'
import { NotFoundError } from './management.js'
import type { ManagementReply, ManagementRequest } from './management-routes.js'

export interface RateLimitRoutesOptions {
  /** The config serving now and its counter store. */
  readonly source: () => { readonly loaded: LoadedConfig; readonly store: CounterStore }
  readonly clock: { now(): number }
  /** Audits ban lifts; null without a data store. */
  readonly management: Management | null
}

const BANS_DEFAULT = 100
const BANS_MAX = 1000

export function createRateLimitRoutes(options: RateLimitRoutesOptions): (req: ManagementRequest) => Promise<ManagementReply> | null {
  const json = (status: number, body: unknown): ManagementReply => ({ kind: 'json', status, body })

  async function bans(req: ManagementRequest): Promise<ManagementReply> {
    if (req.method !== 'GET') return { kind: 'method-not-allowed', allow: 'GET' }
    const raw = req.query.get('limit')
    const limit = raw === null ? BANS_DEFAULT : Number(raw)
    if (raw !== null && (!/^\d+$/.test(raw) || limit < 1 || limit > BANS_MAX)) throw new InvalidInputError([{ path: 'limit', message: `must be an integer from 1 to ${BANS_MAX}` }])
    const now = options.clock.now()
    const api = req.query.get('api')
    const prefix = api === null ? (req.query.get('prefix') ?? '') : `{${api}}:`
    const entries = await options.source().store.listBans(prefix, now, limit)
    return json(200, { bans: entries.map((e) => ({ subject: e.subject, remainingMs: e.remainingMs, until: new Date(now + e.remainingMs).toISOString() })) })
  }

  async function ban(req: ManagementRequest, subject: string): Promise<ManagementReply> {
    if (req.method !== 'DELETE') return { kind: 'method-not-allowed', allow: 'DELETE' }
    if (!(await options.source().store.liftBan(subject))) throw new NotFoundError(`no ban on ${subject}`)
    await options.management?.recordChange(req.actor, 'ratelimit.ban.lift', subject)
    return { kind: 'empty', status: 204 }
  }

  async function usage(req: ManagementRequest): Promise<ManagementReply> {
    if (req.method !== 'GET') return { kind: 'method-not-allowed', allow: 'GET' }
    const { loaded, store } = options.source()
    const apiName = req.query.get('api')
    const routeKey = req.query.get('route')
    if (apiName === null || routeKey === null) {
      throw new InvalidInputError([{ path: apiName === null ? 'api' : 'route', message: 'is required (api=NAME&route=METHOD /template)' }])
    }
    // By the name it goes by in metrics and logs (`orders@v2` for one of several versions), or the first entry of that name.
    const identities = apiIdentities(loaded.config.apis)
    const exact = identities.indexOf(apiName)
    const index = exact !== -1 ? exact : loaded.config.apis.findIndex((a) => a.name === apiName)
    const api = loaded.config.apis[index]
    if (api === undefined) throw new NotFoundError(`no API ${apiName}`)
    const [method = '', template = ''] = routeKey.split(' ')
    const routes = loaded.routes[index] ?? null
    const route = routes?.find((r) => r.method === method.toUpperCase() && r.template === template)
    if (routes !== null && route === undefined) throw new NotFoundError(`no route ${routeKey} in API ${apiName}`)
    const override = route?.overrides['rate-limit']
    const config = (override === undefined ? api.policies['rate-limit'] : override) as Static<typeof RateLimitConfig> | false | undefined
    if (config === undefined || config === false) return json(200, { api: apiName, route: routeKey, limits: [] })
    // The counters are kept under the name the API's policies were given.
    const limitSet = new LimitSet(config, identities[index] ?? apiName, loaded.config.plans as PlansConfig)
    const { limits } = limitSet.limitsFor(req.query.get('plan'))
    const headers = new Map<string, string>()
    for (const [name, value] of req.query) if (name.startsWith('header.')) headers.set(name.slice('header.'.length).toLowerCase(), value)
    const inputs = {
      consumer: req.query.get('consumer'),
      keyId: req.query.get('apiKey'),
      address: req.query.get('ip') ?? '',
      route: `${method.toUpperCase()} ${route?.template ?? '*'}`,
      header: (name: string) => headers.get(name),
    }
    const now = options.clock.now()
    const checks = limitSet.checks(limits, inputs, now)
    const outcomes = await store.peek(checks, now)
    return json(200, {
      api: apiName,
      route: routeKey,
      limits: limits.map((limit, i) => ({
        name: limit.name,
        subject: checks[i]?.subject,
        limit: outcomes[i]?.limit,
        remaining: outcomes[i]?.remaining,
        resetMs: outcomes[i]?.resetMs,
      })),
    })
  }

  return (req) => {
    const [collection, sub, subject, ...rest] = req.segments
    if (collection !== 'rate-limits' || rest.length > 0) return null
    if (sub === 'bans') return subject === undefined ? bans(req) : ban(req, subject)
    if (sub === 'usage' && subject === undefined) return usage(req)
    return null
  }
}
