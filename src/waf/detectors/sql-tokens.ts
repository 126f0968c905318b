/**
 * A small SQL tokenizer for the SQL injection detector: an input becomes a fingerprint, one
 * letter per token — `s` string, `1` number, `n` name, `k` keyword, `E` statement keyword,
 * `U` union, `&` logic operator, `o` operator, `c` comment, `v` variable, `f` function (a name
 * followed by `(`), and `(`, `)`, `,`, `;` as themselves. The detector decides on fingerprints,
 * in the spirit of libinjection, with its own rules.
 */
export interface SqlToken {
  readonly type: string
  readonly text: string
}

const STATEMENTS = new Set(['select', 'insert', 'update', 'delete', 'drop', 'create', 'alter', 'truncate', 'exec', 'execute', 'declare', 'shutdown', 'replace', 'merge', 'grant', 'revoke', 'call', 'handler', 'load', 'rename'])
const KEYWORDS = new Set([
  'from', 'where', 'having', 'group', 'order', 'by', 'limit', 'offset', 'into', 'values', 'set', 'table', 'database', 'procedure', 'case', 'when', 'then', 'else', 'end', 'join', 'inner', 'outer', 'left', 'right', 'cross', 'natural', 'distinct', 'all', 'top', 'waitfor', 'delay', 'null', 'true', 'false', 'outfile', 'dumpfile', 'information_schema', 'sysobjects', 'syscolumns', 'if', 'elseif', 'begin', 'cast', 'convert', 'collate', 'asc', 'desc', 'exists', 'analyse',
])
const LOGIC = new Set(['and', 'or', 'xor', 'not', '&&', '||'])
const WORD_OPERATORS = new Set(['like', 'in', 'is', 'div', 'mod', 'between', 'regexp', 'rlike', 'sounds', 'glob', 'match', 'against'])

const MAX_TOKENS = 16

function isNameStart(c: string): boolean {
  return /[A-Za-z_$\u0080-\u00ff]/.test(c)
}

/** The first tokens of `input` (at most 16). */
export function sqlTokens(input: string): SqlToken[] {
  const tokens: SqlToken[] = []
  let i = 0
  const push = (type: string, text: string) => tokens.push({ type, text })
  while (i < input.length && tokens.length < MAX_TOKENS) {
    const c = input[i] ?? ''
    const next = input[i + 1] ?? ''
    if (/[\s\u00a0]/.test(c)) {
      i++
    } else if (c === "'" || c === '"') {
      let j = i + 1
      for (; j < input.length; j++) {
        if (input[j] === '\\') j++
        else if (input[j] === c) {
          if (input[j + 1] === c) j++
          else break
        }
      }
      push('s', input.slice(i, j + 1))
      i = j + 1
    } else if (c === '`') {
      const end = input.indexOf('`', i + 1)
      push('n', input.slice(i, end === -1 ? input.length : end + 1))
      i = end === -1 ? input.length : end + 1
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next))) {
      const number = /^(?:0x[0-9a-f]+|0b[01]+|[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)/i.exec(input.slice(i))?.[0] ?? c
      push('1', number)
      i += number.length
    } else if (c === '#' || (c === '-' && next === '-')) {
      push('c', input.slice(i))
      i = input.length
    } else if (c === '/' && next === '*') {
      const end = input.indexOf('*/', i + 2)
      const comment = input.slice(i, end === -1 ? input.length : end + 2)
      // MySQL runs `/*! … */` as code: read inside it rather than treating it as a comment.
      if (comment.startsWith('/*!')) {
        i += /^\/\*!\d*/.exec(comment)?.[0].length ?? 3
        continue
      }
      push('c', comment)
      i += comment.length
    } else if (c === '@') {
      const variable = /^@@?[\w.$]*/.exec(input.slice(i))?.[0] ?? '@'
      push('v', variable)
      i += variable.length
    } else if (isNameStart(c)) {
      const word = /^[A-Za-z_$\u0080-\u00ff][\w$.\u0080-\u00ff]*/.exec(input.slice(i))?.[0] ?? c
      const lower = word.toLowerCase()
      i += word.length
      const followedByParen = /^\s*\(/.test(input.slice(i, i + 32))
      if (lower === 'union') push('U', word)
      else if (LOGIC.has(lower)) push('&', word)
      else if (WORD_OPERATORS.has(lower)) push('o', word)
      else if (STATEMENTS.has(lower)) push('E', word)
      else if (followedByParen) push('f', word)
      else if (KEYWORDS.has(lower)) push('k', word)
      else push('n', word)
    } else if ('(),;'.includes(c)) {
      push(c, c)
      i++
    } else if ((c === '&' && next === '&') || (c === '|' && next === '|')) {
      push('&', c + next)
      i += 2
    } else if ('=<>!|&^~+-*/%:'.includes(c)) {
      const operator = /^(?:<=>|<>|!=|>=|<=|:=|<<|>>|[=<>!|&^~+\-*/%:])/.exec(input.slice(i))?.[0] ?? c
      push('o', operator)
      i += operator.length
    } else {
      // Anything else (`?`, `{`, non-ASCII punctuation) separates tokens without being one.
      i++
    }
  }
  return tokens
}
