/**
 * One inventory from several: the workers of one node (the primary's `GET /inventory`) or several
 * nodes (`discover --from a.json --from b.json`). Operations are matched by method and template;
 * counts and statuses add up, names and media types unite, schemas merge as their shapes did
 * (types united, a property required only where every side requires it). Templates that the
 * processes learned apart (one still has `/repos/torvalds`, another `/repos/{id}`) stay apart.
 */
import type { ApiRecord, Classification, OperationRecord } from './api-inventory.js'
import type { JsonType, ShapeSchema } from './json-shape.js'
import { SNAPSHOT_FORMAT, type InventorySnapshot } from './inventory-service.js'

export function mergeSnapshots(snapshots: readonly InventorySnapshot[], now: number): InventorySnapshot {
  const apis = new Map<string, ApiRecord>()
  for (const snapshot of snapshots) {
    for (const api of snapshot.apis) {
      const existing = apis.get(api.name)
      apis.set(api.name, existing === undefined ? structuredClone(api) : mergeApis(existing, api))
    }
  }
  const since = snapshots.map((s) => s.since).filter((s): s is string => typeof s === 'string').sort()[0] ?? new Date(now).toISOString()
  return { format: SNAPSHOT_FORMAT, generatedAt: new Date(now).toISOString(), since, apis: [...apis.values()].sort((a, b) => (a.name < b.name ? -1 : 1)) }
}

function mergeApis(into: ApiRecord, from: ApiRecord): ApiRecord {
  const operations = new Map(into.operations.map((o) => [`${o.method} ${o.template}`, o]))
  for (const operation of from.operations) {
    const key = `${operation.method} ${operation.template}`
    const existing = operations.get(key)
    operations.set(key, existing === undefined ? structuredClone(operation) : mergeOperations(existing, operation))
  }
  const merged = [...operations.values()].sort((a, b) => (a.template === b.template ? (a.method < b.method ? -1 : 1) : a.template < b.template ? -1 : 1))
  const summary: Record<Classification, number> = { active: 0, shadow: 0, zombie: 0, orphan: 0 }
  for (const operation of merged) summary[operation.classification]++
  return {
    ...into,
    nodes: Math.max(into.nodes, from.nodes),
    templates: new Set(merged.filter((o) => !o.declared).map((o) => o.template)).size,
    dropped: into.dropped + from.dropped,
    summary,
    operations: merged,
  }
}

function mergeOperations(into: OperationRecord, from: OperationRecord): OperationRecord {
  const merged: OperationRecord = {
    ...into,
    // A declared operation one process saw is not an orphan of the whole.
    classification: into.classification === 'orphan' ? from.classification : into.classification,
    count: into.count + from.count,
    lastSeen: [into.lastSeen, from.lastSeen].filter((s): s is string => s !== null).sort().at(-1) ?? null,
    statuses: addCounts(into.statuses, from.statuses),
    query: [...new Set([...into.query, ...from.query])].sort(),
    requestMediaTypes: addCounts(into.requestMediaTypes, from.requestMediaTypes),
    responseMediaTypes: addCounts(into.responseMediaTypes, from.responseMediaTypes),
    overflow: into.overflow + from.overflow,
  }
  const requestSchema = mergeOptional(into.requestSchema, from.requestSchema)
  if (requestSchema !== undefined) merged.requestSchema = requestSchema
  if (into.responseSchemas !== undefined || from.responseSchemas !== undefined) {
    const statuses = new Set([...Object.keys(into.responseSchemas ?? {}), ...Object.keys(from.responseSchemas ?? {})])
    merged.responseSchemas = Object.fromEntries([...statuses].sort().map((status) => [status, mergeOptional(into.responseSchemas?.[status], from.responseSchemas?.[status]) as ShapeSchema]))
  }
  if (into.parameters !== undefined || from.parameters !== undefined) {
    const names = new Set([...Object.keys(into.parameters ?? {}), ...Object.keys(from.parameters ?? {})])
    merged.parameters = Object.fromEntries([...names].map((name) => [name, [...new Set([...(into.parameters?.[name] ?? []), ...(from.parameters?.[name] ?? [])])].sort()]))
  }
  return merged
}

function addCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum: Record<string, number> = { ...a }
  for (const [key, n] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + n
  return Object.fromEntries(Object.entries(sum).sort(([x], [y]) => (x < y ? -1 : 1)))
}

function mergeOptional(a: ShapeSchema | undefined, b: ShapeSchema | undefined): ShapeSchema | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return mergeSchemas(a, b)
}

/** Two learned schemas as one, as if their samples had been seen by one recorder. */
export function mergeSchemas(a: ShapeSchema, b: ShapeSchema): ShapeSchema {
  const schema: ShapeSchema = {}
  const types = [...new Set([...typesOf(a), ...typesOf(b)])]
  if (types.includes('integer') && types.includes('number')) types.splice(types.indexOf('integer'), 1)
  types.sort()
  if (types.length === 1) schema.type = types[0]
  else if (types.length > 1) schema.type = types
  if (a.format !== undefined && a.format === b.format) schema.format = a.format
  else if ((a.format === undefined) !== (b.format === undefined) && !(typesOf(a).includes('string') && typesOf(b).includes('string'))) schema.format = a.format ?? b.format
  if (a.properties !== undefined || b.properties !== undefined) {
    const names = [...new Set([...Object.keys(a.properties ?? {}), ...Object.keys(b.properties ?? {})])].sort()
    schema.properties = Object.fromEntries(names.map((name) => [name, mergeOptional(a.properties?.[name], b.properties?.[name]) as ShapeSchema]))
    // An object seen on one side only keeps its own required list; seen on both, a name must be required on both.
    const aObject = typesOf(a).includes('object')
    const bObject = typesOf(b).includes('object')
    const required = names.filter((name) => (!aObject || (a.required ?? []).includes(name)) && (!bObject || (b.required ?? []).includes(name)))
    if (required.length > 0) schema.required = required
  }
  const additional = mergeOptional(a.additionalProperties, b.additionalProperties)
  if (additional !== undefined) schema.additionalProperties = additional
  const items = mergeOptional(a.items, b.items)
  if (items !== undefined) schema.items = items
  if (a['x-portcullis-truncated'] === true || b['x-portcullis-truncated'] === true) schema['x-portcullis-truncated'] = true
  return schema
}

function typesOf(schema: ShapeSchema): JsonType[] {
  return schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type]
}
