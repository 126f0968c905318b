/**
 * Runs a rule set's phases over one transaction, as ModSecurity v2 does: rules in load order,
 * each target's values transformed (cached per value and transformation chain) and tested by the
 * operator; per match the rule's non-disruptive actions run at once (setvar, capture, ctl); a
 * chain matches when every rule in it does; `skipAfter` jumps to its marker; a disruptive action
 * interrupts the transaction unless the engine only detects. Shortcuts that change no outcome
 * (test/waf/literal-prefilter.test.ts replays the CRS regression suite with and without them):
 * RE2 only for values holding a pattern's required literals, rules over empty collections not
 * walked, CRS's TX-only initialization run once per rule set and copied in (`Prologue`), and
 * the later rules that read only TX keys nothing has written since not run again (`KnownOutcome`).
 */
import { randomUUID } from 'node:crypto'
import { Collection, MASKABLE_SLOTS, slotOf, sourcesOf, WHOLE, type Entry, type Variables } from './collections.js'
import { processorFor, processRequestBody, type BodyProcessor } from './request-body.js'
import { requestVariables, type WafRequest } from './request-variables.js'
import type { EngineMode, RuleSet, Step } from './rule-set.js'
import type { MacroPart } from './macros.js'
import { charactersIn } from './character-set.js'
import { KnownMisses } from './known-misses.js'
import { READS_NOTHING, type MissView } from './miss-groups.js'
import { LiteralScanner } from './literal-scanner.js'
import { TRANSFORMATIONS, type Transformation } from './transformations.js'
import { checkVariables, compileTargets, excludes, exclusionsFor, type RegexSelector, type Rule, type Selection, type Target, type TargetRead } from './rules.js'
import { parseVariables } from './seclang/rule-parts.js'

export interface MatchedRule {
  readonly id: number
  readonly phase: number
  readonly msg: string | null
  readonly data: string | null
  readonly severity: string | null
  readonly tags: readonly string[]
  /** The variable that matched last (`ARGS:q`). */
  readonly variable: string
  /** The value that matched (transformed), for masked excerpts in logs. */
  readonly value: string
  readonly logged: boolean
}

export interface Interruption {
  readonly ruleId: number
  readonly action: 'deny' | 'drop' | 'redirect'
  readonly status: number
}

/**
 * Exclusions decided before the transaction (a route's tuning), as if by `ctl:ruleRemoveById` and
 * `ctl:ruleRemoveTargetById` at its start: one loaded rule set serves routes tuned differently.
 */
export interface Exclusions {
  readonly ids: ReadonlySet<number>
  readonly targets: ReadonlyMap<number, readonly Target[]>
}

export interface TransactionOptions {
  readonly uniqueId?: string
  /** When the transaction began (`performance.now()`), for DURATION: the caller's receipt of the request; by default, now. */
  readonly startedAt?: number
  /** Overrides the rule set's `SecRuleEngine`. */
  readonly mode?: EngineMode
  readonly exclusions?: Exclusions
  /** False runs CRS's initialization rules on this transaction instead of copying their outcome (see `Prologue`); for tests. */
  readonly prologue?: boolean
  /** False checks every value again instead of passing over the misses known from earlier transactions (known-misses.ts); for tests. */
  readonly knownMisses?: boolean
  /** Most arguments (or multipart parts) a request body may have; past it the body is a REQBODY_ERROR. Default 1,000. */
  readonly maxArguments?: number
  /** Which rules read which argument values (schema-aware mode); every rule reads every value without it. */
  readonly inspection?: ArgumentInspection
}

/**
 * How far each argument's value is read, decided by the caller from what validated it: `skip`,
 * no rule; `high`, only rules `isHighConfidence` accepts; `all`, every rule. It applies to the
 * values of ARGS (query, body, path), cookies and headers, not to their names.
 */
export interface ArgumentInspection {
  levelOf(collection: 'ARGS_GET' | 'ARGS_POST' | 'ARGS_PATH' | 'REQUEST_COOKIES' | 'REQUEST_HEADERS', key: string): 'skip' | 'high' | 'all'
  /** Whether `rule` (a chain's first rule) may read `high` values. Asked once per rule and transaction at most. */
  isHighConfidence(rule: Rule): boolean
}

type InspectedCollection = Parameters<ArgumentInspection['levelOf']>[0]
/** The collections `ArgumentInspection` applies to, by slot. */
const INSPECTED_SLOTS = new Map((['ARGS_GET', 'ARGS_POST', 'ARGS_PATH', 'REQUEST_COOKIES', 'REQUEST_HEADERS'] as const).map((name) => [slotOf(name), name]))

/** Exclusions by rule id, by tag (resolved against the rule set) and by rule and variable (`ARGS:q`). */
export function buildExclusions(ruleSet: RuleSet, spec: { ids: readonly number[]; tags: readonly string[]; targets: readonly { rule: number; target: string }[] }): Exclusions {
  const ids = new Set(spec.ids)
  for (const tag of spec.tags) for (const id of ruleSet.tagged(`^${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)) ids.add(id)
  const targets = new Map<number, Target[]>()
  for (const { rule, target } of spec.targets) {
    checkVariables(parseVariables(target))
    targets.set(rule, [...(targets.get(rule) ?? []), ...parseTargetExclusion(target)])
  }
  return { ids, targets }
}

/**
 * What the leading rules of phase 1 that read and write only TX (CRS's initialization: ~25 rules
 * setting defaults) leave on a fresh transaction: the same for every request, so computed once
 * per rule set and copied in, unless a route's exclusions touch one of those rules.
 */
interface Prologue {
  /** The phase-1 steps it stands for. */
  readonly end: number
  readonly ids: ReadonlySet<number>
  readonly skipTo: string | null
  readonly skipCount: number
  /** TX as they leave it (never changed: transactions copy it). */
  readonly tx: Collection
  readonly matched: readonly MatchedRule[]
  readonly notable: readonly MatchedRule[]
  readonly last: { readonly collection: string | null; readonly key: string | null; readonly value: string }
  /** Per phase, parallel to its steps: the outcomes of later TX-only rules on the TX the prologue leaves. */
  readonly outcomes: Map<number, readonly (KnownOutcome | undefined)[]>
  /**
   * Per phase, parallel to its steps: for a known miss, the bits of the TX keys it depends on
   * (`keyBits`); -1 for any other step. The walk passes such a miss over while none of those keys
   * was written, reading one number, not the rule and its outcome (~40 per GET with CRS).
   */
  readonly misses: Map<number, Int32Array>
  /** A bit for each TX key a known miss depends on (at most 31 keys; a miss reading others keeps the slower check). */
  readonly keyBits: ReadonlyMap<string, number>
  /** The rules with a known outcome: a removal of targets from one of them turns the fast pass off for the transaction. */
  readonly knownIds: ReadonlySet<number>
}

/**
 * How a rule that reads only TX by key (CRS's paranoia-level checks: ~75 of ~250 rules on a GET) comes out
 * on the TX the prologue leaves, and the keys that decide it: while a transaction has written
 * none of them, the rule is not evaluated again. Kept only for outcomes without side effects: a
 * miss where nothing matched, or a match of a rule with no chain, setvar, ctl or capture.
 */
interface KnownOutcome {
  readonly matched: boolean
  /** The lower-case TX keys the evaluation read. */
  readonly keys: readonly string[]
  /** A match's (collection, key, value) triples, for MATCHED_*. */
  readonly matches: readonly (string | null)[]
  /** A match's record when nothing in it depends on the transaction (no message with a macro): shared, not built per request. */
  readonly record: MatchedRule | null
  /** `keys` as `Prologue.keyBits` (-1 when one has no bit): tested against the keys written in one operation. */
  keyBits: number
}

const PROLOGUES = new WeakMap<RuleSet, Prologue | null>()

const MAX_STEPS_PER_PHASE = 100_000
// Per transaction, the values whose UTF-8 bytes and literal scan are remembered (bounded: a body may hold many).
const MAX_CACHED_VALUES = 10_000
/** From this length on, a value's transformations are remembered per transformation and input (`#apply`). */
const LONG_VALUE = 1024
const LOWERCASE = TRANSFORMATIONS.get('lowercase')

export class WafTransaction {
  /** The request's variables (MATCHED_* are written only when a rule or macro reads them). */
  readonly variables: Variables
  /**
   * The matches of the prologue (shared, never changed) and then this transaction's, as records of
   * `RECORD_STRIDE` slots: a rule that neither logs nor would interrupt (CRS's bookkeeping, dozens
   * per request) is kept as its rule, phase and last match, and made a `MatchedRule` only if
   * `matched` is read; others as their `MatchedRule` in the first slot.
   */
  #prologueMatched: readonly MatchedRule[] = NO_MATCHES
  readonly #records: (MatchedRule | Rule | number | string | null)[] = []
  #matchedView: MatchedRule[] | null = null
  /**
   * The matches of rules that log or would interrupt, in order (a few, where `matched` holds CRS's
   * bookkeeping too, dozens per request): what a caller reports or acts on.
   */
  readonly notable: MatchedRule[] = []
  interruption: Interruption | null = null
  mode: EngineMode
  readonly #ruleSet: RuleSet
  readonly #usePrologue: boolean
  /** The transaction's TX collection, which setvar writes on most rules that match. */
  readonly #tx: Collection
  /** Rules removed by id (a route's exclusions, `ctl:ruleRemoveById…`); null while there is none. */
  #removedIds: Set<number> | null = null
  /**
   * Targets removed from rules by id: a route's exclusions, then one map per `ctl:ruleRemoveTarget…`
   * (a by-tag one shared by every transaction: CRS runs one on most requests, for 34 rules).
   */
  readonly #removals: ReadonlyMap<number, readonly Target[]>[] = []
  // Made on first use, as `#selected`: a clean GET of the built-in profile needs none of them.
  #bytes: Map<string, Buffer> | null = null
  #literalsFound: Map<string, readonly number[]> | null = null
  /** Made when a long value's characters are first asked for. */
  #characters: Map<string, Int32Array | null> | undefined
  /** `#apply`'s results for long values, per transformation then input; null until a long value is transformed. */
  #longTransforms: Map<Transformation, Map<string, string>> | null = null
  #longTransformCount = 0
  /** Long lower-cased values by the value they were made from, whose literal scan they share. */
  #scannedAs: Map<string, string> | null = null
  #selected: Map<Selection, { collection: Collection; version: number; entries: readonly Entry[] }> | null = null
  /**
   * MATCHED_VAR, MATCHED_VAR_NAME, MATCHED_VARS and MATCHED_VARS_NAMES, made when a rule or macro
   * first reads one (a clean GET needs them in a few rules, if any), then kept for the transaction
   * and emptied per rule.
   */
  #matchedCollections: readonly [Collection, Collection, Collection, Collection] | null = null
  // The last match, and the current rule's matches as (collection, key or null, value) triples:
  // names (`ARGS:q`) are built only when read, as most matches are CRS bookkeeping nobody reads.
  #lastCollection: string | null = null
  #lastKey: string | null = null
  #lastValue = ''
  readonly #ruleMatches: (string | null)[] = []
  /** How many slots of `#ruleMatches` hold the current rule's matches (emptied by count: setting its length to 0 would free its storage). */
  #ruleMatchCount = 0
  #matchedStale = false
  /** The prologue this transaction started after (its known outcomes then apply), or null. */
  #prologue: Prologue | null = null
  /** The `keyBits` of the TX keys written since the transaction started from the prologue. */
  #txWritten = 0
  /** Whether any rule may have targets removed, not only those marked `mayLoseTargets` (a route's exclusions, a ctl built from macros). */
  #anyMayLoseTargets = false
  /** Whether known misses may be passed over by their `misses` entry (no removal touches a rule with a known outcome). */
  #fastMisses = false
  /** `#presentMask()` as the running phase started; every bit outside a phase (a probe evaluating one rule). */
  #present = -1
  #bodyProcessor: BodyProcessor | null = null
  /** The request's first Content-Type (read from the headers as they came, without indexing REQUEST_HEADERS). */
  #contentType: string | undefined = undefined
  #forceBodyVariable = false
  #allowed = false
  /** The rule set's known misses; null when this transaction checks everything (a test's reference run). */
  readonly #knownMisses: KnownMisses | null
  readonly #maxArguments: number | undefined
  readonly #inspection: ArgumentInspection | null
  /** `isHighConfidence` per rule, as asked. */
  #highConfidence: Map<Rule, boolean> | null = null
  #passedOver = 0
  /** Values of shared entries this transaction saw for the first time (`#missesOf`; one path is in several variables). */
  #firstSightings: Set<string> | null = null
  /** Set by `#missesOfGroup`: values for high-confidence rules only were left out. */
  #groupPartial = false
  /** When the transaction began (`performance.now()`), for DURATION. */
  readonly #began: number

  constructor(ruleSet: RuleSet, request: WafRequest, options: TransactionOptions = {}) {
    this.#ruleSet = ruleSet
    this.mode = options.mode ?? ruleSet.mode
    this.#usePrologue = options.prologue ?? true
    this.#knownMisses = options.knownMisses === false ? null : ruleSet.knownMisses
    this.#maxArguments = options.maxArguments
    this.#inspection = options.inspection ?? null
    this.#began = options.startedAt ?? performance.now()
    this.variables = requestVariables(request, options.uniqueId ?? randomUUID(), ruleSet.singles)
    this.#tx = this.#collection('TX')
    for (const id of options.exclusions?.ids ?? []) this.#removeId(id)
    if (options.exclusions !== undefined && options.exclusions.targets.size > 0) {
      this.#removals.push(options.exclusions.targets)
      this.#anyMayLoseTargets = true
    }
    // The processor is chosen from the headers, so phase 1 rules see it (and may override it by ctl).
    this.#contentType = contentTypeOf(request.headers)
    this.#bodyProcessor = processorFor(this.#contentType)
    this.#setSingle('REQBODY_PROCESSOR', this.#bodyProcessor ?? '')
  }

  #setSingle(name: string, value: string): void {
    this.variables.set(name, Collection.of(name, value))
  }

  /** Phase 1: request line and headers. */
  processRequestHeaders(): void {
    this.#runPhase(1)
  }

  /** Body processing then phase 2. `body` is the raw body, null when there is none. */
  /** Phase 2. `extraArguments` (name, latin1 value) join ARGS_POST: values the caller found inside others (a GraphQL document's strings). */
  processRequestBody(body: Buffer | null, extraArguments: readonly (readonly [string, string])[] = []): void {
    const contentType = this.#contentType ?? ''
    if (body !== null && body.length > 0) processRequestBody(this.variables, body.toString('latin1'), this.#bodyProcessor, contentType, this.#forceBodyVariable, this.#maxArguments)
    if (extraArguments.length > 0) {
      const args = this.variables.ensure(slotOf('ARGS_POST'))
      const names = this.variables.ensure(slotOf('ARGS_POST_NAMES'))
      for (const [name, value] of extraArguments) {
        args.add(name, value)
        names.add(name, name)
      }
    }
    this.#runPhase(2)
  }

  /** Phase 3: the response's status and headers (values as latin1 strings). */
  processResponseHeaders(response: { status: number; protocol: string; headers: readonly (readonly [string, string])[] }): void {
    const headers = new Collection()
    const names = new Collection()
    for (const [name, value] of response.headers) {
      headers.add(name, value)
      names.add(name, name)
    }
    this.variables.set('RESPONSE_HEADERS', headers)
    this.variables.set('RESPONSE_HEADERS_NAMES', names)
    this.#setSingle('RESPONSE_STATUS', String(response.status))
    this.#setSingle('RESPONSE_PROTOCOL', response.protocol)
    this.#setSingle('RESPONSE_CONTENT_TYPE', headers.first('content-type') ?? '')
    this.#setSingle('RESPONSE_CONTENT_LENGTH', headers.first('content-length') ?? '')
    this.#runPhase(3)
  }

  /** Phase 4: the response body, when it is inspected. */
  processResponseBody(body: Buffer | null): void {
    const collection = new Collection()
    if (body !== null && body.length > 0) collection.add('RESPONSE_BODY', body.toString('latin1'))
    this.variables.set('RESPONSE_BODY', collection)
    this.#runPhase(4)
  }

  /** Phase 5: logging rules (CRS's correlation), after the exchange; never interrupts. */
  processLogging(): void {
    const interruption = this.interruption
    this.interruption = null
    this.#allowed = false
    this.#runPhase(5)
    this.interruption = interruption
  }

  /** Every rule that matched (logged or not), in order. */
  get matched(): readonly MatchedRule[] {
    const records = this.#records
    const view = this.#matchedView ?? this.#prologueMatched.slice()
    for (let i = (view.length - this.#prologueMatched.length) * RECORD_STRIDE; i < records.length; i += RECORD_STRIDE) {
      const first = records[i] as MatchedRule | Rule
      if (!('conditional' in first)) {
        view.push(first)
        continue
      }
      const collection = records[i + 2] as string | null
      view.push({
        id: first.id,
        phase: records[i + 1] as number,
        msg: null,
        data: null,
        severity: first.severity,
        tags: first.tags,
        variable: collection === null ? '' : variableName(collection, records[i + 3] as string | null),
        value: records[i + 4] as string,
        logged: first.log,
      })
    }
    this.#matchedView = view
    return view
  }

  /** How many rules were passed over as known to miss on every entry they read (`MissGroups`); for diagnostics and tests. */
  get passedOver(): number {
    return this.#passedOver
  }

  /** Rules that matched and count (logged or not): ids in order. */
  matchedIds(): number[] {
    return this.matched.map((m) => m.id)
  }

  #collection(name: string): Collection {
    let collection = this.variables.get(name)
    if (collection === undefined) {
      collection = new Collection()
      this.variables.set(name, collection)
    }
    return collection
  }

  #runPhase(phase: number): void {
    if (this.mode === 'Off' || this.interruption !== null || this.#allowed) return
    const steps = this.#ruleSet.phases.get(phase) ?? []
    if (phase === 1 && this.#usePrologue) {
      const prologue = WafTransaction.#prologueOf(this.#ruleSet)
      if (prologue !== null && this.#mayStartAfter(prologue)) {
        this.#startAfter(prologue)
        this.#runSteps(phase, steps, prologue.end, prologue.skipTo, prologue.skipCount)
        return
      }
    }
    this.#runSteps(phase, steps, 0, null, 0)
  }

  /** Runs `steps` from `from` on, in `skipTo`/`skipCount` state; returns that state where it stopped (the end, or `to`). */
  #runSteps(phase: number, steps: readonly Step[], from: number, skipTo: string | null, skipCount: number, to = steps.length): { skipTo: string | null; skipCount: number } {
    const { markers, presence, isMarker, missGroups, missSlots } = planOf(steps)
    const groupsKnown = this.#knownMisses !== null
    // What another run (another transaction's phase, the prologue's probe) found is not this one's.
    this.#ruleSet.missGroups.beginPhase()
    this.#present = this.#presentMask()
    const outcomes = this.#prologue?.outcomes.get(phase) ?? NO_OUTCOMES
    const misses = this.#fastMisses ? (this.#prologue?.misses.get(phase) ?? NO_MISSES) : NO_MISSES
    for (let index = from, budget = 0; index < to && budget < MAX_STEPS_PER_PHASE; index++, budget++) {
      if (skipTo === null && skipCount === 0) {
        // A rule over collections that are all empty cannot match: passed over without reading it.
        const mask = presence[index] as number
        if (mask !== 0 && (mask & this.#present) === 0) continue
        const missKeys = index < misses.length ? (misses[index] as number) : -1
        if (missKeys >= 0 && (missKeys & this.#txWritten) === 0) continue
        if (isMarker[index] === 1) continue
        // Every entry it reads is known to miss: passed over without reading the rule (a miss has no side effect).
        const group = missGroups[index] as number
        if (group !== -1 && groupsKnown && this.#groupMissKnown(group, missSlots[index] as number, steps, index)) {
          this.#passedOver++
          continue
        }
      }
      const step = steps[index]
      if (step === undefined) break
      if (step.kind === 'marker') {
        if (skipTo === step.name) skipTo = null
        continue
      }
      if (skipTo !== null) continue
      if (skipCount > 0) {
        skipCount--
        continue
      }
      const rule = step.rule
      if (this.#removedIds !== null && this.#removedIds.has(rule.id)) continue
      // MATCHED_VARS holds the matches of the rule being evaluated (its chain included), no earlier ones.
      if (this.#ruleMatchCount > 0) {
        this.#ruleMatchCount = 0
        this.#matchedStale = true
      }
      const known = outcomes[index]
      if (known !== undefined && this.#stillHolds(known, rule)) {
        if (!known.matched) continue
        const matches = known.matches
        for (let m = 0; m < matches.length; m += 3) this.#setMatched(matches[m] as string, matches[m + 1] as string | null, matches[m + 2] as string)
        if (known.record !== null) this.#push(known.record, rule)
        else this.#record(rule, phase)
      } else if (this.#evaluate(rule, rule)) this.#record(rule, phase)
      else continue
      if (rule.disruptive === 'allow') {
        this.#allowed = true
        break
      }
      if (this.#interrupts(rule)) {
        this.interruption = { ruleId: rule.id, action: rule.disruptive === 'drop' ? 'drop' : rule.disruptive === 'redirect' ? 'redirect' : 'deny', status: rule.status ?? 403 }
        break
      }
      if (rule.skipAfter !== null) {
        // Straight to the marker (the loop then steps past it) when it lies within this run; beyond, by name.
        const marker = markers[index] as number
        if (marker < to) index = marker
        else skipTo = rule.skipAfter
      } else if (rule.skip > 0) skipCount = rule.skip
    }
    return { skipTo, skipCount }
  }

  /**
   * Computes now what transactions of this rule set share (the prologue and the outcomes known
   * from it: ~15 ms with CRS), so that the first request after a load does not wait for it.
   */
  static prepare(ruleSet: RuleSet): void {
    WafTransaction.#prologueOf(ruleSet)
  }

  /** How many rules of phase 1 a transaction of this rule set starts after (their outcome copied in); for diagnostics and tests. */
  static prologueRules(ruleSet: RuleSet): number {
    return WafTransaction.#prologueOf(ruleSet)?.ids.size ?? 0
  }

  /** How many later rules of this rule set have an outcome known from the prologue's TX (`KnownOutcome`); for diagnostics and tests. */
  static knownOutcomes(ruleSet: RuleSet): number {
    let known = 0
    for (const outcomes of WafTransaction.#prologueOf(ruleSet)?.outcomes.values() ?? []) for (const outcome of outcomes) if (outcome !== undefined) known++
    return known
  }

  static #prologueOf(ruleSet: RuleSet): Prologue | null {
    let prologue = PROLOGUES.get(ruleSet)
    if (prologue === undefined) {
      prologue = WafTransaction.#computePrologue(ruleSet)
      PROLOGUES.set(ruleSet, prologue)
    }
    return prologue
  }

  /** Runs the leading TX-only rules of phase 1 once, on a transaction of its own, and keeps what they leave. */
  static #computePrologue(ruleSet: RuleSet): Prologue | null {
    const steps = ruleSet.phases.get(1) ?? []
    const ids = new Set<number>()
    let end = 0
    for (; end < steps.length; end++) {
      const step = steps[end] as Step
      if (step.kind === 'marker') continue
      let txOnly = true
      for (let rule: Rule | null = step.rule; rule !== null; rule = rule.chained) txOnly &&= rule.txOnly
      if (!txOnly) break
      ids.add(step.rule.id)
    }
    if (ids.size === 0) return null
    const probe = new WafTransaction(ruleSet, PROBE_REQUEST, { mode: 'On', uniqueId: 'prologue' })
    const { skipTo, skipCount } = probe.#runSteps(1, steps, 0, null, 0, end)
    // A rule that stops or allows the transaction there is left to run per request (a CRS without its setup denies).
    if (probe.interruption !== null || probe.#allowed) return null
    probe.#tx.canonicalizeKeys()
    const prologue: Prologue = {
      end,
      ids,
      skipTo,
      skipCount,
      tx: probe.#tx,
      matched: probe.matched.slice(),
      notable: probe.notable.slice(),
      last: { collection: probe.#lastCollection, key: probe.#lastKey, value: probe.#lastValue },
      outcomes: new Map(),
      misses: new Map(),
      keyBits: new Map(),
      knownIds: new Set(),
    }
    const keyBits = prologue.keyBits as Map<string, number>
    const bitsOf = (keys: readonly string[]): number => {
      let bits = 0
      for (const key of keys) {
        let bit = keyBits.get(key)
        if (bit === undefined) {
          if (keyBits.size >= MAX_KEY_BITS) return -1
          bit = 1 << keyBits.size
          keyBits.set(key, bit)
        }
        bits |= bit
      }
      return bits
    }
    for (const [phase, phaseSteps] of ruleSet.phases) {
      const outcomes: (KnownOutcome | undefined)[] = Array.from({ length: phaseSteps.length }, () => undefined)
      const misses = new Int32Array(phaseSteps.length).fill(-1)
      for (let i = phase === 1 ? end : 0; i < phaseSteps.length; i++) {
        const step = phaseSteps[i] as Step
        if (step.kind !== 'rule') continue
        const known = WafTransaction.#knownOutcome(ruleSet, prologue, step.rule, phase)
        if (known === undefined) continue
        outcomes[i] = known
        ;(prologue.knownIds as Set<number>).add(step.rule.id)
        known.keyBits = bitsOf(known.keys)
        if (!known.matched) misses[i] = known.keyBits
      }
      prologue.outcomes.set(phase, outcomes)
      prologue.misses.set(phase, misses)
    }
    return prologue
  }

  /** `rule`'s outcome on a transaction fresh from the prologue, when it reads TX only by key and has no side effect (see `KnownOutcome`). */
  static #knownOutcome(ruleSet: RuleSet, prologue: Prologue, rule: Rule, phase: number): KnownOutcome | undefined {
    if (!rule.txOnly || !rule.conditional) return undefined
    const probe = new WafTransaction(ruleSet, PROBE_REQUEST, { mode: 'On', uniqueId: 'prologue', prologue: false })
    probe.#startAfter(prologue)
    const trace = new Set<string>()
    probe.#tx.trace = trace
    const matched = probe.#evaluate(rule, rule)
    probe.#tx.trace = null
    if (trace.has(WHOLE)) return undefined
    const pure = matched ? rule.chained === null && rule.setvars.length === 0 && rule.ctls.length === 0 && !rule.capture : probe.#ruleMatchCount === 0
    if (!pure) return undefined
    const matches = probe.#ruleMatches.slice(0, probe.#ruleMatchCount)
    let record: MatchedRule | null = null
    if (matched && (!rule.log || !`${rule.msg ?? ''}${rule.logdata ?? ''}`.includes('%{'))) {
      probe.#record(rule, phase)
      record = probe.matched.at(-1) ?? null
    }
    return { matched, keys: [...trace], matches, record, keyBits: -1 }
  }

  /** Whether a known outcome applies here: the rule has no targets removed and none of its keys was written. */
  #stillHolds(known: KnownOutcome, rule: Rule): boolean {
    if (this.#removals.length > 0 && (rule.mayLoseTargets || this.#anyMayLoseTargets) && this.#removedTargetsOf(rule.id) !== undefined) return false
    if (known.keyBits >= 0) return (known.keyBits & this.#txWritten) === 0
    return this.#tx.unchangedSinceCopy(known.keys)
  }

  /** A fresh transaction whose exclusions leave the prologue's rules alone. */
  #mayStartAfter(prologue: Prologue): boolean {
    if (this.#tx.size > 0 || this.#records.length > 0 || this.#prologueMatched.length > 0) return false
    for (const id of this.#removedIds ?? []) if (prologue.ids.has(id)) return false
    for (const removals of this.#removals) for (const id of removals.keys()) if (prologue.ids.has(id)) return false
    return true
  }

  #startAfter(prologue: Prologue): void {
    this.#prologue = prologue
    this.#txWritten = 0
    this.#fastMisses = !this.#removalsTouch(prologue.knownIds)
    this.#tx.copyFrom(prologue.tx)
    this.#prologueMatched = prologue.matched
    this.#matchedView = null
    for (const match of prologue.notable) this.notable.push(match)
    this.#lastCollection = prologue.last.collection
    this.#lastKey = prologue.last.key
    this.#lastValue = prologue.last.value
    this.#ruleMatchCount = 0
    this.#matchedStale = true
  }

  #interrupts(rule: Rule): boolean {
    if (this.mode !== 'On') return false
    // `block` was resolved at load to the phase's default action (`pass` in CRS's anomaly mode,
    // where the evaluation rules such as 949110 carry `deny` themselves).
    return rule.disruptive === 'deny' || rule.disruptive === 'drop' || rule.disruptive === 'redirect'
  }

  #record(rule: Rule, phase: number): void {
    if (!isNotable(rule)) {
      // A bookkeeping match: only the parts a `MatchedRule` is made of later (see `#records`).
      this.#records.push(rule, phase, this.#lastCollection, this.#lastKey, this.#lastValue)
      return
    }
    const variable = this.#lastCollection === null ? '' : variableName(this.#lastCollection, this.#lastKey)
    const value = this.#lastValue
    this.#push({
      id: rule.id,
      phase,
      // Messages are expanded for rules that log; `nolog` rules (CRS's bookkeeping) match on most requests.
      msg: rule.msg === null || !rule.log ? null : this.expand(rule.msg),
      data: rule.logdata === null || !rule.log ? null : this.expand(rule.logdata),
      severity: rule.severity,
      tags: rule.tags,
      variable,
      value,
      logged: rule.log,
    }, rule)
  }

  #push(match: MatchedRule, rule: Rule): void {
    this.#records.push(match, 0, null, null, null)
    if (isNotable(rule)) this.notable.push(match)
  }

  /** Whether `rule` (and its chain) matched; runs per-match actions as it goes. */
  #evaluate(rule: Rule, starter: Rule): boolean {
    let matched = false
    if (!rule.conditional) {
      this.#runActions(rule)
      matched = true
    } else {
      if (rule.presenceMask !== 0) {
        if ((rule.presenceMask & this.#present) === 0) return false
      } else if (rule.presenceSlots !== null && this.#allEmpty(rule.presenceSlots)) return false
      const removed = rule === starter && this.#removals.length > 0 && (rule.mayLoseTargets || this.#anyMayLoseTargets) ? this.#removedTargetsOf(rule.id) : undefined
      // Indexed loops throughout the hot path: the iterators of for…of are not always optimised
      // away here, and this runs for hundreds of rules per request (measured: ~30 KB per request).
      const reads = rule.reads
      const readMasks = rule.readMasks
      const missSlot = this.#knownMisses === null ? -1 : rule.missSlot
      for (let r = 0; r < readMasks.length; r++) {
        const readMask = readMasks[r] as number
        if (readMask !== 0 && (readMask & this.#present) === 0) continue
        const read = reads[r] as (typeof reads)[number]
        const exclusions = read.exclusions
        const removedHere = removed === undefined ? NO_TARGETS : removedFrom(removed, read)
        if (read.computed) {
          if (this.#check(rule, read.collection, null, this.#computed(read.collection))) matched = true
          continue
        }
        if (read.count) {
          let count = 0
          for (const entry of this.#entries(read)) if (!excludes(exclusions, entry.key) && !excludes(removedHere, entry.key)) count++
          if (this.#check(rule, `&${read.collection}`, null, String(count))) matched = true
          continue
        }
        // MATCHED_* are brought up to date (and made, the first time) before they are looked up.
        if (read.matched) this.#syncMatched()
        const slots = read.sourceSlots
        for (let k = 0; k < slots.length; k++) {
          const collection = this.variables.at(slots[k] as number)
          if (collection === undefined) continue
          const inspected = this.#inspection === null ? undefined : INSPECTED_SLOTS.get(slots[k] as number)
          let entries = this.#select(read, collection)
          if (entries.length === 0) continue
          // Actions may write these while the rule reads them: read what was there when it started.
          // (One entry is read before any action runs: no copy needed.)
          if (read.writable && entries.length > 1) entries = entries.slice()
          const count = entries.length
          for (let e = 0; e < count; e++) {
            const entry = entries[e] as Entry
            if (exclusions.length > 0 && excludes(exclusions, entry.key)) continue
            if (removedHere.length > 0 && excludes(removedHere, entry.key)) continue
            if (inspected !== undefined && !this.#inspects(starter, inspected, collection, entry)) continue
            if (missSlot !== -1 && this.#missKnown(entry, missSlot)) continue
            if (this.#check(rule, read.collection, entry, entry.value)) matched = true
          }
        }
      }
    }
    if (!matched) return false
    return rule.chained === null || this.#evaluate(rule.chained, starter)
  }

  /** Whether the schema-aware inspection lets `starter`'s chain read the entry's value. */
  #inspects(starter: Rule, name: InspectedCollection, collection: Collection, entry: Entry): boolean {
    const level = this.#levelOf(name, collection, entry)
    if (level === 'all') return true
    if (level === 'skip') return false
    return this.#isHighConfidence(starter)
  }

  #levelOf(name: InspectedCollection, collection: Collection, entry: Entry): 'skip' | 'high' | 'all' {
    // A name given twice (`?id=1&id=…`, in any case) is read by every rule: the validator may have held only one of its values.
    return (entry.inspection ??= collection.get(entry.key).length > 1 ? 'all' : (this.#inspection as ArgumentInspection).levelOf(name, entry.key))
  }

  #isHighConfidence(starter: Rule): boolean {
    const known = (this.#highConfidence ??= new Map<Rule, boolean>())
    let high = known.get(starter)
    if (high === undefined) known.set(starter, (high = (this.#inspection as ArgumentInspection).isHighConfidence(starter)))
    return high
  }

  /**
   * The maskable collections holding something as a phase starts, and TX, which rules write as
   * they run: no other collection changes size within a phase (bodies are parsed, responses read,
   * before their phase).
   */
  #presentMask(): number {
    let mask = 1 << TX_SLOT
    for (let slot = 0; slot < MASKABLE_SLOTS; slot++) {
      const collection = this.variables.at(slot)
      if (collection !== undefined && collection.size > 0) mask |= 1 << slot
    }
    return mask
  }

  #allEmpty(slots: readonly number[]): boolean {
    for (let k = 0; k < slots.length; k++) {
      const collection = this.variables.at(slots[k] as number)
      if (collection !== undefined && collection.size > 0) return false
    }
    return true
  }

  /**
   * Tests one value of `collection` (from `entry`, null for counts and sizes); on a match records
   * it, captures, and runs the rule's per-match actions.
   */
  /** Whether rule `slot`'s miss on the entry's value is known from earlier transactions (see known-misses.ts). */
  #missKnown(entry: Entry, slot: number): boolean {
    let misses = entry.misses
    if (misses === undefined) misses = this.#missesOf(entry)
    return misses !== null && KnownMisses.has(misses, slot)
  }

  /** Whether the rule at `index` of `steps`, in miss `group` with bit `slot`, is known to miss on every entry it reads. */
  #groupMissKnown(group: number, slot: number, steps: readonly Step[], index: number): boolean {
    const groups = this.#ruleSet.missGroups
    // First what every rule of the group reads (the rule itself is not read): all its entries, or
    // with the schema-aware inspection those it lets every rule read.
    const inspected = this.#inspection !== null
    const first = inspected ? groups.inspected : groups.plain
    const missed = this.#knownIn(first, group, slot, undefined, inspected ? false : null)
    if (missed && !first.partial(group)) return true
    const rule = (steps[index] as Step & { kind: 'rule' }).rule
    if (missed && !this.#isHighConfidence(rule)) return true
    // Then what this rule reads: fewer entries after a removal of targets, more as a high-confidence rule.
    const removed = this.#removals.length > 0 && (rule.mayLoseTargets || this.#anyMayLoseTargets) ? this.#removedTargetsOf(rule.id) : undefined
    if (!missed && removed === undefined) return false
    const high = inspected ? this.#isHighConfidence(rule) : null
    return this.#knownIn(groups.view(removed, high === true), group, slot, removed, high)
  }

  #knownIn(view: MissView | null, group: number, slot: number, removed: readonly Target[] | undefined, high: boolean | null): boolean {
    let misses = view === null ? undefined : view.found(group)
    if (misses === undefined) {
      misses = this.#missesOfGroup(group, view, removed, high)
      view?.keep(group, misses, this.#groupPartial)
    }
    return misses !== null && (misses === READS_NOTHING || KnownMisses.has(misses, slot))
  }

  /**
   * The misses known for every entry the group reads, intersected; null when one entry's are
   * unknown. Without the `removed` targets and, with `high` not null, only the entries the
   * schema-aware inspection lets a rule of that confidence read (`#groupPartial` when that left
   * some out for not being high-confidence). `view` lends the buffer.
   */
  #missesOfGroup(group: number, view: MissView | null, removed: readonly Target[] | undefined, high: boolean | null): readonly number[] | null {
    const reads = this.#ruleSet.missGroups.reads[group] as readonly TargetRead[]
    const readMasks = this.#ruleSet.missGroups.readMasks[group] as Int32Array
    let first: number[] | null = null
    let common: number[] | null = null
    this.#groupPartial = false
    for (let r = 0; r < readMasks.length; r++) {
      const readMask = readMasks[r] as number
      if (readMask !== 0 && (readMask & this.#present) === 0) continue
      const read = reads[r] as TargetRead
      const slots = read.sourceSlots
      for (let k = 0; k < slots.length; k++) {
        const collection = this.variables.at(slots[k] as number)
        if (collection === undefined || collection.size === 0) continue
        const inspected = high === null ? undefined : INSPECTED_SLOTS.get(slots[k] as number)
        const entries = this.#select(read, collection)
        const removedHere = removed === undefined ? NO_TARGETS : removedFrom(removed, read)
        for (let e = 0; e < entries.length; e++) {
          const entry = entries[e] as Entry
          if (read.exclusions.length > 0 && excludes(read.exclusions, entry.key)) continue
          if (removedHere.length > 0 && excludes(removedHere, entry.key)) continue
          if (inspected !== undefined) {
            const level = this.#levelOf(inspected, collection, entry)
            if (level === 'skip') continue
            if (level === 'high' && high !== true) {
              this.#groupPartial = true
              continue
            }
          }
          let misses = entry.misses
          if (misses === undefined) misses = this.#missesOf(entry)
          if (misses === null) return null
          if (first === null) first = misses
          else if (misses !== first) common = KnownMisses.intersect(common ?? (view === null ? first.slice() : view.intersection(group, first)), misses)
        }
      }
    }
    // One entry's own bits (shared, and still growing as rules miss on it), or their intersection.
    return common ?? first ?? READS_NOTHING
  }

  /**
   * The known misses of the entry's value, kept on the entry; a shared entry keeps them only once
   * known (`Entry.shared`), and this transaction remembers its first sighting apart (asked again,
   * it would count as the second).
   */
  #missesOf(entry: Entry): number[] | null {
    if (entry.shared && this.#firstSightings?.has(entry.value) === true) return null
    const misses = (this.#knownMisses as KnownMisses).of(entry.value)
    if (misses !== null || !entry.shared) entry.misses = misses
    else (this.#firstSightings ??= new Set()).add(entry.value)
    return misses
  }

  #check(rule: Rule, collection: string, entry: Entry | null, value: string): boolean {
    const operator = rule.operator
    let tested = value
    let captures: string[] | null = null
    // Where a miss is remembered (`#missKnown` was asked first), for values held in collections
    // (a count or a size costs less to check than to look up).
    const misses = rule.missSlot !== -1 && entry !== null && this.#knownMisses !== null ? (entry.misses ?? null) : null
    if (operator !== null) {
      const wantCaptures = rule.capture && !rule.negated
      let found: string[] | null = null
      if (rule.multiMatch) {
        // The operator sees the value before and after each transformation.
        for (const step of this.#transformedSteps(rule, entry, value)) {
          tested = step
          found = operator.match(step, this, wantCaptures)
          if (rule.negated ? found === null : found !== null) break
        }
      } else {
        tested = this.#transformed(rule, entry, value)
        found = operator.match(tested, this, wantCaptures)
      }
      if (rule.negated ? found !== null : found === null) {
        if (misses !== null) KnownMisses.add(misses, rule.missSlot)
        return false
      }
      if (!rule.negated) captures = found
    }
    this.#setMatched(collection, entry === null ? null : entry.key, tested)
    if (rule.capture && captures !== null) {
      for (let i = 0; i < captures.length; i++) {
        const key = String(i)
        this.#tx.set(key, captures[i] as string)
        this.#txWrote(key)
      }
    }
    this.#runActions(rule)
    return true
  }

  #removeTargets(name: string, selector: string, targets: readonly Target[]): void {
    const removals = name === 'ruleremovetargetbyid' ? new Map([[Number(selector), targets]]) : removalsByTag(this.#ruleSet, selector, targets)
    this.#removals.push(removals)
    if (this.#fastMisses && this.#prologue !== null && touches(removals, this.#prologue.knownIds)) this.#fastMisses = false
  }

  /** Whether a removal of targets so far names one of `ids`. */
  #removalsTouch(ids: ReadonlySet<number>): boolean {
    for (const removals of this.#removals) if (touches(removals, ids)) return true
    return false
  }

  #removeId(id: number): void {
    ;(this.#removedIds ??= new Set()).add(id)
  }

  /** Notes a write of TX key `lowerKey` for the known misses that depend on it. */
  #txWrote(lowerKey: string): void {
    if (this.#prologue !== null) this.#txWritten |= this.#prologue.keyBits.get(lowerKey) ?? 0
  }

  /** The targets removed from rule `id` (undefined when none): one array as it was given, or those of several joined. */
  #removedTargetsOf(id: number): readonly Target[] | undefined {
    const removals = this.#removals
    let found: readonly Target[] | undefined
    for (let i = 0; i < removals.length; i++) {
      const targets = (removals[i] as ReadonlyMap<number, readonly Target[]>).get(id)
      if (targets !== undefined) found = found === undefined ? targets : [...found, ...targets]
    }
    return found
  }

  /** Brings the MATCHED_* collections up to date before something reads them. */
  #syncMatched(): void {
    if (!this.#matchedStale) return
    this.#matchedStale = false
    if (this.#matchedCollections === null) {
      const made = [new Collection(), new Collection(), new Collection(), new Collection()] as const
      for (let i = 0; i < made.length; i++) this.variables.set(MATCHED_NAMES[i] as string, made[i] as Collection)
      this.#matchedCollections = made
    }
    const [matchedVar, matchedVarName, matchedVars, matchedVarNames] = this.#matchedCollections
    matchedVar.clear()
    matchedVarName.clear()
    matchedVars.clear()
    matchedVarNames.clear()
    if (this.#lastCollection !== null) {
      matchedVar.add('MATCHED_VAR', this.#lastValue)
      matchedVarName.add('MATCHED_VAR_NAME', variableName(this.#lastCollection, this.#lastKey))
    }
    const matches = this.#ruleMatches
    for (let i = 0; i < this.#ruleMatchCount; i += 3) {
      const name = variableName(matches[i] as string, matches[i + 1] as string | null)
      const value = matches[i + 2] as string
      matchedVars.add(name, value)
      matchedVarNames.add(name, name)
    }
  }

  /** The entries of one collection a target selects. */
  #select(target: Selection, collection: Collection): readonly Entry[] {
    if (target.matched) this.#syncMatched()
    const selector = target.selector
    if (selector === null) return collection.all()
    if (selector.kind === 'key') return collection.getLower(selector.lowerKey)
    // Regex selectors scan the collection: remembered until it changes (TX is read far more than written).
    const memo = (this.#selected ??= new Map<Selection, { collection: Collection; version: number; entries: readonly Entry[] }>()).get(target)
    if (memo !== undefined && memo.collection === collection && memo.version === collection.version) return memo.entries
    const entries = selectedBy(selector, collection.all())
    this.#selected.set(target, { collection, version: collection.version, entries })
    return entries
  }

  /** The value after the rule's transformations, from the longest chain another rule already applied to it. */
  #transformed(rule: Rule, entry: Entry | null, value: string): string {
    const steps = rule.transformations
    if (steps.length === 0) return value
    const keys = rule.transformKeys
    let start = 0
    if (entry !== null && entry.transforms !== undefined) {
      for (let i = keys.length - 1; i >= 0; i--) {
        const hit = cachedTransform(entry, keys[i] as number)
        if (hit !== undefined) {
          value = hit
          start = i + 1
          break
        }
      }
    }
    for (let i = start; i < steps.length; i++) {
      value = this.#apply((steps[i] as Rule['transformations'][number]).fn, value)
      if (entry !== null) (entry.transforms ??= []).push(keys[i] as number, value)
    }
    return value
  }

  /** The value and each distinct result along the rule's transformations (for `multiMatch`), shared through the same cache. */
  #transformedSteps(rule: Rule, entry: Entry | null, value: string): string[] {
    const values = [value]
    const steps = rule.transformations
    const keys = rule.transformKeys
    for (let i = 0; i < steps.length; i++) {
      let next = entry === null ? undefined : cachedTransform(entry, keys[i] as number)
      if (next === undefined) {
        next = this.#apply((steps[i] as Rule['transformations'][number]).fn, value)
        if (entry !== null) (entry.transforms ??= []).push(keys[i] as number, next)
      }
      if (next !== value) values.push(next)
      value = next
    }
    return values
  }

  /**
   * `fn(value)`, remembered for long values per transformation and input: rules reach the same
   * input through different chains (CRS's command-injection rules apply cmdLine after several
   * prefixes that leave a value as it was), and on a 100 KB argument each pass costs more than
   * the lookup, which hashes the value once. Short values are transformed again: cheaper there.
   */
  #apply(fn: Transformation, value: string): string {
    if (value.length < LONG_VALUE) return fn(value)
    const memos = (this.#longTransforms ??= new Map<Transformation, Map<string, string>>())
    let memo = memos.get(fn)
    if (memo === undefined) {
      memo = new Map<string, string>()
      memos.set(fn, memo)
    }
    let result = memo.get(value)
    if (result === undefined) {
      result = fn(value)
      if (this.#longTransformCount++ < MAX_CACHED_VALUES) {
        memo.set(value, result)
        // The literal scan folds ASCII case and reads no other character as a letter but the
        // Kelvin sign (as k): a lower-cased value holds the literals its input holds, found in one
        // scan. The one character lower-casing turns into ASCII otherwise, U+0130 (i and a
        // combining dot), changes the length.
        if (fn === LOWERCASE && result !== value && result.length === value.length) (this.#scannedAs ??= new Map<string, string>()).set(result, value)
      }
    }
    return result
  }

  /** For operators (MatchContext): whether a literal of set `slot` occurs in `value`; the value is scanned once. */
  mayContain(slot: number, value: string): boolean {
    return LiteralScanner.has(this.#literalsIn(value), slot)
  }

  #literalsIn(value: string): readonly number[] {
    const known = (this.#literalsFound ??= new Map<string, readonly number[]>())
    let found = known.get(value)
    if (found === undefined) {
      const input = this.#scannedAs?.get(value)
      found = input === undefined ? this.#ruleSet.literals.scan(value) : this.#literalsIn(input)
      if (known.size < MAX_CACHED_VALUES) known.set(value, found)
    }
    return found
  }

  /** For operators (MatchContext): the characters a (long) value holds, once per value. */
  characters(value: string): Int32Array | null {
    const known = (this.#characters ??= new Map<string, Int32Array | null>())
    let characters = known.get(value)
    if (characters === undefined) {
      characters = charactersIn(value)
      if (known.size < MAX_CACHED_VALUES) known.set(value, characters)
    }
    return characters
  }

  /** For operators (MatchContext): the UTF-8 bytes RE2 reads, once per value. */
  bytes(value: string): Buffer {
    let bytes = (this.#bytes ??= new Map<string, Buffer>()).get(value)
    if (bytes === undefined) {
      bytes = Buffer.from(value, 'utf8')
      if (this.#bytes.size < MAX_CACHED_VALUES) this.#bytes.set(value, bytes)
    }
    return bytes
  }

  #setMatched(collection: string, key: string | null, value: string): void {
    // Recorded here, written to the MATCHED_* collections only when a rule or macro reads them:
    // CRS matches dozens of bookkeeping rules per request and reads these in a few.
    this.#lastCollection = collection
    this.#lastKey = key
    this.#lastValue = value
    const at = this.#ruleMatchCount
    this.#ruleMatches[at] = collection
    this.#ruleMatches[at + 1] = this.#lastKey
    this.#ruleMatches[at + 2] = value
    this.#ruleMatchCount = at + 3
    this.#matchedStale = true
  }

  #runActions(rule: Rule): void {
    const tx = this.#tx
    const setvars = rule.setvars
    for (let k = 0; k < setvars.length; k++) {
      const setvar = setvars[k] as (typeof setvars)[number]
      const name = setvar.lowerName === null ? this.expand(setvar.name) : setvar.name
      const lowerName = setvar.lowerName ?? name.toLowerCase()
      this.#txWrote(lowerName)
      if (setvar.operation === 'delete') {
        tx.remove(name, lowerName)
        continue
      }
      const value = setvar.valueParts === null ? setvar.value : this.#filledIn(setvar.valueParts)
      if (setvar.operation === 'set') tx.set(name, value, lowerName)
      else {
        const current = parseInt(tx.getLower(lowerName)[0]?.value ?? '0', 10) || 0
        const delta = parseInt(value, 10) || 0
        tx.set(name, String(setvar.operation === 'add' ? current + delta : current - delta), lowerName)
      }
    }
    const ctls = rule.ctls
    for (let k = 0; k < ctls.length; k++) {
      const ctl = ctls[k] as (typeof ctls)[number]
      if (ctl.removeTargets !== undefined) this.#removeTargets(ctl.name, ctl.removeTargets.selector, ctl.removeTargets.targets)
      else this.#control(ctl.name, this.expand(ctl.value))
    }
  }

  #control(name: string, value: string): void {
    switch (name) {
      case 'ruleengine':
        if (value === 'On' || value === 'Off' || value === 'DetectionOnly') this.mode = value
        break
      case 'ruleremovebyid':
        for (const part of value.split(/[\s,]+/)) {
          const range = /^(\d+)-(\d+)$/.exec(part)
          if (range !== null) {
            for (const id of this.#ruleSet.rules.keys()) if (id >= Number(range[1]) && id <= Number(range[2])) this.#removeId(id)
          } else if (/^\d+$/.test(part)) this.#removeId(Number(part))
        }
        break
      case 'ruleremovebytag':
        for (const id of this.#ruleSet.tagged(value)) this.#removeId(id)
        break
      case 'ruleremovetargetbyid':
      case 'ruleremovetargetbytag': {
        const semicolon = value.indexOf(';')
        if (semicolon === -1) break
        // Built from macros, so not foreseen at load: every rule looks its removed targets up from now on.
        this.#anyMayLoseTargets = true
        this.#removeTargets(name, value.slice(0, semicolon), parseTargetExclusion(value.slice(semicolon + 1)))
        break
      }
      case 'requestbodyprocessor':
        if (value === 'URLENCODED' || value === 'JSON' || value === 'MULTIPART' || value === 'XML') {
          this.#bodyProcessor = value
          this.#setSingle('REQBODY_PROCESSOR', value)
        }
        break
      case 'forcerequestbodyvariable':
        this.#forceBodyVariable = value.toLowerCase() === 'on'
        break
      default:
        // auditEngine, auditLogParts and the like: the gateway's own logs stand in for them.
        break
    }
  }

  /** `ARGS_COMBINED_SIZE`, or `DURATION`: microseconds since the transaction began, as ModSecurity's. */
  #computed(variable: string): string {
    if (variable === 'DURATION') return String(Math.round((performance.now() - this.#began) * 1000))
    let size = 0
    for (const name of ARGS_SOURCES) for (const e of this.variables.get(name)?.all() ?? []) size += e.key.length + e.value.length
    return String(size)
  }

  #entries(target: Selection): readonly Entry[] {
    if (target.matched) this.#syncMatched()
    const out: Entry[] = []
    for (const slot of target.sourceSlots) {
      const collection = this.variables.at(slot)
      if (collection !== undefined) out.push(...this.#select(target, collection))
    }
    return out
  }

  /** `%{tx.name}`, `%{MATCHED_VAR}`, `%{request_headers.host}`: the first value, or empty. */
  expand(text: string): string {
    return text.includes('%{') ? this.#filledIn(this.#ruleSet.macro(text)) : text
  }

  #filledIn(parts: readonly MacroPart[]): string {
    let out = ''
    for (const part of parts) {
      if (typeof part === 'string') {
        out += part
        continue
      }
      if (part.matched) this.#syncMatched()
      for (const slot of part.slots) {
        const value = this.variables.at(slot)?.getLower(part.lowerKey)[0]?.value
        if (value !== undefined) {
          out += value
          break
        }
      }
    }
    return out
  }
}

const ARGS_SOURCES = sourcesOf('ARGS')


const NO_TARGETS: readonly Target[] = []
const TX_SLOT = slotOf('TX')
const NO_OUTCOMES: readonly (KnownOutcome | undefined)[] = []
const NO_MATCHES: readonly MatchedRule[] = []
const MATCHED_NAMES = ['MATCHED_VAR', 'MATCHED_VAR_NAME', 'MATCHED_VARS', 'MATCHED_VARS_NAMES'] as const
/** Slots per match in `WafTransaction.#records`. */
const RECORD_STRIDE = 5
const NO_MISSES = new Int32Array(0)
/** Bits of one small integer (`Prologue.keyBits`). */
const MAX_KEY_BITS = 31
const PROBE_REQUEST: WafRequest = { method: 'GET', uri: '/', protocol: 'HTTP/1.1', headers: [], remoteAddress: '127.0.0.1' }

// Not a filter with an arrow function: a closure over a local makes V8 allocate the method's
// context on every call, whichever branch runs (measured: ~40 bytes on each of ~650 calls per GET).
function selectedBy(selector: RegexSelector, entries: readonly Entry[]): Entry[] {
  const out: Entry[] = []
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry
    if (selector.test(entry.key)) out.push(entry)
  }
  return out
}

const touchMemo = new WeakMap<ReadonlyMap<number, readonly Target[]>, { ids: ReadonlySet<number>; found: boolean }>()

/** Whether `removals` names one of `ids` (remembered per removals map: CRS's by-tag ones are shared). */
function touches(removals: ReadonlyMap<number, readonly Target[]>, ids: ReadonlySet<number> | undefined): boolean {
  if (ids === undefined) return false
  const memo = touchMemo.get(removals)
  if (memo !== undefined && memo.ids === ids) return memo.found
  let found = false
  for (const id of removals.keys()) if (ids.has(id)) found = true
  touchMemo.set(removals, { ids, found })
  return found
}

function isNotable(rule: Rule): boolean {
  return rule.log || rule.disruptive !== 'pass'
}

/** `ARGS:q`, or the collection alone for counts and sizes (`&ARGS`). */
function variableName(collection: string, key: string | null): string {
  return key === null ? collection : `${collection}:${key}`
}

function cachedTransform(entry: Entry, chain: number): string | undefined {
  const cache = entry.transforms
  if (cache === undefined) return undefined
  for (let i = 0; i < cache.length; i += 2) if (cache[i] === chain) return cache[i + 1] as string
  return undefined
}

/** What the walk over a phase reads of each step, in flat arrays (a memory read per step skipped, not several). */
interface Plan {
  /**
   * For each rule step with `skipAfter`, the index of the marker it skips to (the first of that
   * name after it; the phase's length when there is none): CRS skips most of its files at
   * paranoia 1, and walking the skipped steps one by one cost a memory read each.
   */
  readonly markers: Int32Array
  /** Each rule step's `presenceMask` (0 for markers): most rules of a GET read only empty collections. */
  readonly presence: Int32Array
  /** 1 for a marker step: passed over without reading it unless a skip looks for it. */
  readonly isMarker: Uint8Array
  /** Each rule step's `missGroup` and `missSlot` (-1 for markers). */
  readonly missGroups: Int32Array
  readonly missSlots: Int32Array
}

const PLANS = new WeakMap<readonly Step[], Plan>()

function planOf(steps: readonly Step[]): Plan {
  let plan = PLANS.get(steps)
  if (plan === undefined) {
    const markers = new Int32Array(steps.length).fill(-1)
    const presence = new Int32Array(steps.length)
    const isMarker = new Uint8Array(steps.length)
    const missGroups = new Int32Array(steps.length).fill(-1)
    const missSlots = new Int32Array(steps.length).fill(-1)
    const next = new Map<string, number>()
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i] as Step
      if (step.kind === 'marker') {
        next.set(step.name, i)
        isMarker[i] = 1
        continue
      }
      if (step.rule.skipAfter !== null) markers[i] = next.get(step.rule.skipAfter) ?? steps.length
      presence[i] = step.rule.presenceMask
      missGroups[i] = step.rule.missGroup
      missSlots[i] = step.rule.missSlot
    }
    plan = { markers, presence, isMarker, missGroups, missSlots }
    PLANS.set(steps, plan)
  }
  return plan
}

const byTagMemo = new WeakMap<readonly Target[], { ruleSet: RuleSet; selector: string; removals: ReadonlyMap<number, readonly Target[]> }>()

/** `targets` removed from every rule with a tag matching `selector`, kept per ctl (its targets array) when it has no macro. */
function removalsByTag(ruleSet: RuleSet, selector: string, targets: readonly Target[]): ReadonlyMap<number, readonly Target[]> {
  const memo = byTagMemo.get(targets)
  if (memo !== undefined && memo.ruleSet === ruleSet && memo.selector === selector) return memo.removals
  const removals = new Map<number, readonly Target[]>()
  for (const id of ruleSet.tagged(selector)) removals.set(id, targets)
  byTagMemo.set(targets, { ruleSet, selector, removals })
  return removals
}

const removedMemo = new WeakMap<readonly Target[], Map<Target, readonly Target[]>>()

/** The exclusions among `removed` (a ctl's or a route's, kept per array) that apply to what `read` reads. */
function removedFrom(removed: readonly Target[], read: TargetRead): readonly Target[] {
  if (read.removedFor === removed) return read.removedHere
  const target = read.target
  let byTarget = removedMemo.get(removed)
  if (byTarget === undefined) {
    byTarget = new Map()
    removedMemo.set(removed, byTarget)
  }
  let found = byTarget.get(target)
  if (found === undefined) {
    found = exclusionsFor(removed, target)
    byTarget.set(target, found)
  }
  read.removedFor = removed
  read.removedHere = found
  return found
}

/** `ARGS:foo|REQUEST_COOKIES:/^_ga/` of a `ctl:ruleRemoveTarget…` as exclusions. */
function parseTargetExclusion(text: string): Target[] {
  return compileTargets(parseVariables(text)).map((target) => ({ ...target, exclude: true }))
}

/** The first Content-Type field's value, as `REQUEST_HEADERS:Content-Type` would give it. */
function contentTypeOf(headers: WafRequest['headers']): string | undefined {
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i] as readonly [string, string]
    if (name.length === 12 && name.toLowerCase() === 'content-type') return value
  }
  return undefined
}
