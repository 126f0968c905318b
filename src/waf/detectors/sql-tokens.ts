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

/** `\s` of JavaScript regular expressions (and the no-break space), by character code. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || (c > 0xff && /\s/.test(String.fromCharCode(c)))
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** `[A-Za-z_$\u0080-\u00ff]` */
function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x24 || (c >= 0x80 && c <= 0xff)
}

// Sticky: tried at one position (`lastIndex`), without slicing the input.
const NUMBER = /0x[0-9a-f]+|0b[01]+|[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?/iy
const WORD = /[A-Za-z_$\u0080-\u00ff][\w$.\u0080-\u00ff]*/y
const VARIABLE = /@@?[\w.$]*/y
const OPERATOR = /<=>|<>|!=|>=|<=|:=|<<|>>|[=<>!|&^~+\-*/%:]/y

/** The text `regex` matches at `at`; `test` and `lastIndex` rather than `exec`, which allocates a result per call. */
function stickyMatch(regex: RegExp, input: string, at: number): string | undefined {
  regex.lastIndex = at
  return regex.test(input) ? input.slice(at, regex.lastIndex) : undefined
}

/** Whether `(` follows position `at`, after white space, within 32 characters. */
function parenthesisFollows(input: string, at: number): boolean {
  const end = Math.min(input.length, at + 32)
  let i = at
  while (i < end && isSpace(input.charCodeAt(i))) i++
  return i < end && input.charCodeAt(i) === 0x28
}

/** The first tokens of `input` (at most 16). */
export function sqlTokens(input: string): SqlToken[] {
  const tokens: SqlToken[] = []
  let i = 0
  const push = (type: string, text: string) => tokens.push({ type, text })
  while (i < input.length && tokens.length < MAX_TOKENS) {
    const code = input.charCodeAt(i)
    const c = input.charAt(i)
    const next = input.charAt(i + 1)
    if (isSpace(code)) {
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
    } else if (isDigit(code) || (c === '.' && isDigit(input.charCodeAt(i + 1)))) {
      const number = stickyMatch(NUMBER, input, i) ?? c
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
      const variable = stickyMatch(VARIABLE, input, i) ?? '@'
      push('v', variable)
      i += variable.length
    } else if (isNameStart(code)) {
      const word = stickyMatch(WORD, input, i) ?? c
      const lower = word.toLowerCase()
      i += word.length
      if (lower === 'union') push('U', word)
      else if (LOGIC.has(lower)) push('&', word)
      else if (WORD_OPERATORS.has(lower)) push('o', word)
      else if (STATEMENTS.has(lower)) push('E', word)
      else if (parenthesisFollows(input, i)) push('f', word)
      else if (KEYWORDS.has(lower)) push('k', word)
      else push('n', word)
    } else if (c === '(' || c === ')' || c === ',' || c === ';') {
      push(c, c)
      i++
    } else if ((c === '&' && next === '&') || (c === '|' && next === '|')) {
      push('&', c + next)
      i += 2
    } else if ('=<>!|&^~+-*/%:'.includes(c)) {
      const operator = stickyMatch(OPERATOR, input, i) ?? c
      push('o', operator)
      i += operator.length
    } else {
      // Anything else (`?`, `{`, non-ASCII punctuation) separates tokens without being one.
      i++
    }
  }
  return tokens
}
