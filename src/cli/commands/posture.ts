/**
 * `portcullis posture -c CONFIG`: reviews a gateway config as an auditor would (authentication
 * and authorization per route, rate limits on login-like operations, TLS, CORS, the admin
 * listener, the WAF's mode, response checks where the document marks sensitive data, deprecated
 * operations without a sunset). Same report formats and exit codes as `audit`; a config that
 * does not load is reported with its problems, exit 2.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { AuditConfigError } from '../../audit/audit-config.js'
import { ruleSummaries } from '../../audit/auditor.js'
import type { SecurityReport } from '../../audit/findings.js'
import { sourcePositions } from '../../audit/source-positions.js'
import { readSpecSource, type SpecSource } from '../../audit/spec-source.js'
import { createConfigLoader, type LoadedConfig } from '../../config/load-config.js'
import { builtinPolicies } from '../../policies/index.js'
import { buildGatewayView } from '../../posture/gateway-view.js'
import { reviewPosture } from '../../posture/posture.js'
import { POSTURE_RULES } from '../../posture/rules.js'
import { EXIT_ERROR, reportError } from '../report-error.js'
import { addReportOptions, checkReportFlags, emitReport, readRuleSettings, UsageError, type ReportFlags } from '../report-output.js'
import { PORTCULLIS_VERSION } from '../version.js'

interface PostureFlags extends ReportFlags {
  config: string
  rules?: string
}

/** Each API's OpenAPI document, parsed for the rules that read it; one that cannot be read is left out (the loader already read it once). */
function specsOf(loaded: LoadedConfig): (SpecSource | null)[] {
  return loaded.config.apis.map((api) => {
    if (api.openapi === undefined) return null
    const file = resolve(loaded.baseDir, api.openapi)
    try {
      return readSpecSource(file, readFileSync(file, 'utf8'))
    } catch {
      return null
    }
  })
}

function runPosture(flags: PostureFlags): number {
  checkReportFlags(flags)
  const settings = flags.rules === undefined ? undefined : readRuleSettings(flags.rules, POSTURE_RULES.map((rule) => rule.id))
  let loaded: LoadedConfig
  try {
    loaded = createConfigLoader(builtinPolicies).load(flags.config)
  } catch (error) {
    return reportError(error, flags.config)
  }
  const positions = sourcePositions(readFileSync(flags.config, 'utf8'))
  const target = reviewPosture(flags.config, buildGatewayView(loaded, specsOf(loaded)), positions, settings)
  const rules = POSTURE_RULES.filter((rule) => settings?.rules.get(rule.id) !== 'off')
  const report: SecurityReport = { tool: 'posture', version: PORTCULLIS_VERSION, rules: ruleSummaries(rules), targets: [target] }
  return emitReport(report, flags, settings)
}

export function registerPostureCommand(program: Command, setExit: (code: number) => void): void {
  addReportOptions(program.command('posture').description('review a gateway config: authentication, authorization, rate limits, TLS, CORS, admin, WAF, sensitive responses'))
    .requiredOption('-c, --config <file>', 'gateway config (YAML or JSON)')
    .option('--rules <file>', 'rule settings: rules switched off or given another severity, failSeverity')
    .action((flags: PostureFlags) => {
      try {
        setExit(runPosture(flags))
      } catch (error) {
        if (!(error instanceof UsageError || error instanceof AuditConfigError)) throw error
        process.stderr.write(`error: ${error.message}\n`)
        setExit(EXIT_ERROR)
      }
    })
}
