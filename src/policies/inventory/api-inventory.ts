/**
 * One API's inventory: the operations its document (or `routes:`) declares, with their traffic,
 * and the templates learned from traffic no declared operation took (every request of an API
 * without routes, and requests the gateway refused as unrouted). Classified when read:
 *
 * - `active`: declared and seen;
 * - `shadow`: seen, not declared (learned);
 * - `zombie`: seen on an operation the document marks `deprecated: true` or whose `x-sunset`
 *   date has passed;
 * - `orphan`: declared and not seen since the gateway started (or within `orphanAfterSec`).
 */
import type { OperationEntry } from '../../openapi/list-operations.js'
import { OperationStats, type OperationView, type StatsLimits } from './operation-stats.js'
import { PathTemplates, type TemplateLimits } from './path-templates.js'

export type Classification = 'active' | 'shadow' | 'zombie' | 'orphan'

export interface InventoryLimits extends TemplateLimits, StatsLimits {
  /** Distinct methods per learned template (methods are tokens a client may invent). */
  readonly maxMethods: number
  /** Learned operations (template and method) in all. */
  readonly maxOperations: number
  /** Shape nodes of all the API's sampled bodies together. */
  readonly maxShapeNodes: number
}

export interface ApiSetup {
  readonly basePath: string
  /** Whether the API has routes (a document or `routes:`); without, every request is learned. */
  readonly hasRoutes: boolean
  readonly operations: ReadonlyMap<string, OperationEntry>
  readonly limits: InventoryLimits
  /** Declared operations not seen for this long are orphans; 0: not seen since start. */
  readonly orphanAfterMs: number
}

export interface OperationRecord extends OperationView {
  method: string
  template: string
  classification: Classification
  declared: boolean
  operationId: string | null
  deprecated: boolean
  sunset: string | null
  /** Kinds of values seen per path parameter of a learned template (`integer`, `uuid`, `word`, …). */
  parameters?: Record<string, string[]>
}

export interface ApiRecord {
  name: string
  basePath: string
  hasRoutes: boolean
  /** Trie nodes in use, learned templates, and paths not learned because a bound was reached. */
  nodes: number
  templates: number
  dropped: number
  summary: Record<Classification, number>
  operations: OperationRecord[]
}

/** Methods a template was called with, each with its statistics. */
type MethodStats = Map<string, OperationStats>

export class ApiInventory {
  readonly name: string
  #setup: ApiSetup
  readonly learned: PathTemplates<MethodStats>
  readonly #declared = new Map<string, OperationStats>()
  #methodOverflow = 0
  #learnedOperations = 0
  /** Shared by every operation's shape recorders, kept across reloads like what it bounds. */
  readonly #shapeBudget: { remaining: number }

  constructor(name: string, setup: ApiSetup) {
    this.name = name
    this.#setup = setup
    this.#shapeBudget = { remaining: setup.limits.maxShapeNodes }
    this.learned = new PathTemplates<MethodStats>(setup.limits, {
      create: () => new Map(),
      merge: (into, from) => {
        for (const [method, stats] of from) {
          const mine = into.get(method)
          if (mine === undefined && into.size < this.#setup.limits.maxMethods) {
            into.set(method, stats)
            continue
          }
          this.#learnedOperations--
          if (mine !== undefined) mine.merge(stats)
          else this.#methodOverflow += stats.count
        }
      },
    })
  }

  #newStats(): OperationStats {
    return new OperationStats({ shapes: { ...this.#setup.limits.shapes, budget: this.#shapeBudget } })
  }

  get setup(): ApiSetup {
    return this.#setup
  }

  /** A reload: the declared operations and settings may have changed; what was learned stays. */
  configure(setup: ApiSetup): void {
    this.#setup = setup
  }

  /** The statistics of a declared operation (a HEAD answered by GET counts as the GET); null for any other. */
  declaredStats(method: string, template: string): OperationStats | null {
    let key = `${method} ${template}`
    const operations = this.#setup.operations
    if (!operations.has(key)) {
      if (method !== 'HEAD' || !operations.has(`GET ${template}`)) return null
      key = `GET ${template}`
    }
    let stats = this.#declared.get(key)
    if (stats === undefined) this.#declared.set(key, (stats = this.#newStats()))
    return stats
  }

  /** The statistics of the template learned for `relativePath`; null when a bound kept it out. */
  learnedStats(method: string, relativePath: string): OperationStats | null {
    const methods = this.learned.record(relativePath)
    if (methods === null) return null
    let stats = methods.get(method)
    if (stats === undefined) {
      if (methods.size >= this.#setup.limits.maxMethods || this.#learnedOperations >= this.#setup.limits.maxOperations) {
        this.#methodOverflow++
        return null
      }
      this.#learnedOperations++
      methods.set(method, (stats = this.#newStats()))
    }
    return stats
  }

  record(now: number): ApiRecord {
    const operations: OperationRecord[] = []
    for (const [key, entry] of this.#setup.operations) {
      const stats = this.#declared.get(key)
      const view = (stats ?? new OperationStats(this.#setup.limits)).view()
      const sunset = sunsetOf(entry)
      const seenRecently = stats !== undefined && stats.count > 0 && (this.#setup.orphanAfterMs === 0 || now - stats.lastSeen <= this.#setup.orphanAfterMs)
      const retired = entry.deprecated || (sunset !== null && Date.parse(sunset) <= now)
      const classification: Classification = !seenRecently ? 'orphan' : retired ? 'zombie' : 'active'
      operations.push({ method: entry.method, template: entry.template, classification, declared: true, operationId: entry.operationId, deprecated: entry.deprecated, sunset, ...view })
    }
    let templates = 0
    for (const { template, payload } of this.learned.templates()) {
      templates++
      const params = this.learned.paramsOf(template)
      const parameters = Object.fromEntries([...params].map(([name, node]) => [name, [...node.kinds].sort()]))
      for (const [method, stats] of payload) {
        operations.push({ method, template, classification: 'shadow', declared: false, operationId: null, deprecated: false, sunset: null, ...stats.view(), ...(params.size > 0 && { parameters }) })
      }
    }
    operations.sort((a, b) => (a.template === b.template ? compare(a.method, b.method) : compare(a.template, b.template)))
    const summary: Record<Classification, number> = { active: 0, shadow: 0, zombie: 0, orphan: 0 }
    for (const operation of operations) summary[operation.classification]++
    return {
      name: this.name,
      basePath: this.#setup.basePath,
      hasRoutes: this.#setup.hasRoutes,
      nodes: this.learned.nodeCount,
      templates,
      dropped: this.learned.dropped + this.#methodOverflow,
      summary,
      operations,
    }
  }
}

/** The operation's `x-sunset` as an ISO date, or null when absent or not a date. */
function sunsetOf(entry: OperationEntry): string | null {
  const value = entry.extensions['x-sunset']
  const text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : null
  if (text === null || Number.isNaN(Date.parse(text))) return null
  return text
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
