/** Deprecation, x-sunset and x-stability-level of an operation, and what the name of an operation is (operationId, tags). */
import type { OperationView } from '../../audit/operations.js'
import { operationLabel, type DiffContext } from './diff-context.js'
import type { OperationPair } from './operation-match.js'
import { showValue } from './schema-view.js'

const STABILITY = ['draft', 'alpha', 'beta', 'stable'] as const

/** x-sunset as milliseconds since the epoch: a date (YYYY-MM-DD) or an RFC 3339 date-time; NaN when it is neither. */
export function sunsetOf(operation: OperationView): number | undefined {
  const value: unknown = operation.operation['x-sunset']
  if (value === undefined) return undefined
  if (value instanceof Date) return value.getTime()
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?$/.test(value)) return Number.NaN
  return Date.parse(value)
}

export function isDeprecated(operation: OperationView): boolean {
  return operation.operation.deprecated === true
}

function tagsOf(operation: OperationView): string[] {
  const tags = operation.operation.tags
  return Array.isArray(tags) ? tags.map(String) : []
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/** Deprecation, sunset, stability, operationId and tags of a matched operation. */
export function diffOperationLifecycle(context: DiffContext, pair: OperationPair): void {
  const { old: before, new: after } = pair
  const operation = operationLabel(after.method, after.pathTemplate)
  const at = (key: string) => ({ operation, oldPath: [...before.path, key], newPath: [...after.path, key] })
  if (!isDeprecated(before) && isDeprecated(after)) context.changes.add('api-deprecated', 'the operation was deprecated', at('deprecated'))
  if (isDeprecated(before) && !isDeprecated(after)) context.changes.add('api-deprecation-removed', 'the operation is no longer deprecated', at('deprecated'))
  diffSunset(context, before, after, at('x-sunset'))
  const oldStability = STABILITY.indexOf(before.operation['x-stability-level'] as (typeof STABILITY)[number])
  const newStability = STABILITY.indexOf(after.operation['x-stability-level'] as (typeof STABILITY)[number])
  if (oldStability !== -1 && newStability !== -1 && oldStability !== newStability) {
    const message = `x-stability-level changed from ${STABILITY[oldStability] ?? ''} to ${STABILITY[newStability] ?? ''}`
    context.changes.add(newStability < oldStability ? 'api-stability-decreased' : 'api-stability-increased', message, at('x-stability-level'))
  }
  const oldId = before.operation.operationId
  const newId = after.operation.operationId
  if (oldId !== newId) {
    if (oldId === undefined) context.changes.add('api-operation-id-added', `operationId ${showValue(newId)} added`, at('operationId'))
    else if (newId === undefined) context.changes.add('api-operation-id-removed', `operationId ${showValue(oldId)} removed`, at('operationId'))
    else context.changes.add('api-operation-id-changed', `operationId changed from ${showValue(oldId)} to ${showValue(newId)}`, at('operationId'))
  }
  const oldTags = tagsOf(before)
  const newTags = tagsOf(after)
  for (const tag of oldTags) if (!newTags.includes(tag)) context.changes.add('api-tag-removed', `tag ${tag} removed`, at('tags'))
  for (const tag of newTags) if (!oldTags.includes(tag)) context.changes.add('api-tag-added', `tag ${tag} added`, at('tags'))
}

function diffSunset(context: DiffContext, before: OperationView, after: OperationView, places: { operation: string; oldPath: string[]; newPath: string[] }): void {
  const oldSunset = sunsetOf(before)
  const newSunset = sunsetOf(after)
  if (newSunset !== undefined && Number.isNaN(newSunset)) {
    if (after.operation['x-sunset'] !== before.operation['x-sunset']) context.changes.add('api-sunset-invalid', `x-sunset ${JSON.stringify(after.operation['x-sunset'])} is not a date`, places)
    return
  }
  if (oldSunset === undefined && newSunset !== undefined) context.changes.add('api-sunset-added', `x-sunset ${day(newSunset)} added`, places)
  else if (oldSunset !== undefined && newSunset === undefined) {
    if (isDeprecated(after)) context.changes.add('api-sunset-removed', 'x-sunset removed from a deprecated operation', places)
  } else if (oldSunset !== undefined && newSunset !== undefined && !Number.isNaN(oldSunset) && oldSunset !== newSunset) {
    const earlier = newSunset < oldSunset
    context.changes.add(earlier ? 'api-sunset-earlier' : 'api-sunset-later', `x-sunset moved ${earlier ? 'earlier' : 'later'}, from ${day(oldSunset)} to ${day(newSunset)}`, places)
  }
}
