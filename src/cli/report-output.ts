/**
 * What the toolkit commands (`audit`, `posture`, later `scan`) share on the command line: the
 * report formats and flags, the rule-settings file, writing the report, and the exit code
 * (0 clean, 1 findings at or above the fail severity, 2 usage error or unreadable target).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { load as loadYaml } from 'js-yaml'
import { parseAuditConfig, type AuditConfig } from '../audit/audit-config.js'
import type { SecurityReport } from '../audit/findings.js'
import { SEVERITIES, severityRank, type Severity } from '../audit/rule.js'
import { formatReportHtml } from './formatters/report-html.js'
import { formatReportJson } from './formatters/report-json.js'
import { formatReportJunit } from './formatters/report-junit.js'
import { formatReportSarif } from './formatters/report-sarif.js'
import { formatReportText } from './formatters/report-text.js'
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK } from './report-error.js'

export const REPORT_FORMATS = ['text', 'json', 'sarif', 'junit', 'html'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export interface ReportFlags {
  format: string
  output?: string
  failSeverity?: string
  color: boolean
}

/** A mistake on the command line or in a file it names: printed as `error: …`, exit 2. */
export class UsageError extends Error {}

/** Adds `--format`, `--output`, `--fail-severity` and `--no-color` to a command. */
export function addReportOptions(command: Command): Command {
  return command
    .option('-f, --format <format>', `report format: ${REPORT_FORMATS.join(', ')}`, 'text')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-severity <severity>', `exit 1 when a finding is at or above this severity: ${SEVERITIES.join(', ')} (default: the settings file's failSeverity, else high)`)
    .option('--no-color', 'no colours in the text report')
}

export function checkReportFlags(flags: ReportFlags): void {
  if (!(REPORT_FORMATS as readonly string[]).includes(flags.format)) throw new UsageError(`--format: must be one of ${REPORT_FORMATS.join(', ')} (got "${flags.format}")`)
  if (flags.failSeverity !== undefined && !(SEVERITIES as readonly string[]).includes(flags.failSeverity)) throw new UsageError(`--fail-severity: must be one of ${SEVERITIES.join(', ')} (got "${flags.failSeverity}")`)
}

/** Reads a rule-settings file (`rules: { id: off | severity }`, `failSeverity`). */
export function readRuleSettings(file: string, ruleIds: readonly string[]): AuditConfig {
  let value: unknown
  try {
    value = loadYaml(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new UsageError(`${file}: cannot read the settings: ${(error as Error).message.split('\n')[0] ?? ''}`)
  }
  return parseAuditConfig(file, value, ruleIds)
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

/** Writes the report where the flags say, names unreadable targets on stderr, and returns the exit code. */
export function emitReport(report: SecurityReport, flags: ReportFlags, settings: AuditConfig | undefined): number {
  const failSeverity = (flags.failSeverity as Severity | undefined) ?? settings?.failSeverity ?? 'high'
  const colour = flags.color && flags.output === undefined && process.stdout.isTTY && process.env.NO_COLOR === undefined
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
