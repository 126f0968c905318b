/**
 * Runs the scan checks against a target: one client (budget, rate), the identities, a canary
 * for SSRF, findings located in the document and carrying evidence. A spent budget stops the
 * scan where it is; the report says so.
 */
import { FindingCollector, type Finding, type TargetReport } from '../audit/findings.js'
import { operationsOf } from '../audit/operations.js'
import { scoreOf } from '../audit/score.js'
import { SpecModel } from '../audit/spec-model.js'
import type { SpecSource } from '../audit/spec-source.js'
import type { AuditConfig } from '../audit/audit-config.js'
import { startCanary } from './canary.js'
import { evidenceOf } from './evidence.js'
import { ScanIdentity, type Identity } from './identities.js'
import { logIn, LogInError, logInQuietly } from './log-in.js'
import { isExcluded, isStateResetting } from './operation-safety.js'
import { BudgetExhaustedError, ScanClient } from './scan-client.js'
import type { ScanContext } from './scan-check.js'
import { SCAN_CHECKS } from './checks/index.js'

export interface ScanOptions {
  readonly source: SpecSource
  readonly target: URL
  /** Identities with ready credentials (`parseIdentity`). */
  readonly identities: readonly Identity[]
  /** Identities the scan logs in through the document's log-in operation (and again when their tokens expire); a name also in `identities` adds log-in credentials to it. */
  readonly logins?: readonly { readonly name: string; readonly username: string; readonly password: string; readonly admin?: boolean }[]
  /** The administrator's name among the identities (also: a login with `admin: true`). */
  readonly admin?: string
  /** Operations never called: operationId, path template or `METHOD /path`. */
  readonly exclude?: readonly string[]
  /** The SSRF canary's port on 127.0.0.1 (0 or absent: any free port). */
  readonly canaryPort?: number
  readonly budget: number
  readonly rate: number
  readonly timeoutMs: number
  /** PEM certificate authorities to trust for an https:// target. */
  readonly ca?: string
  readonly allowDestructive: boolean
  readonly settings?: AuditConfig
  /** Only these checks (tests). */
  readonly only?: ReadonlySet<string>
  /** Called as checks start and requests are sent. */
  readonly onProgress?: (progress: { check: string; sent: number; budget: number }) => void
}

export interface ScanResult {
  readonly report: TargetReport
  readonly requests: number
  readonly seconds: number
  readonly stoppedBy?: string
}

/** The identities in the order given, log-in credentials merged in by name, roles set. */
function identitiesOf(options: ScanOptions): ScanIdentity[] {
  const byName = new Map<string, ScanIdentity>()
  for (const given of options.identities) {
    let identity: ScanIdentity
    if (given instanceof ScanIdentity) identity = given
    else {
      identity = new ScanIdentity(given.name, { role: given.role })
      identity.setCredentials(given.headers, given.token)
    }
    byName.set(identity.name, identity)
  }
  for (const login of options.logins ?? []) {
    const ready = byName.get(login.name)
    const identity = new ScanIdentity(login.name, { username: login.username, password: login.password, role: login.admin === true ? 'admin' : (ready?.role ?? 'user') })
    if (ready !== undefined) identity.setCredentials(ready.headers, ready.token)
    byName.set(login.name, identity)
  }
  const identities = [...byName.values()]
  for (const identity of identities) if (identity.name === options.admin) identity.role = 'admin'
  if (options.admin !== undefined && !byName.has(options.admin)) throw new LogInError(`--admin ${options.admin}: no identity has that name`)
  return identities
}

/** Gives each identity with log-in credentials its log-in, and logs in those without ready credentials: a refusal names the identity. */
async function logInAll(client: ScanClient, spec: SpecModel, basePath: string, identities: readonly ScanIdentity[]): Promise<void> {
  const operations = operationsOf(spec)
  for (const identity of identities) {
    if (!identity.canLogIn) continue
    identity.useLogIn((self) => logInQuietly(client, spec, basePath, operations, self))
    if (identity.token === undefined && Object.keys(identity.headers).length === 0) await logIn(client, spec, basePath, operations, identity)
  }
}

export async function scanTarget(options: ScanOptions): Promise<ScanResult> {
  const spec = new SpecModel(options.source)
  const client = new ScanClient({ target: options.target, budget: options.budget, rate: options.rate, timeoutMs: options.timeoutMs, ...(options.ca === undefined ? {} : { ca: options.ca }) })
  const collector = new FindingCollector(options.target.href, options.source.positions, options.settings?.rules)
  const evidence = new Map<number, Finding['evidence']>()
  const basePath = options.target.pathname.replace(/\/+$/, '')
  const operations = operationsOf(spec).filter((operation) => !isStateResetting(operation) && !isExcluded(operation, options.exclude ?? []))
  const identities = identitiesOf(options)
  const started = performance.now()
  let canary
  try {
    await logInAll(client, spec, basePath, identities)
    canary = await startCanary(options.canaryPort ?? 0)
  } catch (error) {
    await client.close()
    throw error
  }
  let stoppedBy: string | undefined
  try {
    for (const check of SCAN_CHECKS) {
      if (collector.isOff(check.id) || (options.only && !options.only.has(check.id))) continue
      options.onProgress?.({ check: check.id, sent: client.sent, budget: options.budget })
      const context: ScanContext = {
        spec,
        client,
        basePath,
        identities,
        allowDestructive: options.allowDestructive,
        operations,
        canary,
        report(operation, message, exchange) {
          const before = collector.findings.length
          collector.add(check, operation?.path ?? null, message)
          if (exchange !== undefined && collector.findings.length > before) evidence.set(before, evidenceOf(exchange, identities))
        },
      }
      try {
        await check.run(context)
      } catch (error) {
        if (!(error instanceof BudgetExhaustedError)) throw error
        stoppedBy = `${error.message} during ${check.id}`
        break
      }
    }
  } finally {
    await canary.close()
    await client.close()
  }
  const findings = collector.findings.map((finding, index) => {
    const found = evidence.get(index)
    return found === undefined ? finding : { ...finding, evidence: found }
  })
  const report: TargetReport = { target: options.target.href, score: scoreOf(findings), findings, ignored: 0 }
  return { report, requests: client.sent, seconds: (performance.now() - started) / 1000, ...(stoppedBy === undefined ? {} : { stoppedBy }) }
}

