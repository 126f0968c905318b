/**
 * A SecLang rule set loaded from files (and `Include`/`IncludeOptional`, globs allowed) into rules
 * and markers per phase, in file order. Directives that configure a web server's own engine
 * (audit logs, body limits, temp dirs) are accepted and ignored: the gateway has its own settings
 * for those. Anything else unknown refuses the rule set with its file and line.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { readDirectives, SecLangSyntaxError, type Directive } from './seclang/directives.js'
import { parseActions, parseOperator, parseVariables, type ActionRef } from './seclang/rule-parts.js'
import { checkVariables, compileRule, compileTargets, setTargets, type Rule } from './rules.js'
import { MissGroups } from './miss-groups.js'
import { SharedSingles } from './collections.js'
import { KnownMisses } from './known-misses.js'
import { parseMacro, type MacroPart } from './macros.js'
import { LiteralScanner } from './literal-scanner.js'

export type Step = { readonly kind: 'rule'; readonly rule: Rule } | { readonly kind: 'marker'; readonly name: string }

export type EngineMode = 'On' | 'Off' | 'DetectionOnly'

export interface RuleSet {
  /** Steps per phase (1–5), in load order. */
  readonly phases: ReadonlyMap<number, readonly Step[]>
  readonly mode: EngineMode
  readonly rules: ReadonlyMap<number, Rule>
  /**
   * Ids of the rules with a tag matching `pattern` (a regular expression, as SecLang's
   * `ruleRemoveByTag`), remembered per pattern: CRS removes by tag on most requests.
   */
  tagged(pattern: string): readonly number[]
  /** `%{tx.name}` text split into literal parts and references, parsed once per text. */
  macro(text: string): readonly MacroPart[]
  /** The required literals of its `@rx` rules, scanned for in one pass per value. */
  readonly literals: LiteralScanner
  /** Misses of its rules with a pure operator, remembered across transactions by value. */
  readonly knownMisses: KnownMisses
  /** Its rules grouped by the entries they read (`Rule.missGroup`), for passing over known misses a group at a time. */
  readonly missGroups: MissGroups
  /** Single-valued request variables its transactions share (their entries hold its known misses). */
  readonly singles: SharedSingles
}

export type RuleSource = { readonly file: string } | { readonly text: string; readonly name: string }

const IGNORED_DIRECTIVES = new Set(
  [
    'SecComponentSignature', 'SecRequestBodyAccess', 'SecResponseBodyAccess', 'SecRequestBodyLimit', 'SecRequestBodyNoFilesLimit',
    'SecRequestBodyLimitAction', 'SecRequestBodyInMemoryLimit', 'SecResponseBodyMimeType', 'SecResponseBodyLimit', 'SecResponseBodyLimitAction',
    'SecAuditEngine', 'SecAuditLog', 'SecAuditLogParts', 'SecAuditLogType', 'SecAuditLogFormat', 'SecAuditLogRelevantStatus', 'SecAuditLogStorageDir',
    'SecDebugLog', 'SecDebugLogLevel', 'SecTmpDir', 'SecDataDir', 'SecArgumentSeparator', 'SecCookieFormat', 'SecUnicodeMapFile', 'SecStatusEngine',
    'SecCollectionTimeout', 'SecPcreMatchLimit', 'SecPcreMatchLimitRecursion', 'SecUploadDir', 'SecUploadKeepFiles', 'SecUploadFileMode',
    'SecTmpSaveUploadedFiles', 'SecArgumentsLimit', 'SecRequestBodyJsonDepthLimit', 'SecXmlExternalEntity',
  ].map((d) => d.toLowerCase()),
)
const MAX_INCLUDE_DEPTH = 10

export interface LoadOptions {
  /**
   * The rules were written for PCRE, as ModSecurity runs them (CRS 3.3): `\s` and `\v` in their
   * patterns are read as PCRE reads them (the vertical tab is a space). CRS v4 is written for RE2
   * engines too and read as written.
   */
  readonly pcre?: boolean
}

/** Throws a SecLangSyntaxError naming the file and line of the first problem. */
export function loadRuleSet(sources: readonly RuleSource[], options: LoadOptions = {}): RuleSet {
  const phases = new Map<number, Step[]>([1, 2, 3, 4, 5].map((p) => [p, []]))
  const rules = new Map<number, Rule>()
  const defaults = new Map<number, ActionRef[]>()
  let mode: EngineMode = 'On'
  let pendingChain: Rule | null = null

  const apply = (directive: Directive, depth: number): void => {
    const { name, args, file, line } = directive
    const fail = (message: string): never => {
      throw new SecLangSyntaxError(message, file, line)
    }
    const source = { file, line, dir: dirname(file), pcre: options.pcre === true }
    switch (name.toLowerCase()) {
      case 'secrule':
      case 'secaction': {
        const isAction = name.toLowerCase() === 'secaction'
        const [variables, operator, actions] = isAction ? [null, null, args[0]] : args
        if (!isAction && (variables === undefined || operator === undefined)) fail(`${name} needs variables and an operator`)
        let compiled: ReturnType<typeof compileRule>
        try {
          const actionRefs = parseActions(actions ?? '')
          const phaseOf = Number(actionRefs.find((a) => a.name.toLowerCase() === 'phase')?.value ?? 2)
          compiled = compileRule(
            source,
            variables === null || variables === undefined ? null : parseVariables(variables),
            operator === null || operator === undefined ? null : parseOperator(operator),
            actionRefs,
            defaults.get(Number.isNaN(phaseOf) ? 2 : phaseOf) ?? [],
            pendingChain !== null,
          )
        } catch (error) {
          if (error instanceof SecLangSyntaxError) throw error
          return fail((error as Error).message)
        }
        if (pendingChain !== null) {
          pendingChain.chained = compiled.rule
        } else {
          if (rules.has(compiled.rule.id)) fail(`duplicate rule id ${compiled.rule.id}`)
          rules.set(compiled.rule.id, compiled.rule)
          phases.get(compiled.rule.phase)?.push({ kind: 'rule', rule: compiled.rule })
        }
        pendingChain = compiled.chain ? compiled.rule : null
        return
      }
      case 'secmarker':
        for (const steps of phases.values()) steps.push({ kind: 'marker', name: args[0] ?? '' })
        return
      case 'secdefaultaction': {
        const actions = parseActions(args[0] ?? '')
        const phase = Number(actions.find((a) => a.name.toLowerCase() === 'phase')?.value)
        if (!Number.isInteger(phase)) fail('SecDefaultAction needs a phase')
        defaults.set(phase, actions.filter((a) => a.name.toLowerCase() !== 'phase'))
        return
      }
      case 'secruleengine':
        if (args[0] !== 'On' && args[0] !== 'Off' && args[0] !== 'DetectionOnly') fail('SecRuleEngine takes On, Off or DetectionOnly')
        mode = args[0] as EngineMode
        return
      case 'secruleremovebyid':
        for (const id of expandIds(args, fail)) removeRule(phases, rules, id)
        return
      case 'secruleremovebytag':
      case 'secruleremovebymsg': {
        const pattern = new RegExp(args[0] ?? '', 'i')
        const byTag = name.toLowerCase() === 'secruleremovebytag'
        for (const rule of [...rules.values()]) if (byTag ? rule.tags.some((t) => pattern.test(t)) : pattern.test(rule.msg ?? '')) removeRule(phases, rules, rule.id)
        return
      }
      case 'secruleupdatetargetbyid': {
        const [ids, targets] = args
        if (ids === undefined || targets === undefined) fail(`${name} needs a rule id and targets`)
        let variables: ReturnType<typeof parseVariables> = []
        try {
          variables = parseVariables(targets ?? '')
          checkVariables(variables)
        } catch (error) {
          fail((error as Error).message)
        }
        for (const id of expandIds([ids ?? ''], fail)) {
          const rule = rules.get(id)
          if (rule === undefined) continue
          setTargets(rule, [...rule.targets, ...compileTargets(variables)])
        }
        return
      }
      case 'include':
      case 'includeoptional': {
        if (depth >= MAX_INCLUDE_DEPTH) fail(`Include nested deeper than ${MAX_INCLUDE_DEPTH}`)
        let included: string[] = []
        try {
          included = includedFiles(resolve(dirname(file), args[0] ?? ''), name.toLowerCase() === 'includeoptional')
        } catch (error) {
          fail((error as Error).message)
        }
        for (const path of included) for (const d of readDirectives(readFileSync(path, 'utf8'), path)) apply(d, depth + 1)
        return
      }
      default:
        if (!IGNORED_DIRECTIVES.has(name.toLowerCase())) fail(`unsupported directive ${name}`)
    }
  }

  for (const source of sources) {
    const directives = 'file' in source ? readDirectives(readFileSync(source.file, 'utf8'), source.file) : readDirectives(source.text, source.name)
    for (const directive of directives) apply(directive, 0)
  }
  // Assigned inside `apply`, which the compiler does not follow.
  const unfinished = pendingChain as Rule | null
  if (unfinished !== null) throw new SecLangSyntaxError('the last rule asks for a chained rule that never comes', unfinished.file, unfinished.line)
  const byPattern = new Map<string, readonly number[]>()
  const tagged = (pattern: string): readonly number[] => {
    let ids = byPattern.get(pattern)
    if (ids === undefined) {
      const regex = new RegExp(pattern, 'i')
      ids = [...rules.values()].filter((rule) => rule.tags.some((tag) => regex.test(tag))).map((rule) => rule.id)
      if (byPattern.size < 1000) byPattern.set(pattern, ids)
    }
    return ids
  }
  const macros = new Map<string, readonly MacroPart[]>()
  const macro = (text: string): readonly MacroPart[] => {
    let parts = macros.get(text)
    if (parts === undefined) {
      parts = parseMacro(text)
      // Texts come from the rules (and ctl values they build); bounded all the same.
      if (macros.size < 10_000) macros.set(text, parts)
    }
    return parts
  }
  for (const starter of rules.values()) {
    for (let rule: Rule | null = starter; rule !== null; rule = rule.chained) {
      for (const ctl of rule.ctls) {
        if (ctl.removeTargets === undefined) continue
        const ids = ctl.name === 'ruleremovetargetbyid' ? [Number(ctl.removeTargets.selector)] : tagged(ctl.removeTargets.selector)
        for (const id of ids) {
          const target = rules.get(id)
          if (target !== undefined) target.mayLoseTargets = true
        }
      }
    }
  }
  const knownMisses = new KnownMisses(assignMissSlots(phases))
  return { phases, mode, rules, tagged, macro, literals: literalScanner(phases), knownMisses, missGroups: MissGroups.assign(phases, knownMisses.words), singles: new SharedSingles() }
}

/** Gives every `@rx` operator with required literals its slot in one scanner for the rule set. */
/** Numbers the rules (chained ones included) with a pure operator (`Rule.missSlot`); returns how many. */
function assignMissSlots(phases: ReadonlyMap<number, readonly Step[]>): number {
  let slots = 0
  for (const steps of phases.values()) {
    for (const step of steps) {
      if (step.kind !== 'rule') continue
      for (let rule: Rule | null = step.rule; rule !== null; rule = rule.chained) if (rule.operator?.pure === true) rule.missSlot = slots++
    }
  }
  return slots
}

function literalScanner(phases: ReadonlyMap<number, readonly Step[]>): LiteralScanner {
  const sets: (readonly string[])[] = []
  for (const steps of phases.values()) {
    for (const step of steps) {
      if (step.kind !== 'rule') continue
      for (let rule: Rule | null = step.rule; rule !== null; rule = rule.chained) {
        const required = rule.operator?.required
        if (required === undefined) continue
        required.slot = sets.length
        sets.push(required.literals)
      }
    }
  }
  return new LiteralScanner(sets)
}

/** The `.conf` files of a CRS-like directory, in name order (the order CRS numbers its files for). */
export function ruleFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.conf'))
    .sort()
    .map((name) => join(dir, name))
}

/**
 * The files an `Include` names, as Apache reads it: a path, or a glob (`*`, `?`, `[…]`) in its
 * last part, in name order. A missing file, or a glob that matches nothing, is an error, or
 * nothing for `IncludeOptional` (Debian's `owasp-crs.load` includes the exclusion files so).
 * Relative paths are read from the including file's folder (Apache reads them from its
 * ServerRoot, which the gateway has not).
 */
export function includedFiles(path: string, optional: boolean): string[] {
  const folder = dirname(path)
  if (/[*?[]/.test(folder)) throw new Error(`Include ${path}: wildcards are read in the file name only`)
  const name = basename(path)
  if (!/[*?[]/.test(name)) {
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) throw new Error(`Include ${path}: a folder (name its *.conf files)`)
      return [path]
    }
    if (optional) return []
    throw new Error(`Include ${path}: no such file`)
  }
  const pattern = globPattern(name)
  const matches = existsSync(folder) ? readdirSync(folder).filter((entry) => pattern.test(entry)).sort() : []
  if (matches.length === 0 && !optional) throw new Error(`Include ${path}: no file matches`)
  return matches.map((entry) => join(folder, entry)).filter((file) => !statSync(file).isDirectory())
}

/** A file-name glob as a regex: `*` and `?` within the name, `[…]` a class (`[!…]` negated). */
function globPattern(glob: string): RegExp {
  let source = ''
  for (let at = 0; at < glob.length; at++) {
    const c = glob[at] ?? ''
    if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else if (c === '[' && glob.indexOf(']', at + 2) !== -1) {
      const end = glob.indexOf(']', at + 2)
      const body = glob.slice(at + 1, end)
      source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`.replaceAll('\\', '\\\\')
      at = end
    } else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}

function expandIds(args: readonly string[], fail: (message: string) => never): number[] {
  const ids: number[] = []
  for (const part of args.flatMap((a) => a.split(/[\s,]+/)).filter((p) => p !== '')) {
    const range = /^(\d+)-(\d+)$/.exec(part)
    if (range !== null) {
      const [from, to] = [Number(range[1]), Number(range[2])]
      if (to - from > 1_000_000) fail(`id range ${part} is too wide`)
      for (let id = from; id <= to; id++) ids.push(id)
    } else if (/^\d+$/.test(part)) ids.push(Number(part))
    else fail(`${part} is not a rule id or range`)
  }
  return ids
}

function removeRule(phases: Map<number, Step[]>, rules: Map<number, Rule>, id: number): void {
  const rule = rules.get(id)
  if (rule === undefined) return
  rules.delete(id)
  const steps = phases.get(rule.phase) ?? []
  const index = steps.findIndex((s) => s.kind === 'rule' && s.rule === rule)
  if (index !== -1) steps.splice(index, 1)
}
