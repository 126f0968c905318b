/**
 * Collects the changes of one comparison: each with its level from the catalog, located in both
 * documents (a path that goes past a document is shown at its deepest existing ancestor), and
 * each change reported once per place.
 */
import { toPointer } from '../../audit/findings.js'
import type { Path, SpecModel } from '../../audit/spec-model.js'
import { checkDefinition } from './check-catalog.js'
import type { DiffChange, DiffLevel, DiffLocation } from './diff-types.js'

export interface ChangePlaces {
  /** `METHOD /path`; absent for document-wide changes. */
  readonly operation?: string
  readonly oldPath?: Path
  readonly newPath?: Path
  /** Only for checks whose level depends on what else was found (`api-version-not-bumped`). */
  readonly level?: DiffLevel
}

export class ChangeCollector {
  readonly changes: DiffChange[] = []
  readonly #seen = new Set<string>()
  readonly #old: SpecModel
  readonly #new: SpecModel

  constructor(oldSpec: SpecModel, newSpec: SpecModel) {
    this.#old = oldSpec
    this.#new = newSpec
  }

  add(id: string, message: string, places: ChangePlaces): void {
    const oldLocation = places.oldPath && locate(this.#old, places.oldPath)
    const newLocation = places.newPath && locate(this.#new, places.newPath)
    const key = [id, places.operation ?? '', oldLocation?.pointer ?? '', newLocation?.pointer ?? '', message].join('\u0000')
    if (this.#seen.has(key)) return
    this.#seen.add(key)
    this.changes.push({
      id,
      level: places.level ?? checkDefinition(id).level,
      message,
      ...(places.operation === undefined ? {} : { operation: places.operation }),
      ...(oldLocation === undefined ? {} : { old: oldLocation }),
      ...(newLocation === undefined ? {} : { new: newLocation }),
    })
  }
}

function locate(spec: SpecModel, path: Path): DiffLocation {
  const existing = spec.existingPrefix(path)
  return { file: spec.source.file, pointer: toPointer(existing), ...spec.source.positions.locate(existing) }
}
