/**
 * Rules grouped by the entries they read, for the known misses (known-misses.ts): a transaction
 * intersects the misses known for a group's entries once per phase, and every rule of the group
 * whose bit is in the intersection cannot match: it is passed over without walking its targets.
 * On a GET through CRS this stands for ~150 of the ~200 rule walks (most rules read the same
 * arguments, cookies and XML; header rules the same few headers).
 *
 * What a phase found is kept here, per rule set, not per transaction: a phase runs to its end
 * synchronously, so one set of slots serves every transaction in turn, stamped with the phase
 * that filled it (nothing allocated per request, nothing to clear).
 */
import type { Step } from './rule-set.js'
import type { Target, TargetRead } from './rules.js'

/** A group's misses when it reads no entry: its rules cannot match. */
export const READS_NOTHING: readonly number[] = []
/** Distinct lists of removed targets remembered per rule set: CRS's are a handful, each shared by many rules. */
const MAX_REMOVAL_LISTS = 16

/** One phase's findings: per group, the intersection (a value's own bits, or a buffer), `null` when an entry's misses are unknown. */
interface Findings {
  readonly stamps: Int32Array
  readonly misses: (readonly number[] | null)[]
  readonly buffers: number[][]
}

export class MissGroups {
  /** Per group, what its rules read: the reads of its first rule. */
  readonly reads: readonly (readonly TargetRead[])[]
  readonly #words: number
  #phase = 1
  readonly #plain: Findings
  /** For rules that lost targets to a removal, by the removed targets (a list shared by the rules it names). */
  readonly #withRemovals = new Map<readonly Target[], Findings>()

  /** `words`: the length of a value's misses (`KnownMisses.words`). */
  constructor(reads: readonly (readonly TargetRead[])[], words: number) {
    this.reads = reads
    this.#words = words
    this.#plain = this.#findings()
  }

  /**
   * Groups the chain starters with a pure operator by the entries they read (`Rule.missGroup`).
   * A rule reading TX, MATCHED_*, a count or a computed variable reads what changes within a
   * phase, and stays out.
   */
  static assign(phases: ReadonlyMap<number, readonly Step[]>, words: number): MissGroups {
    const reads: (readonly TargetRead[])[] = []
    const byEntries = new Map<string, number>()
    for (const steps of phases.values()) {
      for (const step of steps) {
        if (step.kind !== 'rule') continue
        const rule = step.rule
        if (!rule.conditional || rule.missSlot === -1 || rule.reads.length === 0) continue
        if (rule.reads.some((read) => read.computed || read.count || read.matched || read.writable)) continue
        const key = rule.reads.map(readKey).sort().join('&')
        let group = byEntries.get(key)
        if (group === undefined) {
          group = reads.length
          reads.push(rule.reads)
          byEntries.set(key, group)
        }
        rule.missGroup = group
      }
    }
    return new MissGroups(reads, words)
  }

  /** Forgets what the last phase found (collections other than TX and MATCHED_* hold still only within a phase). */
  beginPhase(): void {
    this.#phase++
    if (this.#phase > 0x3fffffff) {
      this.#phase = 1
      this.#plain.stamps.fill(0)
      this.#withRemovals.clear()
    }
  }

  /** What this phase found of the group's misses (with `removed` taken out of its reads); undefined when not yet looked for or not kept. */
  found(group: number, removed: readonly Target[] | undefined): readonly number[] | null | undefined {
    const findings = removed === undefined ? this.#plain : this.#withRemovals.get(removed)
    if (findings === undefined || findings.stamps[group] !== this.#phase) return undefined
    return findings.misses[group]
  }

  /** Keeps what this phase found of the group's misses; returns it. */
  keep(group: number, removed: readonly Target[] | undefined, misses: readonly number[] | null): readonly number[] | null {
    let findings = removed === undefined ? this.#plain : this.#withRemovals.get(removed)
    if (findings === undefined) {
      if (this.#withRemovals.size >= MAX_REMOVAL_LISTS) return misses
      this.#withRemovals.set(removed as readonly Target[], (findings = this.#findings()))
    }
    findings.stamps[group] = this.#phase
    findings.misses[group] = misses
    return misses
  }

  /** A buffer of the group's to intersect misses in, `from`'s copied in (valid until the group is looked for again). */
  intersection(group: number, removed: readonly Target[] | undefined, from: readonly number[]): number[] {
    const findings = removed === undefined ? this.#plain : this.#withRemovals.get(removed)
    // Past the bound on removal lists, a fresh buffer: still right, only not kept.
    const buffer = findings?.buffers[group] ?? new Array<number>(this.#words)
    for (let i = 0; i < buffer.length; i++) buffer[i] = from[i] as number
    return buffer
  }

  #findings(): Findings {
    const groups = this.reads.length
    return {
      stamps: new Int32Array(groups),
      misses: new Array<readonly number[] | null>(groups).fill(null),
      buffers: Array.from({ length: groups }, () => new Array<number>(this.#words).fill(0)),
    }
  }
}

/** What decides the entries a read selects: its collections, its key selector and the exclusions that apply to it. */
function readKey(read: TargetRead): string {
  const exclusions = read.exclusions.map((x) => `${x.collection}:${selectorKey(x.selector)}`).sort()
  return `${read.collection}=${read.sourceSlots.join(',')}:${selectorKey(read.selector)}!${exclusions.join('!')}`
}

function selectorKey(selector: Target['selector']): string {
  return selector === null ? '' : selector.kind === 'key' ? `k${selector.lowerKey}` : `r${selector.source}`
}
