/**
 * The three arguments of a `SecRule` read into parts: its variables (`ARGS|!ARGS:foo|&TX:x|
 * REQUEST_COOKIES:/^_ga/`), its operator (`!@rx pattern`; no `@` means `@rx`) and its actions
 * (`id:1,phase:2,msg:'a, b',t:none`). Values stay text; the rule compiler gives them meaning.
 */
import { readQuoted } from './quoted.js'

export interface VariableRef {
  /** Collection or variable name, upper case: `ARGS`, `TX`, `REQUEST_HEADERS`. */
  readonly collection: string
  /** A key (`ARGS:foo`), a regular expression (`ARGS:/^foo/`), or none: the whole collection. */
  readonly selector: { readonly kind: 'key'; readonly key: string } | { readonly kind: 'regex'; readonly pattern: string } | null
  /** `!ARGS:foo`: removes matching entries from the rule's targets. */
  readonly exclude: boolean
  /** `&ARGS`: the number of entries instead of their values. */
  readonly count: boolean
}

export interface OperatorRef {
  readonly name: string
  readonly negated: boolean
  readonly argument: string
}

export interface ActionRef {
  readonly name: string
  /** Null for a flag (`block`, `chain`, `capture`). */
  readonly value: string | null
}

/** Throws an Error saying what is malformed. */
export function parseVariables(text: string): VariableRef[] {
  const out: VariableRef[] = []
  let at = 0
  while (at < text.length) {
    let exclude = false
    let count = false
    if (text[at] === '!') {
      exclude = true
      at++
    } else if (text[at] === '&') {
      count = true
      at++
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(at))?.[0]
    if (name === undefined) throw new Error(`variable expected at "${text.slice(at, at + 20)}"`)
    at += name.length
    let selector: VariableRef['selector'] = null
    if (text[at] === ':') {
      at++
      // XML selectors are XPath expressions (`XML:/*`, `XML://@*`), not regular expressions.
      if (text[at] === '/' && name.toUpperCase() !== 'XML') {
        let end = at + 1
        while (end < text.length && text[end] !== '/') end += text[end] === '\\' ? 2 : 1
        if (end >= text.length) throw new Error(`unterminated regular expression selector in "${text}"`)
        selector = { kind: 'regex', pattern: text.slice(at + 1, end) }
        at = end + 1
      } else if (text[at] === "'") {
        const end = text.indexOf("'", at + 1)
        if (end === -1) throw new Error(`unterminated quoted selector in "${text}"`)
        selector = { kind: 'key', key: text.slice(at + 1, end) }
        at = end + 1
      } else {
        const end = text.indexOf('|', at)
        const key = text.slice(at, end === -1 ? text.length : end)
        selector = { kind: 'key', key }
        at += key.length
      }
    }
    out.push({ collection: name.toUpperCase(), selector, exclude, count })
    if (at < text.length) {
      if (text[at] !== '|') throw new Error(`"|" expected at "${text.slice(at, at + 20)}"`)
      at++
    }
  }
  return out
}

export function parseOperator(text: string): OperatorRef {
  let rest = text.trimStart()
  const negated = rest.startsWith('!')
  if (negated) rest = rest.slice(1)
  if (!rest.startsWith('@')) return { name: 'rx', negated, argument: rest }
  const space = rest.search(/\s/)
  const name = space === -1 ? rest.slice(1) : rest.slice(1, space)
  return { name, negated, argument: space === -1 ? '' : rest.slice(space + 1).trimStart() }
}

/** Throws an Error saying what is malformed. */
export function parseActions(text: string): ActionRef[] {
  const out: ActionRef[] = []
  let at = 0
  while (at < text.length) {
    while (at < text.length && /[\s,]/.test(text[at] ?? '')) at++
    if (at >= text.length) break
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(at))?.[0]
    if (name === undefined) throw new Error(`action expected at "${text.slice(at, at + 20)}"`)
    at += name.length
    while (text[at] === ' ') at++
    if (text[at] !== ':') {
      out.push({ name, value: null })
      continue
    }
    at++
    while (text[at] === ' ') at++
    let value: string
    if (text[at] === "'") {
      const quoted = readQuoted(text, at, "'")
      if (quoted === null) throw new Error(`unterminated quoted value of action ${name}`)
      value = quoted.value
      at = quoted.end
    } else {
      const end = text.indexOf(',', at)
      value = text.slice(at, end === -1 ? text.length : end).trim()
      at = end === -1 ? text.length : end
    }
    out.push({ name, value })
  }
  return out
}
