/** A scan check and what it works with: the document, the client, the identities, and a way to report. */
import type { OperationView } from '../audit/operations.js'
import type { RuleMetadata } from '../audit/rule.js'
import type { SpecModel } from '../audit/spec-model.js'
import type { ScanIdentity } from './identities.js'
import type { Exchange, ScanClient } from './scan-client.js'

export interface ScanContext {
  readonly spec: SpecModel
  readonly client: ScanClient
  /** The target URL's path, prefixed to every operation's path template. */
  readonly basePath: string
  readonly identities: readonly ScanIdentity[]
  /** DELETE (and other destructive calls on objects the scan did not create) only when the user allows it. */
  readonly allowDestructive: boolean
  readonly operations: readonly OperationView[]
  /** A listener on loopback for SSRF checks: URLs under it that the target fetches are seen. */
  readonly canary: Canary
  /** `operation` locates the finding in the document; null for findings about the deployment. */
  report(operation: OperationView | null, message: string, exchange?: Exchange): void
}

export interface Canary {
  /** A fresh URL; `hit(token)` tells whether anything requested it. */
  url(): { url: string; token: string }
  hit(token: string): boolean
}

export interface ScanCheck extends RuleMetadata {
  run(context: ScanContext): Promise<void>
}
