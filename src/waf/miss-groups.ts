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

/** Read by rules, and set by a `ctl` while a phase runs. */
const SET_BY_CTL = new Set(['REQBODY_PROCESSOR'])

/** A group's misses when it reads no entry: its rules cannot match. */
export const READS_NOTHING: readonly number[] = []
/**
 * Distinct lists of removed targets with views kept per rule set: CRS's and the API exclusions
 * are a handful, each shared by many rules and (being keyed by what they remove) by every API.
 */
const MAX_REMOVAL_LISTS = 16
/** Each list's key, made once per list. */
const REMOVAL_KEYS = new WeakMap<readonly Target[], string>()

/** What a list of removed targets removes, as a string: lists alike share views (each API builds its own exclusions). */
function removalKey(removed: readonly Target[]): string {
  let key = REMOVAL_KEYS.get(removed)
  if (key === undefined) {
    key = JSON.stringify(removed.map(targetKey))
    REMOVAL_KEYS.set(removed, key)
  }
  return key
}

/**
 * What one phase found of each group's misses over the entries one kind of rule reads: every
 * entry of the group (the plain view), or those left to rules that lost targets to a removal or
 * that the schema-aware inspection keeps from some values.
 */
export class MissView {
  readonly #owner: MissGroups
  readonly #stamps: Int32Array
  readonly #misses: (readonly number[] | null)[]
  /** 1 where the schema-aware inspection kept values for high-confidence rules out of what was found. */
  readonly #partial: Uint8Array
  readonly #buffers: number[][]

  constructor(owner: MissGroups, groups: number, words: number) {
    this.#owner = owner
    this.#stamps = new Int32Array(groups)
    this.#misses = new Array<readonly number[] | null>(groups).fill(null)
    this.#partial = new Uint8Array(groups)
    this.#buffers = Array.from({ length: groups }, () => new Array<number>(words).fill(0))
  }

  /** What this phase found of the group's misses (null: an entry's are unknown); undefined when not yet looked for. */
  found(group: number): readonly number[] | null | undefined {
    return this.#stamps[group] === this.#owner.phase ? this.#misses[group] : undefined
  }

  /** Keeps what this phase found of the group's misses. */
  keep(group: number, misses: readonly number[] | null, partial: boolean): void {
    this.#stamps[group] = this.#owner.phase
    this.#misses[group] = misses
    this.#partial[group] = partial ? 1 : 0
  }

  /** Whether what this phase found of the group leaves out values only high-confidence rules read. */
  partial(group: number): boolean {
    return this.#partial[group] === 1
  }

  /** The group's buffer to intersect misses in, `from`'s copied in (valid until the group is looked for again). */
  intersection(group: number, from: readonly number[]): number[] {
    const buffer = this.#buffers[group] as number[]
    for (let i = 0; i < buffer.length; i++) buffer[i] = from[i] as number
    return buffer
  }

  /** Forgets every phase (when the phase counter wraps). */
  clear(): void {
    this.#stamps.fill(0)
  }
}

export class MissGroups {
  /** Per group, what its rules read: the reads of its first rule. */
  readonly reads: readonly (readonly TargetRead[])[]
  /** Per group, its reads' `mask`s (`Rule.readMasks`): the empty collections a phase passes over without reading the read objects. */
  readonly readMasks: readonly Int32Array[]
  /** The phase running, which stamps what views find; from 1. */
  phase = 1
  /** Over every entry of each group. */
  readonly plain: MissView
  /** Over the entries the schema-aware inspection lets every rule read. */
  readonly inspected: MissView
  readonly #words: number
  /** By the removed targets (`removalKey`; '' for none), then by what the inspection lets the rule read. */
  readonly #views = new Map<string, { high?: MissView; other?: MissView }>()

  /** `words`: the length of a value's misses (`KnownMisses.words`). */
  constructor(reads: readonly (readonly TargetRead[])[], words: number) {
    this.reads = reads
    this.readMasks = reads.map((r) => Int32Array.from(r, (read) => read.mask))
    this.#words = words
    this.plain = new MissView(this, reads.length, words)
    this.inspected = new MissView(this, reads.length, words)
  }

  /**
   * Groups the chain starters with a pure operator by the entries they read (`Rule.missGroup`).
   * A rule reading TX, MATCHED_*, REQBODY_PROCESSOR (`ctl:requestBodyProcessor`), a count or a
   * computed variable reads what changes within a phase, and stays out.
   */
  static assign(phases: ReadonlyMap<number, readonly Step[]>, words: number): MissGroups {
    const reads: (readonly TargetRead[])[] = []
    const byEntries = new Map<string, number>()
    for (const steps of phases.values()) {
      for (const step of steps) {
        if (step.kind !== 'rule') continue
        const rule = step.rule
        if (!rule.conditional || rule.missSlot === -1 || rule.reads.length === 0) continue
        if (rule.reads.some((read) => read.computed || read.count || read.matched || read.writable || SET_BY_CTL.has(read.collection))) continue
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

  /**
   * Forgets what earlier runs found: each run of a phase's rules starts afresh (the collections
   * groups read hold still only within one). A run must not start another within it (nothing
   * the engine calls out to runs a transaction).
   */
  beginPhase(): void {
    this.phase++
    if (this.phase > 0x3fffffff) {
      this.phase = 1
      this.plain.clear()
      this.inspected.clear()
      this.#views.clear()
    }
  }

  /**
   * The view for rules without the `removed` targets (undefined: none) that may read what the
   * schema-aware inspection keeps for high-confidence rules (`high`) or may not; null past the
   * bound on removal lists (the caller then finds without keeping).
   */
  view(removed: readonly Target[] | undefined, high: boolean): MissView | null {
    const key = removed === undefined ? '' : removalKey(removed)
    let views = this.#views.get(key)
    if (views === undefined) {
      if (this.#views.size >= MAX_REMOVAL_LISTS) return null
      this.#views.set(key, (views = {}))
    }
    return high ? (views.high ??= new MissView(this, this.reads.length, this.#words)) : (views.other ??= new MissView(this, this.reads.length, this.#words))
  }
}

/** What decides the entries a read selects: its collections, its key selector and the exclusions that apply to it (JSON: no two differ alike). */
function readKey(read: TargetRead): string {
  const exclusions = read.exclusions.map(targetKey).sort()
  return JSON.stringify([read.collection, read.sourceSlots, selectorParts(read.selector), exclusions])
}

function targetKey(target: Target): string {
  return JSON.stringify([target.collection, target.exclude, target.count, selectorParts(target.selector)])
}

/** The key as written too: an exclusion compares its length (`excludes`), which lower-casing may change. */
function selectorParts(selector: Target['selector']): (string | null)[] | null {
  return selector === null ? null : selector.kind === 'key' ? ['key', selector.key, selector.lowerKey] : ['regex', selector.source]
}
