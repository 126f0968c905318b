/**
 * Pairs the operations of two documents: by method and path template as written, then by method
 * and template with parameter names ignored (`/users/{id}` and `/users/{userId}` are the same URL),
 * with the renamed path parameters mapped old name → new name.
 */
import type { OperationView } from '../../audit/operations.js'

export interface OperationPair {
  readonly old: OperationView
  readonly new: OperationView
  /** Path parameters renamed in the template, old name → new name. */
  readonly renamed: ReadonlyMap<string, string>
}

export interface OperationMatch {
  readonly pairs: readonly OperationPair[]
  readonly removed: readonly OperationView[]
  readonly added: readonly OperationView[]
}

const TEMPLATE_PARAMETER = /\{([^}]*)\}/g

/** The template with parameter names blanked: `/users/{}`. */
export function templateShape(pathTemplate: string): string {
  return pathTemplate.replace(TEMPLATE_PARAMETER, '{}')
}

function parameterNames(pathTemplate: string): string[] {
  return [...pathTemplate.matchAll(TEMPLATE_PARAMETER)].map((match) => match[1] ?? '')
}

function renames(before: string, after: string): Map<string, string> {
  const oldNames = parameterNames(before)
  const newNames = parameterNames(after)
  const renamed = new Map<string, string>()
  oldNames.forEach((name, index) => {
    const newName = newNames[index]
    if (newName !== undefined && newName !== name) renamed.set(name, newName)
  })
  return renamed
}

export function matchOperations(oldOperations: readonly OperationView[], newOperations: readonly OperationView[]): OperationMatch {
  const pairs: OperationPair[] = []
  const unmatched = new Set(newOperations)
  const leftOver: OperationView[] = []
  const exact = new Map(newOperations.map((operation) => [`${operation.method} ${operation.pathTemplate}`, operation]))
  for (const operation of oldOperations) {
    const match = exact.get(`${operation.method} ${operation.pathTemplate}`)
    if (match && unmatched.has(match)) {
      pairs.push({ old: operation, new: match, renamed: new Map() })
      unmatched.delete(match)
    } else leftOver.push(operation)
  }
  const removed: OperationView[] = []
  for (const operation of leftOver) {
    const shape = `${operation.method} ${templateShape(operation.pathTemplate)}`
    const match = [...unmatched].find((candidate) => `${candidate.method} ${templateShape(candidate.pathTemplate)}` === shape)
    if (match === undefined) {
      removed.push(operation)
      continue
    }
    pairs.push({ old: operation, new: match, renamed: renames(operation.pathTemplate, match.pathTemplate) })
    unmatched.delete(match)
  }
  return { pairs, removed, added: [...unmatched] }
}
