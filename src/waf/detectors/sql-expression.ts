/**
 * Expressions for the SQL injection detector's grammar (sql-break-out.ts): a reader over the
 * tokens of sql-tokens.ts that skips comments, and operands, operator chains and lists read from
 * it, noting what they hold — literals, names, comparisons, calls (of attack functions above
 * all), subqueries and CASE. Parenthesised groups (subqueries, arguments) are read as balanced
 * token runs: their content only adds evidence.
 */
import { statementAt } from './sql-statements.js'
import type { SqlToken } from './sql-tokens.js'

/** Functions attacks call to delay, to reach files or the network, or to extract data through errors: a call is an injection wherever it sits. */
export const ATTACK_FUNCTIONS = new Set([
  'sleep', 'benchmark', 'pg_sleep', 'load_file', 'extractvalue', 'updatexml', 'dbms_pipe.receive_message', 'dbms_lock.sleep', 'utl_inaddr.get_host_address',
  'utl_inaddr.get_host_name', 'utl_http.request', 'xp_cmdshell', 'sys_eval', 'sys_exec', 'randomblob', 'json_keys', 'gtid_subset', 'gtid_subtract', 'name_const',
  'make_set', 'elt', 'ctxsys.drithsx.sn', 'xmltype', 'dbms_xmlgen.getxml', 'regexp_substring', 'exp', 'polygon', 'multipoint', 'linestring', 'geometrycollection',
  'multipolygon', 'multilinestring', 'st_latfromgeohash', 'st_longfromgeohash', 'st_pointfromgeohash', 'iif',
])

const COMPARISONS = new Set(['=', '<', '>', '<=', '>=', '<>', '!=', '<=>', 'like', 'ilike', 'rlike', 'regexp', 'in', 'is', 'between', 'sounds', 'glob', 'similar', 'match'])
const UNARY = new Set(['-', '+', '~', '!', 'not'])
export const LITERALS = new Set(['null', 'true', 'false', 'unknown'])

/** What an expression holds: literals, names, comparisons (with their operands read), calls, subqueries or CASE. */
export interface Expression {
  literal: boolean
  /** How many names it holds. */
  names: number
  comparison: boolean
  call: boolean
  attackCall: boolean
  subquery: boolean
}

/**
 * Notes a literal operand: a number, a variable, `NULL`/`TRUE`…, or a string of one word. A
 * string with spaces in it is text, not a literal — `Date "and" time "in" UTC` read from its first
 * quote holds strings like `" time "` — while injected literals are short (`'1'='1`, `'x'='x`).
 */
function noteLiteral(into: Expression, token: SqlToken | undefined): void {
  if (token?.type !== 's' || !/\S\s+\S/.test(token.text)) into.literal = true
}

export const nothing = (): Expression => ({ literal: false, names: 0, comparison: false, call: false, attackCall: false, subquery: false })

/** A reader over tokens; comments are skipped, but remembered where they end the input. */
export class Reader {
  readonly #tokens: readonly SqlToken[]
  #at: number

  constructor(tokens: readonly SqlToken[], at: number) {
    this.#tokens = tokens
    this.#at = at
    this.#skipComments()
  }

  #skipComments(): void {
    while (this.#tokens[this.#at]?.type === 'c') this.#at++
  }

  get token(): SqlToken | undefined {
    return this.#tokens[this.#at]
  }

  get type(): string {
    return this.#tokens[this.#at]?.type ?? ''
  }

  /** The lower-case text `ahead` tokens on, comments included. */
  peekWord(ahead: number): string {
    return this.#tokens[this.#at + ahead]?.text.toLowerCase() ?? ''
  }

  /** The type `ahead` tokens on, comments included. */
  peekType(ahead: number): string {
    return this.#tokens[this.#at + ahead]?.type ?? ''
  }

  get word(): string {
    return this.#tokens[this.#at]?.text.toLowerCase() ?? ''
  }

  get done(): boolean {
    return this.#at >= this.#tokens.length
  }

  /** Whether a statement starts here (see sql-statements.ts). */
  statementHere(): boolean {
    return statementAt(this.#tokens, this.#at)
  }

  /** Whether the token here is a comment (looked at before skipping). */
  commentAt(index: number): boolean {
    return this.#tokens[index]?.type === 'c'
  }

  get position(): number {
    return this.#at
  }

  advance(): void {
    this.#at++
    this.#skipComments()
  }

  /** From `(`, past its matching `)` (or to the end): what the group holds. */
  group(into: Expression): void {
    let depth = 0
    do {
      const type = this.type
      if (type === '(') depth++
      else if (type === ')') depth--
      else if (type === 'E' && this.word === 'select' && this.peekType(1) !== ')') into.subquery = true
      else if (type === '1' || type === 's' || type === 'v') noteLiteral(into, this.#tokens[this.#at])
      else if (type === 'f') {
        into.call = true
        if (ATTACK_FUNCTIONS.has(this.word)) into.attackCall = true
      } else if (type === 'k' && this.word === 'case' && this.caseFollows()) into.subquery = true
      else if (type === 'o' && COMPARISONS.has(this.word)) into.comparison = true
      this.advance()
    } while (depth > 0 && !this.done)
  }

  /** Whether the `CASE` here starts a CASE expression: `CASE WHEN` or `CASE x WHEN`, not the English word. */
  caseFollows(): boolean {
    const isWhen = (t: SqlToken | undefined) => t?.type === 'k' && t.text.toLowerCase() === 'when'
    return isWhen(this.#tokens[this.#at + 1]) || isWhen(this.#tokens[this.#at + 2])
  }

  /** `CASE … END`, nested ones included. */
  caseExpression(into: Expression): void {
    let depth = 0
    do {
      if (this.type === 'k' && this.word === 'case') depth++
      else if (this.type === 'k' && this.word === 'end') depth--
      else if (this.type === 'f') into.call = true
      this.advance()
    } while (depth > 0 && !this.done)
    into.subquery = true
  }
}

/** One operand, after any unary operators; false if the token here cannot start one. */
export function operand(reader: Reader, into: Expression): boolean {
  while (reader.type === 'o' && UNARY.has(reader.word)) reader.advance()
  const type = reader.type
  if (type === '1' || type === 's' || type === 'v' || (type === 'k' && LITERALS.has(reader.word))) {
    noteLiteral(into, reader.token)
    reader.advance()
  } else if (type === 'n') {
    into.names++
    reader.advance()
  } else if (type === 'f') {
    into.call = true
    if (ATTACK_FUNCTIONS.has(reader.word)) into.attackCall = true
    reader.advance()
    if (reader.type === '(') reader.group(into)
  } else if (type === '(') {
    reader.group(into)
  } else if (type === 'k' && reader.word === 'case' && reader.caseFollows()) {
    reader.caseExpression(into)
  } else {
    return false
  }
  return true
}

/** operand (operator operand)*; false if no operand starts here. */
export function expression(reader: Reader, into: Expression): boolean {
  if (!operand(reader, into)) return false
  while (reader.type === 'o' && operation(reader, into));
  return true
}

/**
 * An operator here and its right operand, as SQL has them: `= 1`, `NOT LIKE 'a%'`, `IS NOT
 * NULL`, `IN (…)`, `IN BOOLEAN MODE`; false where what follows is not the operator's operand
 * (`"replyUrl" is 'too long'`, `511</p>`). A comparison is noted only once its operand is read.
 */
export function operation(reader: Reader, into: Expression): boolean {
  if (reader.word === 'not') reader.advance()
  const operator = reader.word
  reader.advance()
  if (reader.type === 'o' && reader.word === 'not') reader.advance()
  if (fullTextModifier(reader)) return true
  if (operator === 'is' && !(reader.type === 'k' && LITERALS.has(reader.word))) return false
  if (operator === 'in' && reader.type !== '(') return false
  if (!operand(reader, into)) return false
  if (COMPARISONS.has(operator)) into.comparison = true
  return true
}

/** MySQL's `IN BOOLEAN MODE`, `IN NATURAL LANGUAGE MODE` after `MATCH … AGAINST ('…'`: names SQL allows there. */
function fullTextModifier(reader: Reader): boolean {
  const first = reader.word
  if (first !== 'boolean' && first !== 'natural') return false
  for (let i = 0; i < 3 && reader.type === 'n'; i++) {
    const word: string = reader.word
    reader.advance()
    if (word === 'mode') break
  }
  return true
}

/** Reads a list of expressions separated by commas; the strongest evidence of any. */
export function expressionList(reader: Reader, into: Expression): boolean {
  if (!expression(reader, into)) return false
  while (reader.type === ',') {
    reader.advance()
    // A trailing comma before the end or a comment: `GROUP BY 1,2,--`.
    if (reader.done) return true
    if (!expression(reader, into)) return false
  }
  while (reader.type === 'k' && (reader.word === 'asc' || reader.word === 'desc')) reader.advance()
  return true
}

/** Whether a string token ends with the quote it opened with (`'a'`, `N'a'`), rather than running to the input's end. */
export function isClosedString(text: string): boolean {
  const open = /['"$]/.exec(text)
  return open !== null && text.length > open.index + 1 && text.endsWith(open[0])
}

/** A value in parentheses: a subquery or CASE (read as a group), or an expression or condition that fills them (`(1=2)`, not `(see note 1)`). */
export function parenthesised(reader: Reader, into: Expression): boolean {
  const inner = reader.peekType(1)
  if (inner === 'E' || inner === '(' || inner === 'k') {
    reader.group(into)
    return true
  }
  reader.advance()
  if (!expression(reader, into)) return false
  // A condition: `(1=2 AND SLEEP(5))`.
  while (reader.type === '&') {
    reader.advance()
    if (!expression(reader, into)) return false
  }
  if (reader.type !== ')') return false
  reader.advance()
  return true
}
