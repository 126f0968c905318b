/**
 * Account takeover: identity A changes another user's password or profile through an operation
 * whose path names the user (`PUT /users/{username}/password`), and the scan proves the effect —
 * it logs in as the victim with the password A set, or reads the changed value back. The victim is
 * an account the scan signs up for the purpose when the API has a sign-up; otherwise B, whose
 * password is put back afterwards.
 */
import { randomBytes } from 'node:crypto'
import { allowsAnonymous, type OperationView } from '../../audit/operations.js'
import { accountBody, accountOperations } from '../account-operations.js'
import { ScanIdentity, type Identity } from '../identities.js'
import { logInQuietly } from '../log-in.js'
import { markedBody } from '../owned-objects.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'
import type { Exchange } from '../scan-client.js'
import { identityA, identityB, isSuccess, ME_PATH, requestAs, USER_PARAMETER } from './shared.js'

const PASSWORD_FIELD = /^(password|new_?password|pass|passwd|pwd|passphrase)$/i
const EMAIL_FIELD = /^(email|e_?mail|mail|email_?address|new_?email)$/i

const fresh = (prefix: string) => `${prefix}${randomBytes(5).toString('hex')}`

interface Victim {
  readonly identity: ScanIdentity
  /** Signed up by the scan: nothing to restore. */
  readonly scratch: boolean
}

/** A user the scan may change: a fresh sign-up, logged in; else B when its user name is known. */
async function victimFor(context: ScanContext): Promise<Victim | undefined> {
  const signUp = accountOperations(context.spec, context.operations).signUp
  if (signUp !== undefined) {
    const username = fresh('pcs')
    const password = `Pcs-${randomBytes(8).toString('hex')}`
    const body = accountBody(signUp, { username, password, email: `${username}@example.com` })
    const a = allowsAnonymous(signUp.operation) ? undefined : identityA(context)
    const created = await context.client.send(requestAs(context, signUp.operation, a, { body }))
    if (isSuccess(created.status)) {
      const identity = new ScanIdentity('victim', { username, password })
      if (await tryLogIn(context, identity)) return { identity, scratch: true }
    }
  }
  const b = identityB(context)
  return b instanceof ScanIdentity && b.username !== undefined ? { identity: b, scratch: false } : undefined
}

const tryLogIn = (context: ScanContext, identity: ScanIdentity) => logInQuietly(context.client, context.spec, context.basePath, context.operations, identity)

/** Operations that change something of the user named in their path. */
function userChanges(context: ScanContext): { operation: OperationView; parameter: string }[] {
  return context.operations.flatMap((operation) => {
    if (!['put', 'patch', 'post'].includes(operation.method) || !operation.requestBodies.some((body) => /json/i.test(body.mediaType))) return []
    const parameter = operation.parameters.find(({ parameter: p }) => p.in === 'path' && typeof p.name === 'string' && USER_PARAMETER.test(p.name))?.parameter.name
    return typeof parameter === 'string' ? [{ operation, parameter }] : []
  })
}

/** Reads of the user: the same path, a parent path with the user parameter, or the victim's own "me" operation. */
function userReads(context: ScanContext, change: OperationView, parameter: string): { operation: OperationView; asVictim: boolean }[] {
  const reads: { operation: OperationView; asVictim: boolean }[] = []
  for (const operation of context.operations) {
    if (operation.method !== 'get') continue
    if (operation.pathTemplate.includes(`{${parameter}}`) && change.pathTemplate.startsWith(operation.pathTemplate)) reads.push({ operation, asVictim: true })
    else if (!operation.pathTemplate.includes('{') && ME_PATH.test(operation.pathTemplate)) reads.push({ operation, asVictim: true })
  }
  return reads.sort((x, y) => y.operation.pathTemplate.length - x.operation.pathTemplate.length)
}

async function readBack(context: ScanContext, reads: ReturnType<typeof userReads>, parameter: string, victim: Identity, value: string): Promise<Exchange | undefined> {
  for (const { operation } of reads) {
    const exchange = await context.client.send(requestAs(context, operation, victim, { pathValues: { [parameter]: victim.username ?? '' } }))
    if (isSuccess(exchange.status) && exchange.body.includes(value)) return exchange
  }
  return undefined
}

export const accountTakeover: ScanCheck = {
  id: 'account-takeover',
  severity: 'critical',
  owasp: 'API1:2023',
  title: "Another user's password or profile can be changed",
  description: "Identity A changed the password or profile of another user through an operation whose path names that user, and the change took effect: the scan logged in as the user with the password A set, or read the new value back. The victim is an account the scan signed up when the API has a sign-up, else identity B (its password is put back).",
  remediation: "Derive the account from the caller's credentials (`/me/password`), or check that the caller is the user named in the path (or an administrator); require the current password to set a new one.",
  async run(context) {
    const a = identityA(context)
    const changes = userChanges(context)
    if (a === undefined || changes.length === 0) return
    let victim = await victimFor(context)
    for (const { operation, parameter } of changes) {
      if (victim === undefined) return
      const marked = markedBody(context, operation)
      const body: Record<string, unknown> = { ...(marked?.body ?? {}) }
      const passwordField = Object.keys(body).find((name) => PASSWORD_FIELD.test(name))
      const emailField = Object.keys(body).find((name) => EMAIL_FIELD.test(name))
      const newPassword = `Pcs-${randomBytes(8).toString('hex')}`
      const newEmail = `${fresh('pcs')}@example.com`
      if (passwordField !== undefined) body[passwordField] = newPassword
      if (emailField !== undefined) body[emailField] = newEmail
      const where = `${operation.method.toUpperCase()} ${operation.pathTemplate}`
      const target = victim.identity
      const exchange = await context.client.send(requestAs(context, operation, a, { pathValues: { [parameter]: target.username ?? '' }, body }))
      if (!isSuccess(exchange.status)) continue
      if (passwordField !== undefined) {
        const proof = new ScanIdentity('victim', { username: target.username ?? '', password: newPassword })
        if (!(await tryLogIn(context, proof))) continue
        context.report(operation, `${a.name} set the password of ${victim.scratch ? 'another user (an account the scan signed up)' : target.name} through ${where} (${String(exchange.status)}); logging in as that user with it worked.`, exchange)
        if (victim.scratch) victim = { identity: proof, scratch: true }
        else await restorePassword(context, operation, parameter, passwordField, body, proof, target)
        continue
      }
      const value = emailField === undefined ? marked?.markers[0] : newEmail
      if (value === undefined) continue
      const read = await readBack(context, userReads(context, operation, parameter), parameter, target, value)
      if (read !== undefined) context.report(operation, `${a.name} changed ${emailField === undefined ? 'the profile' : 'the e-mail address'} of ${victim.scratch ? 'another user (an account the scan signed up)' : target.name} through ${where} (${String(exchange.status)}); reading the user back showed the new value.`, exchange)
    }
  },
}

/** B's own password back, set by B (logged in with the password A set): B's credentials keep working for the rest of the scan. */
async function restorePassword(context: ScanContext, operation: OperationView, parameter: string, passwordField: string, body: Record<string, unknown>, changed: ScanIdentity, original: ScanIdentity): Promise<void> {
  if (original.password === undefined) return
  await context.client.send(requestAs(context, operation, changed, { pathValues: { [parameter]: original.username ?? '' }, body: { ...body, [passwordField]: original.password } }))
  if (original.canLogIn) await original.logIn()
}
