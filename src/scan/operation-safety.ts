/**
 * Operations the scan never calls: those that reset, re-create, seed or purge the target's state
 * (recognised by path, operationId and summary, whatever their method: a GET /createdb wipes data
 * as surely as a POST), and those the user excluded by operationId, path template or
 * `METHOD /path`.
 */
import type { OperationView } from '../audit/operations.js'

const RESETTING_WORD = /^(reset|resets|reinit|reinitiali[sz]e|initiali[sz]e|init|seed|seeding|purge|drop|truncate|wipe|flush|populate|repopulate|recreate|rebuild|factory|teardown|shutdown|restart|reboot|migrate|install|createdb|initdb|resetdb|dropdb|cleardb|cleanup|nuke)$/i
const DATA_WORD = /\b(database|db|data|tables?|store|storage|cache|everything|all)\b/i
/** A reset of a password or of credentials is an account operation, not a reset of state. */
const CREDENTIAL_WORD = /pass(word)?|pwd|credential|mfa|otp|2fa|secret|pin\b|email|e-mail/i

const words = (text: string) =>
  text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/\bre[-_](?=[a-z])/gi, 're')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')

/** Whether calling the operation would reset or wipe the target's state. */
export function isStateResetting(operation: OperationView): boolean {
  const id = typeof operation.operation.operationId === 'string' ? operation.operation.operationId : ''
  const summary = [operation.operation.summary, operation.operation.description].filter((text): text is string => typeof text === 'string').join(' ')
  const naming = `${operation.pathTemplate} ${id}`
  if (CREDENTIAL_WORD.test(naming)) return false
  if (words(naming).some((word) => RESETTING_WORD.test(word))) return true
  // "Creates and populates the database", "Drops all tables": the summary says what the name hides.
  return summary !== '' && !CREDENTIAL_WORD.test(summary) && words(summary).some((word) => RESETTING_WORD.test(word) || /^(populates?|recreates?|drops?|wipes?|resets?|purges?|seeds?|truncates?)$/i.test(word)) && DATA_WORD.test(summary)
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
