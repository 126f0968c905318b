/**
 * Runs the audit rules over one document: findings located in the source (the deepest existing
 * path, as Spectral does for a missing member), duplicates dropped, `x-portcullis-ignore`
 * honoured, settings from the config applied, and the score computed.
 */
import type { AuditConfig } from './audit-config.js'
import { FindingCollector, type Finding, type RuleSummary, type TargetReport } from './findings.js'
import type { AuditRule, RuleMetadata } from './rule.js'
import { AUDIT_RULES } from './rules/index.js'
import { scoreOf } from './score.js'
import { isObject, SpecModel, type Path } from './spec-model.js'
import type { SpecSource } from './spec-source.js'

/** In any object of the document: `x-portcullis-ignore: { rule-id: reason }` silences the rule there and below. */
export const IGNORE_KEY = 'x-portcullis-ignore'

export const INVALID_IGNORE: AuditRule = {
  id: 'invalid-ignore',
  severity: 'low',
  owasp: 'API9:2023',
  title: 'Ignore without a known rule or a reason',
  description: `Every \`${IGNORE_KEY}\` entry must name a rule and give the reason it does not apply; otherwise it is not honoured.`,
  remediation: `Write \`${IGNORE_KEY}: { rule-id: "why it does not apply here" }\`.`,
  check() {
    // Reported by the auditor itself while reading ignores.
  },
}

interface Ignore {
  readonly path: Path
  readonly rules: ReadonlySet<string>
}

export function ruleSummaries(rules: readonly RuleMetadata[] = [...AUDIT_RULES, INVALID_IGNORE]): RuleSummary[] {
  return rules.map(({ id, severity, owasp, title, description, remediation }) => ({ id, severity, owasp, title, description, remediation }))
}

function isPrefix(prefix: Path, path: Path): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment)
}

export interface AuditOptions {
  readonly config?: AuditConfig
  /** Only these rule ids (the peer test runs one rule at a time). */
  readonly only?: ReadonlySet<string>
}

/** Audits one parsed document. */
export function auditSpec(source: SpecSource, options: AuditOptions = {}): TargetReport {
  const spec = new SpecModel(source)
  const collector = new FindingCollector(source.file, source.positions, options.config?.rules)
  // A finding about a missing member is shown at its deepest existing parent, as Spectral does.
  const add = (rule: AuditRule, path: Path, message: string) => { collector.add(rule, spec.existingPrefix(path), message) }
  const ignores = readIgnores(spec, options.only, (path, message) => {
    if (!collector.isOff(INVALID_IGNORE.id)) add(INVALID_IGNORE, path, message)
  })
  for (const rule of AUDIT_RULES) {
    if (options.only && !options.only.has(rule.id)) continue
    if (collector.isOff(rule.id)) continue
    if (rule.formats && !rule.formats.includes(spec.format)) continue
    rule.check(spec, (path, message) => { add(rule, path, message) })
  }
  const kept: Finding[] = []
  let ignored = 0
  for (const finding of collector.findings) {
    const path = pointerSegments(finding.location.pointer)
    if (ignores.some((ignore) => ignore.rules.has(finding.ruleId) && isPrefix(ignore.path, path))) ignored++
    else kept.push(finding)
  }
  return { target: source.file, score: scoreOf(kept), findings: kept, ignored }
}

function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
}

function readIgnores(spec: SpecModel, only: ReadonlySet<string> | undefined, invalid: (path: Path, message: string) => void): Ignore[] {
  const known = new Set(AUDIT_RULES.map((rule) => rule.id))
  const ignores: Ignore[] = []
  const holders = [{ value: spec.document, path: [] as Path }, ...spec.nodes]
  for (const { value, path } of holders) {
    const entry = value[IGNORE_KEY]
    if (entry === undefined) continue
    const at = [...path, IGNORE_KEY]
    if (!isObject(entry)) {
      if (!only) invalid(at, `${IGNORE_KEY} must map rule ids to reasons.`)
      continue
    }
    const rules = new Set<string>()
    for (const [id, reason] of Object.entries(entry)) {
      if (!known.has(id)) {
        if (!only) invalid([...at, id], `${IGNORE_KEY} names an unknown rule "${id}".`)
      } else if (typeof reason !== 'string' || reason.trim() === '') {
        if (!only) invalid([...at, id], `${IGNORE_KEY} for "${id}" gives no reason.`)
      } else rules.add(id)
    }
    ignores.push({ path, rules })
  }
  return ignores
}
