/**
 * The auditor's config file: rules switched off or given another severity, and the default
 * `--fail-severity`.
 *
 *   rules:
 *     string-unrestricted: off
 *     numeric-id-parameter: medium
 *   failSeverity: high
 */
import { didYouMean } from '../config/did-you-mean.js'
import { SEVERITIES, type Severity } from './rule.js'

export type RuleSetting = Severity | 'off'

export interface AuditConfig {
  readonly rules: ReadonlyMap<string, RuleSetting>
  readonly failSeverity?: Severity
}

export class AuditConfigError extends Error {
  readonly problems: readonly string[]
  constructor(file: string, problems: readonly string[]) {
    super(`${file}: ${problems.join('; ')}`)
    this.name = 'AuditConfigError'
    this.problems = problems
  }
}

const isSetting = (value: unknown): value is RuleSetting => value === 'off' || (SEVERITIES as readonly unknown[]).includes(value)

/** Checks a parsed config value; every problem is named with its path. */
export function parseAuditConfig(file: string, value: unknown, ruleIds: readonly string[]): AuditConfig {
  const problems: string[] = []
  const rules = new Map<string, RuleSetting>()
  let failSeverity: Severity | undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AuditConfigError(file, ['the file must hold an object with `rules` and/or `failSeverity`'])
  for (const [key, entry] of Object.entries(value)) {
    if (key === 'rules') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        problems.push('rules: must be a map of rule id to a severity or "off"')
        continue
      }
      for (const [id, setting] of Object.entries(entry as Record<string, unknown>)) {
        if (!ruleIds.includes(id)) {
          const suggestion = didYouMean(id, ruleIds)
          problems.push(`rules.${id}: unknown rule${suggestion ? ` (did you mean ${suggestion}?)` : ''}`)
        } else if (!isSetting(setting)) problems.push(`rules.${id}: must be one of off, ${SEVERITIES.join(', ')}`)
        else rules.set(id, setting)
      }
    } else if (key === 'failSeverity') {
      if ((SEVERITIES as readonly unknown[]).includes(entry)) failSeverity = entry as Severity
      else problems.push(`failSeverity: must be one of ${SEVERITIES.join(', ')}`)
    } else {
      const suggestion = didYouMean(key, ['rules', 'failSeverity'])
      problems.push(`${key}: unknown key${suggestion ? ` (did you mean ${suggestion}?)` : ''}`)
    }
  }
  if (problems.length > 0) throw new AuditConfigError(file, problems)
  return failSeverity === undefined ? { rules } : { rules, failSeverity }
}
