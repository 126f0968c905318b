/**
 * One upstream server: its connection pool, in-flight count (for least-pending) and passive
 * health (consecutive failures eject it for a while, like Envoy's outlier detection).
 */
import { Pool } from 'undici'

export interface TargetOptions {
  connectTimeoutMs: number
  headersTimeoutMs: number
  bodyTimeoutMs: number
  maxConnections: number
  failureThreshold: number
  ejectMs: number
}

export class Target {
  readonly url: string
  readonly origin: string
  /** Path prefix from the target URL, without a trailing slash. */
  readonly pathPrefix: string
  readonly pool: Pool
  pending = 0
  #consecutiveFailures = 0
  #ejectedUntil = 0
  readonly #options: TargetOptions

  constructor(url: string, options: TargetOptions) {
    const parsed = new URL(url)
    this.url = url
    this.origin = parsed.origin
    this.pathPrefix = parsed.pathname.replace(/\/+$/, '')
    this.#options = options
    this.pool = new Pool(parsed.origin, {
      connections: options.maxConnections,
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      keepAliveTimeout: 4000,
    })
  }

  /** Host header value for requests to this target. */
  get host(): string {
    return this.origin.slice(this.origin.indexOf('//') + 2)
  }

  isHealthy(now: number): boolean {
    return now >= this.#ejectedUntil
  }

  recordSuccess(): void {
    this.#consecutiveFailures = 0
  }

  recordFailure(now: number): void {
    this.#consecutiveFailures++
    if (this.#consecutiveFailures >= this.#options.failureThreshold) {
      this.#ejectedUntil = now + this.#options.ejectMs
      this.#consecutiveFailures = 0
    }
  }
}
