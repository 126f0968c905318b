/**
 * `@detectSQLi`: would this value change the structure of a SQL statement it is pasted into?
 *
 * A value is pasted into a statement in one of a few contexts: as a number or a name
 * (`WHERE id = 1`), or inside a single-, double- or backtick-quoted literal. An injection breaks
 * out of its context — past the end of the number or name, or past a quote of its own that
 * closes the literal — and continues the statement with SQL: after any `)` that closes the
 * query's parentheses, `AND`/`OR` and a condition, an operator, `UNION SELECT`, `;` and another
 * statement, `ORDER BY`, or a comment that cuts the rest off. So the value is read once per
 * context — as is, and as the rest of a literal opened by each kind of quote it contains — and
 * what follows the break-out is held to a small grammar (sql-break-out.ts): it must read as SQL
 * and carry enough evidence. Prose fails the grammar early: in `It's fine -- don't`, the closed
 * literal `'It'` is followed by a name, which SQL never allows; text in any script reads as names
 * and fails the same way. A block comment is where SQL sees a space and other readers do not —
 * payloads hide a break-out behind one in a path (`/post/%2A/%2A/2+union+all`) — so the as-is
 * reading also restarts after each of the first few.
 *
 * A value that starts with a statement keyword (`SELECT region, SUM(amount) FROM sales GROUP BY
 * region`) breaks out of nothing: pasted into a literal it is data, and an API that runs it as a
 * query (data and BI APIs do) asked for a query. Its as-is reading is only held to what no such
 * query does — a second statement after `;`, a delay (`SLEEP`, `WAITFOR`), file, network or shell
 * access, a probe that reads no table and compares constants (sqlmap's inline queries) — while
 * its quotes are still read as break-outs, so `SELECT … WHERE name='x' OR '1'='1'`
 * is found and a sentence that begins with "Select" is judged like any other value. The same
 * holds for a value that is an expression itself (a filter such as `status = 'open' AND n > 1`,
 * a call, a sort order): only structure — a subquery, UNION, a stacked statement, an attack
 * function — counts there.
 *
 * libinjection, which ModSecurity and Coraza use, reads the same contexts but decides from a
 * table of known-bad fingerprints of the first five tokens; this detector decides by grammar.
 * Returns the fingerprint of the reading that matched (CRS logs it as TX.0), or null.
 */
import { MEDIUM, readContinuation, readUnquoted, STRONG, type Continuation } from './sql-break-out.js'
import { statementAt } from './sql-statements.js'
import { sqlTokens, type SqlToken } from './sql-tokens.js'

/** The quotes whose literal a value may break out of. */
const QUOTES = ["'", '"', '`'] as const

function isInjection(reading: Continuation): boolean {
  return reading.strength >= STRONG || (reading.strength >= MEDIUM && reading.complete)
}

/** One letter per token, as CRS logs it. */
function fingerprint(tokens: readonly SqlToken[]): string {
  return tokens.slice(0, 8).map((t) => t.type).join('')
}

/** What no query a client legitimately sends runs: delays, files, the network, the shell. */
const SIDE_EFFECTS = new Set([
  'sleep', 'benchmark', 'pg_sleep', 'dbms_lock.sleep', 'dbms_pipe.receive_message', 'load_file', 'xp_cmdshell', 'sys_eval', 'sys_exec',
  'utl_http.request', 'utl_inaddr.get_host_address', 'utl_inaddr.get_host_name', 'pg_read_file', 'lo_import',
])

/** A whole statement (or PL/SQL block) breaks out of nothing: only a second statement after `;`, a delay or a system call is an injection. */
function abusesStatement(tokens: readonly SqlToken[]): boolean {
  return tokens.some((t, i) => (t.type === ';' && statementAt(tokens, i + 1)) || ((t.type === 'f' || t.type === 'k') && SIDE_EFFECTS.has(t.text.toLowerCase())) || (t.type === 'k' && t.text.toLowerCase() === 'waitfor'))
}

/** Tables that hold no data: a query that reads only these computes rather than reads. */
const DUMMY_TABLES = new Set(['dual', 'rdb$database', 'sysibm.sysdummy1', 'information_schema.system_users'])

/**
 * A query that reads no table and compares constants (`SELECT 'a'||(CASE WHEN (1=1) THEN 1 ELSE
 * 0 END)||'b'`, `CASE 5 WHEN 5`) is a probe: a query an API runs for its client reads data.
 */
function probesWithConstants(tokens: readonly SqlToken[]): boolean {
  const from = tokens.findIndex((t) => t.type === 'k' && t.text.toLowerCase() === 'from')
  if (from !== -1 && !DUMMY_TABLES.has(tokens[from + 1]?.text.toLowerCase() ?? '')) return false
  const literal = (t: SqlToken | undefined) => t?.type === '1' || t?.type === 's'
  const word = (t: SqlToken | undefined) => t?.text.toLowerCase() ?? ''
  // `(1=1)`, `WHEN 1=1`, `CASE 5 WHEN 5`: a condition on constants, not a list of `0 = "sunday", 1 = monday`.
  return tokens.some((t, i) => literal(t) && literal(tokens[i + 2]) && (
    (tokens[i + 1]?.text === '=' && (tokens[i - 1]?.type === '(' || word(tokens[i - 1]) === 'when')) || (word(tokens[i + 1]) === 'when' && word(tokens[i - 1]) === 'case')))
}

function startsStatement(tokens: readonly SqlToken[]): boolean {
  const first = tokens[0]
  return first !== undefined && (first.type === 'E' || (first.type === 'k' && first.text.toLowerCase() === 'begin' && tokens.length > 2))
}

/** How many block comments the as-is reading restarts after. */
const MAX_RESTARTS = 4

/** The as-is reading from the value's start, then from after each of its first block comments. */
function unquotedInjection(tokens: readonly SqlToken[]): boolean {
  if (startsStatement(tokens) ? abusesStatement(tokens) || probesWithConstants(tokens) : isInjection(readUnquoted(tokens))) return true
  let restarts = 0
  for (let i = 0; i < tokens.length - 1 && restarts < MAX_RESTARTS; i++) {
    if (tokens[i]?.type !== 'c' || !tokens[i]?.text.startsWith('/*')) continue
    restarts++
    if (isInjection(readUnquoted(tokens, i + 1))) return true
  }
  return false
}

export function detectSqlInjection(value: string): string[] | null {
  if (value.length < 2) return null
  const asIs = sqlTokens(value)
  if (unquotedInjection(asIs)) return [fingerprint(asIs)]
  for (const quote of QUOTES) {
    if (!value.includes(quote)) continue
    // The first token is the literal the value's own quote closes.
    const tokens = sqlTokens(quote + value)
    const reading = readContinuation(tokens, 1, true)
    // Backticks quote names in MySQL only, and code in Markdown everywhere: strong evidence only.
    if (quote === '`' ? reading.strength >= STRONG : isInjection(reading)) return [fingerprint(tokens)]
  }
  return null
}
