/**
 * `portcullis audit SPEC…`: static review of OpenAPI 3.0/3.1 and Swagger 2.0 documents. Prints a
 * report (text, json, sarif, junit or html) to stdout or `--output`. Exit 0 when no finding is at
 * or above `--fail-severity` (default high), 1 when one is, 2 on a usage error or a document that
 * cannot be read (the others are still reported).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { load as loadYaml } from 'js-yaml'
import { AuditConfigError, parseAuditConfig, type AuditConfig } from '../../audit/audit-config.js'
import { auditSpec, INVALID_IGNORE, ruleSummaries } from '../../audit/auditor.js'
import type { SecurityReport, TargetReport } from '../../audit/findings.js'
import { SEVERITIES, severityRank, type Severity } from '../../audit/rule.js'
import { AUDIT_RULES } from '../../audit/rules/index.js'
import { readSpecSource, SpecInputError } from '../../audit/spec-source.js'
import { formatReportHtml } from '../formatters/report-html.js'
import { formatReportJson } from '../formatters/report-json.js'
import { formatReportJunit } from '../formatters/report-junit.js'
import { formatReportSarif } from '../formatters/report-sarif.js'
import { formatReportText } from '../formatters/report-text.js'
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK } from '../report-error.js'
import { PORTCULLIS_VERSION } from '../version.js'

export const REPORT_FORMATS = ['text', 'json', 'sarif', 'junit', 'html'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

/** Larger documents are refused rather than risking the process (the largest public ones are ~50 MB). */
const MAX_SPEC_BYTES = 256 * 1024 * 1024

interface AuditFlags {
  format: string
  output?: string
  failSeverity?: string
  config?: string
  color: boolean
}

class UsageError extends Error {}

function readConfig(file: string): AuditConfig {
  let value: unknown
  try {
    value = loadYaml(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new UsageError(`${file}: cannot read the audit config: ${(error as Error).message.split('\n')[0] ?? ''}`)
  }
  return parseAuditConfig(file, value, [...AUDIT_RULES, INVALID_IGNORE].map((rule) => rule.id))
}

function auditFile(file: string, config: AuditConfig | undefined): TargetReport {
  try {
    if (statSync(file).size > MAX_SPEC_BYTES) return { target: file, findings: [], ignored: 0, error: `larger than ${String(MAX_SPEC_BYTES / 1024 / 1024)} MB` }
    const source = readSpecSource(file, readFileSync(file, 'utf8'))
    return auditSpec(source, config === undefined ? {} : { config })
  } catch (error) {
    const message = error instanceof SpecInputError ? error.detail : (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
    return { target: file, findings: [], ignored: 0, error: message }
  }
}

export function formatReport(report: SecurityReport, format: ReportFormat, colour: boolean): string {
  switch (format) {
    case 'json':
      return formatReportJson(report)
    case 'sarif':
      return formatReportSarif(report)
    case 'junit':
      return formatReportJunit(report)
    case 'html':
      return formatReportHtml(report)
    case 'text':
      return formatReportText(report, { colour })
  }
}

/** The exit code for a report: unreadable targets are errors, then findings at or above the threshold. */
export function exitCodeFor(report: SecurityReport, failSeverity: Severity): number {
  if (report.targets.some((target) => target.error !== undefined)) return EXIT_ERROR
  const failing = report.targets.some((target) => target.findings.some((finding) => severityRank(finding.severity) <= severityRank(failSeverity)))
  return failing ? EXIT_FINDINGS : EXIT_OK
}

function runAudit(specs: readonly string[], flags: AuditFlags): number {
  if (!(REPORT_FORMATS as readonly string[]).includes(flags.format)) throw new UsageError(`--format: must be one of ${REPORT_FORMATS.join(', ')} (got "${flags.format}")`)
  if (flags.failSeverity !== undefined && !(SEVERITIES as readonly string[]).includes(flags.failSeverity)) throw new UsageError(`--fail-severity: must be one of ${SEVERITIES.join(', ')} (got "${flags.failSeverity}")`)
  const config = flags.config === undefined ? undefined : readConfig(flags.config)
  const failSeverity = (flags.failSeverity as Severity | undefined) ?? config?.failSeverity ?? 'high'
  const rules = [...AUDIT_RULES, INVALID_IGNORE].filter((rule) => config?.rules.get(rule.id) !== 'off')
  const report: SecurityReport = { tool: 'audit', version: PORTCULLIS_VERSION, rules: ruleSummaries(rules), targets: specs.map((file) => auditFile(file, config)) }
  const toFile = flags.output !== undefined
  const colour = flags.color && !toFile && process.stdout.isTTY && process.env.NO_COLOR === undefined
  const text = formatReport(report, flags.format as ReportFormat, colour)
  if (flags.output === undefined) process.stdout.write(text)
  else {
    try {
      writeFileSync(flags.output, text)
    } catch (error) {
      throw new UsageError(`--output ${flags.output}: ${(error as Error).message}`)
    }
  }
  for (const target of report.targets) if (target.error !== undefined) process.stderr.write(`error: ${target.target}: ${target.error}\n`)
  return exitCodeFor(report, failSeverity)
}

export function registerSpecAuditCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('audit')
    .description('review OpenAPI 3.0/3.1 and Swagger 2.0 documents against the OWASP API Security Top 10')
    .argument('<specs...>', 'OpenAPI documents (YAML or JSON)')
    .option('-f, --format <format>', `report format: ${REPORT_FORMATS.join(', ')}`, 'text')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-severity <severity>', `exit 1 when a finding is at or above this severity: ${SEVERITIES.join(', ')} (default: the config's failSeverity, else high)`)
    .option('--config <file>', 'audit config: rules switched off or given another severity, failSeverity')
    .option('--no-color', 'no colours in the text report')
    .action((specs: string[], flags: AuditFlags) => {
      try {
        setExit(runAudit(specs, flags))
      } catch (error) {
        if (!(error instanceof UsageError || error instanceof AuditConfigError)) throw error
        process.stderr.write(`error: ${error.message}\n`)
        setExit(EXIT_ERROR)
      }
    })
}
