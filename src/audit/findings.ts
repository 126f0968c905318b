/**
 * The report every toolkit command produces (`audit`, and later `scan` and `posture`): targets,
 * their findings, a score, and the rules that were run. Formatters turn it into text, JSON,
 * SARIF, JUnit or HTML.
 */
import type { OwaspCategory, Severity } from './rule.js'

export interface FindingLocation {
  /** A file path or a URL. */
  readonly target: string
  /** JSON pointer into the document (or the request, for scans). */
  readonly pointer: string
  readonly line?: number
  readonly column?: number
}

export interface Finding {
  readonly ruleId: string
  readonly severity: Severity
  readonly owasp: OwaspCategory
  readonly message: string
  readonly location: FindingLocation
}

export interface RuleSummary {
  readonly id: string
  readonly severity: Severity
  readonly owasp: OwaspCategory
  readonly title: string
  readonly description: string
  readonly remediation: string
}

export interface TargetReport {
  readonly target: string
  /** 0–100; absent when the target could not be read. */
  readonly score?: number
  readonly findings: readonly Finding[]
  /** Why the target could not be examined. */
  readonly error?: string
  /** Findings switched off by `x-portcullis-ignore`, for the record. */
  readonly ignored: number
}

export interface SecurityReport {
  readonly tool: 'audit' | 'scan' | 'posture'
  readonly version: string
  readonly rules: readonly RuleSummary[]
  readonly targets: readonly TargetReport[]
}

/** A JSON pointer (RFC 6901) from path segments. */
export function toPointer(path: readonly string[]): string {
  return path.map((segment) => `/${segment.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')
}
