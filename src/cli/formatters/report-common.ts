/** What every report formatter needs: findings in a stable order and counts by severity and category. */
import type { Finding, SecurityReport } from '../../audit/findings.js'
import { SEVERITIES, severityRank, type OwaspCategory, type Severity } from '../../audit/rule.js'

/** Most severe first, then by position in the target. */
export function sortedFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => severityRank(a.severity) - severityRank(b.severity) || (a.location.line ?? 0) - (b.location.line ?? 0) || (a.location.column ?? 0) - (b.location.column ?? 0) || a.ruleId.localeCompare(b.ruleId),
  )
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>
  for (const finding of findings) counts[finding.severity]++
  return counts
}

export function countByCategory(findings: readonly Finding[]): Map<OwaspCategory, number> {
  const counts = new Map<OwaspCategory, number>()
  for (const finding of findings) counts.set(finding.owasp, (counts.get(finding.owasp) ?? 0) + 1)
  return new Map([...counts].sort(([a], [b]) => Number(a.slice(3, a.indexOf(':'))) - Number(b.slice(3, b.indexOf(':')))))
}

export function allFindings(report: SecurityReport): Finding[] {
  return report.targets.flatMap((target) => target.findings)
}

/** "3 high, 5 medium" — zero counts left out. */
export function severitySummary(findings: readonly Finding[]): string {
  const counts = countBySeverity(findings)
  const parts = SEVERITIES.filter((severity) => counts[severity] > 0).map((severity) => `${String(counts[severity])} ${severity}`)
  return parts.length === 0 ? 'no findings' : parts.join(', ')
}
