/** What every part of a comparison shares: both documents, the change collector, the schema comparer and the clock. */
import type { Path, SpecModel } from '../../audit/spec-model.js'
import { isRequestPlace, propertyCheckId, schemaCheckId, type SchemaPlace } from './check-catalog.js'
import type { ChangeCollector } from './change-collector.js'
import type { SchemaChange, SchemaComparer } from './schema-diff.js'

export interface DiffContext {
  readonly old: SpecModel
  readonly new: SpecModel
  readonly changes: ChangeCollector
  readonly schemas: SchemaComparer
  /** Milliseconds since the epoch: sunset dates are compared with it. */
  readonly now: number
}

/** `METHOD /path` as reports show an operation. */
export function operationLabel(method: string, pathTemplate: string): string {
  return `${method.toUpperCase()} ${pathTemplate}`
}

/** `items[].tags[*]` from a trail of member names, `[]` (array items) and `{}` (additional properties). */
export function renderTrail(trail: readonly string[]): string {
  return trail.reduce((text, segment) => (segment === '[]' ? `${text}[]` : segment === '{}' ? `${text}[*]` : text === '' ? segment : `${text}.${segment}`), '')
}

/** A member of a body is reported as a property; inside a parameter or header the place stays. */
function placeOf(place: SchemaPlace, trail: readonly string[]): SchemaPlace {
  if (trail.length === 0) return place
  if (place === 'request-body') return 'request-property'
  if (place === 'response-body') return 'response-property'
  return place
}

/** Compares two schemas at a place and reports each difference under the operation. */
export function compareSchemasAt(
  context: DiffContext,
  place: SchemaPlace,
  where: string,
  operation: string,
  before: { readonly schema: unknown; readonly path: Path },
  after: { readonly schema: unknown; readonly path: Path },
): void {
  const found: readonly SchemaChange[] = context.schemas.compare(before.schema, before.path, after.schema, after.path, isRequestPlace(place))
  for (const change of found) {
    const id = change.member ? propertyCheckId(place, change.aspect) : schemaCheckId(placeOf(place, change.trail), change.aspect)
    const subject = change.trail.length === 0 ? where : `${where}, property \`${renderTrail(change.trail)}\``
    context.changes.add(id, `${subject}: ${change.message}`, { operation, oldPath: change.oldPath, newPath: change.newPath })
  }
}
