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
import type { Identity } from './identities.js'
import { BudgetExhaustedError, ScanClient } from './scan-client.js'
import type { ScanContext } from './scan-check.js'
import { SCAN_CHECKS } from './checks/index.js'

export interface ScanOptions {
  readonly source: SpecSource
  readonly target: URL
  readonly identities: readonly Identity[]
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

export async function scanTarget(options: ScanOptions): Promise<ScanResult> {
  const spec = new SpecModel(options.source)
  const client = new ScanClient({ target: options.target, budget: options.budget, rate: options.rate, timeoutMs: options.timeoutMs, ...(options.ca === undefined ? {} : { ca: options.ca }) })
  const collector = new FindingCollector(options.target.href, options.source.positions, options.settings?.rules)
  const evidence = new Map<number, Finding['evidence']>()
  const canary = await startCanary()
  const started = performance.now()
  let stoppedBy: string | undefined
  try {
    for (const check of SCAN_CHECKS) {
      if (collector.isOff(check.id) || (options.only && !options.only.has(check.id))) continue
      options.onProgress?.({ check: check.id, sent: client.sent, budget: options.budget })
      const context: ScanContext = {
        spec,
        client,
        basePath: options.target.pathname.replace(/\/+$/, ''),
        identities: options.identities,
        allowDestructive: options.allowDestructive,
        operations: operationsOf(spec),
        canary,
        report(operation, message, exchange) {
          const before = collector.findings.length
          collector.add(check, operation?.path ?? null, message)
          if (exchange !== undefined && collector.findings.length > before) evidence.set(before, evidenceOf(exchange, options.identities))
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

