/** A posture rule: metadata as audit rules have, and a check over a loaded gateway config. */
import type { RuleMetadata } from '../audit/rule.js'
import type { GatewayView } from './gateway-view.js'

/** `path` is into the config as written (segments of `apis[0].routes…`); the deepest existing part is shown. */
export type PostureReport = (path: readonly string[], message: string) => void

export interface PostureRule extends RuleMetadata {
  check(gateway: GatewayView, report: PostureReport): void
}
