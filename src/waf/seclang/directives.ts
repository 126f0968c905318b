/**
 * SecLang text as directives: a name and its arguments, with the file and line each starts on.
 * A line ending in a backslash continues on the next; `#` starts a comment line; arguments are
 * separated by whitespace and may be double-quoted, where `\"` is a quote and every other
 * backslash is kept for the operator or action parser that reads the argument next (regular
 * expressions need theirs).
 */
import { readQuoted } from './quoted.js'

export interface Directive {
  readonly name: string
  readonly args: readonly string[]
  readonly file: string
  readonly line: number
}

export class SecLangSyntaxError extends Error {
  readonly file: string
  readonly line: number

  constructor(message: string, file: string, line: number) {
    super(`${file}:${line}: ${message}`)
    this.file = file
    this.line = line
    this.name = 'SecLangSyntaxError'
  }
}

export function readDirectives(text: string, file: string): Directive[] {
  const directives: Directive[] = []
  const lines = text.split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const start = index + 1
    let logical = lines[index] ?? ''
    while (/\\\s*$/.test(logical) && index + 1 < lines.length) {
      logical = logical.replace(/\\\s*$/, '') + (lines[++index] ?? '')
    }
    const trimmed = logical.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const words = splitArguments(trimmed, file, start)
    const [name, ...args] = words
    if (name === undefined) continue
    directives.push({ name, args, file, line: start })
  }
  return directives
}

function splitArguments(text: string, file: string, line: number): string[] {
  const words: string[] = []
  let at = 0
  while (at < text.length) {
    while (at < text.length && /\s/.test(text[at] ?? '')) at++
    if (at >= text.length) break
    if (text[at] === '"') {
      const quoted = readQuoted(text, at, '"')
      if (quoted === null) throw new SecLangSyntaxError('unterminated quoted argument', file, line)
      words.push(quoted.value)
      at = quoted.end
    } else {
      const begin = at
      while (at < text.length && !/\s/.test(text[at] ?? '')) at++
      words.push(text.slice(begin, at))
    }
  }
  return words
}
