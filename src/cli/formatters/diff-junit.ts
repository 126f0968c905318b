/**
 * A diff report as JUnit XML for CI result views: one test case per check that found changes,
 * failed when its level is at or above the fail level; one passing case when nothing changed.
 */
import { levelRank, type DiffChange, type DiffLevel, type DiffReport } from '../../lifecycle/diff/diff-types.js'
import { where } from './diff-common.js'
import { escapeXml } from './xml.js'

function describe(change: DiffChange): string {
  const place = [change.old && `old ${where(change.old)}`, change.new && `new ${where(change.new)}`].filter(Boolean).join(', ')
  return `${change.operation === undefined ? '' : `${change.operation}: `}${change.message} (${place})`
}

export function formatDiffJunit(report: DiffReport, failOn: DiffLevel | 'never'): string {
  const suite = escapeXml(`${report.old.file} → ${report.new.file}`)
  const byId = new Map<string, DiffChange[]>()
  for (const change of report.changes) byId.set(change.id, [...(byId.get(change.id) ?? []), change])
  const cases: string[] = []
  let failures = 0
  for (const [id, changes] of byId) {
    const level = changes[0]?.level ?? 'info'
    const body = escapeXml(changes.map(describe).join('\n'))
    if (failOn !== 'never' && levelRank(level) <= levelRank(failOn)) {
      failures++
      cases.push(`    <testcase classname="${suite}" name="${escapeXml(id)}">\n      <failure type="${level}" message="${escapeXml(`${String(changes.length)} ${level} change(s)`)}">${body}</failure>\n    </testcase>`)
    } else cases.push(`    <testcase classname="${suite}" name="${escapeXml(id)}">\n      <system-out>${body}</system-out>\n    </testcase>`)
  }
  if (cases.length === 0) cases.push(`    <testcase classname="${suite}" name="no-changes"/>`)
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="portcullis diff" tests="${String(cases.length)}" failures="${String(failures)}" errors="0">\n  <testsuite name="${suite}" tests="${String(cases.length)}" failures="${String(failures)}" errors="0">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`
}
