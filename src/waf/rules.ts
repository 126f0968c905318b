/**
 * A rule as the engine runs it: targets, compiled operator and transformations, and its actions
 * sorted by kind. Built from the parts of a `SecRule`/`SecAction` plus the phase's
 * `SecDefaultAction`; every unknown action, operator or transformation is an error at load,
 * never a rule that silently does nothing.
 */
import RE2 from 're2'
import { compileOperator, type Operator } from './operators.js'
import { TRANSFORMATIONS, type Transformation } from './transformations.js'
import { canonicalKey, MASKABLE_SLOTS, slotOf, sourcesOf } from './collections.js'
import { parseMacro, type MacroPart } from './macros.js'
import { parseVariables, type ActionRef, type VariableRef } from './seclang/rule-parts.js'

export type Disruptive = 'pass' | 'block' | 'deny' | 'drop' | 'allow' | 'redirect'

/** Collections the engine writes while a phase runs. */
const WRITABLE = new Set(['TX', 'MATCHED_VARS', 'MATCHED_VARS_NAMES'])

export interface Target {
  readonly collection: string
  /** The collections holding its entries, as slots (see `slotOf`): ARGS is ARGS_GET, ARGS_POST then ARGS_PATH. */
  readonly sourceSlots: readonly number[]
  /** Its entries may change while a rule reads them (read from a copy). */
  readonly writable: boolean
  /** It reads MATCHED_VAR(S)(_NAME(S)), which the engine writes lazily. */
  readonly matched: boolean
  readonly selector: { readonly kind: 'key'; readonly key: string; readonly lowerKey: string } | RegexSelector | null
  readonly exclude: boolean
  readonly count: boolean
}

const MAX_REMEMBERED_KEYS = 10_000

/** A `/regex/` selector; results are remembered per key (bounded), since CRS tests the same TX names over and over. */
export class RegexSelector {
  readonly kind = 'regex'
  readonly #regex: RE2
  readonly #results = new Map<string, boolean>()
  /**
   * For a pattern that starts `^x` with a letter, digit or `_` that must be there: `x` with the
   * ASCII case bit set. A key whose first character differs is rejected before the remembered
   * results are looked up (CRS's `TX:/^header_name_920450_/` scans every TX key on every request).
   */
  readonly #first: number

  readonly source: string

  constructor(source: string) {
    this.source = source
    this.#regex = new RE2(source, 'i')
    this.#first = /^\^[A-Za-z0-9_](?![?*{])/.test(source) && !source.includes('|') ? source.charCodeAt(1) | 0x20 : -1
  }

  test(key: string): boolean {
    // Past ASCII, RE2 folds some characters to ASCII letters (the Kelvin sign is a k): left to it.
    if (this.#first !== -1) {
      const c = key.charCodeAt(0)
      if (c < 0x80 && (c | 0x20) !== this.#first) return false
      if (Number.isNaN(c)) return false
    }
    let result = this.#results.get(key)
    if (result === undefined) {
      result = this.#regex.test(key)
      if (this.#results.size < MAX_REMEMBERED_KEYS) this.#results.set(key, result)
    }
    return result
  }
}

/** What the engine needs to read a collection's entries: a target, or the flattened copy in a `TargetRead`. */
export type Selection = Pick<Target, 'collection' | 'sourceSlots' | 'selector' | 'writable' | 'matched' | 'count'>

/**
 * A target as a rule reads it, with the rule's own exclusions that apply to it; the target's
 * fields are copied in so the walk over a rule touches one object per target (it runs for
 * hundreds of rules per request, and in a busy gateway their objects are rarely in cache).
 */
export interface TargetRead extends Selection {
  readonly target: Target
  readonly exclusions: readonly Target[]
  /** `ARGS_COMBINED_SIZE` or `DURATION`: computed when read, not held in a collection. */
  readonly computed: boolean
  /** Its collections' slots as bits, when it reads only values held in them (0 otherwise): passed over while they are empty. */
  readonly mask: number
  /**
   * The engine's memo of the last list of removed targets it was asked about for this read, and
   * the exclusions among them that apply here: one removal (CRS's 941010 on the path) applies to
   * a rule on most requests.
   */
  removedFor: readonly Target[] | null
  removedHere: readonly Target[]
}

/** Replaces a rule's targets (`SecRuleUpdateTargetById` adds some) and what it reads. */
export function setTargets(rule: Rule, targets: Target[]): void {
  rule.targets = targets
  rule.reads = readsOf(targets)
  rule.readMasks = readMasksOf(rule.reads)
  rule.presenceSlots = presenceSlotsOf(rule.conditional, rule.reads)
  rule.presenceMask = maskOf(rule.presenceSlots)
  rule.txOnly &&= targets.every((t) => t.collection === 'TX')
}

/** Slots as bits of one small integer when each is below `MASKABLE_SLOTS`, else 0: the engine then reads the list. */
function maskOf(slots: readonly number[] | null): number {
  if (slots === null || slots.length === 0) return 0
  let mask = 0
  for (const slot of slots) {
    if (slot >= MASKABLE_SLOTS) return 0
    mask |= 1 << slot
  }
  return mask
}

function readMasksOf(reads: readonly TargetRead[]): Int32Array {
  return Int32Array.from(reads, (read) => read.mask)
}

function presenceSlotsOf(conditional: boolean, reads: readonly TargetRead[]): number[] | null {
  if (!conditional || reads.length === 0) return null
  const slots = new Set<number>()
  for (const read of reads) {
    // Counts match on zero; sizes and MATCHED_* are computed when read, not held in a collection.
    if (read.count || read.matched || read.computed) return null
    for (const slot of read.sourceSlots) slots.add(slot)
  }
  return [...slots]
}

function readsOf(targets: readonly Target[]): TargetRead[] {
  return targets
    .filter((t) => !t.exclude)
    .map((target) => {
      const computed = COMPUTED.has(target.collection)
      return {
        collection: target.collection,
        sourceSlots: target.sourceSlots,
        selector: target.selector,
        writable: target.writable,
        matched: target.matched,
        count: target.count,
        computed,
        mask: target.count || target.matched || computed ? 0 : maskOf(target.sourceSlots),
        exclusions: exclusionsFor(targets, target),
        target,
        removedFor: null,
        removedHere: [],
      }
    })
}

/** The exclusions among `targets` that can remove entries of `target`'s collection. */
export function exclusionsFor(targets: readonly Target[], target: Target): Target[] {
  return targets.filter((x) => x.exclude && sameCollection(x.collection, target.collection))
}

function sameCollection(a: string, b: string): boolean {
  return a === b || sourcesOf(b).includes(a) || sourcesOf(a).includes(b)
}

/** Whether one of `exclusions` (of the entry's collection) names the entry's key. */
export function excludes(exclusions: readonly Target[], key: string): boolean {
  for (const x of exclusions) {
    const selector = x.selector
    if (selector === null) return true
    if (selector.kind === 'key' ? selector.key.length === key.length && selector.lowerKey === key.toLowerCase() : selector.test(key)) return true
  }
  return false
}

export interface SetVar {
  /** `tx.name` (macros allowed); the collection is always TX. */
  readonly name: string
  /** The name in lower case (`canonicalKey`) when it has no macro. */
  readonly lowerName: string | null
  readonly operation: 'set' | 'add' | 'subtract' | 'delete'
  readonly value: string
  /** `value` split into its parts when it holds a macro (`+%{tx.critical_anomaly_score}`), else null: parsed once, at load. */
  readonly valueParts: readonly MacroPart[] | null
}

export interface Ctl {
  readonly name: string
  readonly value: string
  /** For `ruleRemoveTarget…` without macros: the rule selector and the exclusions, parsed at load (CRS runs one on most requests). */
  readonly removeTargets?: { readonly selector: string; readonly targets: readonly Target[] }
}

export interface Rule {
  /** 0 for a chained rule (its chain starter carries the id). */
  readonly id: number
  readonly phase: number
  readonly file: string
  readonly line: number
  /** False for `SecAction`: no targets, always matches. */
  readonly conditional: boolean
  targets: Target[]
  /** The targets it reads, each with the rule's own exclusions that apply to it (`!ARGS:foo`); kept in step with `targets` by `setTargets`. */
  reads: readonly TargetRead[]
  /**
   * Each read's `mask`, in one contiguous array: the engine tests a rule's reads against the
   * collections present without touching the read objects of empty ones (a CRS rule reads up to
   * nine collections, and a GET holds two or three of them).
   */
  readMasks: Int32Array
  /**
   * The collections (slots) it reads values from when that is all it reads: while every one is
   * empty the rule cannot match and is not walked (most rules read ARGS, cookies and XML, which a
   * GET rarely has). Null when it must always be evaluated (counts, sizes, MATCHED_*, no targets).
   */
  presenceSlots: readonly number[] | null
  /** `presenceSlots` as bits (0 when it cannot be): checked against the collections a phase starts with, in one operation. */
  presenceMask: number
  readonly operator: Operator | null
  readonly negated: boolean
  readonly transformations: readonly { readonly name: string; readonly fn: Transformation }[]
  /** Per transformation, the id of the chain up to it (`urldecodeuni`, `urldecodeuni,lowercase`): cache keys shared by rules. */
  readonly transformKeys: readonly number[]
  readonly disruptive: Disruptive
  readonly status: number | null
  readonly msg: string | null
  readonly logdata: string | null
  readonly tags: readonly string[]
  readonly severity: string | null
  readonly setvars: readonly SetVar[]
  readonly ctls: readonly Ctl[]
  readonly capture: boolean
  readonly multiMatch: boolean
  readonly log: boolean
  readonly skipAfter: string | null
  readonly skip: number
  /**
   * It reads and writes nothing but TX (targets, macros in its operator, setvars and messages; no
   * ctl): on a fresh transaction its outcome is the same for every request (CRS's initialization).
   * Its chained rules are judged on their own.
   */
  txOnly: boolean
  chained: Rule | null
  /**
   * A `ctl:ruleRemoveTarget…` without macros somewhere in the rule set names this rule (set at
   * load): only such rules, and every rule once a route's exclusions or a ctl built from macros
   * remove targets, look their removed targets up (CRS removes some on most requests, from 34 rules).
   */
  mayLoseTargets: boolean
  /** Its bit in a value's known misses (known-misses.ts), set at load; -1 when its operator is not pure. */
  missSlot: number
  /**
   * For a chain starter with a pure operator reading only what holds still within a phase: its
   * group among the rules that read the same entries (`RuleSet.missGroups`), set at load; -1 otherwise.
   */
  missGroup: number
}

export interface RuleSource {
  readonly file: string
  readonly line: number
  readonly dir: string
  /** Written for PCRE (CRS 3.3): its patterns' `\s` and `\v` are read as PCRE reads them. */
  readonly pcre?: boolean
}

/**
 * The variables the engine fills (request-variables.ts, request-body.ts, the response phases,
 * TX and MATCHED_* as rules run), and those it knows but leaves empty: GEO (no GeoIP database:
 * see `@geoLookup`) and the persistent collections (below). A rule naming any other variable is
 * refused at load: a misspelt one would never match.
 */
const VARIABLES = new Set([
  'ARGS', 'ARGS_NAMES', 'ARGS_GET', 'ARGS_GET_NAMES', 'ARGS_POST', 'ARGS_POST_NAMES', 'ARGS_PATH', 'ARGS_PATH_NAMES', 'ARGS_COMBINED_SIZE',
  'REQUEST_HEADERS', 'REQUEST_HEADERS_NAMES', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES', 'REQUEST_LINE', 'REQUEST_METHOD', 'REQUEST_PROTOCOL',
  'REQUEST_URI', 'REQUEST_URI_RAW', 'REQUEST_FILENAME', 'REQUEST_BASENAME', 'QUERY_STRING', 'REMOTE_ADDR', 'UNIQUE_ID', 'DURATION',
  'REQUEST_BODY', 'REQUEST_BODY_LENGTH', 'REQBODY_PROCESSOR', 'REQBODY_ERROR', 'REQBODY_ERROR_MSG',
  'FILES', 'FILES_NAMES', 'FILES_SIZES', 'FILES_COMBINED_SIZE', 'MULTIPART_PART_HEADERS', 'XML',
  'RESPONSE_STATUS', 'RESPONSE_PROTOCOL', 'RESPONSE_HEADERS', 'RESPONSE_HEADERS_NAMES', 'RESPONSE_CONTENT_TYPE', 'RESPONSE_CONTENT_LENGTH', 'RESPONSE_BODY',
  'TX', 'MATCHED_VAR', 'MATCHED_VAR_NAME', 'MATCHED_VARS', 'MATCHED_VARS_NAMES', 'GEO',
  'IP', 'GLOBAL', 'SESSION', 'USER', 'RESOURCE',
])
/**
 * Collections ModSecurity keeps across transactions (`initcol`, `setsid`…: CRS 3.3's IP
 * reputation and DoS counters). The gateway keeps none, as ModSecurity without SecDataDir: they
 * read as empty, and `setvar` on one does nothing (the rate-limit policy counts requests).
 */
const PERSISTENT = new Set(['ip', 'global', 'session', 'user', 'resource'])
/** Variables computed when read (`TargetRead.computed`). */
const COMPUTED = new Set(['ARGS_COMBINED_SIZE', 'DURATION'])

/** Throws an Error naming the first variable the engine does not know. */
export function checkVariables(variables: readonly VariableRef[]): void {
  for (const v of variables) if (!VARIABLES.has(v.collection)) throw new Error(`unsupported variable ${v.collection}`)
}

const SEVERITIES = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG']
/** Actions read for information or meant for features the gateway has elsewhere (audit log). */
const IGNORED_ACTIONS = new Set(['ver', 'rev', 'maturity', 'accuracy', 'auditlog', 'noauditlog', 'sanitisematched', 'sanitizematched', 'expirevar', 'initcol', 'setuid', 'setsid', 'exec', 'append', 'prepend', 'xmlns'])

export function compileTargets(variables: readonly VariableRef[]): Target[] {
  return variables.map((v) => ({
    collection: v.collection,
    sourceSlots: sourcesOf(v.collection).map(slotOf),
    writable: WRITABLE.has(v.collection),
    matched: v.collection.startsWith('MATCHED_'),
    exclude: v.exclude,
    count: v.count,
    selector:
      v.selector === null
        ? null
        : v.selector.kind === 'key'
          ? { kind: 'key', key: v.selector.key, lowerKey: canonicalKey(v.selector.key.toLowerCase()) }
          : new RegexSelector(v.selector.pattern),
  }))
}

/** Throws an Error naming the unknown or malformed part. `chain` says the next rule is chained to this one. */
export function compileRule(
  source: RuleSource,
  variables: readonly VariableRef[] | null,
  operator: { name: string; negated: boolean; argument: string } | null,
  actions: readonly ActionRef[],
  defaults: readonly ActionRef[],
  chainedChild: boolean,
): { rule: Rule; chain: boolean } {
  let id = 0
  let phase = 2
  let disruptive: Disruptive | null = null
  let status: number | null = null
  let msg: string | null = null
  let logdata: string | null = null
  let severity: string | null = null
  let capture = false
  let multiMatch = false
  let log = true
  let skipAfter: string | null = null
  let skip = 0
  let chain = false
  const tags: string[] = []
  const setvars: SetVar[] = []
  const ctls: Ctl[] = []
  let transformations: { name: string; fn: Transformation }[] = []

  // Chained rules take no defaults: the chain starter's phase and disruptive action rule the chain.
  const all = chainedChild ? actions : [...defaults, ...actions]
  // `block` means the phase's default disruptive action (`pass` in CRS's anomaly mode, `deny` in
  // traditional setups); anything else but another `block` names one itself.
  const defaultAction = defaults.map((a) => a.name.toLowerCase()).filter((a) => ['pass', 'deny', 'drop', 'allow', 'redirect'].includes(a)).at(-1) ?? 'pass'
  for (const { name, value } of all) {
    const action = name.toLowerCase()
    const text = value ?? ''
    switch (action) {
      case 'id':
        id = Number(text)
        if (!Number.isInteger(id) || id <= 0) throw new Error(`id:${text} is not a positive integer`)
        break
      case 'phase':
        phase = text === 'request' ? 2 : text === 'response' ? 4 : text === 'logging' ? 5 : Number(text)
        if (!Number.isInteger(phase) || phase < 1 || phase > 5) throw new Error(`phase:${text} is not 1-5`)
        break
      case 'block':
        disruptive = defaultAction as Disruptive
        break
      case 'pass':
      case 'deny':
      case 'drop':
      case 'allow':
        disruptive = action
        break
      case 'redirect':
        disruptive = 'redirect'
        break
      case 'status':
        status = Number(text)
        break
      case 'msg':
        msg = text
        break
      case 'logdata':
        logdata = text
        break
      case 'tag':
        tags.push(text)
        break
      case 'severity':
        severity = /^\d$/.test(text) ? (SEVERITIES[Number(text)] ?? text) : text.toUpperCase()
        break
      case 't':
        if (text.toLowerCase() === 'none') transformations = []
        else {
          const fn = TRANSFORMATIONS.get(text.toLowerCase())
          if (fn === undefined) throw new Error(`unsupported transformation t:${text}`)
          transformations.push({ name: text.toLowerCase(), fn })
        }
        break
      case 'setvar': {
        const setvar = parseSetVar(text)
        if (setvar !== null) setvars.push(setvar)
        break
      }
      case 'ctl': {
        const eq = text.indexOf('=')
        if (eq === -1) throw new Error(`ctl:${text} has no value`)
        const ctl = { name: text.slice(0, eq).trim().toLowerCase(), value: text.slice(eq + 1).trim() }
        const semicolon = ctl.value.indexOf(';')
        if (ctl.name.startsWith('ruleremovetarget') && semicolon !== -1 && !ctl.value.includes('%{')) {
          const variables = parseVariables(ctl.value.slice(semicolon + 1))
          checkVariables(variables)
          const targets = compileTargets(variables).map((target) => ({ ...target, exclude: true }))
          ctls.push({ ...ctl, removeTargets: { selector: ctl.value.slice(0, semicolon), targets } })
        } else ctls.push(ctl)
        break
      }
      case 'capture':
        capture = true
        break
      case 'multimatch':
        multiMatch = true
        break
      case 'log':
        log = true
        break
      case 'nolog':
        log = false
        break
      case 'skipafter':
        skipAfter = text
        break
      case 'skip':
        skip = Number(text)
        break
      case 'chain':
        chain = true
        break
      default:
        if (!IGNORED_ACTIONS.has(action)) throw new Error(`unsupported action ${name}`)
    }
  }
  if (!chainedChild && id === 0) throw new Error('rule has no id')
  if (variables !== null) checkVariables(variables)
  const targets = variables === null ? [] : compileTargets(variables)
  const reads = readsOf(targets)
  const texts = [operator?.argument ?? '', msg ?? '', logdata ?? '', ...setvars.flatMap((v) => [v.name, v.value])]
  const presenceSlots = presenceSlotsOf(variables !== null, reads)
  const txOnly = targets.every((t) => t.collection === 'TX') && ctls.length === 0 && texts.every(referencesOnlyTx)
  const rule: Rule = {
    id: chainedChild ? 0 : id,
    phase,
    file: source.file,
    line: source.line,
    conditional: variables !== null,
    targets,
    reads,
    readMasks: readMasksOf(reads),
    presenceSlots,
    presenceMask: maskOf(presenceSlots),
    operator: operator === null ? null : compileOperator(operator, source.dir, source.pcre === true),
    negated: operator?.negated ?? false,
    transformations,
    transformKeys: transformations.map((_, i) => chainId(transformations.slice(0, i + 1).map((t) => t.name).join(','))),
    disruptive: disruptive ?? 'pass',
    status,
    msg,
    logdata,
    tags,
    severity,
    setvars,
    ctls,
    capture,
    multiMatch,
    log,
    skipAfter,
    skip,
    txOnly,
    chained: null,
    mayLoseTargets: false,
    missSlot: -1,
    missGroup: -1,
  }
  return { rule, chain }
}

/** Whether every macro in `text` reads TX (`%{tx.name}`) or the rule's own metadata (`%{rule.id}`). */
function referencesOnlyTx(text: string): boolean {
  for (const match of text.matchAll(/%\{([^}.]*)/g)) {
    const collection = (match[1] ?? '').toUpperCase()
    if (collection !== 'TX' && collection !== 'RULE') return false
  }
  return true
}

/** Transformation chains as small numbers, the same for every rule set. */
const CHAINS = new Map<string, number>()

function chainId(chain: string): number {
  let id = CHAINS.get(chain)
  if (id === undefined) {
    id = CHAINS.size
    CHAINS.set(chain, id)
  }
  return id
}

/** Null for a variable of a persistent collection (`ip.dos_counter`), which is not kept. */
function parseSetVar(text: string): SetVar | null {
  const setVar = (name: string, operation: SetVar['operation'], value: string): SetVar => ({
    name,
    lowerName: name.includes('%{') ? null : canonicalKey(name.toLowerCase()),
    operation,
    value,
    valueParts: value.includes('%{') ? parseMacro(value) : null,
  })
  const named = text.startsWith('!') ? text.slice(1) : text.split('=', 1)[0] ?? ''
  if (named.includes('.') && PERSISTENT.has(named.slice(0, named.indexOf('.')).toLowerCase())) return null
  if (text.startsWith('!')) return setVar(collectionKey(text.slice(1)), 'delete', '')
  const eq = text.indexOf('=')
  if (eq === -1) return setVar(collectionKey(text), 'set', '1')
  const name = collectionKey(text.slice(0, eq))
  const value = text.slice(eq + 1)
  if (value.startsWith('+')) return setVar(name, 'add', value.slice(1))
  if (value.startsWith('-')) return setVar(name, 'subtract', value.slice(1))
  return setVar(name, 'set', value)
}

/** `tx.name` → `name`: only the transaction collection is writable. */
function collectionKey(target: string): string {
  const dot = target.indexOf('.')
  if (dot === -1 || target.slice(0, dot).toLowerCase() !== 'tx') throw new Error(`setvar:${target}: only tx variables can be set (and those of persistent collections, which are not kept)`)
  return target.slice(dot + 1)
}
