/**
 * Detection measured from the outside (issue 25): hours of simulated benign traffic from ~2000
 * consumers of three APIs, compressed into minutes, with one attack of each kind injected at a
 * known simulated time. A `DetectionEngine` with the default `detection` section (defaults applied
 * the way the gateway's config loader does: Ajv with `useDefaults`) sees every request as the
 * `detection` policy would build its `Observation`, on a simulated clock, flushed every `flushMs`
 * and swept for orphans on the engine's own schedule. Bans and throttles it imposes are applied
 * to the simulated clients (a banned client is answered 403 GW_ERR_CLIENT_BANNED, a throttled one
 * 429 beyond `throttleRps`), and those answers are observed too, as on the gateway.
 *
 * Each scenario's attacker has its own addresses, principals and credentials; a detection whose
 * subject is one of them (or, for subjects attackers share with benign traffic — an API, an
 * operation, a stolen key — one fired while the attack runs) counts for the attack; any other
 * detection is a false alarm on benign traffic.
 *
 * The detector logic (checks.ts) was deliberately not read: the benign traffic and the attacks are
 * written from the engine's interface and the documented thresholds only.
 *
 * Usage: node --import tsx bench/detection-scenarios.ts [--seed 1] [--hours 6] [--start-hour 2] [--attacks-at 0] [--markdown]
 */
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { Ajv } from 'ajv'
import { pino } from 'pino'
import { DetectionConfig } from '../src/observability/detection/detection-config.js'
import { DetectionEngine, type Detection } from '../src/observability/detection/detection-engine.js'
import { hashedUser, networkOf, pathShape, type Observation } from '../src/observability/detection/observation.js'
import { MemoryCounters } from '../src/stores/memory-counters.js'
import { createIpMatcher } from '../src/net/ip-matcher.js'
import { seededRandom } from '../test/helpers/seeded-random.js'

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    hours: { type: 'string', default: '6' },
    'start-hour': { type: 'string', default: '2' },
    'attacks-at': { type: 'string', default: '0' },
    markdown: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
})
const SEED = Number(args.seed)
const HOURS = Number(args.hours)
const START_HOUR = Number(args['start-hour'])
/** Hours after the start when the attack schedule (15 min … 4 h 45) begins. */
const ATTACKS_AT = Number(args['attacks-at'])

// ---------------------------------------------------------------------------------------------
// The default `detection` section, as the gateway's loader builds it (Ajv, useDefaults).

const config = {} as DetectionConfig
{
  const ajv = new Ajv({ useDefaults: true, strict: false, allowUnionTypes: true })
  const validate = ajv.compile(DetectionConfig)
  if (!validate(config)) throw new Error(`default detection section invalid: ${ajv.errorsText(validate.errors)}`)
}
const D = config.detectors
const WINDOW_MS = config.windowSec * 1000

// ---------------------------------------------------------------------------------------------
// Randomness and time.

const rnd = seededRandom(SEED * 2654435761)
const uniform = () => (rnd(0x7ffffffe) + 1) / 0x7fffffff
const int = (n: number) => rnd(n)
const pick = <T>(items: readonly T[]): T => items[rnd(items.length)] as T
const exponential = (mean: number) => -Math.log(uniform()) * mean
const chance = (p: number) => uniform() < p
const around = (mean: number) => Math.max(1, Math.round(mean * (0.6 + 0.8 * uniform())))
const geometric = (mean: number) => Math.floor(exponential(mean))

const SEC = 1000
const MIN = 60 * SEC
const HOUR = 60 * MIN
/** Tuesday 3 March 2026, START_HOUR:00 UTC (times of day below are UTC, the clients' local time). */
const T0 = Date.UTC(2026, 2, 3, START_HOUR)
const END = T0 + HOURS * HOUR
let now = T0

const hourOfDay = (t: number) => (((t - Date.UTC(2026, 2, 3)) / HOUR) % 24 + 24) % 24
/** Consumer traffic by time of day: 0.15 at 04:00, 1 at 16:00. */
const diurnal = (t: number) => 0.15 + 0.85 * (0.5 - 0.5 * Math.cos((2 * Math.PI * (hourOfDay(t) - 4)) / 24))
/** Business-to-business traffic varies less. */
const business = (t: number) => 0.4 + 0.6 * diurnal(t)
const officeHours = (t: number) => {
  const h = hourOfDay(t)
  return h >= 8 && h < 19 ? 1 : 0.04
}
/** Delay until the next arrival of a Poisson process of `peakPerHour × shape(t)` (thinning). */
function arrival(peakPerHour: number, shape: (t: number) => number): number {
  let t = now
  for (;;) {
    t += exponential(HOUR / peakPerHour)
    if (uniform() < shape(t)) return t - now
  }
}
/** Delay until the next occurrence of a time of day (ms after midnight) plus jitter. */
function untilTimeOfDay(msOfDay: number, jitterMs: number): number {
  const day = Date.UTC(2026, 2, 3) + Math.floor((now - Date.UTC(2026, 2, 3)) / (24 * HOUR)) * 24 * HOUR
  let at = day + msOfDay + uniform() * jitterMs
  if (at <= now) at += 24 * HOUR
  return at - now
}

// ---------------------------------------------------------------------------------------------
// The three APIs: 74 operations.

interface Op {
  readonly api: string
  readonly key: string
  /** Mean response bytes. */
  readonly bytes: number
  readonly hasObject: boolean
  readonly login: boolean
  readonly retired: boolean
}
const OPS = new Map<string, Op>()
function api(name: string, ops: Record<string, number | [number, 'login' | 'deprecated']>): (key: string) => Op {
  for (const [key, spec] of Object.entries(ops)) {
    const [bytes, flag] = typeof spec === 'number' ? [spec, null] : spec
    OPS.set(`${name} ${key}`, { api: name, key, bytes, hasObject: key.includes('{'), login: flag === 'login', retired: flag === 'deprecated' })
  }
  return (key) => {
    const op = OPS.get(`${name} ${key}`)
    if (op === undefined) throw new Error(`no operation ${name} ${key}`)
    return op
  }
}
const KB = 1024
const MB = 1024 * KB
const shop = api('shop', {
  'POST /auth/login': [1.2 * KB, 'login'],
  'POST /auth/refresh': 1 * KB,
  'POST /auth/logout': 200,
  'GET /products': 60 * KB,
  'GET /products/{productId}': 8 * KB,
  'GET /products/{productId}/reviews': 15 * KB,
  'POST /products/{productId}/reviews': 500,
  'GET /categories': 6 * KB,
  'GET /categories/{categoryId}': 30 * KB,
  'GET /search': 40 * KB,
  'GET /recommendations': 25 * KB,
  'GET /cart': 3 * KB,
  'POST /cart/items': 2 * KB,
  'PATCH /cart/items/{itemId}': 2 * KB,
  'DELETE /cart/items/{itemId}': 300,
  'GET /orders': 12 * KB,
  'POST /orders': 3 * KB,
  'GET /orders/{orderId}': 5 * KB,
  'POST /orders/{orderId}/cancel': 1 * KB,
  'GET /orders/{orderId}/invoice': 90 * KB,
  'GET /users/me': 2 * KB,
  'PATCH /users/me': 2 * KB,
  'GET /users/me/addresses': 2 * KB,
  'POST /users/me/addresses': 1 * KB,
  'DELETE /users/me/addresses/{addressId}': 200,
  'GET /wishlist': 6 * KB,
  'PUT /wishlist/{productId}': 300,
  'GET /stores': 20 * KB,
  'GET /stores/{storeId}': 3 * KB,
  'GET /v1/promotions': [10 * KB, 'deprecated'],
})
const partner = api('partner', {
  'GET /v2/ping': 100,
  'GET /v2/orders': 250 * KB,
  'GET /v2/orders/{orderId}': 6 * KB,
  'GET /v2/orders/{orderId}/lines': 10 * KB,
  'PATCH /v2/orders/{orderId}/status': 500,
  'GET /v2/inventory': 400 * KB,
  'GET /v2/inventory/{sku}': 1 * KB,
  'PUT /v2/inventory/{sku}': 400,
  'GET /v2/shipments': 80 * KB,
  'POST /v2/shipments': 1 * KB,
  'GET /v2/shipments/{shipmentId}': 2 * KB,
  'GET /v2/customers/{customerId}': 3 * KB,
  'GET /v2/returns': 30 * KB,
  'GET /v2/returns/{returnId}': 2 * KB,
  'POST /v2/returns/{returnId}/approve': 500,
  'GET /v2/webhooks': 2 * KB,
  'POST /v2/webhooks': 500,
  'DELETE /v2/webhooks/{webhookId}': 200,
  'GET /v2/exports/orders': 5 * MB,
  'GET /v2/exports/customers': 5 * MB,
  'GET /v2/exports/{exportId}': 500,
  'GET /v2/catalog/feed': 2 * MB,
  'GET /v1/orders': [200 * KB, 'deprecated'],
  'GET /v1/orders/{orderId}': [6 * KB, 'deprecated'],
})
const backoffice = api('backoffice', {
  'POST /login': [1 * KB, 'login'],
  'GET /me': 1 * KB,
  'GET /metrics/summary': 4 * KB,
  'GET /metrics/orders': 12 * KB,
  'GET /metrics/errors': 6 * KB,
  'GET /customers': 30 * KB,
  'GET /customers/{customerId}': 6 * KB,
  'PATCH /customers/{customerId}': 1 * KB,
  'DELETE /customers/{customerId}': 200,
  'GET /customers/{customerId}/orders': 15 * KB,
  'GET /tickets': 25 * KB,
  'GET /tickets/{ticketId}': 8 * KB,
  'POST /tickets/{ticketId}/replies': 1 * KB,
  'GET /refunds': 20 * KB,
  'POST /refunds': 1 * KB,
  'GET /refunds/{refundId}': 2 * KB,
  'GET /reports/daily': 50 * KB,
  'GET /reports/{reportId}/download': 3 * MB,
  'GET /audit-log': 40 * KB,
  'POST /feature-flags/{flag}': 500,
})
/** Declared operations no benign client calls (the orphan scenario). */
const ORPHANS = [shop('GET /v1/promotions'), partner('GET /v1/orders'), partner('DELETE /v2/webhooks/{webhookId}'), backoffice('DELETE /customers/{customerId}'), backoffice('POST /feature-flags/{flag}')]

// ---------------------------------------------------------------------------------------------
// The engine, its store, its events.

const store = new MemoryCounters()
const fallback = new MemoryCounters()
const emitted: { action: string; at: number }[] = []
const engine = new DetectionEngine({
  config,
  stores: () => ({ store, fallback }),
  events: {
    emit(fields) {
      emitted.push({ action: fields.class.action, at: now })
    },
  },
  logger: pino({ level: 'silent' }),
  clock: { now: () => now },
  trusted: createIpMatcher(config.trustedNetworks),
})
const byApi = new Map<string, string[]>()
for (const op of OPS.values()) byApi.set(op.api, [...(byApi.get(op.api) ?? []), op.key])
for (const [name, keys] of byApi) engine.declareOperations(name, keys)

// ---------------------------------------------------------------------------------------------
// Requests: what the gateway would observe, after its ban and throttle checks.

/** Who sent a request: a benign kind of client, or a scenario. */
type Owner = { benign: string } | { scenario: Scenario }

interface Request {
  readonly op: Op | null
  /** For a request no route matched: `API`, method and path. */
  readonly unrouted?: { api: string; method: string; path: string }
  readonly objectId?: string | null
  readonly status?: number
  readonly code?: string | null
  readonly authReason?: string | null
  readonly loginUser?: string | null
  readonly bytes?: number
  readonly principal?: string | null
  readonly credential?: string | null
  readonly address: string
}

const sourceOf = new Map<string, [string, string]>()
function addressing(address: string): [string, string] {
  let found = sourceOf.get(address)
  if (found === undefined) {
    found = [networkOf(address, 32, config.ipv6Prefix), networkOf(address, config.reuseIpv4Prefix, Math.min(48, config.ipv6Prefix))]
    sourceOf.set(address, found)
  }
  return found
}

let benignRequests = 0
let attackRequests = 0
let benignRefused = 0
const benignRefusedBy = new Map<string, number>()
/** Benign requests refused because they share a subject (a partner's key or principal) with a detected attacker. */
let collateralRefused = 0
/** Every attacker's own and shared subjects (filled as the scenarios are defined). */
const attackSubjects = (subject: string) => scenarios.some((s) => s.ids.has(subject) || s.shared.has(subject))
/** Benign kinds behind each client subject (for explaining false alarms). */
const benignSubjects = new Map<string, Set<string>>()
const throttleNext = new Map<string, number>()
/** Operations whose upstream fails: probability of a 5xx until a time. */
const failing = new Map<string, { until: number; p: number }>()

function note(subject: string, kind: string): void {
  let kinds = benignSubjects.get(subject)
  if (kinds === undefined) benignSubjects.set(subject, (kinds = new Set()))
  if (kinds.size < 4) kinds.add(kind)
}

/** Sends one request at `now`; returns the status the client got. */
function send(owner: Owner, request: Request): number {
  const [source, network] = addressing(request.address)
  const op = request.op
  let status = request.status ?? 200
  let code = request.code ?? null
  let bytes = request.bytes ?? (op === null ? 150 : around(op.bytes))
  let authReason = request.authReason ?? null
  let loginUser = request.loginUser ?? null
  const principal = request.principal ?? null
  const credential = request.credential ?? null
  const benign = 'benign' in owner
  if (benign) benignRequests++
  else {
    attackRequests++
    owner.scenario.requests++
  }
  if (op !== null && status < 500) {
    const outage = failing.get(`${op.api} ${op.key}`)
    if (outage !== undefined && outage.until > now && chance(outage.p)) {
      status = pick([500, 502, 503, 503])
      code = null
      bytes = 200
    } else if (status < 400 && chance(0.0015)) {
      status = pick([500, 502, 503, 504])
      code = status === 504 ? 'GW_ERR_UPSTREAM_TIMEOUT' : null
      bytes = 200
    }
  }
  const subjects = [`ip=${source}`]
  if (principal !== null) subjects.push(`c=${principal}`, `cred=${credential ?? `c=${principal}`}`)
  if (benign) for (const s of subjects) note(s, owner.benign)
  // The gateway checks bans and throttles after authentication, on routed requests only.
  if (op !== null && code !== 'GW_ERR_AUTH_INVALID' && code !== 'GW_ERR_AUTH_REQUIRED') {
    const banned = engine.bans.banned(subjects, now)
    let refusal: string | null = null
    let refusedSubject = ''
    if (banned !== null) {
      refusal = 'GW_ERR_CLIENT_BANNED'
      refusedSubject = banned.subject
    } else {
      const throttled = engine.bans.throttled(subjects, now)
      if (throttled !== null) {
        const next = throttleNext.get(throttled.subject) ?? 0
        if (next > now) {
          refusal = 'GW_ERR_RATE_LIMITED'
          refusedSubject = throttled.subject
        } else throttleNext.set(throttled.subject, now + 1000 / config.throttleRps)
      }
    }
    if (refusal !== null) {
      status = refusal === 'GW_ERR_CLIENT_BANNED' ? 403 : 429
      code = refusal
      bytes = 250
      authReason = null
      loginUser = null
      if (!benign) owner.scenario.refused++
      else if (subjects.some((x) => refusedSubject.endsWith(x) && attackSubjects(x))) collateralRefused++
      else {
        benignRefused++
        benignRefusedBy.set(owner.benign, (benignRefusedBy.get(owner.benign) ?? 0) + 1)
      }
    }
  }
  const observation: Observation = {
    at: now,
    source,
    network,
    principal,
    credential: principal === null ? null : (credential ?? `c=${principal}`),
    api: op?.api ?? request.unrouted?.api ?? 'unknown',
    operation: op === null ? null : op.key,
    objectId: op === null ? null : (request.objectId ?? null),
    status,
    code,
    authReason,
    failedLogin: code === 'GW_ERR_AUTH_INVALID' || (op !== null && op.login && code === null && (status === 401 || status === 403)),
    loginUser,
    bytesOut: bytes,
    retired: op?.retired ?? false,
    undeclared: op === null && request.unrouted !== undefined ? `${request.unrouted.method} ${pathShape(request.unrouted.path)}` : null,
  }
  engine.observe(observation)
  if (benign) measureBenign(observation, owner.benign)
  return status
}

// ---------------------------------------------------------------------------------------------
// Headroom: how close benign traffic came to each default threshold, per aligned minute (the
// engine's windows slide, so its counts can be somewhat higher than these).

interface Peak {
  value: number
  subject: string
  kind: string
  at: number
}
const peaks = new Map<string, Peak>()
let minuteOf = -1
const perMinute = new Map<string, Map<string, { n: number; members: Set<string> | null; kind: string }>>()
function tally(metric: string, subject: string, kind: string, add: number, member?: string): void {
  let bySubject = perMinute.get(metric)
  if (bySubject === undefined) perMinute.set(metric, (bySubject = new Map<string, { n: number; members: Set<string> | null; kind: string }>()))
  let entry = bySubject.get(subject)
  if (entry === undefined) bySubject.set(subject, (entry = { n: 0, members: member === undefined ? null : new Set(), kind }))
  if (member !== undefined) entry.members?.add(member)
  else entry.n += add
}
function foldMinute(): void {
  for (const [metric, bySubject] of perMinute) {
    if (metric === '5xx total') continue
    for (const [subject, entry] of bySubject) {
      let value = entry.members?.size ?? entry.n
      if (metric === '5xx share per operation (≥ 20 requests)') {
        const total = perMinute.get('5xx total')?.get(subject)?.n ?? 0
        value = total >= 20 ? entry.n / total : 0
      }
      const peak = peaks.get(metric)
      if (peak === undefined || value > peak.value) peaks.set(metric, { value, subject, kind: entry.kind, at: minuteOf * MIN })
    }
  }
  perMinute.clear()
}
let outageScenario: Scenario | null = null
function measureBenign(o: Observation, kind: string): void {
  const minute = Math.floor(o.at / MIN)
  if (minute !== minuteOf) {
    foldMinute()
    minuteOf = minute
  }
  const client = o.principal === null ? `ip=${o.source}` : `c=${o.principal}`
  if (o.failedLogin) {
    tally('failed log-ins per source', `ip=${o.source}`, kind, 1)
    if (o.loginUser !== null) {
      tally('sources per failing user name', `user=${o.loginUser}`, kind, 0, o.source)
      tally('failing user names per API', `api=${o.api}`, kind, 0, o.loginUser)
    }
  }
  if (o.authReason === 'expired' || o.authReason === 'revoked') tally('expired or revoked credentials per source', `ip=${o.source}`, kind, 1)
  if (o.objectId !== null && o.operation !== null) {
    tally('distinct objects per client and operation', `${client} ${o.operation}`, kind, 0, o.objectId)
    if (o.status === 403 || o.status === 404) tally('403/404 on object routes per client', client, kind, 1)
  }
  if (o.credential !== null) tally('networks per credential', `cred=${o.credential}`, kind, 0, o.network)
  if (o.code === 'GW_ERR_WAF_BLOCKED' || o.code === 'GW_ERR_REQUEST_INVALID' || o.undeclared !== null) tally('WAF blocks, invalid requests and unknown paths per source', `ip=${o.source}`, kind, 1)
  if (o.undeclared !== null) tally('requests per undeclared path shape', `${o.api} ${o.undeclared}`, kind, 1)
  tally('response MB per client', client, kind, o.bytesOut / MB)
  // Not the injected outage (the error-spike scenario): its 5xx are the attack's, not benign noise.
  if (o.operation !== null && !(outageScenario !== null && o.at >= outageScenario.start && o.at < outageScenario.end && outageScenario.shared.has(`op=${o.api} ${o.operation}`))) {
    tally('5xx total', `op=${o.api} ${o.operation}`, kind, 1)
    tally('5xx share per operation (≥ 20 requests)', `op=${o.api} ${o.operation}`, kind, o.status >= 500 ? 1 : 0)
  }
}
const THRESHOLDS: Record<string, string> = {
  'failed log-ins per source': `credentialStuffing.failuresPerSource ${D.credentialStuffing.failuresPerSource}`,
  'sources per failing user name': `distributedCredentialStuffing.sourcesPerUser ${D.distributedCredentialStuffing.sourcesPerUser}`,
  'failing user names per API': `distributedCredentialStuffing.usersPerApi ${D.distributedCredentialStuffing.usersPerApi}`,
  'expired or revoked credentials per source': `staleCredentials.attempts ${D.staleCredentials.attempts}`,
  'distinct objects per client and operation': `bolaEnumeration.distinctObjects ${D.bolaEnumeration.distinctObjects}`,
  '403/404 on object routes per client': `bolaEnumeration.refusedObjects ${D.bolaEnumeration.refusedObjects}`,
  'networks per credential': `tokenReuse.networks ${D.tokenReuse.networks}`,
  'WAF blocks, invalid requests and unknown paths per source': `scanner.hits ${D.scanner.hits}`,
  'requests per undeclared path shape': `shadowApi.minRequests ${D.shadowApi.minRequests}`,
  'response MB per client': `scraping.minBytes ${(D.scraping.minBytes / MB).toFixed(0)} MB (× baselineFactor ${D.scraping.baselineFactor} of the usual)`,
  '5xx share per operation (≥ 20 requests)': `errorSpike.errorRate ${D.errorSpike.errorRate} (× baselineFactor ${D.errorSpike.baselineFactor})`,
}

// ---------------------------------------------------------------------------------------------
// The scheduler: every client is a generator yielding the delay (ms) until its next step.

type Actor = Generator<number, void, void>
const heapAt: number[] = []
const heapActor: Actor[] = []
function schedule(actor: Actor, at: number): void {
  let i = heapAt.length
  heapAt.push(at)
  heapActor.push(actor)
  while (i > 0) {
    const parent = (i - 1) >> 1
    if ((heapAt[parent] as number) <= at) break
    heapAt[i] = heapAt[parent] as number
    heapActor[i] = heapActor[parent] as Actor
    i = parent
  }
  heapAt[i] = at
  heapActor[i] = actor
}
function popInto(): Actor {
  const top = heapActor[0] as Actor
  now = heapAt[0] as number
  const lastAt = heapAt.pop() as number
  const lastActor = heapActor.pop() as Actor
  const n = heapAt.length
  if (n > 0) {
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && (heapAt[r] as number) < (heapAt[l] as number) ? r : l
      if ((heapAt[c] as number) >= lastAt) break
      heapAt[i] = heapAt[c] as number
      heapActor[i] = heapActor[c] as Actor
      i = c
    }
    heapAt[i] = lastAt
    heapActor[i] = lastActor
  }
  return top
}
function spawn(actor: Actor, delay = 0): void {
  schedule(actor, now + delay)
}

// ---------------------------------------------------------------------------------------------
// Benign clients.

const PRODUCTS = 20000
const product = () => String(1 + Math.floor(PRODUCTS * uniform() ** 3))
const someOrderId = () => String(100000 + int(900000))
const uuid = () =>
  [8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('')).join('-')
let jtiCounter = 0
const newJti = (principal: string) => `t=${principal}.${(++jtiCounter).toString(36)}`

interface ShopUser {
  readonly id: string
  readonly kind: string
  readonly email: string
  readonly addresses: readonly string[]
  /** Waits for a 401 to refresh its token (else refreshes ahead of expiry). */
  readonly reactive: boolean
  readonly sessionsPerHour: number
  readonly gapMs: number
  readonly orders: string[]
  loggedInUntil: number
  accessUntil: number
  jti: string
  typos: number
}

const hex = (n: number) => n.toString(16)
const CARRIER_NAT = [
  ...Array.from({ length: 8 }, (_, i) => `80.215.12.${10 + i}`),
  ...Array.from({ length: 6 }, (_, i) => `37.171.40.${60 + i}`),
]
const usedResidential = new Set<string>()
function residential(first: readonly number[]): string {
  for (;;) {
    const a = `${pick(first)}.${int(256)}.${int(256)}.${1 + int(254)}`
    if (!usedResidential.has(a)) {
      usedResidential.add(a)
      return a
    }
  }
}
const BENIGN_RESIDENTIAL = [82, 86, 88, 90, 92, 109, 151, 213]

function makeShopUser(i: number, kind: 'mobile-nat' | 'mobile-v6' | 'web'): ShopUser {
  const id = `u-${String(i).padStart(5, '0')}`
  let addresses: string[]
  if (kind === 'mobile-nat') {
    // A carrier maps a phone to one of its public addresses, not always the same one.
    const carrier = chance(0.6) ? CARRIER_NAT.slice(0, 8) : CARRIER_NAT.slice(8)
    addresses = carrier
  } else if (kind === 'mobile-v6') addresses = [`2a01:e0a:${hex(0x1000 + int(0xe000))}:${hex(int(0xffff))}:${hex(int(0xffff))}::${hex(1 + int(0xfff))}`]
  else addresses = [residential(BENIGN_RESIDENTIAL)]
  const loggedIn = chance(0.75)
  return {
    id,
    kind,
    email: `${id}@mail.example`,
    addresses,
    reactive: chance(0.5),
    sessionsPerHour: 0.5 + 2.5 * uniform(),
    gapMs: kind === 'web' ? 12 * SEC : 7 * SEC,
    orders: Array.from({ length: 2 + int(10) }, someOrderId),
    loggedInUntil: loggedIn ? T0 + uniform() * 14 * 24 * HOUR : 0,
    accessUntil: loggedIn ? T0 + uniform() * 15 * MIN : 0,
    jti: newJti(id),
    typos: 0,
  }
}

/** A shop request's operation, object and status. */
const SHOP_MIX: [number, (user: ShopUser) => { op: Op; objectId?: string; status?: number; code?: string }][] = [
  [15, () => ({ op: shop('GET /products') })],
  [25, () => ({ op: shop('GET /products/{productId}'), objectId: product(), status: chance(0.015) ? 404 : 200 })],
  [5, () => ({ op: shop('GET /products/{productId}/reviews'), objectId: product() })],
  [0.3, () => ({ op: shop('POST /products/{productId}/reviews'), objectId: product(), status: 201 })],
  [4, () => ({ op: shop('GET /categories') })],
  [6, () => ({ op: shop('GET /categories/{categoryId}'), objectId: String(1 + int(120)) })],
  [10, () => ({ op: shop('GET /search') })],
  [5, () => ({ op: shop('GET /recommendations') })],
  [6, () => ({ op: shop('GET /cart') })],
  [4, () => (chance(0.004) ? { op: shop('POST /cart/items'), status: 400, code: 'GW_ERR_REQUEST_INVALID' } : { op: shop('POST /cart/items'), status: 201 })],
  [1.5, () => ({ op: shop('PATCH /cart/items/{itemId}'), objectId: String(1 + int(5)) })],
  [1, () => ({ op: shop('DELETE /cart/items/{itemId}'), objectId: String(1 + int(5)), status: 204 })],
  [3, () => ({ op: shop('GET /orders') })],
  [
    1,
    (user) => {
      if (chance(0.01)) return { op: shop('POST /orders'), status: 422 }
      user.orders.push(someOrderId())
      return { op: shop('POST /orders'), status: 201 }
    },
  ],
  [4, (user) => ({ op: shop('GET /orders/{orderId}'), objectId: pick(user.orders), status: chance(0.005) ? 404 : 200 })],
  [0.1, (user) => ({ op: shop('POST /orders/{orderId}/cancel'), objectId: pick(user.orders), status: chance(0.2) ? 409 : 200 })],
  [0.5, (user) => ({ op: shop('GET /orders/{orderId}/invoice'), objectId: pick(user.orders) })],
  [3, () => ({ op: shop('GET /users/me') })],
  [0.3, () => (chance(0.02) ? { op: shop('PATCH /users/me'), status: 400, code: 'GW_ERR_REQUEST_INVALID' } : { op: shop('PATCH /users/me') })],
  [0.8, () => ({ op: shop('GET /users/me/addresses') })],
  [0.15, () => (chance(0.03) ? { op: shop('POST /users/me/addresses'), status: 400, code: 'GW_ERR_REQUEST_INVALID' } : { op: shop('POST /users/me/addresses'), status: 201 })],
  [0.05, () => ({ op: shop('DELETE /users/me/addresses/{addressId}'), objectId: String(1 + int(3)), status: 204 })],
  [2, () => ({ op: shop('GET /wishlist') })],
  [1, () => ({ op: shop('PUT /wishlist/{productId}'), objectId: product() })],
  [0.8, () => ({ op: shop('GET /stores') })],
  [1, () => ({ op: shop('GET /stores/{storeId}'), objectId: String(1 + int(300)) })],
  [0.2, () => ({ op: shop('POST /auth/logout'), status: 204 })],
]
const SHOP_TOTAL = SHOP_MIX.reduce((sum, [w]) => sum + w, 0)
function shopPick(user: ShopUser) {
  let x = uniform() * SHOP_TOTAL
  for (const [w, make] of SHOP_MIX) if ((x -= w) <= 0) return make(user)
  return (SHOP_MIX[0] as (typeof SHOP_MIX)[number])[1](user)
}
const TYPOS = ['/product/{n}', '/prodcuts', '/order/{n}', '/cart/item', '/users/me/adresses', '/serach']

function* logIn(owner: Owner, loginOp: Op, email: string, address: string, mistypeChance: number): Generator<number, void, void> {
  const user = hashedUser(email)
  if (chance(mistypeChance)) {
    const wrong = 1 + int(3)
    for (let i = 0; i < wrong; i++) {
      send(owner, { op: loginOp, status: 401, loginUser: user, address })
      yield 4 * SEC + exponential(6 * SEC)
    }
  }
  send(owner, { op: loginOp, loginUser: user, address })
  yield 500
}

function* shopSession(user: ShopUser): Actor {
  const owner: Owner = { benign: `shop ${user.kind}` }
  yield int(HOUR)
  for (;;) {
    yield arrival(user.sessionsPerHour, diurnal)
    const address = pick(user.addresses)
    if (now >= user.loggedInUntil) {
      yield* logIn(owner, shop('POST /auth/login'), user.email, address, 0.08)
      user.loggedInUntil = now + 30 * 24 * HOUR
      user.accessUntil = now + 15 * MIN
      user.jti = newJti(user.id)
    }
    const requests = 3 + geometric(15)
    for (let i = 0; i < requests; i++) {
      if (now >= user.accessUntil) {
        if (user.reactive) {
          // The app finds out from a 401 that its access token expired, then refreshes.
          send(owner, { op: shop('GET /cart'), status: 401, code: 'GW_ERR_AUTH_INVALID', authReason: 'expired', address })
          yield 300
        }
        send(owner, { op: shop('POST /auth/refresh'), address })
        user.accessUntil = now + 15 * MIN
        user.jti = newJti(user.id)
        yield 200
      }
      if (user.kind === 'web' && chance(1 / 3000)) {
        send(owner, { op: null, unrouted: { api: 'shop', method: 'GET', path: pick(TYPOS).replace('{n}', product()) }, status: 404, address })
      } else {
        const { op, objectId, status, code } = shopPick(user)
        send(owner, { op, objectId: objectId ?? null, status: status ?? 200, code: code ?? null, principal: user.id, credential: user.jti, address })
        if (op.key === 'POST /auth/logout') {
          user.loggedInUntil = 0
          break
        }
      }
      yield exponential(user.gapMs)
    }
  }
}

// Partners: API keys from servers in the cloud.
interface Partner {
  readonly id: string
  readonly key: string
  readonly size: number
  /** Addresses its requests come from (chosen per request). */
  address: () => string
}
const usedCloud = new Set<string>()
function cloudNet(first: number): string {
  for (;;) {
    const net = `${first}.${int(256)}.${int(256)}`
    if (!usedCloud.has(net)) {
      usedCloud.add(net)
      return net
    }
  }
}
function makePartner(name: string, size: number, servers: number): Partner {
  const nets = Array.from({ length: Math.max(1, servers - int(2)) }, () => cloudNet(pick([34, 35, 18, 20])))
  const addresses = Array.from({ length: servers }, () => `${pick(nets)}.${1 + int(254)}`)
  return { id: `p-${name}`, key: `k=key-${name}-1`, size, address: () => pick(addresses) }
}
/** A partner running on serverless functions: a few warm instances, each with its own public address, recycled every 20–60 min. */
function makeServerlessPartner(name: string, size: number): Partner {
  const pool = Array.from({ length: 40 }, () => `${cloudNet(52)}.${1 + int(254)}`)
  const warm = Array.from({ length: 4 }, () => ({ address: pick(pool), until: now + 20 * MIN + uniform() * 40 * MIN }))
  return {
    id: `p-${name}`,
    key: `k=key-${name}-1`,
    size,
    address: () => {
      const instance = pick(warm)
      if (instance.until <= now) {
        instance.address = pick(pool)
        instance.until = now + 20 * MIN + uniform() * 40 * MIN
      }
      return instance.address
    },
  }
}

function partnerSend(p: Partner, request: Omit<Request, 'address' | 'principal' | 'credential'>, kind = 'partner'): number {
  return send({ benign: kind }, { ...request, principal: p.id, credential: p.key, address: p.address() })
}

/** Stock checks by SKU, all day. */
function* inventoryPoller(p: Partner, perSecond: number, skus: number, kind = 'partner'): Actor {
  const catalog = Array.from({ length: skus }, () => `SKU-${100000 + int(60000)}`)
  for (;;) {
    yield exponential(SEC / (perSecond * business(now)))
    if (chance(0.03)) partnerSend(p, { op: partner('PUT /v2/inventory/{sku}'), objectId: pick(catalog) }, kind)
    else {
      const status = partnerSend(p, { op: partner('GET /v2/inventory/{sku}'), objectId: pick(catalog), status: chance(0.01) ? 404 : 200 }, kind)
      if (status >= 500) {
        yield 1 * SEC
        partnerSend(p, { op: partner('GET /v2/inventory/{sku}'), objectId: pick(catalog) }, kind)
      }
    }
  }
}

/** Every 10 minutes: the new orders, each read with its lines and customer, acknowledged, sometimes shipped. */
function* orderSync(p: Partner): Actor {
  yield int(10 * MIN)
  for (;;) {
    partnerSend(p, { op: partner('GET /v2/orders') })
    yield 400
    const orders = Math.round(p.size * 12 * diurnal(now) * (0.5 + uniform()))
    if (orders > 40) {
      partnerSend(p, { op: partner('GET /v2/orders') })
      yield 400
    }
    for (let i = 0; i < orders; i++) {
      const id = someOrderId()
      partnerSend(p, { op: partner('GET /v2/orders/{orderId}'), objectId: id })
      yield 120
      partnerSend(p, { op: partner('GET /v2/orders/{orderId}/lines'), objectId: id })
      yield 120
      if (chance(0.7)) {
        partnerSend(p, { op: partner('GET /v2/customers/{customerId}'), objectId: uuid() })
        yield 120
      }
      if (chance(0.5)) {
        partnerSend(p, { op: partner('PATCH /v2/orders/{orderId}/status'), objectId: id, status: chance(0.01) ? 409 : 200 })
        yield 120
      }
      if (chance(0.3)) {
        partnerSend(p, { op: partner('POST /v2/shipments'), status: chance(0.005) ? 400 : 201, code: null })
        yield 120
      }
    }
    if (chance(0.3)) {
      partnerSend(p, { op: partner('GET /v2/shipments') })
      yield 300
      for (let i = int(4); i > 0; i--) {
        partnerSend(p, { op: partner('GET /v2/shipments/{shipmentId}'), objectId: uuid() })
        yield 200
      }
    }
    yield 10 * MIN - 5 * SEC + uniform() * 10 * SEC
  }
}

/** Returns, webhooks, the catalog feed: the rarer calls. */
function* partnerHousekeeping(p: Partner, feed: boolean): Actor {
  yield int(30 * MIN)
  let sinceWebhooks = int(6)
  for (;;) {
    partnerSend(p, { op: partner('GET /v2/returns') })
    yield 500
    for (let i = int(3); i > 0; i--) {
      const id = String(5000 + int(5000))
      partnerSend(p, { op: partner('GET /v2/returns/{returnId}'), objectId: id })
      yield 300
      if (chance(0.5)) partnerSend(p, { op: partner('POST /v2/returns/{returnId}/approve'), objectId: id })
      yield 300
    }
    if (feed) {
      partnerSend(p, { op: partner('GET /v2/catalog/feed') })
      yield 2 * SEC
    }
    if (chance(0.25)) {
      partnerSend(p, { op: partner('GET /v2/inventory') })
      yield 2 * SEC
    }
    if (++sinceWebhooks >= 4) {
      sinceWebhooks = 0
      partnerSend(p, { op: partner('GET /v2/webhooks') })
      yield 500
      if (chance(0.4)) partnerSend(p, { op: partner('POST /v2/webhooks'), status: 201 })
    }
    yield 30 * MIN + uniform() * 10 * MIN
  }
}

/** A marketplace reconciling its whole listing once an hour: every SKU read by id at ~15 requests/s. */
function* bulkReconciler(p: Partner): Actor {
  const catalog = Array.from({ length: 1500 }, () => `SKU-${100000 + int(60000)}`)
  yield 5 * MIN + int(50 * MIN)
  for (;;) {
    for (const sku of catalog) {
      partnerSend(p, { op: partner('GET /v2/inventory/{sku}'), objectId: sku }, 'partner bulk reconciliation')
      yield exponential(SEC / 15)
    }
    yield HOUR - 100 * SEC + uniform() * 2 * MIN
  }
}

/** A nightly export job: paged 5 MB downloads, with a status poll; `ping`: it also checks its key every few minutes all day. */
function* nightlyExport(p: Partner, at: number, what: 'orders' | 'customers', pages: number, ping: boolean): Actor {
  const kind = `batch export (${p.id})`
  if (ping) spawn(pinger(p, 5 * MIN, kind), int(5 * MIN))
  for (;;) {
    yield untilTimeOfDay(at, 5 * MIN)
    const exportId = uuid()
    for (let i = 0; i < 3; i++) {
      partnerSend(p, { op: partner('GET /v2/exports/{exportId}'), objectId: exportId }, kind)
      yield 10 * SEC
    }
    for (let page = 0; page < pages; page++) {
      partnerSend(p, { op: partner(`GET /v2/exports/${what}`) }, kind)
      yield 1.5 * SEC
    }
  }
}
function* pinger(p: Partner, everyMs: number, kind: string): Actor {
  for (;;) {
    partnerSend(p, { op: partner('GET /v2/ping') }, kind)
    yield everyMs * (0.95 + 0.1 * uniform())
  }
}

// Back office: staff in the office, on the VPN or at home; wallboards polling.
const OFFICE = ['198.51.100.10', '198.51.100.11']
const VPN = '198.51.100.20'
function* staffMember(i: number): Actor {
  const id = `staff-${String(i).padStart(3, '0')}`
  const owner: Owner = { benign: 'back-office staff' }
  const home = residential(BENIGN_RESIDENTIAL)
  const onCall = i < 3
  let jti = newJti(id)
  let until = 0
  const customers = () => String(10000 + int(90000))
  yield int(HOUR)
  for (;;) {
    yield arrival(onCall ? 0.6 : 0.8, onCall ? () => 1 : officeHours)
    const address = chance(0.7) ? pick(OFFICE) : chance(0.6) ? VPN : home
    if (now >= until) {
      yield* logIn(owner, backoffice('POST /login'), `${id}@shop.example`, address, 0.05)
      jti = newJti(id)
      until = now + 8 * HOUR
      send(owner, { op: backoffice('GET /me'), principal: id, credential: jti, address })
      yield 2 * SEC
    }
    const requests = 5 + geometric(25)
    let customer = customers()
    for (let r = 0; r < requests; r++) {
      const x = uniform()
      const op =
        x < 0.15 ? backoffice('GET /customers') :
        x < 0.35 ? backoffice('GET /customers/{customerId}') :
        x < 0.4 ? backoffice('GET /customers/{customerId}/orders') :
        x < 0.42 ? backoffice('PATCH /customers/{customerId}') :
        x < 0.55 ? backoffice('GET /tickets') :
        x < 0.72 ? backoffice('GET /tickets/{ticketId}') :
        x < 0.78 ? backoffice('POST /tickets/{ticketId}/replies') :
        x < 0.83 ? backoffice('GET /refunds') :
        x < 0.85 ? backoffice('POST /refunds') :
        x < 0.89 ? backoffice('GET /refunds/{refundId}') :
        x < 0.93 ? backoffice('GET /reports/daily') :
        x < 0.935 ? backoffice('GET /reports/{reportId}/download') :
        x < 0.96 ? backoffice('GET /audit-log') :
        backoffice('GET /me')
      if (op.key === 'GET /customers') customer = customers()
      const objectId = !op.hasObject ? null : op.key.includes('customerId') ? customer : String(1000 + int(50000))
      send(owner, { op, objectId, status: op.hasObject && chance(0.01) ? 404 : op.key.startsWith('POST') ? 201 : 200, principal: id, credential: jti, address })
      yield exponential(20 * SEC)
    }
  }
}
function* wallboard(i: number): Actor {
  const id = `svc-wallboard-${i}`
  const owner: Owner = { benign: 'wallboard' }
  let jti = newJti(id)
  let until = now + uniform() * HOUR
  yield int(5 * SEC)
  for (let tick = 0; ; tick++) {
    if (now >= until) {
      jti = newJti(id)
      until = now + HOUR
    }
    const address = OFFICE[0] as string
    send(owner, { op: backoffice('GET /metrics/summary'), principal: id, credential: jti, address })
    if (tick % 3 === 0) send(owner, { op: backoffice('GET /metrics/orders'), principal: id, credential: jti, address })
    if (tick % 6 === 0) send(owner, { op: backoffice('GET /metrics/errors'), principal: id, credential: jti, address })
    yield 5 * SEC
  }
}
function* uptimeMonitor(region: number): Actor {
  const address = `203.0.113.${5 + region}`
  const owner: Owner = { benign: 'uptime monitor' }
  yield int(30 * SEC)
  for (;;) {
    send(owner, { op: shop('GET /products'), address })
    send(owner, { op: partner('GET /v2/ping'), principal: 'p-monitor', credential: 'k=key-monitor-1', address })
    yield 30 * SEC
  }
}
/** Upstream hiccups: now and then one operation fails 40 % of its requests for 5–30 s. */
function* blips(): Actor {
  const popular = [...OPS.values()].filter((op) => !op.retired && !op.login)
  for (;;) {
    yield exponential(20 * MIN)
    const op = pick(popular)
    failing.set(`${op.api} ${op.key}`, { until: now + 5 * SEC + uniform() * 25 * SEC, p: 0.4 })
  }
}

// ---------------------------------------------------------------------------------------------
// Attack scenarios.

interface Scenario {
  readonly name: string
  readonly shape: string
  readonly expected: string
  readonly start: number
  end: number
  /** Subjects that are the attacker's alone. */
  readonly ids: Set<string>
  /** Subjects the attacker shares with benign traffic (an API, an operation, a stolen key): the attack's only while it runs. */
  readonly shared: Set<string>
  /** Detectors whose per-API subject the attack may account for while it runs. */
  readonly apiLevel?: { api: string; detectors: readonly string[] }
  /** Undeclared path shapes the attack sent (`GET /path/{id}`). */
  readonly shapes: Set<string>
  requests: number
  refused: number
  readonly detections: Detection[]
}
const scenarios: Scenario[] = []
function scenario(name: string, startMin: number, durationMin: number, shape: string, expected: string, extra: Partial<Pick<Scenario, 'apiLevel'>> = {}): Scenario {
  const s: Scenario = { name, shape, expected, start: T0 + ATTACKS_AT * HOUR + startMin * MIN, end: T0 + ATTACKS_AT * HOUR + (startMin + durationMin) * MIN, ids: new Set(), shared: new Set(), shapes: new Set(), requests: 0, refused: 0, detections: [], ...extra }
  scenarios.push(s)
  return s
}
/** Runs `step` every `everyMs` (± jitter) from the scenario's start to its end. */
function* during(s: Scenario, everyMs: () => number, step: () => void): Actor {
  yield s.start - now
  while (now < s.end) {
    step()
    yield everyMs()
  }
}
const ip = (s: Scenario, address: string) => {
  s.ids.add(`ip=${addressing(address)[0]}`)
  return address
}
const attackerAddress = (first: number) => residential([first])
const comboUser = (real: readonly ShopUser[]) => (chance(0.1) ? pick(real).email : `${pick(['anna', 'john', 'li', 'mo', 'sam', 'kim', 'alex', 'maria', 'noah', 'eva'])}${int(1e6)}@${pick(['gmail.com', 'yahoo.com', 'hotmail.com', 'web.de', 'mail.ru'])}`)

function defineAttacks(users: readonly ShopUser[], partners: ReadonlyMap<string, Partner>): void {
  const login = shop('POST /auth/login')
  const attacker = (s: Scenario): Owner => ({ scenario: s })
  const loginAttempt = (s: Scenario, address: string, email: string, successRate = 0) => {
    const user = hashedUser(email)
    s.ids.add(`user=${user}`)
    send(attacker(s), { op: login, status: chance(successRate) ? 200 : 401, loginUser: user, address })
  }

  {
    const s = scenario('brute force, one source, one user', 15, 10, '1 datacenter IPv4, 1 attempt / 2 s (30/min) at POST /auth/login for one real customer, 10 min', 'credentialStuffing (ip)')
    const address = ip(s, '45.155.205.17')
    const victim = (users[7] as ShopUser).email
    spawn(during(s, () => 2 * SEC, () => loginAttempt(s, address, victim)))
  }
  {
    const s = scenario('credential stuffing, one source', 32, 8, '1 datacenter IPv4, 5 attempts/s (300/min), a new user name each (10 % real customers, 1.5 % succeed), 8 min', 'credentialStuffing (ip); usersPerApi', { apiLevel: { api: 'shop', detectors: ['distributedCredentialStuffing'] } })
    const address = ip(s, '185.220.101.34')
    spawn(during(s, () => exponential(200), () => loginAttempt(s, address, comboUser(users), 0.015)))
  }
  {
    const s = scenario('one user name from many sources', 49, 15, '60 residential IPv4 (botnet), each 1 attempt / ~3 min, all on one customer: ~20 attempts/min from ~20 sources, 15 min', 'distributedCredentialStuffing (user)')
    const bots = Array.from({ length: 60 }, () => ip(s, attackerAddress(176)))
    const victim = (users[42] as ShopUser).email
    spawn(during(s, () => exponential(3 * SEC), () => loginAttempt(s, pick(bots), victim)))
  }
  {
    const s = scenario('stuffing, many users from many sources', 66, 10, '400 residential proxies, each 1 attempt / ~4 min, a new user name each: ~100 attempts/min, 10 min', 'distributedCredentialStuffing (api)', { apiLevel: { api: 'shop', detectors: ['distributedCredentialStuffing'] } })
    const proxies = Array.from({ length: 400 }, () => ip(s, attackerAddress(91)))
    spawn(during(s, () => exponential(600), () => loginAttempt(s, pick(proxies), comboUser(users), 0.01)))
  }
  {
    const s = scenario('stuffing below per-source limits', 83, 20, '10 datacenter IPv4, each 12 attempts/min (limit 20), new user names: 120 attempts/min in all, 20 min', 'distributedCredentialStuffing (api)', { apiLevel: { api: 'shop', detectors: ['distributedCredentialStuffing'] } })
    for (let b = 0; b < 10; b++) {
      const address = ip(s, `45.155.206.${20 + b}`)
      spawn(during(s, () => 5 * SEC * (0.9 + 0.2 * uniform()), () => loginAttempt(s, address, comboUser(users), 0.01)), int(5 * SEC))
    }
  }
  {
    const s = scenario('low and slow stuffing', 100, 120, '1 datacenter IPv4, 1 attempt every 6–8 s (~8.6/min), new user names, 2 h', 'none expected (every window count under its threshold)', { apiLevel: { api: 'shop', detectors: ['distributedCredentialStuffing'] } })
    const address = ip(s, '45.155.207.9')
    spawn(during(s, () => 6 * SEC + uniform() * 2 * SEC, () => loginAttempt(s, address, comboUser(users))))
  }
  {
    const s = scenario('BOLA, sequential ids', 117, 10, 'a registered customer (residential IPv4) reading GET /orders/{orderId} 400000, 400001, … at 4/s, all 200 (the API does not check ownership), 10 min', 'bolaEnumeration (c)')
    const address = ip(s, attackerAddress(95))
    const id = 'u-walker'
    s.ids.add(`c=${id}`)
    let jti = ''
    let next = 400000
    spawn(
      (function* (): Actor {
        yield s.start - 30 * SEC - now
        send(attacker(s), { op: login, loginUser: hashedUser('walker@mail.example'), address })
        jti = newJti(id)
        s.ids.add(`cred=${jti}`)
        yield* during(s, () => 250, () => send(attacker(s), { op: shop('GET /orders/{orderId}'), objectId: String(next++), principal: id, credential: jti, address }))
      })(),
    )
  }
  {
    const p = partners.get('p-shady') as Partner
    const s = scenario('BOLA, random ids (a partner)', 134, 10, 'a partner\'s own key from its usual server, GET /v2/customers/{customerId} with harvested UUIDs at 3/s (85 % 200, 15 % 404), 10 min, on top of its normal traffic', 'bolaEnumeration (c)')
    s.ids.add(`c=${p.id}`)
    s.ids.add(`cred=${p.key}`)
    spawn(during(s, () => exponential(333), () => send(attacker(s), { op: partner('GET /v2/customers/{customerId}'), objectId: uuid(), status: chance(0.15) ? 404 : 200, principal: p.id, credential: p.key, address: p.address() })))
  }
  {
    const s = scenario('BOLA, refused probes', 151, 10, 'a customer probing GET /orders/{orderId} with random ids at 1/s: 70 % 403, 30 % 404 (60 refusals/min, 60 distinct ids/min), 10 min', 'bolaEnumeration (c, refused)')
    const address = ip(s, attackerAddress(95))
    const id = 'u-prober'
    const jti = newJti(id)
    s.ids.add(`c=${id}`).add(`cred=${jti}`)
    spawn(during(s, () => SEC * (0.8 + 0.4 * uniform()), () => send(attacker(s), { op: shop('GET /orders/{orderId}'), objectId: someOrderId(), status: chance(0.7) ? 403 : 404, bytes: 300, principal: id, credential: jti, address })))
  }
  {
    const s = scenario('scraping (customer with a sparse history)', 168, 15, 'a customer with 2 h 48 of occasional browsing behind it (3 sessions/h at peak, fewer at night) pages through GET /products at 3 pages/s of ~400 KB (~70 MB/min against a usual ~0.1 MB), 15 min', 'scraping (c or ip)')
    const address = ip(s, attackerAddress(95))
    const user = makeShopUser(99999, 'web')
    const scraper: ShopUser = { ...user, id: 'u-scraper', addresses: [address], sessionsPerHour: 3 }
    s.ids.add(`c=${scraper.id}`)
    // Its ordinary sessions from the start (learning a baseline), then the scrape.
    spawn(shopSession(scraper))
    spawn(during(s, () => exponential(333), () => send(attacker(s), { op: shop('GET /products'), bytes: around(400 * KB), principal: scraper.id, credential: scraper.jti, address })))
    const scraperSubjects = () => s.ids.add(`cred=${scraper.jti}`)
    spawn(during(s, () => 10 * SEC, scraperSubjects))
  }
  {
    const p = partners.get('p-globex') as Partner
    const s = scenario('exfiltration (partner with a steady baseline)', 287, 10, 'a partner\'s key, from its usual server, pulling GET /v2/exports/customers (5 MB pages) every ~4 s (~75 MB/min against a usual ~0.3 MB), 10 min, on top of its normal traffic', 'scraping (c)')
    s.ids.add(`c=${p.id}`).add(`cred=${p.key}`)
    spawn(during(s, () => 4 * SEC * (0.8 + 0.4 * uniform()), () => send(attacker(s), { op: partner('GET /v2/exports/customers'), principal: p.id, credential: p.key, address: p.address() })))
  }
  {
    const p = partners.get('p-acme') as Partner
    const s = scenario('stolen key used from many networks', 185, 10, 'a partner\'s API key, still used by the partner, also used from 12 VPS in 12 /24s, each ~1 request / 7 s (GET /v2/orders, GET /v2/customers/{id}), 10 min', 'tokenReuse (cred)')
    s.shared.add(`cred=${p.key}`).add(`c=${p.id}`)
    const vps = Array.from({ length: 12 }, () => ip(s, `5.${int(256)}.${int(256)}.${1 + int(254)}`))
    for (const address of vps) {
      spawn(during(s, () => exponential(7 * SEC), () => send(attacker(s), chance(0.3) ? { op: partner('GET /v2/orders'), principal: p.id, credential: p.key, address } : { op: partner('GET /v2/customers/{customerId}'), objectId: uuid(), principal: p.id, credential: p.key, address })), int(7 * SEC))
    }
  }
  {
    const s = scenario('revoked key still tried', 202, 15, 'a former partner\'s revoked API key from its old server, GET /v2/orders every ~4 s (15/min), 401 revoked, 15 min', 'staleCredentials (ip)')
    const address = ip(s, '193.56.28.40')
    spawn(during(s, () => 4 * SEC * (0.8 + 0.4 * uniform()), () => send(attacker(s), { op: partner('GET /v2/orders'), status: 401, code: 'GW_ERR_AUTH_INVALID', authReason: 'revoked', address })))
  }
  {
    const s = scenario('scanner', 219, 3, '1 datacenter IPv4, 6 requests/s: 45 % WAF-blocked payloads on public operations, 20 % invalid requests, 10 % 401 without credentials, 25 % probes of undeclared paths, 3 min', 'scanner (ip)')
    const address = ip(s, '45.155.205.99')
    const probes = ['/.env', '/.git/config', '/wp-login.php', '/admin', '/actuator/env', '/phpmyadmin/index.php', '/server-status', '/api/v1/users/1', '/backup.zip', '/config.json', '/v2/api-docs', '/graphql']
    for (const path of probes) s.shapes.add(`GET ${pathShape(path)}`)
    const publicOps = [shop('GET /products'), shop('GET /search'), shop('GET /products/{productId}'), shop('GET /stores'), shop('GET /categories/{categoryId}')]
    spawn(
      during(s, () => exponential(167), () => {
        const x = uniform()
        const op = pick(publicOps)
        const objectId = op.hasObject ? `${int(100)}' OR '1'='1` : null
        if (x < 0.45) send(attacker(s), { op, objectId, status: 403, code: 'GW_ERR_WAF_BLOCKED', address })
        else if (x < 0.65) send(attacker(s), { op: pick([shop('POST /cart/items'), shop('POST /orders'), shop('GET /search')]), status: 400, code: 'GW_ERR_REQUEST_INVALID', address })
        else if (x < 0.75) send(attacker(s), { op: pick([shop('GET /users/me'), shop('GET /orders'), shop('GET /cart')]), status: 401, code: 'GW_ERR_AUTH_REQUIRED', address })
        else send(attacker(s), { op: null, unrouted: { api: 'shop', method: 'GET', path: pick(probes) }, status: 404, address })
      }),
    )
  }
  {
    const op = partner('GET /v2/inventory/{sku}')
    const s = scenario('error spike (upstream failing)', 236, 5, 'the inventory service behind GET /v2/inventory/{sku} answers 85 % 5xx for 5 min (benign partners keep polling and retry once)', 'errorSpike (op)')
    s.shared.add(`op=partner ${op.key}`)
    outageScenario = s
    spawn(
      (function* (): Actor {
        yield s.start - now
        failing.set(`partner ${op.key}`, { until: s.end, p: 0.85 })
      })(),
    )
  }
  {
    const s = scenario('shadow endpoint', 253, 10, 'a forgotten reporting job calling undeclared GET /v2/internal/orders/{id}/raw every ~2 s from one address (404 from the gateway), 10 min', 'shadowApi')
    const address = ip(s, '35.205.1.77')
    s.shapes.add(`GET ${pathShape('/v2/internal/orders/123/raw')}`)
    spawn(during(s, () => 2 * SEC, () => send(attacker(s), { op: null, unrouted: { api: 'partner', method: 'GET', path: `/v2/internal/orders/${someOrderId()}/raw` }, status: 404, address })))
  }
  {
    const op = partner('GET /v1/orders/{orderId}')
    const s = scenario('zombie operation', 270, 15, 'a legacy integration (own key and address) calling deprecated GET /v1/orders/{orderId} every ~10 s, 15 min', 'zombieApi (op)')
    const address = ip(s, '35.205.9.21')
    s.ids.add('c=p-legacy').add('cred=k=key-legacy-1').add(`op=partner ${op.key}`)
    spawn(during(s, () => 10 * SEC, () => send(attacker(s), { op, objectId: someOrderId(), principal: 'p-legacy', credential: 'k=key-legacy-1', address })))
  }
  {
    const s = scenario('orphan operations', -ATTACKS_AT * 60, 0, `${ORPHANS.length} declared operations nobody calls (2 deprecated, 3 admin/cleanup), from the start`, `orphanApi (op), after afterSec = ${D.orphanApi.afterSec} s`)
    for (const op of ORPHANS) s.ids.add(`op=${op.api} ${op.key}`)
    s.end = END
  }
}

// ---------------------------------------------------------------------------------------------
// The population.

const shopUsers: ShopUser[] = []
for (let i = 0; i < 1700; i++) {
  const x = uniform()
  shopUsers.push(makeShopUser(i, x < 0.45 ? 'mobile-nat' : x < 0.75 ? 'mobile-v6' : 'web'))
}
for (const user of shopUsers) spawn(shopSession(user))

const partners = new Map<string, Partner>()
const PARTNERS: [string, number, number, number][] = [
  // name, size (orders per sync at peak ÷ 12), servers, inventory polls/s at peak
  ['acme', 3, 2, 0.5],
  ['globex', 2, 2, 0.4],
  ['initech', 1, 1, 0.2],
  ['umbrella', 2, 3, 0.3],
  ['hooli', 1, 1, 0.15],
  ['stark', 1.5, 2, 0.3],
  ['wayne', 0.5, 1, 0.1],
  ['shady', 0.5, 1, 0.1],
  ['tyrell', 1, 2, 0.2],
  ['cyberdyne', 0.8, 1, 0.2],
]
for (const [name, size, servers, polls] of PARTNERS) {
  const p = makePartner(name, size, servers)
  partners.set(p.id, p)
  spawn(inventoryPoller(p, polls, 200 + int(1800)))
  spawn(orderSync(p))
  spawn(partnerHousekeeping(p, name === 'acme' || name === 'globex' || name === 'stark'))
}
{
  const p = makeServerlessPartner('quickship', 1.5)
  partners.set(p.id, p)
  spawn(inventoryPoller(p, 0.3, 800, 'partner on serverless'))
  spawn(orderSync(p))
  spawn(partnerHousekeeping(p, false))
}
{
  const p = makePartner('bigmarket', 2, 2)
  partners.set(p.id, p)
  spawn(bulkReconciler(p))
  spawn(orderSync(p))
  spawn(partnerHousekeeping(p, true))
}
spawn(nightlyExport(makePartner('bi-warehouse', 0, 1), 2.5 * HOUR, 'orders', 30, true))
spawn(nightlyExport(makePartner('accounting', 0, 1), 3.25 * HOUR, 'orders', 12, false))
spawn(nightlyExport(makePartner('crm-sync', 0, 1), 4 * HOUR, 'customers', 20, true))
for (let i = 0; i < 60; i++) spawn(staffMember(i))
for (let i = 0; i < 6; i++) spawn(wallboard(i))
for (let r = 0; r < 3; r++) spawn(uptimeMonitor(r))
spawn(blips())
defineAttacks(shopUsers, partners)
const CONSUMERS = shopUsers.length + 1 + partners.size + 3 + 60 + 6 + 3

// ---------------------------------------------------------------------------------------------
// The run.

const detections: Detection[] = []
const began = performance.now()
const sweepEvery = Math.min(3_600_000, (D.orphanApi.afterSec * 1000) / 4)
let nextSweep = T0 + sweepEvery
let nextBanSync = T0 + config.banSyncMs
let flushes = 0
for (let tick = T0 + config.flushMs; tick <= END; tick += config.flushMs) {
  while (heapAt.length > 0 && (heapAt[0] as number) < tick) {
    const actor = popInto()
    const step = actor.next()
    if (step.done !== true) schedule(actor, now + Math.max(1, step.value))
  }
  now = tick
  detections.push(...(await engine.flush()))
  flushes++
  if (tick >= nextBanSync) {
    await engine.syncBans()
    nextBanSync += config.banSyncMs
  }
  if (tick >= nextSweep) {
    detections.push(...(await engine.sweepOrphans()))
    nextSweep += sweepEvery
  }
}
const realMs = performance.now() - began
foldMinute()

// ---------------------------------------------------------------------------------------------
// Attribution and report.

const CLIENT = /^(ip|c|cred|user)=/
function owns(s: Scenario, d: Detection): boolean {
  const id = d.subject.id
  // An attacker's own subjects are its from shortly before the attack (the walker logs in 30 s ahead); the scraper browses benignly before.
  if (s.ids.has(id) && d.at >= s.start - MIN) return true
  const running = d.at >= s.start && d.at <= s.end + WINDOW_MS + 2 * config.flushMs
  if (s.shared.has(id) && running) return true
  if (s.shapes.size > 0) {
    const path = typeof d.evidence.path === 'string' ? d.evidence.path : ''
    for (const shape of s.shapes) if (path === shape || id.includes(shape)) return true
  }
  if (s.apiLevel !== undefined && running && !CLIENT.test(id) && d.api === s.apiLevel.api && s.apiLevel.detectors.includes(d.detector)) return true
  return false
}
if (args.verbose) for (const d of detections) console.error(new Date(d.at).toISOString().slice(11, 19), d.detector, d.subject.id, d.response, JSON.stringify(d.evidence))
const falseAlarms: Detection[] = []
for (const d of detections) {
  const mine = scenarios.filter((s) => owns(s, d))
  if (mine.length === 0) falseAlarms.push(d)
  for (const s of mine) s.detections.push(d)
}

const secs = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 1 : 0)
const clock = (t: number) => (HOURS > 24 ? new Date(t).toISOString().slice(5, 19).replace('T', ' ') : new Date(t).toISOString().slice(11, 19))
const rows = [...scenarios].sort((a, b) => a.start - b.start).map((s) => {
  const first = s.detections[0]
  const detectors = [...new Set(s.detections.map((d) => `${d.detector}(${d.subject.id.split('=')[0]})`))].map((name) => {
    const d = s.detections.find((x) => `${x.detector}(${x.subject.id.split('=')[0]})` === name) as Detection
    return `${name} +${secs(d.at - s.start)} s`
  })
  return {
    scenario: s.name,
    start: clock(s.start),
    detected: first === undefined ? 'no' : 'yes',
    by: first === undefined ? '—' : `${first.detector} (${first.subject.kind})`,
    after: first === undefined ? '—' : `${secs(first.at - s.start)} s`,
    response: first === undefined ? '—' : first.response + (first.until === null ? '' : ` ${Math.round((first.until - first.at) / 1000)} s`),
    all: detectors.length === 0 ? '—' : `${detectors.join(', ')}; ${s.detections.length} detection(s)`,
    requests: s.requests,
    refused: s.refused,
  }
})
const faGroups = new Map<string, { d: Detection; count: number; kinds: string }>()
for (const d of falseAlarms) {
  const key = `${d.detector} ${d.subject.id}`
  const group = faGroups.get(key)
  if (group !== undefined) group.count++
  else faGroups.set(key, { d, count: 1, kinds: [...(benignSubjects.get(d.subject.id) ?? [])].join(', ') || (CLIENT.test(d.subject.id) ? '?' : d.subject.kind) })
}
const evidence = (d: Detection) =>
  Object.entries(d.evidence)
    .filter(([, v]) => typeof v === 'number' || (typeof v === 'string' && v.length < 60))
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v)}`)
    .join(' ')

const lines: string[] = []
const out = (line = '') => lines.push(line)
out(`Seed ${SEED}, ${HOURS} simulated hours from ${String(START_HOUR).padStart(2, '0')}:00 UTC, default \`detection\` section (window ${config.windowSec} s, flush ${config.flushMs} ms, learning ${config.learningSec} s, cooldown ${config.alertCooldownSec} s).`)
out(`${CONSUMERS} consumers; ${(benignRequests + attackRequests).toLocaleString('en')} requests simulated (${benignRequests.toLocaleString('en')} benign, ${attackRequests.toLocaleString('en')} attack) in ${(realMs / 1000).toFixed(1)} s of real time (${Math.round((benignRequests + attackRequests) / (realMs / 1000)).toLocaleString('en')} requests/s), ${flushes.toLocaleString('en')} flushes; counters dropped by the engine: ${engine.dropped}; security events emitted: ${emitted.length}.`)
out()
if (args.markdown) {
  out('| Scenario | Starts | Detected | First by | After | Response | All detections | Attack requests | Refused after |')
  out('|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) out(`| ${r.scenario} | ${r.start} | ${r.detected} | ${r.by} | ${r.after} | ${r.response} | ${r.all} | ${r.requests} | ${r.refused} |`)
} else {
  for (const r of rows) out(`${r.detected === 'yes' ? '✔' : '✘'} ${r.scenario.padEnd(38)} ${r.start}  ${r.by.padEnd(42)} ${r.after.padStart(8)}  ${r.response.padEnd(14)} ${r.all}  [${r.requests} requests, ${r.refused} refused]`)
}
out()
out(`False alarms on benign traffic: ${falseAlarms.length} detection(s) on ${faGroups.size} subject(s); benign requests refused by the responses to false alarms: ${benignRefused}${benignRefused === 0 ? '' : ` (${[...benignRefusedBy].map(([k, n]) => `${k}: ${n}`).join(', ')})`}; benign requests refused because they share a subject with a detected attacker: ${collateralRefused}.`)
for (const { d, count, kinds } of [...faGroups.values()].sort((a, b) => a.d.at - b.d.at)) {
  out(`${args.markdown ? '- ' : '  '}${clock(d.at)} ${d.detector} on ${d.subject.kind} \`${d.subject.id}\` (${kinds}) ×${count}, ${d.response}${d.operation === null ? '' : `, ${d.operation}`}: ${evidence(d)}`)
}
out()
out('Benign headroom: the highest per-minute figure benign traffic reached for each signal (aligned minutes), against the default threshold:')
for (const [metric, threshold] of Object.entries(THRESHOLDS)) {
  const peak = peaks.get(metric)
  const value = peak === undefined ? '0' : Number.isInteger(peak.value) ? String(peak.value) : peak.value.toFixed(2)
  out(`${args.markdown ? '- ' : '  '}${metric}: ${value}${peak === undefined ? '' : ` (\`${peak.subject}\`, ${peak.kind}, ${clock(peak.at)})`}; threshold ${threshold}`)
}
out()
out('Scenarios (rate, sources, duration; expected detector):')
for (const s of [...scenarios].sort((a, b) => a.start - b.start)) out(`${args.markdown ? '- ' : '  '}${s.name}: ${s.shape}. Expected: ${s.expected}.`)
console.log(lines.join('\n'))
