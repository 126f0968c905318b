/**
 * The services policies declare (`service` in definePolicy, e.g. auth's credential verifiers):
 * one per policy per runtime, built from the values of the sections the policy declared and kept
 * across reloads while those are unchanged, so key sets and caches survive a reload that does not
 * touch them. The gateway starts, checks, tells and closes them through this set, never knowing
 * what they are.
 */
import type { PolicyDefinition, PolicyService, ServiceDeps } from '../pipeline/define-policy.js'
import { sectionValuesOf } from '../pipeline/define-policy.js'

interface Entry {
  /** The sections' values it was built from, as JSON: an equal key on reload reuses the service. */
  readonly key: string
  readonly service: PolicyService
}

export class PolicyServices {
  readonly #byPolicy: ReadonlyMap<string, Entry>

  /** Builds each declared service, reusing `previous`'s where the policy's sections are unchanged. */
  static build(policies: readonly PolicyDefinition[], config: Readonly<Record<string, unknown>>, deps: ServiceDeps, previous: PolicyServices | null): PolicyServices {
    const byPolicy = new Map<string, Entry>()
    for (const policy of policies) {
      if (policy.service === null) continue
      const sections = sectionValuesOf(policy, config)
      const key = JSON.stringify(sections)
      const kept = previous === null ? undefined : previous.#byPolicy.get(policy.name)
      byPolicy.set(policy.name, kept !== undefined && kept.key === key ? kept : { key, service: policy.service(sections, deps) })
    }
    return new PolicyServices(byPolicy)
  }

  private constructor(byPolicy: ReadonlyMap<string, Entry>) {
    this.#byPolicy = byPolicy
  }

  /** The service `policy` declared, handed to its `create`; undefined when it declares none. */
  of(policy: string): PolicyService | undefined {
    return this.#byPolicy.get(policy)?.service
  }

  /** Those of these services none of `others` holds: what a reload starts, or what a retired runtime closes. */
  notIn(...others: (PolicyServices | null)[]): PolicyServices {
    const held = new Set(others.flatMap((other) => (other === null ? [] : [...other.#byPolicy.values()].map((e) => e.service))))
    return new PolicyServices(new Map([...this.#byPolicy].filter(([, entry]) => !held.has(entry.service))))
  }

  /** Whether `other` holds the very same services, so policy instances built with them can be reused. */
  sameAs(other: PolicyServices): boolean {
    return this.#byPolicy.size === other.#byPolicy.size && [...this.#byPolicy].every(([name, entry]) => other.#byPolicy.get(name)?.service === entry.service)
  }

  start(): void {
    for (const { service } of this.#byPolicy.values()) service.start?.()
  }

  isReady(): boolean {
    return [...this.#byPolicy.values()].every(({ service }) => service.isReady?.() ?? true)
  }

  /** The admin API changed the data store: one API key (its id), or anything (no id). */
  onDataStoreChange(keyId?: string): void {
    for (const { service } of this.#byPolicy.values()) service.onDataStoreChange?.(keyId)
  }

  close(): void {
    for (const { service } of this.#byPolicy.values()) service.close?.()
  }
}
