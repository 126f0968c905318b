/**
 * The detection engine a runtime's `detection` policies share: one per process, kept across
 * reloads while the `detection` section is unchanged, bound to the counter store the runtime uses.
 */
import { createIpMatcher } from '../../net/ip-matcher.js'
import type { Counters, PolicyService, ServiceDeps } from '../../pipeline/define-policy.js'
import type { DetectionConfig } from '../../observability/detection/detection-config.js'
import { DetectionEngine } from '../../observability/detection/detection-engine.js'
import { MemoryCounters } from '../../stores/memory-counters.js'
import type { LimitCheck } from '../../stores/counter-store.js'

export class DetectionService implements PolicyService {
  readonly config: DetectionConfig
  readonly engine: DetectionEngine
  #counters: Counters = { store: new MemoryCounters(), fallback: new MemoryCounters() }

  constructor(config: DetectionConfig, deps: ServiceDeps) {
    this.config = config
    this.engine = new DetectionEngine({
      config,
      stores: () => this.#counters,
      events: deps.events,
      logger: deps.logger,
      clock: deps.clock,
      trusted: createIpMatcher(config.trustedNetworks),
    })
  }

  /** The runtime's counter store (shared with rate limits): windows and bans live there. */
  bindCounters(counters: Counters): void {
    this.#counters = counters
  }

  start(): void {
    this.engine.start()
  }

  close(): void {
    this.engine.close()
  }

  /** Takes one request from a throttled subject's allowance: 0 when it may pass, else ms until one may. */
  async throttle(subject: string, nowMs: number): Promise<number> {
    const rps = this.config.throttleRps
    const check: LimitCheck = { key: `{detection}:throttle:${subject}`, algorithm: { kind: 'gcra', intervalMs: 1000 / rps, burst: Math.max(1, Math.floor(rps)) }, subject: `{detection}:throttled:${subject}` }
    let outcome
    try {
      outcome = (await this.#counters.store.consume([check], 1, nowMs, null)).outcomes[0]
    } catch {
      // The store cannot answer: this process holds the subject to the rate alone (never unthrottled).
      outcome = (await this.#counters.fallback.consume([check], 1, nowMs, null)).outcomes[0]
    }
    return outcome === undefined || outcome.allowed ? 0 : Math.max(1, outcome.retryAfterMs)
  }
}
