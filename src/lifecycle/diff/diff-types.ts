/** What a comparison of two API documents yields: each change with its check id, level and places in both files. */
import type { SpecFormat } from '../../audit/spec-source.js'

/** `error` breaks existing clients, `warning` may break some, `info` is compatible. */
export const DIFF_LEVELS = ['error', 'warning', 'info'] as const
export type DiffLevel = (typeof DIFF_LEVELS)[number]

/** Lower rank is more severe. */
export function levelRank(level: DiffLevel): number {
  return DIFF_LEVELS.indexOf(level)
}

export interface DiffLocation {
  /** The file as the caller named it. */
  readonly file: string
  /** JSON pointer (RFC 6901) of the value the change is about, or of its deepest existing ancestor. */
  readonly pointer: string
  /** 1-based. */
  readonly line: number
  /** 1-based. */
  readonly column: number
}

export interface DiffChange {
  /** Stable, kebab-case (`docs/diff.md` lists them all). */
  readonly id: string
  readonly level: DiffLevel
  readonly message: string
  /** `METHOD /path` as written in the new document (the old one when the operation is gone); absent for document-wide changes. */
  readonly operation?: string
  readonly old?: DiffLocation
  readonly new?: DiffLocation
}

export interface DiffSide {
  readonly file: string
  readonly format: SpecFormat
  /** `info.version`, when it is a string. */
  readonly version: string | undefined
}

export interface DiffReport {
  readonly old: DiffSide
  readonly new: DiffSide
  /** Most severe first, then in the new document's order. */
  readonly changes: readonly DiffChange[]
  /** The schema comparison stopped at its node bound: changes deeper than that are not reported. */
  readonly truncated: boolean
}
