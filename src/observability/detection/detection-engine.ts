/**
 * Detection on one node: requests are observed synchronously (a few map updates), and every
 * `flushMs` what was seen is added to the windows in the counter store — Redis when configured,
 * so every node adds to the same tallies and a run spread over nodes is seen whole — and the
 * checks fed since the last flush are evaluated on the totals. A check that fires is reported
 * once per cooldown across all nodes, and its automatic response (log, alert, throttle, ban)
 * applied: bans go to the rate limiter's shared ban store, where every node reads them.
 */
import type { Logger } from 'pino'
import type { CounterStore, TallyUpdate } from '../../stores/counter-store.js'
import type { IpMatcher } from '../../net/ip-matcher.js'
import type { EventClass, EventFields } from '../security-events/security-event.js'
import { BanCache, BAN_PREFIX, THROTTLE_PREFIX } from './ban-cache.js'
import { Baselines } from './baselines.js'
import { alertKey, checksOf, seenKey, type Check, type Subject } from './checks.js'
import type { DetectionConfig, DetectionResponse, DetectorName } from './detection-config.js'
import type { Observation } from './observation.js'

export interface DetectionStores {
  /** The shared store (`stores.counters`). */
  readonly store: CounterStore
  /** This process's store, used while the shared one cannot answer. */
  readonly fallback: CounterStore
}

export interface DetectionEngineDeps {
  readonly config: DetectionConfig
  readonly stores: () => DetectionStores
  readonly events: { emit(fields: EventFields): unknown } | null
  readonly logger: Logger
  readonly clock: { now(): number }
  readonly trusted: IpMatcher
}

/** A detection that fired: what the alert event and the log line carry. */
export interface Detection {
  readonly detector: DetectorName
  readonly subject: Subject
  readonly severity: number
  readonly response: DetectionResponse
  readonly api: string
  readonly operation: string | null
  readonly evidence: Readonly<Record<string, unknown>>
  readonly at: number
  /** When a ban or throttle it imposed ends (ms since the epoch), or null. */
  readonly until: number | null
}

interface Pending {
  add: number
  members: Set<string> | null
  readonly windowMs: number
  readonly bucketMs: number
}

/** The orphan sweep's window: one bucket (a sixth) longer than `afterSec`, so its whole buckets always cover `afterSec`. */
export function orphanWindowMs(afterMs: number): number {
  return afterMs + afterMs / 6
}

const MAX_MEMBERS_PER_FLUSH = 1000
const BASELINE_SUBJECTS = 50_000
const FAILURE_LOG_INTERVAL_MS = 30_000

export class DetectionEngine {
  readonly #deps: DetectionEngineDeps
  readonly #config: DetectionConfig
  readonly bans: BanCache
  readonly #baselines: { readonly volume: Baselines; readonly errorRate: Baselines }
  readonly #exempt: ReadonlySet<string>
  #pending = new Map<string, Pending>()
  #checks = new Map<string, Check>()
  readonly #operations = new Map<string, readonly string[]>()
  readonly #startedAt: number
  #flushing: Promise<readonly Detection[]> | null = null
  #timers: NodeJS.Timeout[] = []
  #lastFailureLog = 0
  /** Bans imposed while the store failed: written to it when it answers again (until then this node enforces them alone). */
  readonly #unsynced = new Map<string, number>()
  /** Counters dropped because a flush was full (a flood of distinct subjects). */
  dropped = 0

  constructor(deps: DetectionEngineDeps) {
    this.#deps = deps
    this.#config = deps.config
    this.bans = new BanCache(deps.config.maxBans)
    const baseline = () => new Baselines({ max: BASELINE_SUBJECTS, learningMs: deps.config.learningSec * 1000, windowMs: deps.config.windowSec * 1000 })
    this.#baselines = { volume: baseline(), errorRate: baseline() }
    this.#exempt = new Set(deps.config.exemptConsumers)
    this.#startedAt = deps.clock.now()
  }

  /** The declared operations of an API (`METHOD /template`), for the orphan sweep. */
  declareOperations(api: string, operations: readonly string[]): void {
    this.#operations.set(api, operations)
  }

  /** Records a finished request; never throws, never waits. */
  observe(observation: Observation): void {
    const { checks, contributions } = checksOf(observation, this.#config, this.#baselines, this.#exempt)
    const windowMs = this.#config.windowSec * 1000
    const bucketMs = this.#config.bucketSec * 1000
    for (const contribution of contributions) {
      let pending = this.#pending.get(contribution.key)
      if (pending === undefined) {
        if (this.#pending.size >= this.#config.maxKeysPerFlush) {
          this.dropped++
          continue
        }
        pending = { add: 0, members: contribution.member === undefined ? null : new Set(), windowMs: contribution.windowMs ?? windowMs, bucketMs: contribution.bucketMs ?? bucketMs }
        this.#pending.set(contribution.key, pending)
      }
      if (contribution.member !== undefined) {
        if (pending.members !== null && pending.members.size < MAX_MEMBERS_PER_FLUSH) pending.members.add(contribution.member)
      } else pending.add += contribution.add ?? 0
    }
    for (const check of checks) if (check.keys.some((key) => this.#pending.has(key))) this.#checks.set(check.id, check)
  }

  /** Starts the flush, ban-sync and orphan-sweep timers (not needed when a caller drives `flush`). */
  start(): void {
    const every = (ms: number, run: () => Promise<unknown>) => {
      const timer = setInterval(() => void run().catch((error: unknown) => this.#failed(error, 'detection')), ms)
      timer.unref()
      this.#timers.push(timer)
    }
    every(this.#config.flushMs, () => this.flush())
    every(this.#config.banSyncMs, () => this.syncBans())
    if (this.#config.detectors.orphanApi.enabled) every(Math.min(3_600_000, (this.#config.detectors.orphanApi.afterSec * 1000) / 4), () => this.sweepOrphans())
    void this.syncBans().catch((error: unknown) => this.#failed(error, 'ban sync'))
  }

  close(): void {
    for (const timer of this.#timers) clearInterval(timer)
    this.#timers = []
  }

  /** Adds what was seen to the windows, evaluates the checks fed since the last flush, and responds to those that fire. */
  flush(): Promise<readonly Detection[]> {
    // One flush at a time: a slow store delays the next one, it never stacks them.
    this.#flushing ??= this.#flush().finally(() => (this.#flushing = null))
    return this.#flushing
  }

  /** Hands the store the bans it missed while failing, then reads every node's bans. */
  async syncBans(): Promise<void> {
    const store = this.#deps.stores().store
    const now = this.#deps.clock.now()
    for (const [subject, until] of this.#unsynced) {
      if (until > now) await store.imposeBan(subject, until - now, now)
      this.#unsynced.delete(subject)
    }
    await this.bans.sync(store, now)
  }

  /** Reports declared operations with no traffic on any node for `orphanApi.afterSec` (once the node has run that long). */
  async sweepOrphans(): Promise<readonly Detection[]> {
    const settings = this.#config.detectors.orphanApi
    const now = this.#deps.clock.now()
    const windowMs = settings.afterSec * 1000
    if (!settings.enabled || now - this.#startedAt < windowMs) return []
    const listed = [...this.#operations].flatMap(([api, operations]) => operations.map((operation) => ({ api, operation })))
    if (listed.length === 0) return []
    const totals = await this.#tally(listed.map(({ api, operation }) => ({ key: seenKey(api, operation), windowMs: orphanWindowMs(windowMs), bucketMs: windowMs / 6, add: 0 })), now)
    const fired = listed
      .filter((_, i) => totals[i] === 0)
      .map(({ api, operation }): Check => ({ id: `orphan ${api} ${operation}`, detector: 'orphanApi', subject: { kind: 'operation', id: `op=${api} ${operation}` }, keys: [], api, operation, decide: () => null }))
      .map((check) => ({ check, evidence: { requests: 0, sinceSec: settings.afterSec } }))
    return this.#respondAll(fired, now)
  }

  async #flush(): Promise<readonly Detection[]> {
    if (this.#pending.size === 0) return []
    const now = this.#deps.clock.now()
    const pending = this.#pending
    const checks = this.#checks
    this.#pending = new Map()
    this.#checks = new Map()
    const bucketMs = this.#config.bucketSec * 1000
    const keys = [...pending.keys()]
    const updates = keys.map((key): TallyUpdate => {
      const entry = pending.get(key) as Pending
      const bucket = entry.windowMs === this.#config.windowSec * 1000 ? bucketMs : entry.bucketMs
      return entry.members === null ? { key, windowMs: entry.windowMs, bucketMs: bucket, add: entry.add } : { key, windowMs: entry.windowMs, bucketMs: bucket, members: [...entry.members] }
    })
    const totals = await this.#tally(updates, now)
    const totalOf = new Map(keys.map((key, i) => [key, totals[i] ?? 0]))
    const fired: { check: Check; evidence: Record<string, unknown> }[] = []
    for (const check of checks.values()) {
      const evidence = check.decide(
        check.keys.map((key) => totalOf.get(key) ?? 0),
        now,
      )
      if (evidence !== null) fired.push({ check, evidence })
    }
    return this.#respondAll(fired, now)
  }

  /** Keeps one finding per detector and subject, lets one node per cooldown report it, and responds. */
  async #respondAll(fired: readonly { check: Check; evidence: Record<string, unknown> }[], now: number): Promise<readonly Detection[]> {
    const unique = new Map<string, { check: Check; evidence: Record<string, unknown> }>()
    for (const finding of fired) unique.set(alertKey(finding.check.detector, finding.check.subject), finding)
    if (unique.size === 0) return []
    const cooldownMs = this.#config.alertCooldownSec * 1000
    const keys = [...unique.keys()]
    // Counted in the cooldown's current bucket alone: the first claim of each bucket reports, so an attack that goes on is reported (and its ban renewed) again in the next one.
    const claims = await this.#tally(keys.map((key) => ({ key, windowMs: cooldownMs, bucketMs: cooldownMs, add: 1 })), now)
    const detections: Detection[] = []
    for (const [i, key] of keys.entries()) {
      if (claims[i] !== 1) continue
      const { check, evidence } = unique.get(key) as { check: Check; evidence: Record<string, unknown> }
      detections.push(await this.#respond(check, evidence, now))
    }
    return detections
  }

  async #respond(check: Check, evidence: Record<string, unknown>, now: number): Promise<Detection> {
    const settings = this.#config.detectors[check.detector] as { response: DetectionResponse; severity: number; forSec?: number }
    const { response, severity } = settings
    let until: number | null = null
    if ((response === 'ban' || response === 'throttle') && settings.forSec !== undefined && this.#enforceable(check.subject)) {
      const forMs = settings.forSec * 1000
      const subject = (response === 'ban' ? BAN_PREFIX : THROTTLE_PREFIX) + check.subject.id
      until = now + forMs
      this.bans.add(subject, until, now)
      await this.#deps.stores().store.imposeBan(subject, forMs, now).then(() => this.bans.confirm(subject), (error: unknown) => {
        // Enforced here still; the other nodes learn of it when the store answers again.
        this.#failed(error, 'imposing a ban')
        if (this.#unsynced.size < this.#config.maxBans) this.#unsynced.set(subject, until as number)
        return false
      })
    }
    const detection: Detection = { detector: check.detector, subject: check.subject, severity, response, api: check.api, operation: check.operation, evidence, at: now, until }
    this.#deps.logger.warn({ detection: check.detector, subject: check.subject.id, response, severity, api: check.api, operation: check.operation, evidence, until: until === null ? null : new Date(until).toISOString() }, `detection: ${check.detector}`)
    if (response !== 'log') this.#deps.events?.emit(alertFields(detection))
    return detection
  }

  /** A client subject outside the trusted networks: what a ban or throttle can apply to. */
  #enforceable(subject: Subject): boolean {
    if (subject.kind === 'principal' || subject.kind === 'credential') return true
    if (subject.kind !== 'source') return false
    const address = subject.id.slice('ip='.length).split('/', 1)[0] as string
    return !this.#deps.trusted(address)
  }

  async #tally(updates: readonly TallyUpdate[], now: number): Promise<readonly number[]> {
    const { store, fallback } = this.#deps.stores()
    try {
      return await store.tally(updates, now)
    } catch (error) {
      // Counted on this process alone until the shared store answers: detection goes on, narrower.
      this.#failed(error, 'shared windows')
      return fallback.tally(updates, now)
    }
  }

  #failed(error: unknown, what: string): void {
    const now = Date.now()
    if (now - this.#lastFailureLog < FAILURE_LOG_INTERVAL_MS) return
    this.#lastFailureLog = now
    this.#deps.logger.warn({ err: error }, `detection: ${what} failed; counting on this process until the store answers`)
  }
}

const ACTIONS: Readonly<Record<DetectorName, string>> = {
  credentialStuffing: 'detection-credential-stuffing',
  distributedCredentialStuffing: 'detection-distributed-credential-stuffing',
  bolaEnumeration: 'detection-bola-enumeration',
  scraping: 'detection-scraping',
  tokenReuse: 'detection-token-reuse',
  staleCredentials: 'detection-stale-credentials',
  scanner: 'detection-scanner',
  errorSpike: 'detection-error-spike',
  shadowApi: 'detection-shadow-api',
  zombieApi: 'detection-zombie-api',
  orphanApi: 'detection-orphan-api',
}

/** The security event of a detection (ECS: an `alert` of category `intrusion_detection`, type `indicator`). */
function alertFields(detection: Detection): EventFields {
  const eventClass: EventClass = { kind: 'alert', category: ['intrusion_detection'], type: ['indicator'], action: ACTIONS[detection.detector], outcome: 'unknown', severity: detection.severity }
  const { subject } = detection
  return {
    class: eventClass,
    message: `${eventClass.action}: ${subject.id}${detection.operation === null ? '' : ` on ${detection.api} ${detection.operation}`} (${detection.response})`,
    ...(subject.kind === 'source' ? { source: { ip: subject.id.slice('ip='.length) } } : {}),
    ...(subject.kind === 'principal' ? { user: { id: subject.id.slice('c='.length) } } : {}),
    labels: { api: detection.api },
    portcullis: {
      policy: 'detection',
      api: detection.api,
      ...(detection.operation === null ? {} : { route: detection.operation }),
      details: {
        detector: detection.detector,
        subject: subject.id,
        response: detection.response,
        ...(detection.until === null ? {} : { until: new Date(detection.until).toISOString(), banSubject: (detection.response === 'ban' ? BAN_PREFIX : THROTTLE_PREFIX) + subject.id }),
        ...detection.evidence,
      },
    },
  }
}
