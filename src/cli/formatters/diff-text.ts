/** A diff report as text for a terminal: one line per change, most severe first, with its place in both files under it. */
import type { DiffLevel, DiffReport } from '../../lifecycle/diff/diff-types.js'
import { levelSummary, sideTitle, where } from './diff-common.js'

const RESET = '\u001b[0m'
const DIM = '\u001b[2m'
const BOLD = '\u001b[1m'
const COLOURS: Readonly<Record<DiffLevel, string>> = { error: '\u001b[31m', warning: '\u001b[33m', info: '\u001b[36m' }

export function formatDiffText(report: DiffReport, options: { colour: boolean }): string {
  const paint = (code: string, text: string) => (options.colour ? `${code}${text}${RESET}` : text)
  const out = [paint(BOLD, `${sideTitle(report, 'old')} → ${sideTitle(report, 'new')}`)]
  const idWidth = Math.max(0, ...report.changes.map((change) => change.id.length))
  for (const change of report.changes) {
    const operation = change.operation === undefined ? '' : `${change.operation}: `
    out.push(`  ${paint(COLOURS[change.level], change.level.padEnd(7))}  ${change.id.padEnd(idWidth)}  ${operation}${change.message}`)
    const places = [change.old && `old ${where(change.old)} ${change.old.pointer || '/'}`, change.new && `new ${where(change.new)} ${change.new.pointer || '/'}`].filter(Boolean).join('  ')
    out.push(`  ${' '.repeat(7)}  ${paint(DIM, places)}`)
  }
  out.push(`${levelSummary(report.changes)}${report.truncated ? ' (schema comparison truncated)' : ''}`)
  return `${out.join('\n')}\n`
}
