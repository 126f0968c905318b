/**
 * An upstream: targets, the balancing rule, the circuit breaker. Built once per config load and
 * reused across reloads when its config is unchanged, so pools and health state survive.
 */
import { CircuitBreaker } from './circuit-breaker.js'
import { Target } from './target.js'

export interface UpstreamConfig {
  targets: readonly string[]
  balance: 'round-robin' | 'least-pending'
  connectTimeoutMs: number
  headersTimeoutMs: number
  bodyTimeoutMs: number
  maxConnections: number
  retries: number
  retryOnStatus: readonly number[]
  healthCheck: { failureThreshold: number; ejectMs: number }
  circuitBreaker: { windowSize: number; failureRate: number; minimumRequests: number; openMs: number }
}

export class Upstream {
  readonly config: UpstreamConfig
  readonly targets: readonly Target[]
  readonly breaker: CircuitBreaker
  readonly retryOnStatus: ReadonlySet<number>
  #cursor = 0

  constructor(config: UpstreamConfig) {
    this.config = config
    this.targets = config.targets.map(
      (url) =>
        new Target(url, {
          connectTimeoutMs: config.connectTimeoutMs,
          headersTimeoutMs: config.headersTimeoutMs,
          bodyTimeoutMs: config.bodyTimeoutMs,
          maxConnections: config.maxConnections,
          failureThreshold: config.healthCheck.failureThreshold,
          ejectMs: config.healthCheck.ejectMs,
        }),
    )
    this.breaker = new CircuitBreaker(config.circuitBreaker)
    this.retryOnStatus = new Set(config.retryOnStatus)
  }

  /**
   * Picks a target, preferring healthy ones and avoiding the one that just failed when there is
   * another. When every target is ejected it still picks one (panic mode): refusing all traffic
   * on passive signals alone would turn a partial outage into a full one; the breaker bounds it.
   */
  pick(now: number, avoid: Target | null): Target {
    const targets = this.targets
    if (targets.length === 1) return targets[0] as Target
    const leastPending = this.config.balance === 'least-pending'
    let best: Target | null = null
    let bestHealthy = false
    const start = this.#cursor++
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(start + i) % targets.length] as Target
      if (target === avoid) continue
      const healthy = target.isHealthy(now)
      if (healthy && !leastPending) return target
      if (best === null || (healthy && !bestHealthy) || (healthy === bestHealthy && target.pending < best.pending)) {
        best = target
        bestHealthy = healthy
      }
    }
    return best ?? (avoid as Target)
  }

  /** Closes pools at once, failing what is still in flight (shutdown past its deadline). */
  async destroy(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.pool.destroy()))
  }

  /** Closes pools after their in-flight requests finish. */
  async close(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.pool.close()))
  }
}
