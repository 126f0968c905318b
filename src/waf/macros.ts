/**
 * SecLang macros (`%{tx.anomaly_score}`, `%{MATCHED_VAR}`): text split once into literal parts and
 * references, which a transaction fills in with the first value under each key.
 */
import { canonicalKey, slotOf, sourcesOf } from './collections.js'

/** A literal, or a reference to the first value under a key of a collection (its slots: ARGS is ARGS_GET then ARGS_POST). */
export type MacroPart = string | { readonly slots: readonly number[]; readonly lowerKey: string; readonly matched: boolean }

export function parseMacro(text: string): MacroPart[] {
  const parts: MacroPart[] = []
  let at = 0
  for (const match of text.matchAll(/%\{([^}]+)\}/g)) {
    if (match.index > at) parts.push(text.slice(at, match.index))
    const reference = match[1] ?? ''
    const dot = reference.indexOf('.')
    const collection = (dot === -1 ? reference : reference.slice(0, dot)).toUpperCase()
    // `%{rule.id}` and friends are metadata the engine does not expose to values: empty.
    if (collection !== 'RULE') parts.push({ slots: sourcesOf(collection).map(slotOf), lowerKey: canonicalKey((dot === -1 ? collection : reference.slice(dot + 1)).toLowerCase()), matched: collection.startsWith('MATCHED_') })
    at = match.index + match[0].length
  }
  if (at < text.length) parts.push(text.slice(at))
  return parts
}
