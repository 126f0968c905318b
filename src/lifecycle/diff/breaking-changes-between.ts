/**
 * For the gateway's reload: the changes between an API's current document and the one a reload
 * would load, read from their files. The gateway logs `breaking` and refuses the reload when the
 * API is published and the config says `breakingChanges: refuse`.
 */
import { readFile } from 'node:fs/promises'
import { readSpecSource } from '../../audit/spec-source.js'
import { diffSpecs, type DiffOptions } from './diff-specs.js'
import type { DiffChange, DiffReport } from './diff-types.js'

export interface BreakingChanges {
  /** Changes at level `error`: existing clients break. */
  readonly breaking: readonly DiffChange[]
  /** Changes at level `warning`: some clients may break. */
  readonly possiblyBreaking: readonly DiffChange[]
  /** The whole comparison (with compatible changes), for a changelog. */
  readonly report: DiffReport
}

/**
 * Compares the documents in `oldFile` and `newFile`. Rejects with the file system's error when a
 * file cannot be read and with `SpecInputError` (`file`, `detail` with line:column) when one is
 * not an OpenAPI 3.0/3.1 or Swagger 2.0 document.
 */
export async function breakingChangesBetween(oldFile: string, newFile: string, options: DiffOptions = {}): Promise<BreakingChanges> {
  const [oldText, newText] = await Promise.all([readFile(oldFile, 'utf8'), readFile(newFile, 'utf8')])
  const report = diffSpecs(readSpecSource(oldFile, oldText), readSpecSource(newFile, newText), options)
  return {
    breaking: report.changes.filter((change) => change.level === 'error'),
    possiblyBreaking: report.changes.filter((change) => change.level === 'warning'),
    report,
  }
}
