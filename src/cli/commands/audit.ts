/**
 * `portcullis audit SPEC…`: static review of OpenAPI 3.0/3.1 and Swagger 2.0 documents. Prints a
 * report (text, json, sarif, junit or html) to stdout or `--output`. Exit 0 when no finding is at
 * or above `--fail-severity` (default high), 1 when one is, 2 on a usage error or a document that
 * cannot be read (the others are still reported).
 */
import { readFileSync, statSync } from 'node:fs'
import type { Command } from 'commander'
import { AuditConfigError, type AuditConfig } from '../../audit/audit-config.js'
import { auditSpec, INVALID_IGNORE, ruleSummaries } from '../../audit/auditor.js'
import type { SecurityReport, TargetReport } from '../../audit/findings.js'
import { AUDIT_RULES } from '../../audit/rules/index.js'
import { readSpecSource, SpecInputError } from '../../audit/spec-source.js'
import { EXIT_ERROR } from '../report-error.js'
import { addReportOptions, checkReportFlags, emitReport, readRuleSettings, UsageError, type ReportFlags } from '../report-output.js'
import { PORTCULLIS_VERSION } from '../version.js'

/** Larger documents are refused rather than risking the process (the largest public ones are ~50 MB). */
const MAX_SPEC_BYTES = 256 * 1024 * 1024

interface AuditFlags extends ReportFlags {
  config?: string
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

function runAudit(specs: readonly string[], flags: AuditFlags): number {
  checkReportFlags(flags)
  const allRules = [...AUDIT_RULES, INVALID_IGNORE]
  const config = flags.config === undefined ? undefined : readRuleSettings(flags.config, allRules.map((rule) => rule.id))
  const rules = allRules.filter((rule) => config?.rules.get(rule.id) !== 'off')
  const report: SecurityReport = { tool: 'audit', version: PORTCULLIS_VERSION, rules: ruleSummaries(rules), targets: specs.map((file) => auditFile(file, config)) }
  return emitReport(report, flags, config)
}

export function registerSpecAuditCommand(program: Command, setExit: (code: number) => void): void {
  addReportOptions(
    program
      .command('audit')
      .description('review OpenAPI 3.0/3.1 and Swagger 2.0 documents against the OWASP API Security Top 10')
      .argument('<specs...>', 'OpenAPI documents (YAML or JSON)'),
  )
    .option('--config <file>', 'audit settings: rules switched off or given another severity, failSeverity')
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
