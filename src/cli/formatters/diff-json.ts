/** A diff report as JSON, for scripts: both sides, counts by level, and the changes. */
import type { DiffReport } from '../../lifecycle/diff/diff-types.js'
import { countByLevel } from './diff-common.js'

export function formatDiffJson(report: DiffReport): string {
  const body = { old: report.old, new: report.new, summary: { changes: report.changes.length, byLevel: countByLevel(report.changes) }, truncated: report.truncated, changes: report.changes }
  return `${JSON.stringify(body, null, 2)}\n`
}
