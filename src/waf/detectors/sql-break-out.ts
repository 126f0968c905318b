/**
 * The grammar half of the SQL injection detector: given the tokens of a value as SQL would read
 * them once the value has broken out of its context (past a closing quote, a number, a name),
 * does what follows continue the statement — and how strongly does it say "injection"?
 *
 * The continuation is read clause by clause: `AND`/`OR` and an expression, an operator and an
 * expression, `UNION [ALL] SELECT`, `;` and a statement, `ORDER BY`/`GROUP BY`/`HAVING`/`WHERE`/
 * `LIMIT`, `PROCEDURE`, `INTO OUTFILE`, `WAITFOR`, `AS alias`, closing parentheses, a comment.
 * Parenthesised parts (subqueries, function arguments) and `CASE … END` are read as balanced
 * groups whose content only adds evidence. Anything else — a name right after a string, two
 * names in a row, a string after a name: prose — stops the reading.
 *
 * Evidence comes in three strengths. Strong: a subquery, `UNION SELECT`, a stacked statement,
 * `CASE`, a function call in a boolean clause, a comparison of a literal in a boolean clause,
 * `WAITFOR`, `INTO OUTFILE`, `PROCEDURE`. It holds even if the text after it does not read as SQL
 * (attackers append junk). Medium: a literal in a boolean clause, a comparison right after the
 * break-out, `ORDER BY`, `LIMIT`, a comment right after a closed quote or parenthesis. It holds
 * only if everything after the break-out reads as SQL to the end (or to a comment), which prose
 * almost never does. Weak: anything else, never enough.
 */
import { MAX_TOKENS, type SqlToken } from './sql-tokens.js'

export const WEAK = 0
export const MEDIUM = 1
export const STRONG = 2

/** What the reading found. `complete`: the tokens after the break-out read as SQL to the end. */
export interface Continuation {
  readonly strength: number
  readonly complete: boolean
}

/** Functions attacks call to delay, to reach files or the network, or to extract data through errors: a call is an injection wherever it sits. */
export const ATTACK_FUNCTIONS = new Set([
  'sleep', 'benchmark', 'pg_sleep', 'load_file', 'extractvalue', 'updatexml', 'dbms_pipe.receive_message', 'dbms_lock.sleep', 'utl_inaddr.get_host_address',
  'utl_inaddr.get_host_name', 'utl_http.request', 'xp_cmdshell', 'sys_eval', 'sys_exec', 'randomblob', 'json_keys', 'gtid_subset', 'gtid_subtract', 'name_const',
  'make_set', 'elt', 'ctxsys.drithsx.sn', 'xmltype', 'dbms_xmlgen.getxml', 'regexp_substring', 'exp', 'polygon', 'multipoint', 'linestring', 'geometrycollection',
  'multipolygon', 'multilinestring', 'st_latfromgeohash', 'st_longfromgeohash', 'st_pointfromgeohash', 'waitfor', 'iif',
])

const COMPARISONS = new Set(['=', '<', '>', '<=', '>=', '<>', '!=', '<=>', 'like', 'ilike', 'rlike', 'regexp', 'in', 'is', 'between', 'sounds', 'glob', 'similar', 'match'])
const UNARY = new Set(['-', '+', '~', '!', 'not'])
const LITERALS = new Set(['null', 'true', 'false', 'unknown'])
/** What may follow `;` as a new statement, besides the statement keywords. */
const STATEMENT_STARTS = new Set(['waitfor', 'set', 'if', 'begin', 'declare', 'with'])

interface Expression {
  literal: boolean
  name: boolean
  comparison: boolean
  call: boolean
  attackCall: boolean
  subquery: boolean
}

const nothing = (): Expression => ({ literal: false, name: false, comparison: false, call: false, attackCall: false, subquery: false })

/** A reader over tokens; comments are skipped, but remembered where they end the input. */
class Reader {
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
      else if (type === 'E') into.subquery = true
      else if (type === '1' || type === 's' || type === 'v') into.literal = true
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
function operand(reader: Reader, into: Expression): boolean {
  while (reader.type === 'o' && UNARY.has(reader.word)) reader.advance()
  const type = reader.type
  if (type === '1' || type === 's' || type === 'v' || (type === 'k' && LITERALS.has(reader.word))) {
    into.literal = true
    reader.advance()
  } else if (type === 'n') {
    into.name = true
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
function expression(reader: Reader, into: Expression): boolean {
  if (!operand(reader, into)) return false
  while (reader.type === 'o' && !reader.done) {
    if (reader.word === 'not') reader.advance()
    if (COMPARISONS.has(reader.word)) into.comparison = true
    reader.advance()
    if (reader.type === 'o' && reader.word === 'not') reader.advance()
    fullTextModifier(reader)
    if (!operand(reader, into)) return true
  }
  return true
}

/** MySQL's `IN BOOLEAN MODE`, `IN NATURAL LANGUAGE MODE` after `MATCH … AGAINST ('…'`: names SQL allows there. */
function fullTextModifier(reader: Reader): void {
  const first = reader.word
  if (first !== 'boolean' && first !== 'natural') return
  for (let i = 0; i < 3 && reader.type === 'n'; i++) {
    const word: string = reader.word
    reader.advance()
    if (word === 'mode') break
  }
}

/** A boolean clause's strength: calls, subqueries and comparisons of literals are SQL; a lone literal is a hint. */
function booleanStrength(e: Expression): number {
  if (e.subquery || e.call || (e.comparison && e.literal)) return STRONG
  return e.literal ? MEDIUM : WEAK
}

/** Reads a list of expressions separated by commas; the strongest evidence of any. */
function expressionList(reader: Reader, into: Expression): boolean {
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
function isClosedString(text: string): boolean {
  const open = /['"$]/.exec(text)
  return open !== null && text.length > open.index + 1 && text.endsWith(open[0])
}

/** A value in parentheses: a subquery or CASE (read as a group), or an expression that fills them (`(1=2)`, not `(see note 1)`). */
function parenthesised(reader: Reader, into: Expression): boolean {
  const inner = reader.peekType(1)
  if (inner === 'E' || inner === '(' || inner === 'k') {
    reader.group(into)
    return true
  }
  reader.advance()
  if (!expression(reader, into) || reader.type !== ')') return false
  reader.advance()
  return true
}

/**
 * How a value that is not pasted into a string reads (from token `from` on): the value itself (a number, a name, a
 * call, a parenthesised expression), then its continuation. A value that starts with `AND`,
 * `OR`, `UNION` or `;` is all continuation: it was meant to follow whatever the query had.
 */
export function readUnquoted(tokens: readonly SqlToken[], from = 0): Continuation {
  const reader = new Reader(tokens, from)
  const first = reader.type
  if (first === '&' || first === 'U' || first === ';' || first === ',' || first === ')') return readContinuation(tokens, reader.position, false)
  // `ORDER BY SLEEP(5)`: a clause meant to follow the query's own; as a sort order (`order by date`) only structure counts.
  if (first === 'k' && (reader.word === 'order' || reader.word === 'group') && reader.peekWord(1) === 'by') return readContinuation(tokens, reader.position, false, true)
  const e = nothing()
  // The value's first word reads as a name even where SQL has a keyword of that spelling (`order`, `table`).
  if (first === 'k' && !(reader.word === 'case' && reader.caseFollows()) && !LITERALS.has(reader.word)) reader.advance()
  else if (first === '(' && !parenthesised(reader, e)) return { strength: WEAK, complete: false }
  else if (first !== '(' && !operand(reader, e)) return { strength: WEAK, complete: false }
  // A value that is a call of an attack function, a subquery or CASE; a parenthesised comparison of literals (`(1=2)*3`)
  // if all of it reads as SQL.
  const own = e.subquery || e.attackCall ? STRONG : first === '(' && e.comparison && e.literal ? MEDIUM : WEAK
  // A value that is itself an expression — a condition or a sum (`status = 'open' AND …`, `10 > 5 and 3 < 4`), a call
  // (`contains(title, 'x') or …`, filter and query languages) — broke out of nothing: only structure counts.
  const predicate = reader.type === 'o' || (e.call && !e.attackCall)
  const rest = readContinuation(tokens, reader.position, false, predicate)
  return { strength: Math.max(own, rest.strength), complete: rest.complete }
}

/**
 * Reads the continuation from `at`, the first token after the break-out. `quoted`: the value
 * broke out of a string, where even a lone comment after the quote (`admin'--`) is a statement
 * cut short.
 */
export function readContinuation(tokens: readonly SqlToken[], at: number, quoted: boolean, predicate = false): Continuation {
  const reader = new Reader(tokens, at)
  let strength = WEAK
  let closed = 0
  // Whether ORDER BY, GROUP BY or LIMIT followed: SQL clauses no prose has.
  let clause = false
  while (reader.type === ')') {
    closed++
    reader.advance()
  }
  // After a quote or a closing parenthesis the value has visibly left its context.
  const brokeOut = quoted || closed > 0
  // Medium evidence after a quote needs a value of the kind applications paste into queries before it — a number, an
  // id, a word — not a phrase: `x' = 'y`, not `The '=' sign`; `admin'--`, not `The Smiths' -- their best album`.
  const phrase = quoted && /\s/.test(tokens[at - 1]?.text ?? '')
  // The input's own end, unless the tokenizer stopped reading before it.
  const last = tokens.length < MAX_TOKENS ? tokens[tokens.length - 1] : undefined
  const endsInComment = last?.type === 'c'
  // Ends by opening a literal that the query's own closing quote will close: `x' | y | '`, `x'+f()+'`.
  const reopens = quoted && last?.type === 's' && !isClosedString(last.text)
  const note = (level: number, structural = false) => {
    if ((structural || !predicate) && level > strength) strength = level
  }
  // A break-out straight into a comment that cuts the statement off: `admin'--`, `1)-- -`, `x'#`.
  if (brokeOut && reader.commentAt(at + closed) && cutsOff(tokens[at + closed]?.text ?? '')) note(MEDIUM)
  while (!reader.done && strength < STRONG) {
    const type = reader.type
    const word = reader.word
    const e = nothing()
    if (type === '&') {
      reader.advance()
      if (!expression(reader, e)) break
      // `1 or 2` is prose; `1 or true-- -` cuts the query off.
      const plain = !brokeOut && !e.subquery && !e.call && !e.comparison
      note(plain ? (endsInComment && e.literal && tokens[at - 1]?.type !== 's' ? MEDIUM : WEAK) : booleanStrength(e))
      if (e.subquery || e.attackCall) note(STRONG, true)
    } else if (type === 'o') {
      if (word === 'not') reader.advance()
      if (COMPARISONS.has(reader.word)) e.comparison = true
      reader.advance()
      if (reader.type === 'o' && reader.word === 'not') reader.advance()
      fullTextModifier(reader)
      if (reader.type === ')' || reader.done) continue
      if (!expression(reader, e)) break
      // Arithmetic on a number (`2+2=4`) is not a break-out; after a quote, a comparison or a call is (`x'='x`, `x'+char(65)+'`).
      // Not a chain of quoted words (`by "+" or " + "`): prose quotes operators too.
      note(e.subquery || e.attackCall ? STRONG : brokeOut && (e.call || (e.comparison && e.literal) || (reopens && e.name)) ? MEDIUM : WEAK, e.subquery || e.attackCall)
    } else if (type === 'U') {
      reader.advance()
      // `UNION ALL` and `UNION DISTINCT` are SQL even where the value ends before the SELECT.
      if (reader.word === 'all' || reader.word === 'distinct' || reader.type === 'E' || reader.type === '(') note(STRONG, true)
      break
    } else if (type === ';') {
      reader.advance()
      if (reader.type === '(') reader.group(e)
      if (reader.type === 'E' || (reader.type !== 's' && STATEMENT_STARTS.has(reader.word)) || e.subquery || e.attackCall) note(STRONG, true)
      else if (reader.done && brokeOut) note(MEDIUM)
      break
    } else if (type === ',') {
      reader.advance()
      if (!expression(reader, e)) break
      note(e.subquery || e.attackCall || (e.call && e.comparison) ? STRONG : WEAK, true)
    } else if (type === ')') {
      reader.advance()
    } else if (type === '(') {
      // A subquery right after the break-out: `')(SELECT …)`.
      reader.group(e)
      if (!e.subquery) break
      note(STRONG, true)
    } else if (type === 'k' && (word === 'order' || word === 'group')) {
      reader.advance()
      if (reader.word !== 'by') break
      reader.advance()
      if (!expressionList(reader, e)) break
      clause = true
      if (e.subquery || e.attackCall) note(STRONG, true)
      else note(MEDIUM)
    } else if (type === 'k' && (word === 'having' || word === 'where')) {
      reader.advance()
      if (!expression(reader, e)) break
      note(MEDIUM)
      if (e.subquery || e.attackCall) note(STRONG, true)
    } else if (type === 'k' && (word === 'limit' || word === 'offset')) {
      reader.advance()
      if (!expressionList(reader, e)) break
      clause = true
      note(MEDIUM)
    } else if (type === 'k' && (word === 'procedure' || word === 'waitfor' || word === 'into')) {
      note(STRONG, true)
      break
    } else if (type === 'f' && ATTACK_FUNCTIONS.has(word)) {
      // An attack function right after the break-out, even without an operator: `2010-01-01' sleep(20) '` (not `Results for 'sleep(5)'`).
      if (!phrase) note(STRONG, true)
      reader.advance()
      if (reader.type === '(') reader.group(e)
    } else if (type === 'k' && word === 'as') {
      reader.advance()
      if (reader.type !== 'n' && reader.type !== 's') break
      reader.advance()
    } else if (type === 'k' && word === 'collate') {
      reader.advance()
      reader.advance()
    } else {
      break
    }
  }
  if (strength === MEDIUM && phrase && !clause) strength = WEAK
  return { strength, complete: reader.done && last !== undefined }
}

/** A comment that ends a statement early rather than remarking on it: `--` with at most one word after, a bare `#`, a block comment. */
function cutsOff(comment: string): boolean {
  if (comment.startsWith('#')) return comment.slice(1).trim() === ''
  if (comment.startsWith('--')) return !/\S\s+\S/.test(comment.slice(2).trim())
  return true
}
