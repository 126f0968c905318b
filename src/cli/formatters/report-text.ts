/** A security report for a terminal: per target, findings most severe first with line:column, coloured when asked. */
import type { SecurityReport } from '../../audit/findings.js'
import type { Severity } from '../../audit/rule.js'
import { allFindings, severitySummary, sortedFindings } from './report-common.js'

const COLOURS: Readonly<Record<Severity, string>> = { critical: '\x1b[1;35m', high: '\x1b[31m', medium: '\x1b[33m', low: '\x1b[36m', info: '\x1b[2m' }
const RESET = '\x1b[0m'
const DIM = '\x1b[2m'
const BOLD = '\x1b[1m'

export function formatReportText(report: SecurityReport, options: { colour: boolean }): string {
  const paint = (code: string, text: string) => (options.colour ? `${code}${text}${RESET}` : text)
  const out: string[] = []
  for (const target of report.targets) {
    if (target.error !== undefined) {
      out.push(`${paint(BOLD, target.target)}  ${paint(COLOURS.high, `error: ${target.error}`)}`, '')
      continue
    }
    out.push(`${paint(BOLD, target.target)}  score ${String(target.score ?? '-')}/100`)
    const findings = sortedFindings(target.findings)
    const where = findings.map((finding) => `${String(finding.location.line ?? '-')}:${String(finding.location.column ?? '-')}`)
    const whereWidth = Math.max(0, ...where.map((text) => text.length))
    const ruleWidth = Math.max(0, ...findings.map((finding) => finding.ruleId.length))
    findings.forEach((finding, index) => {
      const severity = paint(COLOURS[finding.severity], finding.severity.padEnd(8))
      out.push(`  ${(where[index] ?? '').padEnd(whereWidth)}  ${severity}  ${finding.ruleId.padEnd(ruleWidth)}  ${finding.message}  ${paint(DIM, `${finding.owasp} ${finding.location.pointer || '/'}`)}`)
      if (finding.evidence !== undefined) out.push(`  ${' '.repeat(whereWidth)}  ${paint(DIM, finding.evidence.curl)}`)
    })
    out.push(`  ${severitySummary(target.findings)}${target.ignored > 0 ? ` (${String(target.ignored)} ignored in the document)` : ''}`, '')
  }
  const readable = report.targets.filter((target) => target.error === undefined).length
  out.push(`${String(report.targets.length)} target(s)${readable < report.targets.length ? `, ${String(report.targets.length - readable)} unreadable` : ''}: ${severitySummary(allFindings(report))}`)
  return `${out.join('\n')}\n`
}
