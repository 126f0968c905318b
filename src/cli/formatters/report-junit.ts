/**
 * A security report as JUnit XML, for CI systems that show test results: one test suite per
 * target, one test case per rule run; a rule with findings fails, its findings in the failure.
 */
import type { SecurityReport } from '../../audit/findings.js'
import { sortedFindings } from './report-common.js'
import { escapeXml } from './xml.js'

export function formatReportJunit(report: SecurityReport): string {
  const suites: string[] = []
  let tests = 0
  let failures = 0
  let errors = 0
  for (const target of report.targets) {
    const name = escapeXml(target.target)
    if (target.error !== undefined) {
      errors++
      tests++
      suites.push(`  <testsuite name="${name}" tests="1" failures="0" errors="1">\n    <testcase classname="${name}" name="read">\n      <error message="${escapeXml(target.error)}"/>\n    </testcase>\n  </testsuite>`)
      continue
    }
    const cases: string[] = []
    let suiteFailures = 0
    for (const rule of report.rules) {
      const findings = sortedFindings(target.findings.filter((finding) => finding.ruleId === rule.id))
      if (findings.length === 0) {
        cases.push(`    <testcase classname="${name}" name="${escapeXml(rule.id)}"/>`)
        continue
      }
      suiteFailures++
      const body = findings.map((finding) => `${String(finding.location.line ?? '-')}:${String(finding.location.column ?? '-')} ${finding.location.pointer} ${finding.message}${finding.evidence === undefined ? '' : `\n  ${finding.evidence.curl}`}`).join('\n')
      cases.push(
        `    <testcase classname="${name}" name="${escapeXml(rule.id)}">\n      <failure type="${finding0Severity(findings)}" message="${escapeXml(`${String(findings.length)} finding(s): ${rule.title} [${rule.owasp}]`)}">${escapeXml(body)}</failure>\n    </testcase>`,
      )
    }
    tests += report.rules.length
    failures += suiteFailures
    suites.push(`  <testsuite name="${name}" tests="${String(report.rules.length)}" failures="${String(suiteFailures)}" errors="0">\n${cases.join('\n')}\n  </testsuite>`)
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="portcullis ${report.tool}" tests="${String(tests)}" failures="${String(failures)}" errors="${String(errors)}">\n${suites.join('\n')}\n</testsuites>\n`
}

function finding0Severity(findings: readonly { severity: string }[]): string {
  return findings[0]?.severity ?? 'info'
}
