/**
 * A diff report as a Markdown changelog: breaking, possibly breaking, then compatible changes, each
 * grouped by operation (changes to the whole API first), every change with its check id and line.
 */
import { DIFF_LEVELS, type DiffChange, type DiffReport } from '../../lifecycle/diff/diff-types.js'
import { LEVEL_TITLES, levelSummary, sideTitle } from './diff-common.js'

const WHOLE_API = 'Whole API'

/** Keeps a message from opening Markdown constructs it does not mean. */
function inline(text: string): string {
  return text.replace(/[<>]/g, (char) => (char === '<' ? '&lt;' : '&gt;')).replace(/\r?\n/g, ' ')
}

function place(change: DiffChange): string {
  const parts = [change.old && `old line ${String(change.old.line)}`, change.new && `new line ${String(change.new.line)}`].filter(Boolean)
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`
}

export function formatDiffMarkdown(report: DiffReport): string {
  const out = [`# API changelog`, '', `\`${sideTitle(report, 'old')}\` → \`${sideTitle(report, 'new')}\`: ${levelSummary(report.changes)}.`]
  if (report.truncated) out.push('', '> The schema comparison reached its node bound: deeper changes are not listed.')
  for (const level of DIFF_LEVELS) {
    const changes = report.changes.filter((change) => change.level === level)
    if (changes.length === 0) continue
    out.push('', `## ${LEVEL_TITLES[level]}`)
    const byOperation = new Map<string, DiffChange[]>()
    for (const change of changes) {
      const key = change.operation ?? WHOLE_API
      byOperation.set(key, [...(byOperation.get(key) ?? []), change])
    }
    const keys = [...byOperation.keys()].sort((a, b) => (a === WHOLE_API ? -1 : b === WHOLE_API ? 1 : a.localeCompare(b)))
    for (const key of keys) {
      out.push('', `### ${key === WHOLE_API ? key : `\`${key}\``}`, '')
      for (const change of byOperation.get(key) ?? []) out.push(`- ${inline(change.message)} — \`${change.id}\`${place(change)}`)
    }
  }
  return `${out.join('\n')}\n`
}
