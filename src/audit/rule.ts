/** What an audit rule is: metadata a report shows, and a check over one document. */
import type { SpecFormat } from './spec-source.js'
import type { Path, SpecModel } from './spec-model.js'

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const
export type Severity = (typeof SEVERITIES)[number]

/** OWASP API Security Top 10, 2023 edition. */
export const OWASP_CATEGORIES = {
  'API1:2023': 'Broken Object Level Authorization',
  'API2:2023': 'Broken Authentication',
  'API3:2023': 'Broken Object Property Level Authorization',
  'API4:2023': 'Unrestricted Resource Consumption',
  'API5:2023': 'Broken Function Level Authorization',
  'API6:2023': 'Unrestricted Access to Sensitive Business Flows',
  'API7:2023': 'Server Side Request Forgery',
  'API8:2023': 'Security Misconfiguration',
  'API9:2023': 'Improper Inventory Management',
  'API10:2023': 'Unsafe Consumption of APIs',
} as const
export type OwaspCategory = keyof typeof OWASP_CATEGORIES

/** Called by a rule for each problem: `path` may go past the document (a missing member); the message is specific to this place. */
export type Report = (path: Path, message: string) => void

/** What a report says about a rule, whichever tool runs it. */
export interface RuleMetadata {
  /** Stable, kebab-case: used in configs, ignores and reports. */
  readonly id: string
  readonly severity: Severity
  readonly owasp: OwaspCategory
  readonly title: string
  readonly description: string
  readonly remediation: string
}

export interface AuditRule extends RuleMetadata {
  /** Only these formats; all when absent. */
  readonly formats?: readonly SpecFormat[]
  check(spec: SpecModel, report: Report): void
}

export function defineRule(rule: AuditRule): AuditRule {
  return rule
}

/** Lower rank is more severe. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity)
}
