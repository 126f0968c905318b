/** A security report as JSON: the report itself plus counts, for scripts. */
import type { SecurityReport } from '../../audit/findings.js'
import { allFindings, countBySeverity, sortedFindings } from './report-common.js'

export function formatReportJson(report: SecurityReport): string {
  const body = {
    tool: report.tool,
    version: report.version,
    summary: { targets: report.targets.length, findings: allFindings(report).length, bySeverity: countBySeverity(allFindings(report)) },
    targets: report.targets.map((target) => ({ ...target, findings: sortedFindings(target.findings) })),
    rules: report.rules,
  }
  return `${JSON.stringify(body, null, 2)}\n`
}
