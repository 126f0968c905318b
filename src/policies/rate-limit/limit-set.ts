/**
 * The limits one `rate-limit` config applies, compiled once: the config's own plus those of each
 * plan, and the store checks for a request's key inputs. Shared by the policy and the admin
 * API's usage read, so both name the same counters.
 */
import type { Static } from '@sinclair/typebox'
import type { LimitCheck } from '../../stores/counter-store.js'
import { compileLimit, type CompiledLimit } from './compile-limits.js'
import { keyOf, type KeyInputs } from './request-key.js'
import type { PlansConfig, RateLimitConfig } from './schema.js'

export class LimitSet {
  readonly #subjectPrefix: string
  readonly #limits: readonly CompiledLimit[]
  readonly #plans: ReadonlyMap<string, readonly CompiledLimit[]>
  readonly #defaultPlan: readonly CompiledLimit[]
  readonly #usePlans: boolean
  readonly #ipv6Prefix: number

  constructor(config: Static<typeof RateLimitConfig>, api: string, plans: PlansConfig) {
    // The API's name as a Redis hash tag: in a cluster, all of an API's keys share one slot, so
    // one script can check and consume a request's limits together.
    const tag = `{${api}}`
    const scope = `${tag}:`
    this.#subjectPrefix = scope
    this.#limits = config.limits.map((limit, index) => compileLimit(limit, index, scope))
    this.#plans = new Map(Object.entries(plans).map(([plan, { limits }]) => [plan, limits.map((limit, index) => compileLimit(limit, index, `${scope}plan.${plan}.`))]))
    this.#defaultPlan = this.#plans.get('default') ?? []
    this.#usePlans = config.plans && this.#plans.size > 0
    this.#ipv6Prefix = config.ipv6Prefix
  }

  /** The limits for a principal of `plan`; `known` is false when the plan is not configured (the default plan applies). */
  limitsFor(plan: string | null): { limits: readonly CompiledLimit[]; known: boolean } {
    if (!this.#usePlans) return { limits: this.#limits, known: true }
    const own = plan === null ? this.#defaultPlan : this.#plans.get(plan)
    const extra = own ?? this.#defaultPlan
    const limits = extra.length === 0 ? this.#limits : this.#limits.length === 0 ? extra : [...this.#limits, ...extra]
    return { limits, known: own !== undefined }
  }

  checks(limits: readonly CompiledLimit[], inputs: KeyInputs, nowMs: number): LimitCheck[] {
    return limits.map((limit) => {
      const parts = keyOf(limit.parts, inputs, this.#ipv6Prefix)
      return { key: `${limit.scope}:${parts}`, algorithm: limit.algorithm(nowMs), subject: `${this.#subjectPrefix}${parts}` }
    })
  }
}
