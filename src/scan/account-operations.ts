/**
 * The document's account operations — log-in, sign-up, password reset — recognised by path,
 * operationId and the shape of their JSON body (a user-name-like and a password-like property),
 * and bodies for them built from the document's own sample with chosen credentials.
 */
import type { OperationView } from '../audit/operations.js'
import { isObject, type SpecModel } from '../audit/spec-model.js'
import { bodySample } from './sample-values.js'

const USER_FIELD = /^(user_?name|user|login|email|e_?mail|mail|user_?id|account|handle|name|identifier|principal)$/i
/** A body property carrying a password (a new one, in a change). */
export const PASSWORD_FIELD = /^(new_?)?(password|pass|passwd|pwd|passphrase|secret|credential)$/i
/** A body property carrying an e-mail address. */
export const EMAIL_FIELD = /^(new_?)?(email|e_?mail|mail|email_?address)$/i
const LOG_IN = /(^|[^a-z])(log-?in|sign-?in|log-?on|authenticate|auth|token|session)s?($|[^a-z])/i
const SIGN_UP = /(^|[^a-z])(register|registration|sign-?up|signup|create-?account|join|enrol+)($|[^a-z])/i
const RESET = /(^|[^a-z])(forgot|reset|recover|recovery|lost)[^/]*(password|pwd)?|(password|pwd)[^/]*(reset|forgot|recover)/i

export interface AccountOperation {
  readonly operation: OperationView
  /** The JSON body's property naming the user. */
  readonly userField: string
  /** The property carrying the password; undefined for a reset that takes only a user name or e-mail. */
  readonly passwordField: string | undefined
  /** The property carrying an e-mail address, when the body has one besides the user field. */
  readonly emailField: string | undefined
  /** A body the document would accept, credentials aside. */
  readonly sample: Readonly<Record<string, unknown>>
}

export interface AccountOperations {
  readonly logIn: AccountOperation | undefined
  readonly signUp: AccountOperation | undefined
  readonly passwordReset: AccountOperation | undefined
}

/** Words of an operation: its path and operationId, camelCase split. */
function wordsOf(operation: OperationView): string {
  const id = typeof operation.operation.operationId === 'string' ? operation.operation.operationId : ''
  return `${operation.pathTemplate} ${id.replace(/([a-z])([A-Z])/g, '$1-$2')}`
}

function jsonBodyProperties(spec: SpecModel, operation: OperationView): { names: string[]; sample: Record<string, unknown> } | undefined {
  const body = operation.requestBodies.find((candidate) => /json|x-www-form-urlencoded/i.test(candidate.mediaType))
  if (body === undefined) return undefined
  const sample = bodySample(spec, body)
  const resolved = spec.resolve(body.schema, []).value
  const names = new Set<string>(isObject(sample) ? Object.keys(sample) : [])
  if (isObject(resolved) && isObject(resolved.properties)) for (const name of Object.keys(resolved.properties)) names.add(name)
  return { names: [...names], sample: isObject(sample) ? { ...sample } : {} }
}

function accountOperation(spec: SpecModel, operation: OperationView, needsPassword: boolean): AccountOperation | undefined {
  const body = jsonBodyProperties(spec, operation)
  if (body === undefined) return undefined
  const userField = body.names.find((name) => /^(user_?name|login|handle)$/i.test(name)) ?? body.names.find((name) => USER_FIELD.test(name))
  const passwordField = body.names.find((name) => PASSWORD_FIELD.test(name))
  if (userField === undefined || (needsPassword && passwordField === undefined)) return undefined
  const emailField = body.names.find((name) => name !== userField && EMAIL_FIELD.test(name))
  return { operation, userField, passwordField, emailField, sample: body.sample }
}

const accountsOfSpec = new WeakMap<readonly OperationView[], AccountOperations>()

/** The first operation of each kind among `operations` (POST or PUT with a matching body). */
export function accountOperations(spec: SpecModel, operations: readonly OperationView[]): AccountOperations {
  const cached = accountsOfSpec.get(operations)
  if (cached !== undefined) return cached
  let logIn: AccountOperation | undefined
  let signUp: AccountOperation | undefined
  let passwordReset: AccountOperation | undefined
  for (const operation of operations) {
    if (operation.method !== 'post' && operation.method !== 'put') continue
    if (operation.pathTemplate.includes('{')) continue
    const words = wordsOf(operation)
    if (RESET.test(words)) passwordReset ??= accountOperation(spec, operation, false)
    else if (SIGN_UP.test(words)) signUp ??= accountOperation(spec, operation, true)
    else if (LOG_IN.test(words)) logIn ??= accountOperation(spec, operation, true)
  }
  // A sign-up can also be the POST of the users collection itself.
  signUp ??= operations
    .filter((operation) => operation.method === 'post' && /^\/?(.*\/)?(users|accounts|members|customers)$/i.test(operation.pathTemplate))
    .map((operation) => accountOperation(spec, operation, true))
    .find((found) => found !== undefined)
  const found = { logIn, signUp, passwordReset }
  accountsOfSpec.set(operations, found)
  return found
}

/** The operation's body with these credentials in place of the sample's (an e-mail derived from the user name when the body has one). */
export function accountBody(account: AccountOperation, credentials: { username: string; password?: string; email?: string }): Record<string, unknown> {
  const body: Record<string, unknown> = { ...account.sample, [account.userField]: EMAIL_FIELD.test(account.userField) && !credentials.username.includes('@') ? credentials.email ?? `${credentials.username}@example.com` : credentials.username }
  if (account.passwordField !== undefined && credentials.password !== undefined) body[account.passwordField] = credentials.password
  if (account.emailField !== undefined) body[account.emailField] = credentials.email ?? `${credentials.username.replace(/[^A-Za-z0-9._-]/g, '')}@example.com`
  return body
}
