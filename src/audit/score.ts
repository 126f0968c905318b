/**
 * The 0–100 score of one document. Each rule with findings costs its severity's weight, growing
 * with the logarithm of its count (ten unbounded strings are one habit, not ten problems) and
 * capped at three times the weight; the score decays exponentially with the total, so it never
 * flattens at 0 and improvements always show.
 *
 *   cost(rule) = weight × min(1 + log2(n) / 2, 3)      score = round(100 × e^(−Σ cost / 100))
 */
import type { Finding } from './findings.js'
import type { Severity } from './rule.js'

export const SEVERITY_WEIGHTS: Readonly<Record<Severity, number>> = { critical: 25, high: 6, medium: 2, low: 0.5, info: 0 }

export function scoreOf(findings: readonly Finding[]): number {
  const byRule = new Map<string, { severity: Severity; count: number }>()
  for (const finding of findings) {
    const entry = byRule.get(finding.ruleId)
    if (entry) entry.count++
    else byRule.set(finding.ruleId, { severity: finding.severity, count: 1 })
  }
  let cost = 0
  for (const { severity, count } of byRule.values()) cost += SEVERITY_WEIGHTS[severity] * Math.min(1 + Math.log2(count) / 2, 3)
  return Math.round(100 * Math.exp(-cost / 100))
}
