/**
 * Whether tokens start a SQL statement rather than an English sentence that begins with the same
 * verb: "select your plan", "update your profile", "create an account" are prose; `SELECT *`,
 * `UPDATE t SET`, `DROP TABLE`, `EXEC xp_cmdshell` are statements. Used where a value stacks a
 * second statement after `;`.
 */
import type { SqlToken } from './sql-tokens.js'

/** What DROP, CREATE, ALTER, TRUNCATE and RENAME act on. */
const OBJECTS = new Set(['table', 'database', 'schema', 'view', 'index', 'procedure', 'function', 'user', 'trigger', 'login', 'role', 'temporary', 'sequence', 'type'])

const word = (token: SqlToken | undefined) => token?.text.toLowerCase() ?? ''

/** The first three tokens from `at`, comments skipped (payloads put block comments where spaces go). */
function firstThree(tokens: readonly SqlToken[], at: number): (SqlToken | undefined)[] {
  const found: (SqlToken | undefined)[] = []
  for (let i = at; i < tokens.length && found.length < 3; i++) if (tokens[i]?.type !== 'c') found.push(tokens[i])
  return found
}

/** Whether the tokens from `at` start a statement. */
export function statementAt(tokens: readonly SqlToken[], at: number): boolean {
  const [verb, next, third] = firstThree(tokens, at)
  const after = word(third)
  switch (word(verb)) {
    case 'select':
      // Anything but prose's words: `*`, a number, a literal, a call, `(`; or a column before `,` or FROM.
      return next !== undefined && next.type !== 'k' && (next.type !== 'n' || after === ',' || after === 'from' || third === undefined)
    case 'if':
      return next?.type === '('
    case 'insert': case 'replace': case 'merge':
      return word(next) === 'into'
    case 'update':
      return (next?.type === 'n' || next?.type === 'k') && after === 'set'
    case 'delete':
      return word(next) === 'from'
    case 'drop': case 'create': case 'alter': case 'truncate': case 'rename':
      return OBJECTS.has(word(next)) || (word(next) === 'or' && after === 'replace')
    case 'exec': case 'execute': case 'call':
      return next !== undefined && (next.type === 'f' || next.type === 'v' || next.type === '(' || /^(?:xp_|sp_|master\.|dbo\.)/.test(word(next)))
    case 'declare': case 'set':
      return next?.type === 'v'
    case 'shutdown':
      return next === undefined || next.type === 'c' || next.type === ';'
    case 'waitfor':
      return word(next) === 'delay' || word(next) === 'time'
    case 'copy':
      return next?.type === '(' || (next?.type === 'n' && (after === 'to' || after === 'from'))
    case 'begin':
      return next?.type === 'f' || word(next) === 'if' || word(next) === 'declare' || word(next) === 'execute'
    case 'load':
      return word(next) === 'data' || word(next) === 'xml'
    default:
      return false
  }
}
