/**
 * A Prometheus counter for the request path: an increment is one Map look-up and an addition;
 * the values reach prom-client only at scrape time (its own `labels().inc()` hashes the label
 * values on every call, which showed in the profile of an authenticated request).
 */
import { Counter, type Registry } from 'prom-client'

export interface FastCounterConfig<L extends string> {
  name: string
  help: string
  labelNames: readonly L[]
  registers: Registry[]
}

interface Tally<L extends string> {
  readonly labels: Partial<Record<L, string>>
  value: number
}

/** Label values to tallies, one level per label: an increment builds no key string (a join per call showed in the profile of every authorized request). */
type Level = Map<string, Level | Tally<string>>

export class FastCounter<L extends string> {
  readonly #root: Level = new Map()
  readonly #tallies: Tally<L>[] = []
  readonly #labelNames: readonly L[]

  constructor(config: FastCounterConfig<L>) {
    if (config.labelNames.length < 1 || config.labelNames.length > 4) throw new Error(`${config.name}: a fast counter takes one to four labels`)
    this.#labelNames = config.labelNames
    const tallies = this.#tallies
    new Counter<L>({
      name: config.name,
      help: config.help,
      labelNames: config.labelNames,
      registers: config.registers,
      collect() {
        this.reset()
        for (const { labels, value } of tallies) this.inc(labels, value)
      },
    })
  }

  /** Adds one for these label values, given in `labelNames` order (at most four labels). */
  inc(a: string, b?: string, c?: string, d?: string): void {
    const count = this.#labelNames.length
    let level = this.#root
    for (let i = 0; i < count - 1; i++) {
      const value = (i === 0 ? a : i === 1 ? b : c) ?? ''
      let next = level.get(value) as Level | undefined
      if (next === undefined) level.set(value, (next = new Map()))
      level = next
    }
    const last = (count === 1 ? a : count === 2 ? b : count === 3 ? c : d) ?? ''
    const tally = level.get(last) as Tally<L> | undefined
    if (tally !== undefined) {
      tally.value++
      return
    }
    const given = [a, b, c, d]
    const labels: Partial<Record<L, string>> = {}
    this.#labelNames.forEach((name, i) => (labels[name] = given[i] ?? ''))
    const created: Tally<L> = { labels, value: 1 }
    level.set(last, created)
    this.#tallies.push(created)
  }
}
