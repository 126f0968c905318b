/**
 * The request-body fields Cedar policies see as `resource.body`: only the configured dotted paths,
 * kept at their nesting (`customer.id` → `{ customer: { id } }`). Form bodies are read as flat
 * fields; every other non-empty body must be JSON. A body that cannot be read is refused rather
 * than evaluated as if the fields were absent: otherwise a body the upstream parses differently
 * (or leniently) would slip past an ownership rule.
 */
import { mediaTypeOf } from '../../net/media-type.js'
import { cedarValue, type CedarValue } from './cedar-policies.js'

export function selectBodyFields(body: Buffer, contentType: string | undefined, paths: readonly (readonly string[])[]): Record<string, CedarValue> | null {
  const selected: Record<string, CedarValue> = {}
  if (body.length === 0) return selected
  let parsed: unknown
  if (mediaTypeOf(contentType) === 'application/x-www-form-urlencoded') {
    parsed = Object.fromEntries(new URLSearchParams(body.toString('utf8')))
  } else {
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      return null
    }
  }
  for (const path of paths) {
    let value: unknown = parsed
    for (const key of path) value = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined
    const converted = cedarValue(value)
    if (converted === undefined) continue
    let target = selected
    path.slice(0, -1).forEach((key) => {
      const next = target[key]
      target = (target[key] = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {}) as Record<string, CedarValue>
    })
    target[path[path.length - 1] as string] = converted
  }
  return selected
}
