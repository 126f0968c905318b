/**
 * A small SQL tokenizer for the SQL injection detector: an input becomes a list of typed tokens,
 * one letter per type — `s` string, `1` number, `n` name, `k` keyword, `E` statement keyword,
 * `U` union, `&` logic operator, `o` operator (symbols and word operators such as LIKE, and NOT),
 * `c` comment, `v` variable, `f` function (a name followed by `(`), and `(`, `)`, `,`, `;` as
 * themselves. It reads the dialects attacks use (MySQL, PostgreSQL, SQL Server, Oracle, SQLite)
 * loosely: it never fails, and text that is not SQL comes out as names and strings, which the
 * detector's grammar then refuses. Linear: each character is looked at a bounded number of times,
 * and at most `MAX_TOKENS` tokens are read.
 */
export interface SqlToken {
  readonly type: string
  readonly text: string
}

/** Statement keywords; `replace`, `insert` and `if` followed by `(` are functions (MySQL's REPLACE(), INSERT(), IF()). */
const STATEMENTS = new Set(['select', 'insert', 'update', 'delete', 'drop', 'create', 'alter', 'truncate', 'exec', 'execute', 'declare', 'shutdown', 'replace', 'merge', 'grant', 'revoke', 'call', 'handler', 'load', 'rename', 'copy'])
const FUNCTION_FIRST = new Set(['replace', 'insert', 'if', 'left', 'right', 'char', 'values', 'exists', 'format', 'database', 'schema', 'user', 'version'])
const KEYWORDS = new Set([
  'from', 'where', 'having', 'group', 'order', 'by', 'limit', 'offset', 'into', 'values', 'set', 'table', 'procedure', 'case', 'when', 'then', 'else', 'end',
  'join', 'inner', 'outer', 'cross', 'natural', 'on', 'using', 'distinct', 'all', 'top', 'waitfor', 'delay', 'time', 'null', 'true', 'false', 'unknown',
  'outfile', 'dumpfile', 'if', 'begin', 'asc', 'desc', 'as', 'for', 'escape', 'collate', 'exists',
])
const LOGIC = new Set(['and', 'or', 'xor', '&&', '||'])
const WORD_OPERATORS = new Set(['not', 'like', 'ilike', 'in', 'is', 'div', 'mod', 'between', 'regexp', 'rlike', 'sounds', 'glob', 'match', 'against', 'similar'])

/** Enough for the grammar to see a clause or two past where an injection breaks out. */
export const MAX_TOKENS = 64

/** `\s` of JavaScript regular expressions, by character code (no regular expression per character: text in other scripts is long). */
function isSpace(c: number): boolean {
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** Letters, `_`, `$`, and every other non-ASCII character, so that text in any script reads as names. */
function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x24 || (c >= 0x80 && !isSpace(c))
}

function isNamePart(c: number): boolean {
  return isNameStart(c) || isDigit(c) || c === 0x2e
}

// Sticky: tried at one position (`lastIndex`), without slicing the input.
const NUMBER = /0x[0-9a-f]*|0b[01]+|[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?/iy
const VARIABLE = /@@?[\w.$]*/y
const DOLLAR_TAG = /^\$[A-Za-z_]{0,32}\$/
const OPERATOR = /<=>|<>|!=|>=|<=|:=|::|<<|>>|[=<>!|&^~+\-*/%]/y

/** The text `regex` matches at `at`; `test` and `lastIndex` rather than `exec`, which allocates a result per call. */
function stickyMatch(regex: RegExp, input: string, at: number): string | undefined {
  regex.lastIndex = at
  return regex.test(input) ? input.slice(at, regex.lastIndex) : undefined
}

/**
 * SQL's functions that injections call, which databases call with a space before `(` too
 * (`sleep (5)`). Any other word is a function only when `(` follows it at once: in prose a
 * parenthesis after a word is a remark — "one or more (optional)".
 */
const SPACED_CALLS = new Set([
  'sleep', 'benchmark', 'pg_sleep', 'load_file', 'extractvalue', 'updatexml', 'ascii', 'ord', 'char', 'chr', 'concat', 'concat_ws', 'group_concat', 'substring', 'substr',
  'mid', 'length', 'count', 'cast', 'convert', 'if', 'iif', 'ifnull', 'isnull', 'nullif', 'coalesce', 'version', 'database', 'user', 'exists', 'hex', 'unhex', 'md5',
  'floor', 'rand', 'elt', 'make_set', 'exp', 'upper', 'lower', 'xmltype', 'waitfor', 'current_user', 'system_user', 'db_name', 'schema', 'min', 'max',
])

/** Whether `(` follows position `at`: at once, or after white space (within 32 characters) for the functions above. */
function parenthesisFollows(input: string, at: number, word: string): boolean {
  if (input.charCodeAt(at) === 0x28) return true
  if (!SPACED_CALLS.has(word)) return false
  const end = Math.min(input.length, at + 32)
  let i = at
  while (i < end && isSpace(input.charCodeAt(i))) i++
  return i < end && input.charCodeAt(i) === 0x28
}

/** Where the string literal opened by the quote at `at` ends (after its closing quote, or the input's end). */
function stringEnd(input: string, at: number): number {
  const quote = input.charCodeAt(at)
  for (let j = at + 1; j < input.length; j++) {
    const c = input.charCodeAt(j)
    if (c === 0x5c) j++
    else if (c === quote) {
      if (input.charCodeAt(j + 1) === quote) j++
      else return j + 1
    }
  }
  return input.length
}

/** The type of a word: union, logic, word operator, statement, function, keyword or name. */
function wordType(lower: string, input: string, end: number): string {
  if (lower === 'union') return 'U'
  if (LOGIC.has(lower)) return '&'
  if (WORD_OPERATORS.has(lower)) return 'o'
  const call = parenthesisFollows(input, end, lower)
  if (STATEMENTS.has(lower) && !(call && FUNCTION_FIRST.has(lower))) return 'E'
  if (call) return 'f'
  return KEYWORDS.has(lower) ? 'k' : 'n'
}

/** The first tokens of `input` (at most `MAX_TOKENS`). */
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
      const end = stringEnd(input, i)
      push('s', input.slice(i, end))
      i = end
    } else if (c === '`') {
      const end = input.indexOf('`', i + 1)
      push('n', input.slice(i, end === -1 ? input.length : end + 1))
      i = end === -1 ? input.length : end + 1
    } else if (isDigit(code) || (c === '.' && isDigit(input.charCodeAt(i + 1)))) {
      const number = stickyMatch(NUMBER, input, i) ?? c
      push('1', number)
      i += number.length
    } else if (c === '#' || (c === '-' && next === '-')) {
      // A line comment ends at the line's end: what follows the newline is read again.
      const end = input.indexOf('\n', i)
      push('c', input.slice(i, end === -1 ? input.length : end))
      i = end === -1 ? input.length : end + 1
    } else if (c === '/' && next === '*') {
      // MySQL runs `/*! … */` (and `/*!50000 … */`) as code: read inside it; its `*/` is skipped below.
      if (input.charAt(i + 2) === '!') {
        i += 3
        while (i < input.length && isDigit(input.charCodeAt(i))) i++
        continue
      }
      const end = input.indexOf('*/', i + 2)
      const comment = input.slice(i, end === -1 ? input.length : end + 2)
      push('c', comment)
      i += comment.length
    } else if (c === '*' && next === '/') {
      i += 2
    } else if (c === '$' && DOLLAR_TAG.test(input.slice(i, i + 34))) {
      // PostgreSQL's dollar quoting: `$$text$$`, `$tag$text$tag$`.
      const tag = DOLLAR_TAG.exec(input.slice(i, i + 34))?.[0] ?? '$$'
      const end = input.indexOf(tag, i + tag.length)
      const stop = end === -1 ? input.length : end + tag.length
      push('s', input.slice(i, stop))
      i = stop
    } else if (c === '@') {
      const variable = stickyMatch(VARIABLE, input, i) ?? '@'
      push('v', variable)
      i += variable.length
    } else if (isNameStart(code)) {
      let end = i + 1
      while (end < input.length && isNamePart(input.charCodeAt(end))) end++
      const word = input.slice(i, end)
      const quote = input.charAt(end)
      // N'…', X'41', B'01', E'…' and Q'…': a string with a prefix.
      if (end === i + 1 && (quote === "'" || quote === '"') && /[nxbeq]/i.test(c)) {
        const stringStop = stringEnd(input, end)
        push('s', input.slice(i, stringStop))
        i = stringStop
        continue
      }
      push(wordType(word.toLowerCase(), input, end), word)
      i = end
    } else if (c === '(' || c === ')' || c === ',' || c === ';') {
      push(c, c)
      i++
    } else if ((c === '&' && next === '&') || (c === '|' && next === '|')) {
      push('&', c + next)
      i += 2
    } else if ('=<>!|&^~+-*/%'.includes(c) || (c === ':' && (next === ':' || next === '='))) {
      const operator = stickyMatch(OPERATOR, input, i) ?? c
      push('o', operator)
      i += operator.length
    } else {
      // Anything else (`?`, `{`, `[`, `\`, a lone `:` as in `author:x`) separates tokens without being one.
      i++
    }
  }
  return tokens
}
