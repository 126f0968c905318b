/**
 * `portcullis diff` engine: compares two API documents (OpenAPI 3.0, 3.1 or Swagger 2.0, in any
 * combination, read in place as the auditor reads them) and classifies every change as breaking
 * (error), possibly breaking (warning) or compatible (info), located in both files. No I/O: the
 * caller reads the files.
 */
import { operationsOf } from '../../audit/operations.js'
import { SpecModel } from '../../audit/spec-model.js'
import type { SpecSource } from '../../audit/spec-source.js'
import { ChangeCollector } from './change-collector.js'
import type { DiffContext } from './diff-context.js'
import { levelRank, type DiffChange, type DiffReport, type DiffSide } from './diff-types.js'
import { diffOperationLifecycle } from './lifecycle-diff.js'
import { matchOperations } from './operation-match.js'
import { diffParameters } from './parameters-diff.js'
import { diffPaths } from './paths-diff.js'
import { diffRequestBody } from './request-body-diff.js'
import { diffResponses } from './responses-diff.js'
import { SchemaComparer } from './schema-diff.js'
import { diffDocumentSecurity, diffOperationSecurity, diffSecuritySchemes } from './security-diff.js'
import { diffNamedSchemas, diffServers } from './servers-diff.js'
import { diffVersion } from './version-check.js'

export interface DiffOptions {
  /** Milliseconds since the epoch, for x-sunset dates; default now. */
  readonly now?: number
  /** Schema pairs compared at most (each pair once per direction); default 200,000. */
  readonly maxSchemaNodes?: number
}

function sideOf(source: SpecSource): DiffSide {
  const info = source.document.info
  const version = typeof info === 'object' && info !== null ? (info as { version?: unknown }).version : undefined
  return { file: source.file, format: source.format, version: typeof version === 'string' ? version : undefined }
}

/** Most severe first, then by place in the new document (the old one for removals), then by id. */
function byLevelThenPlace(a: DiffChange, b: DiffChange): number {
  const line = (change: DiffChange) => change.new?.line ?? change.old?.line ?? 0
  return levelRank(a.level) - levelRank(b.level) || line(a) - line(b) || a.id.localeCompare(b.id) || a.message.localeCompare(b.message)
}

export function diffSpecs(oldSource: SpecSource, newSource: SpecSource, options: DiffOptions = {}): DiffReport {
  const oldSpec = new SpecModel(oldSource)
  const newSpec = new SpecModel(newSource)
  const schemas = new SchemaComparer(oldSpec, newSpec, options.maxSchemaNodes)
  const context: DiffContext = { old: oldSpec, new: newSpec, changes: new ChangeCollector(oldSpec, newSpec), schemas, now: options.now ?? Date.now() }

  const match = matchOperations(operationsOf(oldSpec), operationsOf(newSpec))
  diffPaths(context, match)
  for (const pair of match.pairs) {
    diffOperationLifecycle(context, pair)
    diffParameters(context, pair)
    diffRequestBody(context, pair)
    diffResponses(context, pair)
    diffOperationSecurity(context, pair)
  }
  diffDocumentSecurity(context)
  diffSecuritySchemes(context)
  diffServers(context)
  diffNamedSchemas(context)
  if (schemas.truncated) context.changes.add('diff-truncated', 'the schema comparison reached its node bound; deeper changes are not reported', { oldPath: [], newPath: [] })
  diffVersion(context, context.changes.changes)

  return { old: sideOf(oldSource), new: sideOf(newSource), changes: [...context.changes.changes].sort(byLevelThenPlace), truncated: schemas.truncated }
}
