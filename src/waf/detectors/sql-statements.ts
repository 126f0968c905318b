/**
 * Whether tokens start a SQL statement rather than an English sentence that begins with the same
 * verb: "select your plan", "update your profile", "create an account" are prose; `SELECT *`,
 * `UPDATE t SET`, `DROP TABLE`, `EXEC xp_cmdshell` are statements. Used where a value stacks a
 * second statement after `;`.
 */
import type { SqlToken } from './sql-tokens.js'

/** What DROP, CREATE, ALTER, TRUNCATE and RENAME act on. */
const OBJECTS = new Set(['table', 'database', 'schema', 'view', 'index', 'procedure', 'function', 'user', 'trigger', 'login', 'role', 'temporary', 'or', 'sequence', 'type'])
/** Operand tokens that only SQL puts after SELECT: `*`, a number, a literal, a variable, a call, a parenthesis. */
const SELECTED = new Set(['1', 's', 'v', 'f', '('])

const word = (token: SqlToken | undefined) => token?.text.toLowerCase() ?? ''

/** Whether the tokens from `at` start a statement. */
export function statementAt(tokens: readonly SqlToken[], at: number): boolean {
  const verb = tokens[at]
  const next = tokens[at + 1]
  const after = word(tokens[at + 2])
  switch (word(verb)) {
    case 'select':
      return next !== undefined && (SELECTED.has(next.type) || next.text === '*' || (next.type === 'n' && (after === ',' || after === 'from' || tokens[at + 2] === undefined)))
    case 'insert': case 'replace': case 'merge':
      return word(next) === 'into'
    case 'update':
      return next?.type === 'n' && after === 'set'
    case 'delete':
      return word(next) === 'from'
    case 'drop': case 'create': case 'alter': case 'truncate': case 'rename':
      return OBJECTS.has(word(next))
    case 'exec': case 'execute': case 'call':
      return next !== undefined && (next.type === 'f' || next.type === 'v' || next.type === '(' || /^(?:xp_|sp_|master\.|dbo\.)/.test(word(next)))
    case 'declare': case 'set':
      return next?.type === 'v'
    case 'shutdown':
      return next === undefined || next.type === 'c' || next.type === ';'
    case 'waitfor':
      return word(next) === 'delay' || word(next) === 'time'
    case 'begin':
      return next?.type === 'f' || word(next) === 'if' || word(next) === 'declare' || word(next) === 'execute'
    case 'load':
      return word(next) === 'data' || word(next) === 'xml'
    default:
      return false
  }
}
