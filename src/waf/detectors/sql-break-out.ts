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
 * Evidence comes in three strengths. Strong: a subquery, `UNION SELECT` (or `UNION ALL`), a
 * stacked statement, `CASE`, a call of a delaying, file or error-extracting function, any call or
 * a comparison of a literal in a boolean clause, `WAITFOR`, `INTO OUTFILE`, `PROCEDURE`. It holds
 * even if the text after it does not read as SQL (attackers append junk). Medium: a literal in a
 * boolean clause, a comparison or a call right after a quote, `ORDER BY`, `LIMIT`, a comment that
 * cuts the statement off right after a quote or parenthesis. It holds only if everything after the
 * break-out reads as SQL to the end (or to a comment), which prose almost never does. Weak:
 * anything else, never enough.
 */
import {
  ATTACK_FUNCTIONS, expression, expressionList, isClosedString, LITERALS, nothing, operand, operation, parenthesised, Reader, type Expression,
} from './sql-expression.js'
import { MAX_TOKENS, type SqlToken } from './sql-tokens.js'

export const WEAK = 0
export const MEDIUM = 1
export const STRONG = 2

/** What the reading found. `complete`: the tokens after the break-out read as SQL to the end. */
export interface Continuation {
  readonly strength: number
  readonly complete: boolean
}

/** A boolean clause's strength: calls, subqueries and comparisons of literals are SQL; a lone literal is a hint. */
function booleanStrength(e: Expression): number {
  if (e.subquery || e.call || (e.comparison && e.literal)) return STRONG
  return e.literal ? MEDIUM : WEAK
}

/**
 * How a value that is not pasted into a literal reads (from token `from` on): the value itself —
 * a number, a name, a call, a parenthesised expression — then its continuation. A value that
 * starts with `AND`, `OR`, `UNION`, `;`, `,`, `)` or `ORDER BY` is all continuation: it was meant
 * to follow whatever the query had.
 */
export function readUnquoted(tokens: readonly SqlToken[], from = 0): Continuation {
  const reader = new Reader(tokens, from)
  const first = reader.type
  if (first === '&' || first === 'U' || first === ';' || first === ',' || first === ')') return readContinuation(tokens, reader.position, false)
  // `ORDER BY 1--`, `ORDER BY SLEEP(5)`: a clause meant to follow the query's own (`order by date` is a sort order: names only are weak).
  if (first === 'k' && (reader.word === 'order' || reader.word === 'group') && reader.peekWord(1) === 'by') return readContinuation(tokens, reader.position, false)
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
  const expressionValue = reader.type === 'o' || (e.call && !e.attackCall)
  const rest = readContinuation(tokens, reader.position, false, expressionValue)
  return { strength: Math.max(own, rest.strength), complete: rest.complete }
}

/** Where the continuation starts, as the clauses need to know it. */
interface Start {
  /** After a quote or a closing parenthesis: the value has visibly left its context. */
  readonly brokeOut: boolean
  /** The literal the value's quote closed holds a phrase, not one word (see `readContinuation`). */
  readonly phrase: boolean
  /** The input ends by opening a literal that the query's own closing quote will close: `x' | y | '`. */
  readonly reopens: boolean
  /** The input ends in a comment. */
  readonly endsInComment: boolean
  /** The value before the continuation is a string literal (`"abc" or …`), not a number or a name. */
  readonly afterString: boolean
  /** The value before the continuation is a number. */
  readonly afterNumber: boolean
}

/** One clause's evidence. `structural`: it counts for a value that is an expression itself; `clause`: ORDER BY, GROUP BY or LIMIT; `last`: reading stops after it. */
interface Evidence {
  readonly level: number
  readonly structural?: boolean
  readonly clause?: boolean
  readonly last?: boolean
}

const structure = (e: Expression) => e.subquery || e.attackCall

/** `AND`/`OR` and a condition. `1 or 2` is prose; `1 or true-- -` cuts the query off. */
function booleanClause(reader: Reader, start: Start): Evidence | null {
  const e = nothing()
  reader.advance()
  const operandType = reader.type
  if (!expression(reader, e)) return null
  if (structure(e)) return { level: STRONG, structural: true }
  if (start.brokeOut) return { level: booleanStrength(e) }
  // Without a quote or parenthesis before it, a call may be prose's parenthesis (`Learn and adapt(go/laa) …`).
  if (e.call || (e.comparison && e.literal)) return { level: e.comparison && e.literal ? STRONG : MEDIUM }
  // `1 or true-- -`, not `Invalid or 'missing' -- token`.
  return { level: e.literal && start.endsInComment && !start.afterString && operandType !== 's' ? MEDIUM : WEAK }
}

/**
 * An operator and an operand. Arithmetic on a number (`2+2=4`) is not a break-out; after a
 * quote, a comparison or a call is (`x'='x`, `x'+char(65)+'`), and so is a chain of arithmetic
 * or concatenation over names that reopens a literal (`" | type %SystemDrive% | "`) — not
 * Markdown or HTML in quotes (`"*Conditional*"`, `"<p>"`), nor quoted operators
 * (`by "+" or " + "`).
 */
function operatorClause(reader: Reader, start: Start): Evidence | null {
  const e = nothing()
  if (!operation(reader, e)) return reader.done ? { level: WEAK } : null
  while (reader.type === 'o' && operation(reader, e));
  if (structure(e)) return { level: STRONG, structural: true }
  return { level: start.brokeOut && (e.call || (e.comparison && e.literal) || (start.reopens && e.names >= 2 && !e.comparison)) ? MEDIUM : WEAK }
}

/** `UNION [ALL|DISTINCT] SELECT`; `UNION ALL` is SQL even where the value ends before the SELECT. */
function unionClause(reader: Reader): Evidence {
  reader.advance()
  const select = reader.word === 'all' || reader.word === 'distinct' || reader.type === 'E' || reader.type === '('
  return { level: select ? STRONG : WEAK, structural: true, last: true }
}

/** `;` and another statement (or a call or subquery in parentheses). */
function stackedClause(reader: Reader): Evidence {
  const e = nothing()
  reader.advance()
  if (reader.type === '(') reader.group(e)
  return { level: reader.statementHere() || structure(e) ? STRONG : WEAK, structural: true, last: true }
}

/** `ORDER BY`, `GROUP BY`, `LIMIT`, `OFFSET` and their lists: SQL clauses no prose has. */
function listClause(reader: Reader, start: Start): Evidence | null {
  const e = nothing()
  const word = reader.word
  reader.advance()
  if (word === 'order' || word === 'group') {
    if (reader.word !== 'by') return null
    reader.advance()
  }
  // Rows are ordered by columns and expressions, counted in numbers: not `The "offset" value`, `order by 'date'`.
  if (reader.type === 's' || ((word === 'limit' || word === 'offset') && reader.type !== '1' && reader.type !== 'v')) return null
  if (!expressionList(reader, e)) return null
  if (structure(e)) return { level: STRONG, structural: true }
  // After a number or a quote, or by column numbers: not `Optional. Order by fields -- for the result.`
  return { level: start.brokeOut || start.afterNumber || e.literal ? MEDIUM : WEAK, clause: true }
}

/** One clause of the continuation; null where none starts (reading stops). */
function readClause(reader: Reader, start: Start): Evidence | null {
  const type = reader.type
  const word = reader.word
  const e = nothing()
  if (type === '&') return booleanClause(reader, start)
  if (type === 'o') return operatorClause(reader, start)
  if (type === 'U') return unionClause(reader)
  if (type === ';') return stackedClause(reader)
  if (type === ',') {
    reader.advance()
    if (!expression(reader, e)) return null
    return { level: structure(e) || (e.call && e.comparison) ? STRONG : WEAK, structural: true }
  }
  if (type === ')') {
    reader.advance()
    return { level: WEAK }
  }
  if (type === '(') {
    // A subquery right after the break-out: `')(SELECT …)`.
    reader.group(e)
    return e.subquery ? { level: STRONG, structural: true } : null
  }
  // A second statement without `;`, as SQL Server runs it: `t'exec master..xp_cmdshell '…'` — after a quote or parenthesis
  // closing one word, and not
  // SELECT, which prose and Markdown quote (`'Select carefully, …'`, `` `SELECT * FROM t` ``).
  if (type === 'E' && word !== 'select' && start.brokeOut && !start.phrase && reader.statementHere()) return { level: STRONG, structural: true, last: true }
  if (type === 'f' && ATTACK_FUNCTIONS.has(word)) {
    // An attack function right after the break-out, even without an operator: `2010-01-01' sleep(20) '` (not `Results for 'sleep(5)'`).
    reader.advance()
    if (reader.type === '(') reader.group(e)
    return { level: start.phrase ? WEAK : STRONG, structural: true }
  }
  if (type !== 'k') return null
  if (word === 'order' || word === 'group' || word === 'limit' || word === 'offset') return listClause(reader, start)
  // `1 WHERE 1=2 AND …`, `') AS x WHERE …`, `GROUP BY 1 HAVING 1=2`: a comparison of a literal (not `Optional. Where
  // provenance is stored.`).
  if (word === 'having' || word === 'where') {
    reader.advance()
    if (!expression(reader, e)) return null
    if (structure(e)) return { level: STRONG, structural: true }
    return { level: e.comparison && e.literal ? MEDIUM : WEAK }
  }
  if (word === 'procedure' || word === 'waitfor') return { level: STRONG, structural: true, last: true }
  // `INTO OUTFILE`, `INTO DUMPFILE`, `INTO @variable`, not `Insight into codes of conduct`.
  if (word === 'into') {
    const target = reader.peekWord(1)
    return target === 'outfile' || target === 'dumpfile' || target.startsWith('@') ? { level: STRONG, structural: true, last: true } : null
  }
  if (word === 'as') {
    reader.advance()
    if (reader.type !== 'n' && reader.type !== 's') return null
    reader.advance()
    return { level: WEAK }
  }
  // A sort direction: the value was a column to order by (`id DESC; SELECT …`).
  if (word === 'asc' || word === 'desc') {
    reader.advance()
    return { level: WEAK }
  }
  if (word === 'collate') {
    reader.advance()
    reader.advance()
    return { level: WEAK }
  }
  return null
}

/**
 * Reads the continuation from `at`, the first token after the break-out. `quoted`: the value
 * broke out of a literal. `expressionValue`: the value is an expression itself (a condition, a
 * sum, a call, a sort order), which broke out of nothing: only structural evidence counts.
 *
 * Medium evidence after a quote needs a value of the kind applications paste into queries before
 * it — a number, an id, a word — not a phrase: `x' = 'y`, not `The '=' sign`; `admin'--`, not
 * `The Smiths' -- their best album`.
 */
export function readContinuation(tokens: readonly SqlToken[], at: number, quoted: boolean, expressionValue = false): Continuation {
  const reader = new Reader(tokens, at)
  let closed = 0
  while (reader.type === ')') {
    closed++
    reader.advance()
  }
  // The input's own end, unless the tokenizer stopped reading before it.
  const last = tokens.length < MAX_TOKENS ? tokens[tokens.length - 1] : undefined
  // The value's last token before the break-out (`1/**/ORDER BY`: the number).
  let valueEnd = at - 1
  while (tokens[valueEnd]?.type === 'c') valueEnd--
  const before = tokens[valueEnd]
  const start: Start = {
    brokeOut: quoted || closed > 0,
    phrase: quoted && /\s/.test(before?.text ?? ''),
    reopens: quoted && last?.type === 's' && !isClosedString(last.text),
    endsInComment: last?.type === 'c',
    afterString: before?.type === 's',
    afterNumber: before?.type === '1',
  }
  let strength = WEAK
  let sqlClause = false
  const note = (evidence: Evidence) => {
    if ((evidence.structural === true || !expressionValue) && evidence.level > strength) strength = evidence.level
    if (evidence.clause === true) sqlClause = true
  }
  // A break-out straight into a comment that cuts the statement off: `admin'--`, `1)-- -`, `x'#`.
  if (start.brokeOut && reader.commentAt(at + closed) && cutsOff(tokens[at + closed]?.text ?? '')) note({ level: MEDIUM })
  while (!reader.done && strength < STRONG) {
    const evidence = readClause(reader, start)
    if (evidence === null) break
    note(evidence)
    if (evidence.last === true) break
  }
  if (strength === MEDIUM && start.phrase && !sqlClause) strength = WEAK
  return { strength, complete: reader.done && last !== undefined }
}

/** A comment that ends a statement early rather than remarking on it: `--` with at most one word after, a bare `#`, a block comment. */
function cutsOff(comment: string): boolean {
  if (comment.startsWith('#')) return comment.slice(1).trim() === ''
  if (comment.startsWith('--')) return !/\S\s+\S/.test(comment.slice(2).trim())
  return true
}
