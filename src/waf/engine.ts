/**
 * Runs a rule set's phases over one transaction, as ModSecurity v2 does: rules in load order,
 * each target's values transformed (cached per value and transformation chain) and tested by the
 * operator; per match the rule's non-disruptive actions run at once (setvar, capture, ctl); a
 * chain matches when every rule in it does; `skipAfter` jumps to its marker; a disruptive action
 * interrupts the transaction unless the engine only detects.
 */
import { randomUUID } from 'node:crypto'
import { Collection } from './collections.js'
import { processorFor, processRequestBody, type BodyProcessor } from './request-body.js'
import { requestVariables, type Variables, type WafRequest } from './request-variables.js'
import type { EngineMode, RuleSet } from './rule-set.js'
import { compileTargets, type Rule, type Target } from './rules.js'
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

interface Value {
  /** `ARGS:q`, `REQUEST_HEADERS:user-agent`, `TX:anomaly_score`. */
  readonly name: string
  readonly value: string
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
  /** Overrides the rule set's `SecRuleEngine`. */
  readonly mode?: EngineMode
  readonly exclusions?: Exclusions
}

/** Exclusions by rule id, by tag (resolved against the rule set) and by rule and variable (`ARGS:q`). */
export function buildExclusions(ruleSet: RuleSet, spec: { ids: readonly number[]; tags: readonly string[]; targets: readonly { rule: number; target: string }[] }): Exclusions {
  const ids = new Set(spec.ids)
  for (const rule of ruleSet.rules.values()) if (rule.tags.some((tag) => spec.tags.includes(tag))) ids.add(rule.id)
  const targets = new Map<number, Target[]>()
  for (const { rule, target } of spec.targets) targets.set(rule, [...(targets.get(rule) ?? []), ...parseTargetExclusion(target)])
  return { ids, targets }
}

const MAX_STEPS_PER_PHASE = 100_000
/** Collections composed of others. */
const COMPOSED: Readonly<Record<string, readonly string[]>> = { ARGS: ['ARGS_GET', 'ARGS_POST'], ARGS_NAMES: ['ARGS_GET_NAMES', 'ARGS_POST_NAMES'] }

export class WafTransaction {
  readonly variables: Variables
  readonly matched: MatchedRule[] = []
  interruption: Interruption | null = null
  mode: EngineMode
  readonly #ruleSet: RuleSet
  readonly #removedIds = new Set<number>()
  readonly #removedTargets = new Map<number, Target[]>()
  readonly #transformCache = new Map<string, string>()
  #bodyProcessor: BodyProcessor | null = null
  #forceBodyVariable = false
  #allowed = false

  constructor(ruleSet: RuleSet, request: WafRequest, options: TransactionOptions = {}) {
    this.#ruleSet = ruleSet
    this.mode = options.mode ?? ruleSet.mode
    this.variables = requestVariables(request, options.uniqueId ?? randomUUID())
    for (const id of options.exclusions?.ids ?? []) this.#removedIds.add(id)
    for (const [id, targets] of options.exclusions?.targets ?? []) this.#removedTargets.set(id, [...targets])
    // The processor is chosen from the headers, so phase 1 rules see it (and may override it by ctl).
    this.#bodyProcessor = processorFor(this.#first('REQUEST_HEADERS', 'content-type'))
    this.#setSingle('REQBODY_PROCESSOR', this.#bodyProcessor ?? '')
  }

  #setSingle(name: string, value: string): void {
    const collection = new Collection(true)
    collection.add(name, value)
    this.variables.set(name, collection)
  }

  /** Phase 1: request line and headers. */
  processRequestHeaders(): void {
    this.#runPhase(1)
  }

  /** Body processing then phase 2. `body` is the raw body, null when there is none. */
  processRequestBody(body: Buffer | null): void {
    const contentType = this.#first('REQUEST_HEADERS', 'content-type') ?? ''
    if (body !== null && body.length > 0) processRequestBody(this.variables, body.toString('latin1'), this.#bodyProcessor, contentType, this.#forceBodyVariable)
    this.#runPhase(2)
  }

  /** Phase 3: the response's status and headers (values as latin1 strings). */
  processResponseHeaders(response: { status: number; protocol: string; headers: readonly (readonly [string, string])[] }): void {
    const headers = new Collection(true)
    const names = new Collection(true)
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
    const collection = new Collection(true)
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

  /** Rules that matched and count (logged or not): ids in order. */
  matchedIds(): number[] {
    return this.matched.map((m) => m.id)
  }

  #first(collection: string, key: string): string | undefined {
    return this.variables.get(collection)?.first(key)
  }

  #collection(name: string): Collection {
    let collection = this.variables.get(name)
    if (collection === undefined) {
      collection = new Collection(false)
      this.variables.set(name, collection)
    }
    return collection
  }

  #runPhase(phase: number): void {
    if (this.mode === 'Off' || this.interruption !== null || this.#allowed) return
    const steps = this.#ruleSet.phases.get(phase) ?? []
    let skipTo: string | null = null
    let skipCount = 0
    for (let index = 0, budget = 0; index < steps.length && budget < MAX_STEPS_PER_PHASE; index++, budget++) {
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
      if (this.#removedIds.has(rule.id)) continue
      // MATCHED_VARS holds the matches of the rule being evaluated (its chain included), no earlier ones.
      this.variables.set('MATCHED_VARS', new Collection(false))
      this.variables.set('MATCHED_VARS_NAMES', new Collection(false))
      if (!this.#evaluate(rule, rule)) continue
      this.#record(rule, phase)
      if (rule.disruptive === 'allow') {
        this.#allowed = true
        return
      }
      if (this.#interrupts(rule)) {
        this.interruption = { ruleId: rule.id, action: rule.disruptive === 'drop' ? 'drop' : rule.disruptive === 'redirect' ? 'redirect' : 'deny', status: rule.status ?? 403 }
        return
      }
      if (rule.skipAfter !== null) skipTo = rule.skipAfter
      else if (rule.skip > 0) skipCount = rule.skip
    }
  }

  #interrupts(rule: Rule): boolean {
    if (this.mode !== 'On') return false
    // `block` takes the phase's default action, which in CRS's anomaly mode is `pass`: the
    // blocking evaluation rules (949110) carry `deny` themselves.
    return rule.disruptive === 'deny' || rule.disruptive === 'drop' || rule.disruptive === 'redirect'
  }

  #record(rule: Rule, phase: number): void {
    const variable = this.#first('MATCHED_VAR_NAME', 'MATCHED_VAR_NAME') ?? ''
    const value = this.#first('MATCHED_VAR', 'MATCHED_VAR') ?? ''
    this.matched.push({
      id: rule.id,
      phase,
      msg: rule.msg === null ? null : this.expand(rule.msg),
      data: rule.logdata === null ? null : this.expand(rule.logdata),
      severity: rule.severity,
      tags: rule.tags,
      variable,
      value,
      logged: rule.log,
    })
  }

  /** Whether `rule` (and its chain) matched; runs per-match actions as it goes. */
  #evaluate(rule: Rule, starter: Rule): boolean {
    let matched = false
    if (!rule.conditional) {
      this.#runActions(rule)
      matched = true
    } else {
      for (const target of this.#resolve(rule, starter)) {
        const found = this.#test(rule, target)
        if (found === null) continue
        matched = true
        this.#setMatched(target, found.value)
        if (rule.capture && found.captures !== null) {
          const tx = this.#collection('TX')
          found.captures.forEach((capture, i) => tx.set(String(i), capture))
        }
        this.#runActions(rule)
      }
    }
    if (!matched) return false
    return rule.chained === null || this.#evaluate(rule.chained, starter)
  }

  #test(rule: Rule, target: Value): { value: string; captures: string[] | null } | null {
    const operator = rule.operator
    if (operator === null) return { value: target.value, captures: null }
    const expand = (text: string) => this.expand(text)
    // multiMatch: the operator sees the value before and after each transformation.
    const candidates = rule.multiMatch ? this.#transformedSteps(rule, target) : [this.#transformed(rule, target)]
    for (const value of candidates) {
      const captures = operator.match(value, expand)
      if (rule.negated ? captures === null : captures !== null) return { value, captures: rule.negated ? null : captures }
    }
    return null
  }

  #transformed(rule: Rule, target: Value): string {
    let value = target.value
    let key = target.name
    for (const { name, fn } of rule.transformations) {
      key += `\u0000${name}`
      const cached = this.#transformCache.get(key)
      if (cached !== undefined && this.#transformCache.get(`${key}\u0001`) === target.value) {
        value = cached
        continue
      }
      value = fn(value)
      this.#transformCache.set(key, value)
      this.#transformCache.set(`${key}\u0001`, target.value)
    }
    return value
  }

  #transformedSteps(rule: Rule, target: Value): string[] {
    const values = [target.value]
    let value = target.value
    for (const { fn } of rule.transformations) {
      const next = fn(value)
      if (next !== value) values.push(next)
      value = next
    }
    return values
  }

  #setMatched(target: Value, value: string): void {
    this.#setSingle('MATCHED_VAR', value)
    this.#setSingle('MATCHED_VAR_NAME', target.name)
    this.#collection('MATCHED_VARS').add(target.name, value)
    this.#collection('MATCHED_VARS_NAMES').add(target.name, target.name)
  }

  #runActions(rule: Rule): void {
    const tx = this.#collection('TX')
    for (const setvar of rule.setvars) {
      const name = this.expand(setvar.name)
      if (setvar.operation === 'delete') {
        tx.remove(name)
        continue
      }
      const value = this.expand(setvar.value)
      if (setvar.operation === 'set') tx.set(name, value)
      else {
        const current = parseInt(tx.first(name) ?? '0', 10) || 0
        const delta = parseInt(value, 10) || 0
        tx.set(name, String(setvar.operation === 'add' ? current + delta : current - delta))
      }
    }
    for (const ctl of rule.ctls) this.#control(ctl.name, this.expand(ctl.value))
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
            for (const id of this.#ruleSet.rules.keys()) if (id >= Number(range[1]) && id <= Number(range[2])) this.#removedIds.add(id)
          } else if (/^\d+$/.test(part)) this.#removedIds.add(Number(part))
        }
        break
      case 'ruleremovebytag': {
        const pattern = new RegExp(value, 'i')
        for (const rule of this.#ruleSet.rules.values()) if (rule.tags.some((t) => pattern.test(t))) this.#removedIds.add(rule.id)
        break
      }
      case 'ruleremovetargetbyid':
      case 'ruleremovetargetbytag': {
        const semicolon = value.indexOf(';')
        if (semicolon === -1) break
        const selector = value.slice(0, semicolon)
        const targets = parseTargetExclusion(value.slice(semicolon + 1))
        const ids =
          name === 'ruleremovetargetbyid' ? [Number(selector)] : [...this.#ruleSet.rules.values()].filter((r) => r.tags.some((t) => new RegExp(selector, 'i').test(t))).map((r) => r.id)
        for (const id of ids) this.#removedTargets.set(id, [...(this.#removedTargets.get(id) ?? []), ...targets])
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

  /** The values a rule's targets select, exclusions applied, counts as values. */
  #resolve(rule: Rule, starter: Rule): Value[] {
    const exclusions = [...rule.targets.filter((t) => t.exclude), ...(rule === starter ? (this.#removedTargets.get(rule.id) ?? []) : [])]
    const out: Value[] = []
    for (const target of rule.targets) {
      if (target.exclude) continue
      const entries = this.#entries(target)
      const kept = entries.filter((e) => !exclusions.some((x) => sameCollection(x.collection, target.collection) && selects(x, e.key)))
      if (target.count) out.push({ name: `&${target.collection}`, value: String(kept.length) })
      else for (const e of kept) out.push({ name: `${target.collection}:${e.key}`, value: e.value })
    }
    return out
  }

  #entries(target: Target): { key: string; value: string }[] {
    const sources = COMPOSED[target.collection] ?? [target.collection]
    const entries = sources.flatMap((name) => [...(this.variables.get(name)?.all() ?? [])])
    if (target.collection === 'ARGS_COMBINED_SIZE') {
      const args = COMPOSED.ARGS?.flatMap((name) => [...(this.variables.get(name)?.all() ?? [])]) ?? []
      return [{ key: 'ARGS_COMBINED_SIZE', value: String(args.reduce((sum, e) => sum + e.key.length + e.value.length, 0)) }]
    }
    if (target.selector === null) return entries
    return entries.filter((e) => selects(target, e.key))
  }

  /** `%{tx.name}`, `%{MATCHED_VAR}`, `%{request_headers.host}`: the first value, or empty. */
  expand(text: string): string {
    if (!text.includes('%{')) return text
    return text.replace(/%\{([^}]+)\}/g, (_, reference: string) => {
      const dot = reference.indexOf('.')
      const collection = (dot === -1 ? reference : reference.slice(0, dot)).toUpperCase()
      const key = dot === -1 ? collection : reference.slice(dot + 1)
      if (collection === 'RULE') return ''
      const sources = COMPOSED[collection] ?? [collection]
      for (const name of sources) {
        const value = this.variables.get(name)?.first(key)
        if (value !== undefined) return value
      }
      return ''
    })
  }
}

function sameCollection(a: string, b: string): boolean {
  return a === b || (COMPOSED[b]?.includes(a) ?? false) || (COMPOSED[a]?.includes(b) ?? false)
}

function selects(target: Target, key: string): boolean {
  if (target.selector === null) return true
  if (target.selector.kind === 'key') return target.selector.key.toLowerCase() === key.toLowerCase()
  return target.selector.regex.test(key)
}

/** `ARGS:foo|REQUEST_COOKIES:/^_ga/` of a `ctl:ruleRemoveTarget…` as exclusions. */
function parseTargetExclusion(text: string): Target[] {
  return compileTargets(parseVariables(text)).map((target) => ({ ...target, exclude: true }))
}
