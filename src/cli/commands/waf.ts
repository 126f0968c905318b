/**
 * `portcullis waf regression --crs DIR`: replays a CRS release's go-ftw regression suite through
 * the WAF engine in process and prints `N passed, N failed` without and with the overrides file,
 * then the failing tests. Exit 0 when every test passes or is overridden, 1 otherwise, 2 on bad input.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { runCrsSuite, type SuiteReport } from '../../waf/conformance/run-suite.js'
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK } from '../report-error.js'

interface RegressionFlags {
  crs: string
  overrides?: string
  only?: string
  verbose?: boolean
}

export function formatSuiteReport(report: SuiteReport, verbose: boolean): string {
  const percent = (n: number) => ((100 * n) / Math.max(report.tests, 1)).toFixed(1)
  const lines = [
    `rule set: ${report.rules} rules loaded in ${report.loadMs.toFixed(0)} ms; ${report.tests} tests in ${report.runMs.toFixed(0)} ms`,
    `without overrides: ${report.passed} passed, ${report.tests - report.passed} failed (${percent(report.passed)} %)`,
    `with overrides (${report.overridden.length} overridden): ${report.passed + report.overridden.length} passed, ${report.failed.length} failed`,
  ]
  for (const failure of report.failed) lines.push(`  failed ${failure.name}: ${failure.detail}`)
  if (verbose) for (const o of report.overridden) lines.push(`  overridden ${o.name}: ${o.reason}`)
  for (const name of report.overriddenButPassing) lines.push(`  passes but is overridden: ${name} (remove it from the overrides file)`)
  return `${lines.join('\n')}\n`
}

export function registerWafCommands(program: Command, setExit: (code: number) => void): void {
  const waf = program.command('waf').description('web application firewall tools')
  waf
    .command('regression')
    .description("replay a CRS release's regression suite (go-ftw YAML) through the engine and print N passed, N failed")
    .requiredOption('--crs <dir>', 'CRS release directory holding crs-setup.conf.example, rules/ and regression-tests/')
    .option('--overrides <file>', 'YAML list of { test, reason } for tests that cannot pass for a reason outside the engine')
    .option('--only <prefix>', 'only tests whose name starts with this (e.g. 942100)')
    .option('--verbose', 'also list the overridden tests with their reasons')
    .action((flags: RegressionFlags) => {
      try {
        const report = runCrsSuite(resolve(flags.crs), flags.overrides === undefined ? null : resolve(flags.overrides), flags.only)
        process.stdout.write(formatSuiteReport(report, flags.verbose === true))
        setExit(report.failed.length === 0 && report.overriddenButPassing.length === 0 ? EXIT_OK : EXIT_FINDINGS)
      } catch (error) {
        process.stderr.write(`error: ${(error as Error).message}\n`)
        setExit(EXIT_ERROR)
      }
    })
}
