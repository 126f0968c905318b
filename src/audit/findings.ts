/**
 * The report every toolkit command produces (`audit`, and later `scan` and `posture`): targets,
 * their findings, a score, and the rules that were run. Formatters turn it into text, JSON,
 * SARIF, JUnit or HTML.
 */
import type { RuleSetting } from './audit-config.js'
import type { OwaspCategory, RuleMetadata, Severity } from './rule.js'
import type { PositionLocator } from './source-positions.js'

export interface FindingLocation {
  /** A file path or a URL. */
  readonly target: string
  /** JSON pointer into the document (or the request, for scans). */
  readonly pointer: string
  readonly line?: number
  readonly column?: number
}

/** What a dynamic scan saw: the exchange, shortened and with secrets masked, and a command that replays it. */
export interface Evidence {
  readonly request: string
  readonly response: string
  readonly curl: string
}

export interface Finding {
  readonly ruleId: string
  readonly severity: Severity
  readonly owasp: OwaspCategory
  readonly message: string
  readonly location: FindingLocation
  readonly evidence?: Evidence
}

export type RuleSummary = RuleMetadata

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

/** Collects a tool's findings for one target: located, each place reported once per rule and message, severities from the settings. */
export class FindingCollector {
  readonly findings: Finding[] = []
  readonly #seen = new Set<string>()
  readonly #target: string
  readonly #positions: PositionLocator
  readonly #settings: ReadonlyMap<string, RuleSetting> | undefined

  constructor(target: string, positions: PositionLocator, settings?: ReadonlyMap<string, RuleSetting>) {
    this.#target = target
    this.#positions = positions
    this.#settings = settings
  }

  /** Whether the settings switch the rule off. */
  isOff(ruleId: string): boolean {
    return this.#settings?.get(ruleId) === 'off'
  }

  /** `path` null: a finding about no place in the target (a scan's finding about the deployment). */
  add(rule: RuleMetadata, path: readonly string[] | null, message: string): void {
    const pointer = path === null ? '' : toPointer(path)
    const key = `${rule.id}\u0000${pointer}\u0000${message}`
    if (this.#seen.has(key)) return
    this.#seen.add(key)
    const setting = this.#settings?.get(rule.id)
    const location = path === null ? { target: this.#target, pointer } : { target: this.#target, pointer, ...this.#positions.locate(path) }
    this.findings.push({ ruleId: rule.id, severity: setting === undefined || setting === 'off' ? rule.severity : setting, owasp: rule.owasp, message, location })
  }
}
