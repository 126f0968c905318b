/** What every diff formatter shares: counts by level, a location as `file:line:column`, titles by level. */
import { DIFF_LEVELS, type DiffChange, type DiffLevel, type DiffLocation, type DiffReport } from '../../lifecycle/diff/diff-types.js'

export const LEVEL_TITLES: Readonly<Record<DiffLevel, string>> = { error: 'Breaking changes', warning: 'Possibly breaking changes', info: 'Compatible changes' }

export function countByLevel(changes: readonly DiffChange[]): Record<DiffLevel, number> {
  const counts = { error: 0, warning: 0, info: 0 }
  for (const change of changes) counts[change.level]++
  return counts
}

/** "2 breaking, 1 possibly breaking, 4 compatible" or "no changes". */
export function levelSummary(changes: readonly DiffChange[]): string {
  if (changes.length === 0) return 'no changes'
  const counts = countByLevel(changes)
  const words: Record<DiffLevel, string> = { error: 'breaking', warning: 'possibly breaking', info: 'compatible' }
  return DIFF_LEVELS.filter((level) => counts[level] > 0)
    .map((level) => `${String(counts[level])} ${words[level]}`)
    .join(', ')
}

export function where(location: DiffLocation): string {
  return `${location.file}:${String(location.line)}:${String(location.column)}`
}

export function sideTitle(report: DiffReport, side: 'old' | 'new'): string {
  const { file, version } = report[side]
  return version === undefined ? file : `${file} (${version})`
}
