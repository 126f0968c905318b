/**
 * Operations the scan never calls: those that reset, re-create, seed or purge the target's state
 * (recognised by path, operationId and summary, whatever their method: a GET /createdb wipes data
 * as surely as a POST), and those the user excluded by operationId, path template or
 * `METHOD /path`.
 */
import type { OperationView } from '../audit/operations.js'

/** Words that reset, wipe or end something whatever follows them. */
const RESETTING_WORD = /^(reset|resets|reinit|reinitiali[sz]e|seed|seeds|seeding|purge|purges|drop|drops|truncate|truncates|wipe|wipes|flush|flushes|populate|populates|repopulate|recreate|recreates|rebuild|factory|teardown|shutdown|restart|reboot|migrate|install|createdb|initdb|resetdb|dropdb|cleardb|cleandb|cleanup|nuke|fixtures|deleteall|removeall|clearall)$/i
/** Words that reset state when they are about data as a whole: "create the database", "clear all data", "restore the default data". */
const DATA_VERB = /^(create|creates|setup|set|init|initiali[sz]e|initiali[sz]es|load|loads|restore|restores|clear|clears|delete|deletes|remove|removes|empty|erase|destroy)$/i
const DATA_WORD = /^(database|databases|db|data|tables?|schema|fixtures?|sample|samples|demo|dummy|everything|all|defaults?|store|storage|cache)$/i
/** A reset of a password (not of "secrets" or templates): an account operation, not a reset of state. */
const isPasswordReset = (text: string) => /pass(word)?|pwd/i.test(text) && /reset|forgot|recover/i.test(text)
/** Operations that end the acting identity's session: calling one would log the scan out. */
const SESSION_ENDING = /^(logout|log-?out|signout|sign-?out|logoff|revoke)$/i

const words = (text: string) =>
  text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/\bre[-_](?=[a-z])/gi, 're')
    .replace(/\b(delete|remove|clear)[-_ ]all\b/gi, '$1all')
    .replace(/\blog[-_ ](out|off)\b/gi, 'log$1')
    .replace(/\bsign[-_ ]out\b/gi, 'signout')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')

/** A verb of `DATA_VERB` with a data word in the same text. */
const aboutAllData = (list: readonly string[]) => list.some((word) => DATA_VERB.test(word)) && list.some((word) => DATA_WORD.test(word))

/** Whether calling the operation would reset or wipe the target's state, or end the scan's session. */
export function isStateResetting(operation: OperationView): boolean {
  const id = typeof operation.operation.operationId === 'string' ? operation.operation.operationId : ''
  const summary = [operation.operation.summary, operation.operation.description].filter((text): text is string => typeof text === 'string').join(' ')
  const naming = `${operation.pathTemplate} ${id}`
  if (isPasswordReset(naming)) return false
  const named = words(naming)
  if (named.some((word) => RESETTING_WORD.test(word) || SESSION_ENDING.test(word)) || aboutAllData(named)) return true
  // "Creates and populates the database", "Clear all data": the summary says what the name hides.
  const described = words(summary)
  return !isPasswordReset(summary) && (aboutAllData(described) || (described.some((word) => RESETTING_WORD.test(word)) && described.some((word) => DATA_WORD.test(word))))
}

/** Whether `--exclude` names the operation: its operationId, its path template, or `METHOD /path`. */
export function isExcluded(operation: OperationView, exclusions: readonly string[]): boolean {
  const id = operation.operation.operationId
  return exclusions.some((exclusion) => {
    const methodPath = /^([A-Za-z]+)\s+(\/.*)$/.exec(exclusion.trim())
    if (methodPath?.[1] !== undefined && methodPath[2] !== undefined) return methodPath[1].toLowerCase() === operation.method && methodPath[2] === operation.pathTemplate
    return exclusion === id || exclusion === operation.pathTemplate
  })
}
