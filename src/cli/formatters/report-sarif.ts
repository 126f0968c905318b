/**
 * A security report as SARIF 2.1.0 (OASIS), the format code-scanning UIs import. Severities map
 * to SARIF levels (critical/high → error, medium → warning, low/info → note) and to the numeric
 * `security-severity` property GitHub uses to rank security results.
 */
import type { Log } from 'sarif'
import type { SecurityReport } from '../../audit/findings.js'
import type { Severity } from '../../audit/rule.js'
import { sortedFindings } from './report-common.js'

const LEVELS: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' }
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' }

/** A file path as a relative URI reference with forward slashes; URLs as they are. */
function artifactUri(target: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return target
  return target.split(/[\\/]/).map(encodeURIComponent).join('/')
}

export function formatReportSarif(report: SecurityReport): string {
  const ruleIndex = new Map(report.rules.map((rule, index) => [rule.id, index]))
  const sarif: Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Portcullis',
            semanticVersion: report.version,
            informationUri: 'https://github.com/portcullis/portcullis',
            rules: report.rules.map((rule) => ({
              id: rule.id,
              name: rule.id.replace(/(^|-)([a-z0-9])/g, (_match: string, _dash: string, letter: string) => letter.toUpperCase()),
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.description },
              help: { text: rule.remediation },
              defaultConfiguration: { level: LEVELS[rule.severity] },
              properties: { tags: ['security', `OWASP-${rule.owasp}`], 'security-severity': SECURITY_SEVERITY[rule.severity] },
            })),
          },
        },
        invocations: [{ executionSuccessful: report.targets.every((target) => target.error === undefined), toolExecutionNotifications: report.targets.filter((target) => target.error !== undefined).map((target) => ({ level: 'error', message: { text: `${target.target}: ${target.error ?? ''}` } })) }],
        results: report.targets.flatMap((target) =>
          sortedFindings(target.findings).map((finding) => ({
            ruleId: finding.ruleId,
            ...(ruleIndex.has(finding.ruleId) ? { ruleIndex: ruleIndex.get(finding.ruleId) } : {}),
            level: LEVELS[finding.severity],
            message: { text: finding.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: artifactUri(finding.location.target) },
                  ...(finding.location.line === undefined ? {} : { region: { startLine: finding.location.line, startColumn: finding.location.column ?? 1 } }),
                },
                logicalLocations: [{ fullyQualifiedName: finding.location.pointer || '/', kind: 'member' }],
              },
            ],
            partialFingerprints: { 'portcullis/v1': `${finding.ruleId}:${finding.location.pointer}` },
            properties: { severity: finding.severity, owasp: finding.owasp, ...(finding.evidence === undefined ? {} : { evidence: finding.evidence }) },
          })),
        ),
      },
    ],
  }
  return `${JSON.stringify(sarif, null, 2)}\n`
}
