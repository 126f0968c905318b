/**
 * Operations and paths that appear or disappear. Removing an operation is judged by its
 * deprecation: without one it breaks clients; deprecated with an x-sunset still ahead it breaks
 * the promise made; after the sunset it is the expected end.
 */
import type { OperationView } from '../../audit/operations.js'
import { isObject } from '../../audit/spec-model.js'
import { operationLabel, type DiffContext } from './diff-context.js'
import { isDeprecated, sunsetOf } from './lifecycle-diff.js'
import { templateShape, type OperationMatch } from './operation-match.js'

export function diffPaths(context: DiffContext, match: OperationMatch): void {
  const pairedOldTemplates = new Set(match.pairs.map((pair) => pair.old.pathTemplate))
  const pairedNewTemplates = new Set(match.pairs.map((pair) => pair.new.pathTemplate))
  const newPaths = isObject(context.new.document.paths) ? context.new.document.paths : {}
  const newPathByShape = new Map(Object.keys(newPaths).map((template) => [templateShape(template), template]))

  const removedByPath = byPath(match.removed)
  for (const [template, operations] of removedByPath) {
    const pathGone = !pairedOldTemplates.has(template) && !newPathByShape.has(templateShape(template))
    if (pathGone && !operations.some(isDeprecated)) {
      context.changes.add('api-path-removed-without-deprecation', `path ${template} removed (${operations.map((operation) => operation.method.toUpperCase()).join(', ')})`, { operation: template, oldPath: ['paths', template], newPath: ['paths'] })
      continue
    }
    const newTemplate = newPathByShape.get(templateShape(template))
    for (const operation of operations) reportRemoved(context, operation, newTemplate === undefined ? ['paths'] : ['paths', newTemplate])
  }

  const addedByPath = byPath(match.added)
  for (const [template, operations] of addedByPath) {
    if (!pairedNewTemplates.has(template) && !match.removed.some((operation) => templateShape(operation.pathTemplate) === templateShape(template))) {
      context.changes.add('api-path-added', `path ${template} added (${operations.map((operation) => operation.method.toUpperCase()).join(', ')})`, { operation: template, newPath: ['paths', template] })
      continue
    }
    for (const operation of operations) context.changes.add('endpoint-added', 'operation added', { operation: operationLabel(operation.method, operation.pathTemplate), newPath: operation.path })
  }

  const renamedPaths = new Set<string>()
  for (const pair of match.pairs) {
    if (pair.renamed.size === 0 || renamedPaths.has(pair.old.pathTemplate)) continue
    renamedPaths.add(pair.old.pathTemplate)
    const names = [...pair.renamed].map(([before, after]) => `{${before}} → {${after}}`).join(', ')
    context.changes.add('api-path-parameter-renamed', `path ${pair.old.pathTemplate} is now written ${pair.new.pathTemplate} (${names})`, { operation: pair.new.pathTemplate, oldPath: ['paths', pair.old.pathTemplate], newPath: ['paths', pair.new.pathTemplate] })
  }
}

/** Operations grouped by path template, in order (Map.groupBy needs Node 21). */
function byPath(operations: readonly OperationView[]): Map<string, OperationView[]> {
  const groups = new Map<string, OperationView[]>()
  for (const operation of operations) {
    const group = groups.get(operation.pathTemplate)
    if (group) group.push(operation)
    else groups.set(operation.pathTemplate, [operation])
  }
  return groups
}

function reportRemoved(context: DiffContext, operation: OperationView, newPath: readonly string[]): void {
  const places = { operation: operationLabel(operation.method, operation.pathTemplate), oldPath: operation.path, newPath }
  if (!isDeprecated(operation)) {
    context.changes.add('api-removed-without-deprecation', 'operation removed without being deprecated first', places)
    return
  }
  const sunset = sunsetOf(operation)
  if (sunset === undefined) context.changes.add('api-removed-deprecated-without-sunset', 'deprecated operation removed; it announced no x-sunset date', places)
  else if (Number.isNaN(sunset) || sunset > context.now) context.changes.add('api-removed-before-sunset', `deprecated operation removed before its x-sunset ${String(operation.operation['x-sunset'])}`, places)
  else context.changes.add('api-removed-after-sunset', `deprecated operation removed after its x-sunset ${String(operation.operation['x-sunset'])}`, places)
}
