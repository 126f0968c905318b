/**
 * What each detector counts for a request, and when a count is abnormal. A request adds to a few
 * tallies (counts or distinct members, keyed by detector and subject) and names the checks those
 * tallies feed; after a flush each check reads its totals and says whether it fires. Thresholds
 * are the config's; docs/detection.md lists them.
 */
import { createHash } from 'node:crypto'
import type { Baselines } from './baselines.js'
import type { DetectionConfig, DetectorName } from './detection-config.js'
import type { Observation } from './observation.js'

/** Who a detection is about. Client subjects (`ip=`, `c=`, `cred=`) can be throttled and banned; the others are reported. */
export interface Subject {
  readonly kind: 'source' | 'principal' | 'credential' | 'user' | 'api' | 'operation'
  /** `ip=10.0.0.7`, `c=alice`, `cred=k=abc`, `user=<hash>`, `api=orders`, `op=orders GET /x`. */
  readonly id: string
}

export interface Contribution {
  readonly key: string
  /** A count to add, or a member to add to a distinct count. */
  readonly add?: number
  readonly member?: string
  /** Window and bucket of this tally when not the configured ones (long windows), ms. */
  readonly windowMs?: number
  readonly bucketMs?: number
}

export interface Check {
  readonly id: string
  readonly detector: DetectorName
  readonly subject: Subject
  readonly keys: readonly string[]
  readonly api: string
  readonly operation: string | null
  /** Evidence when the totals (in `keys`' order) are abnormal, else null. */
  decide(totals: readonly number[], nowMs: number): Record<string, unknown> | null
}

const MAX_KEY_PART = 64

/** A key part or member from request data: short ones as they are, long ones hashed (bounded keys and sets). */
function part(value: string): string {
  return value.length <= MAX_KEY_PART ? value : `#${createHash('sha256').update(value).digest('hex').slice(0, 24)}`
}

const key = (...parts: string[]) => `{detection}:${parts.map(part).join(':')}`

const SCANNER_CODES = new Set(['GW_ERR_WAF_BLOCKED', 'GW_ERR_REQUEST_INVALID', 'GW_ERR_UNSUPPORTED_MEDIA_TYPE', 'GW_ERR_REQUEST_PATH_INVALID', 'GW_ERR_ROUTE_NOT_FOUND', 'GW_ERR_METHOD_NOT_ALLOWED'])
const STALE_REASONS = /expired|revoked|inactive/

/** The checks a request feeds, and what it adds to their tallies. */
export function checksOf(
  o: Observation,
  config: DetectionConfig,
  baselines: { readonly volume: Baselines; readonly errorRate: Baselines },
  exempt: ReadonlySet<string>,
): { checks: Check[]; contributions: Contribution[] } {
  const d = config.detectors
  const windowSec = config.windowSec
  const checks: Check[] = []
  const contributions: Contribution[] = []
  const source: Subject = { kind: 'source', id: `ip=${o.source}` }
  const actor: Subject = o.principal === null ? source : { kind: 'principal', id: `c=${o.principal}` }
  // Partners and batch jobs read in bulk, export and run from many networks by design.
  const bulk = o.principal !== null && exempt.has(o.principal)
  const threshold = (name: DetectorName, subject: Subject, k: string, limit: number, what: string, extra: Record<string, unknown> = {}) =>
    checks.push({
      id: `${name} ${k}`,
      detector: name,
      subject,
      keys: [k],
      api: o.api,
      operation: o.operation,
      decide: ([total = 0]) => (total >= limit ? { [what]: total, threshold: limit, windowSec, ...extra } : null),
    })

  if (o.failedLogin) {
    if (d.credentialStuffing.enabled) {
      const k = key('cs', o.source)
      contributions.push({ key: k, add: 1 })
      threshold('credentialStuffing', source, k, d.credentialStuffing.failuresPerSource, 'failedLogins')
      const slow = key('cs', 'slow', o.source)
      const slowWindowMs = d.credentialStuffing.slowWindowSec * 1000
      contributions.push({ key: slow, add: 1, windowMs: slowWindowMs, bucketMs: slowWindowMs / 12 })
      threshold('credentialStuffing', source, slow, d.credentialStuffing.slowFailuresPerSource, 'failedLogins', { windowSec: d.credentialStuffing.slowWindowSec })
    }
    if (d.distributedCredentialStuffing.enabled && o.loginUser !== null) {
      const sources = key('dcs', 'u', o.api, o.loginUser)
      const users = key('dcs', 'a', o.api)
      contributions.push({ key: sources, member: part(o.source) }, { key: users, member: o.loginUser })
      threshold('distributedCredentialStuffing', { kind: 'user', id: `user=${o.loginUser}` }, sources, d.distributedCredentialStuffing.sourcesPerUser, 'sources')
      threshold('distributedCredentialStuffing', { kind: 'api', id: `api=${o.api}` }, users, d.distributedCredentialStuffing.usersPerApi, 'failingUsers')
    }
  }
  if (d.staleCredentials.enabled && o.authReason !== null && STALE_REASONS.test(o.authReason)) {
    const k = key('stale', o.source)
    contributions.push({ key: k, add: 1 })
    threshold('staleCredentials', source, k, d.staleCredentials.attempts, 'attempts', { reason: o.authReason })
  }
  if (d.scanner.enabled && (o.undeclared !== null || (o.code !== null && SCANNER_CODES.has(o.code)))) {
    // Refusals count each; unknown paths count once per distinct shape: a scan walks many, a client's mistake repeats one.
    const refused = key('scan', 'r', o.source)
    const probed = key('scan', 'p', o.source)
    contributions.push(o.undeclared !== null ? { key: probed, member: part(o.undeclared) } : { key: refused, add: 1 })
    const limit = d.scanner.hits
    checks.push({
      id: `scanner ${source.id}`,
      detector: 'scanner',
      subject: source,
      keys: [refused, probed],
      api: o.api,
      operation: o.operation,
      decide: ([refusals = 0, paths = 0]) => (refusals + paths >= limit ? { hits: refusals + paths, refused: refusals, unknownPaths: paths, threshold: limit, windowSec } : null),
    })
  }
  if (o.operation !== null && o.objectId !== null && d.bolaEnumeration.enabled && !bulk) {
    const objects = key('bola', 'd', actor.id, o.api, o.operation)
    contributions.push({ key: objects, member: part(o.objectId) })
    threshold('bolaEnumeration', actor, objects, d.bolaEnumeration.distinctObjects, 'distinctObjects')
    if (o.status === 403 || o.status === 404) {
      const refused = key('bola', 'r', actor.id, o.api)
      contributions.push({ key: refused, add: 1 })
      threshold('bolaEnumeration', actor, refused, d.bolaEnumeration.refusedObjects, 'refusedObjects')
    }
  }
  if (d.scraping.enabled && o.bytesOut > 0 && !bulk) {
    const k = key('scrape', actor.id)
    const { minBytes, baselineFactor } = d.scraping
    contributions.push({ key: k, add: o.bytesOut })
    checks.push({
      id: `scraping ${k}`,
      detector: 'scraping',
      subject: actor,
      keys: [k],
      api: o.api,
      operation: o.operation,
      decide([total = 0], nowMs) {
        const usual = baselines.volume.usual(k, nowMs)
        // While learning, only volumes abnormal for anyone count.
        const abnormal = usual === null ? total >= minBytes * baselineFactor : total >= minBytes && total >= baselineFactor * usual
        if (!abnormal) {
          baselines.volume.learn(k, total, nowMs)
          return null
        }
        return { responseBytes: total, usualBytes: usual === null ? null : Math.round(usual), minBytes, baselineFactor, windowSec }
      },
    })
  }
  if (d.tokenReuse.enabled && o.credential !== null && o.code === null && !bulk) {
    const k = key('reuse', o.credential)
    contributions.push({ key: k, member: part(o.network) })
    threshold('tokenReuse', { kind: 'credential', id: `cred=${o.credential}` }, k, d.tokenReuse.networks, 'networks')
  }
  if (o.operation !== null && d.errorSpike.enabled) {
    const all = key('err', 't', o.api, o.operation)
    const failed = key('err', 'e', o.api, o.operation)
    contributions.push({ key: all, add: 1 }, { key: failed, add: o.status >= 500 ? 1 : 0 })
    const { minRequests, errorRate, baselineFactor } = d.errorSpike
    checks.push({
      id: `errorSpike ${all}`,
      detector: 'errorSpike',
      subject: { kind: 'operation', id: `op=${o.api} ${o.operation}` },
      keys: [all, failed],
      api: o.api,
      operation: o.operation,
      decide([requests = 0, errors = 0], nowMs) {
        if (requests < minRequests) return null
        const rate = errors / requests
        const usual = baselines.errorRate.usual(failed, nowMs)
        if (rate < errorRate || (usual !== null && rate < baselineFactor * usual)) {
          baselines.errorRate.learn(failed, rate, nowMs)
          return null
        }
        return { requests, errors, errorRate: Math.round(rate * 1000) / 1000, usualRate: usual === null ? null : Math.round(usual * 1000) / 1000, windowSec }
      },
    })
  }
  if (o.undeclared !== null && d.shadowApi.enabled) {
    const k = key('shadow', o.api, o.undeclared)
    contributions.push({ key: k, add: 1 })
    threshold('shadowApi', { kind: 'operation', id: `op=${o.api} ${o.undeclared}` }, k, d.shadowApi.minRequests, 'requests', { path: o.undeclared })
  }
  if (o.retired && o.operation !== null && d.zombieApi.enabled) {
    const k = key('zombie', o.api, o.operation)
    contributions.push({ key: k, add: 1 })
    threshold('zombieApi', { kind: 'operation', id: `op=${o.api} ${o.operation}` }, k, 1, 'requests')
  }
  if (o.operation !== null && d.orphanApi.enabled) {
    const afterMs = d.orphanApi.afterSec * 1000
    contributions.push({ key: seenKey(o.api, o.operation), add: 1, windowMs: afterMs + afterMs / 6, bucketMs: afterMs / 6 })
  }
  return { checks, contributions }
}

/** The tally of an operation's traffic over `orphanApi.afterSec`, read by the orphan sweep. */
export function seenKey(api: string, operation: string): string {
  return key('seen', api, operation)
}

/** The tally that lets one node per cooldown bucket report a detector's finding on a subject. */
export function alertKey(detector: DetectorName, subject: Subject): string {
  return key('alerted', detector, subject.id)
}
