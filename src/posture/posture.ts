/** Runs the posture rules over a loaded gateway config: findings located in the config file, settings applied, scored. */
import type { AuditConfig } from '../audit/audit-config.js'
import { FindingCollector, type TargetReport } from '../audit/findings.js'
import { scoreOf } from '../audit/score.js'
import type { PositionLocator } from '../audit/source-positions.js'
import type { GatewayView } from './gateway-view.js'
import { POSTURE_RULES } from './rules.js'

export function reviewPosture(file: string, gateway: GatewayView, positions: PositionLocator, config?: AuditConfig): TargetReport {
  const collector = new FindingCollector(file, positions, config?.rules)
  for (const rule of POSTURE_RULES) {
    if (!collector.isOff(rule.id)) rule.check(gateway, (path, message) => { collector.add(rule, path, message) })
  }
  return { target: file, score: scoreOf(collector.findings), findings: collector.findings, ignored: 0 }
}
