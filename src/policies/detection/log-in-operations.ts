/** Which operations are log-ins, and the user name a log-in request names. */
import { isLoginLike } from '../../audit/operation-kinds.js'
import type { OperationEntry } from '../../openapi/list-operations.js'

/** Keys (`METHOD /template`) of the log-in operations: those named, or the POSTs that read as log-ins. */
export function loginOperationsOf(operations: ReadonlyMap<string, OperationEntry>, named: readonly string[] | undefined): ReadonlySet<string> {
  const keys = new Set<string>()
  for (const [key, entry] of operations) {
    const chosen = named === undefined ? entry.method.toUpperCase() === 'POST' && isLoginLike(entry.template, entry.operationId) : named.includes(key) || (entry.operationId !== null && named.includes(entry.operationId))
    if (chosen) keys.add(key)
  }
  return keys
}

const USER_FIELD = /^(user(_?name)?|login|e_?mail|email_?address|account|user_?id|phone|client_?id)$/i
const MAX_NAME_LENGTH = 256

/** The user name in a log-in body (a top-level field, or one level down: `{"user": {"email": …}}`), or null. */
export function userNameIn(body: Buffer, contentType: string): string | null {
  const text = body.toString('utf8')
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    for (const [name, value] of new URLSearchParams(text)) if (USER_FIELD.test(name) && value !== '' && value.length <= MAX_NAME_LENGTH) return value
    return null
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return null
  }
  return nameIn(parsed, 2)
}

function nameIn(value: unknown, depth: number): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth === 0) return null
  for (const [field, inner] of Object.entries(value)) {
    if (USER_FIELD.test(field) && typeof inner === 'string' && inner !== '' && inner.length <= MAX_NAME_LENGTH) return inner
  }
  for (const inner of Object.values(value)) {
    const found = nameIn(inner, depth - 1)
    if (found !== null) return found
  }
  return null
}
