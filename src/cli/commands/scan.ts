/**
 * `portcullis scan --spec SPEC --target URL [--identity NAME=credential]…`: attacks a running API
 * with requests derived from its document, within a request budget and a rate, and reports what
 * it proved, with evidence and a `curl` to reproduce each finding. Same report formats and exit
 * codes as `audit`.
 */
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { AuditConfigError } from '../../audit/audit-config.js'
import { ruleSummaries } from '../../audit/auditor.js'
import type { SecurityReport } from '../../audit/findings.js'
import { readSpecSource, SpecInputError } from '../../audit/spec-source.js'
import { SCAN_CHECKS } from '../../scan/checks/index.js'
import { parseIdentity, type Identity } from '../../scan/identities.js'
import { CanaryPortError } from '../../scan/canary.js'
import { LogInError } from '../../scan/log-in.js'
import { scanTarget } from '../../scan/scanner.js'
import { EXIT_ERROR } from '../report-error.js'
import { addReportOptions, checkReportFlags, emitReport, readRuleSettings, UsageError, type ReportFlags } from '../report-output.js'
import { PORTCULLIS_VERSION } from '../version.js'

interface ScanFlags extends ReportFlags {
  spec: string
  target: string
  identity: string[]
  login: string[]
  admin?: string
  exclude: string[]
  canaryPort?: string
  budget: string
  rate: string
  timeoutMs: string
  destructive?: boolean
  rules?: string
  ca?: string
}

function positiveInteger(flag: string, text: string, allowZero = false): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || (!allowZero && value === 0) || value > 10_000_000) throw new UsageError(`${flag}: must be a whole number${allowZero ? '' : ' above 0'} (got "${text}")`)
  return value
}

/** `NAME=env:VARIABLE` reads the credential from the environment, so it stays out of the process list and shell history. */
function identityFrom(text: string): Identity {
  const fromEnv = /^([^=]+)=env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(text)
  try {
    if (fromEnv?.[1] !== undefined && fromEnv[2] !== undefined) {
      const value = process.env[fromEnv[2]]
      if (value === undefined || value === '') throw new Error(`--identity ${fromEnv[1]}: the environment variable ${fromEnv[2]} is not set`)
      return parseIdentity(`${fromEnv[1]}=${value}`)
    }
    return parseIdentity(text)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** `NAME=USERNAME:PASSWORD`, or `NAME=USERNAME:env:VARIABLE` with the password in the environment. */
function loginFrom(text: string): { name: string; username: string; password: string } {
  const match = /^([^=]+)=([^:]+):(.+)$/s.exec(text)
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) throw new UsageError(`--login: expected NAME=USERNAME:PASSWORD or NAME=USERNAME:env:VARIABLE (got "${text.slice(0, Math.max(0, text.indexOf('=')) + 1) || text.slice(0, 12)}…")`)
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(match[1])) throw new UsageError(`--login ${match[1].slice(0, 40)}: the name must be a letter, then letters, digits, _ or - (at most 32)`)
  const fromEnv = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(match[3])
  if (fromEnv?.[1] === undefined) return { name: match[1], username: match[2], password: match[3] }
  const password = process.env[fromEnv[1]]
  if (password === undefined || password === '') throw new UsageError(`--login ${match[1]}: the environment variable ${fromEnv[1]} is not set`)
  return { name: match[1], username: match[2], password }
}

/** A progress bar on a terminal; a line per check otherwise. */
function progressPrinter(budget: number): (progress: { check: string; sent: number }) => void {
  let lastCheck = ''
  let lastDraw = 0
  return ({ check, sent }) => {
    if (!process.stderr.isTTY) {
      if (check !== lastCheck) process.stderr.write(`scan: ${check} (${String(sent)} requests so far)\n`)
      lastCheck = check
      return
    }
    const now = Date.now()
    if (check === lastCheck && now - lastDraw < 100) return
    lastCheck = check
    lastDraw = now
    const width = 30
    const filled = Math.min(width, Math.round((sent / budget) * width))
    process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(sent)}/${String(budget)} requests  ${check.padEnd(28)}`)
  }
}

async function runScan(flags: ScanFlags): Promise<number> {
  checkReportFlags(flags)
  let target: URL
  try {
    target = new URL(flags.target)
  } catch {
    throw new UsageError(`--target: must be an http:// or https:// URL (got "${flags.target}")`)
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new UsageError(`--target: must be an http:// or https:// URL (got "${flags.target}")`)
  const budget = positiveInteger('--budget', flags.budget)
  const rate = positiveInteger('--rate', flags.rate, true)
  const timeoutMs = positiveInteger('--timeout-ms', flags.timeoutMs)
  const identities = flags.identity.map(identityFrom)
  const logins = flags.login.map(loginFrom)
  const names = new Set([...identities.map((identity) => identity.name), ...logins.map((login) => login.name)])
  if (flags.admin !== undefined && !names.has(flags.admin)) throw new UsageError(`--admin ${flags.admin}: no --identity or --login has that name (${names.size === 0 ? 'none given' : [...names].join(', ')})`)
  const canaryPort = flags.canaryPort === undefined ? undefined : positiveInteger('--canary-port', flags.canaryPort)
  if (canaryPort !== undefined && canaryPort > 65535) throw new UsageError(`--canary-port: must be a port number, 1 to 65535 (got "${String(flags.canaryPort)}")`)
  const settings = flags.rules === undefined ? undefined : readRuleSettings(flags.rules, SCAN_CHECKS.map((check) => check.id))
  let source
  try {
    source = readSpecSource(flags.spec, readFileSync(flags.spec, 'utf8'))
  } catch (error) {
    const detail = error instanceof SpecInputError ? error.detail : (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
    throw new UsageError(`--spec ${flags.spec}: ${detail}`)
  }
  let ca: string | undefined
  if (flags.ca !== undefined) {
    try {
      ca = readFileSync(flags.ca, 'utf8')
    } catch (error) {
      throw new UsageError(`--ca ${flags.ca}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`)
    }
  }
  const progress = progressPrinter(budget)
  let result
  try {
    result = await scanTarget({
      source,
      target,
      identities,
      logins,
      exclude: flags.exclude,
      ...(flags.admin === undefined ? {} : { admin: flags.admin }),
      ...(canaryPort === undefined ? {} : { canaryPort }),
      budget,
      rate,
      timeoutMs,
      allowDestructive: flags.destructive === true,
      ...(ca === undefined ? {} : { ca }),
      ...(settings === undefined ? {} : { settings }),
      onProgress: ({ check, sent }) => {
        progress({ check, sent })
      },
    })
  } catch (error) {
    // A refused log-in or a busy canary port is the user's to fix: said in one line, exit 2.
    if (error instanceof LogInError || error instanceof CanaryPortError) throw new UsageError(error.message)
    throw error
  }
  if (process.stderr.isTTY) process.stderr.write('\n')
  process.stderr.write(`scan: ${String(result.requests)} requests in ${result.seconds.toFixed(1)} s${result.stoppedBy === undefined ? '' : `; stopped: ${result.stoppedBy}`}\n`)
  const checks = SCAN_CHECKS.filter((check) => settings?.rules.get(check.id) !== 'off')
  const report: SecurityReport = { tool: 'scan', version: PORTCULLIS_VERSION, rules: ruleSummaries(checks), targets: [result.report] }
  return emitReport(report, flags, settings)
}

export function registerScanCommand(program: Command, setExit: (code: number) => void): void {
  addReportOptions(program.command('scan').description('attack a running API with requests derived from its OpenAPI document, as two ordinary identities and an administrator'))
    .requiredOption('--spec <file>', 'the OpenAPI document of the target')
    .requiredOption('--target <url>', 'base URL of the API (the document’s paths are appended), e.g. https://api.example.com/v1')
    .option('--identity <name=credential>', 'an identity with ready credentials: NAME=TOKEN (Bearer), NAME="Header: value", or NAME=env:VARIABLE; the first ordinary one is A, the second B (repeatable)', (value: string, previous: string[]) => [...previous, value], [])
    .option('--login <name=user:password>', 'an identity the scan logs in through the document’s log-in operation (again when its token expires): NAME=USERNAME:PASSWORD or NAME=USERNAME:env:VARIABLE (repeatable; with the same NAME as an --identity, adds log-in to it)', (value: string, previous: string[]) => [...previous, value], [])
    .option('--admin <name>', 'the identity that is an administrator (function-level checks: what it may call and B may not)')
    .option('--exclude <operation>', 'never call this operation: an operationId, a path template, or "METHOD /path" (repeatable)', (value: string, previous: string[]) => [...previous, value], [])
    .option('--canary-port <n>', 'the SSRF canary’s port on 127.0.0.1 (default: any free port)')
    .option('--budget <n>', 'most requests in all', '2000')
    .option('--rate <n>', 'requests per second (0: as fast as the target answers)', '10')
    .option('--timeout-ms <n>', 'per request', '10000')
    .option('--destructive', 'also send DELETE and undeclared write methods (objects of identity A and the scan’s own)')
    .option('--rules <file>', 'check settings: checks switched off or given another severity, failSeverity')
    .option('--ca <file>', 'PEM certificate authorities to trust for an https:// target (a staging CA)')
    .action(async (flags: ScanFlags) => {
      try {
        setExit(await runScan(flags))
      } catch (error) {
        if (!(error instanceof UsageError || error instanceof AuditConfigError)) throw error
        process.stderr.write(`error: ${error.message}\n`)
        setExit(EXIT_ERROR)
      }
    })
}
