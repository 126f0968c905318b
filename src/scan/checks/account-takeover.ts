/**
 * Account takeover: one user changes another's password or profile through an operation whose
 * path names the user (`PUT /users/{username}/password`), and the scan proves the effect — it logs
 * in as the victim with the password set, or reads the changed value back. Attacker and victim
 * are accounts the scan signs up when the API has a sign-up, so no given account is touched;
 * otherwise A acts on B (passwords only), and whichever password changed is put back.
 */
import { randomBytes } from 'node:crypto'
import { allowsAnonymous, type OperationView } from '../../audit/operations.js'
import { accountBody, accountOperations, EMAIL_FIELD, PASSWORD_FIELD, type AccountOperation } from '../account-operations.js'
import { ScanIdentity, type Identity } from '../identities.js'
import { logInQuietly } from '../log-in.js'
import { markedBody } from '../owned-objects.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'
import type { Exchange } from '../scan-client.js'
import { identityA, identityB, isSuccess, ME_PATH, requestAs, USER_PARAMETER } from './shared.js'


const fresh = (prefix: string) => `${prefix}${randomBytes(5).toString('hex')}`

/** Who acts on whom: two accounts the scan signs up when the API has a sign-up, so no given account is ever changed; else A on B. */
interface Parties {
  readonly attacker: ScanIdentity
  readonly victim: ScanIdentity
  /** Both signed up by the scan: nothing to restore. */
  readonly scratch: boolean
}

async function signUpScratch(context: ScanContext, signUp: AccountOperation, name: string): Promise<ScanIdentity | undefined> {
  const username = fresh('pcs')
  const password = `Pcs-${randomBytes(8).toString('hex')}`
  const body = accountBody(signUp, { username, password, email: `${username}@example.com` })
  const created = await context.client.send(requestAs(context, signUp.operation, allowsAnonymous(signUp.operation) ? undefined : identityA(context), { body }))
  if (!isSuccess(created.status)) return undefined
  const identity = new ScanIdentity(name, { username, password })
  return (await tryLogIn(context, identity)) ? identity : undefined
}

async function partiesFor(context: ScanContext): Promise<Parties | undefined> {
  const signUp = accountOperations(context.spec, context.operations).signUp
  if (signUp !== undefined) {
    const attacker = await signUpScratch(context, signUp, 'scratch-attacker')
    const victim = attacker === undefined ? undefined : await signUpScratch(context, signUp, 'scratch-victim')
    if (attacker !== undefined && victim !== undefined) return { attacker, victim, scratch: true }
  }
  const [a, b] = [identityA(context), identityB(context)]
  // A's and B's passwords must be known: a change that lands on the wrong account is found and undone.
  return a instanceof ScanIdentity && b instanceof ScanIdentity && a.canLogIn && b.canLogIn ? { attacker: a, victim: b, scratch: false } : undefined
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
  description: "One user changed the password or profile of another through an operation whose path names that user, and the change took effect: the scan logged in as the user with the password set, or read the new value back. Both are accounts the scan signed up when the API has a sign-up; else A acts on B, passwords only, and both passwords are put back (A's too, when the API applied the change to the caller).",
  remediation: "Derive the account from the caller's credentials (`/me/password`), or check that the caller is the user named in the path (or an administrator); require the current password to set a new one.",
  async run(context) {
    const changes = userChanges(context)
    if (changes.length === 0) return
    let parties = await partiesFor(context)
    for (const { operation, parameter } of changes) {
      if (parties === undefined) return
      const { attacker, victim, scratch } = parties
      const marked = markedBody(context, operation)
      const body: Record<string, unknown> = { ...(marked?.body ?? {}) }
      const passwordField = Object.keys(body).find((name) => PASSWORD_FIELD.test(name))
      const emailField = Object.keys(body).find((name) => EMAIL_FIELD.test(name))
      // With the given accounts, only passwords: a profile change that lands on A could not be undone.
      if (!scratch && passwordField === undefined) continue
      const newPassword = `Pcs-${randomBytes(8).toString('hex')}`
      const newEmail = `${fresh('pcs')}@example.com`
      if (passwordField !== undefined) body[passwordField] = newPassword
      if (emailField !== undefined) body[emailField] = newEmail
      const where = `${operation.method.toUpperCase()} ${operation.pathTemplate}`
      const who = scratch ? 'an account the scan signed up' : attacker.name
      const whom = scratch ? 'another such account' : victim.name
      const exchange = await context.client.send(requestAs(context, operation, attacker, { pathValues: { [parameter]: victim.username ?? '' }, body }))
      if (!isSuccess(exchange.status)) continue
      if (passwordField !== undefined) {
        const proof = new ScanIdentity('scratch-victim', { username: victim.username ?? '', password: newPassword })
        if (!(await tryLogIn(context, proof))) {
          // The API may have applied the change to the caller instead: put the attacker's password back.
          if (!scratch) await restoreIfChanged(context, operation, parameter, passwordField, body, attacker, newPassword)
          else parties = await partiesFor(context)
          continue
        }
        context.report(operation, `${who} set the password of ${whom} through ${where} (${String(exchange.status)}); logging in as that user with it worked.`, exchange)
        if (scratch) parties = { attacker, victim: proof, scratch }
        else await restorePassword(context, operation, parameter, passwordField, body, proof, victim)
        continue
      }
      const value = emailField === undefined ? marked?.markers[0] : newEmail
      if (value === undefined) continue
      const read = await readBack(context, userReads(context, operation, parameter), parameter, victim, value)
      if (read !== undefined) context.report(operation, `${who} changed ${emailField === undefined ? 'the profile' : 'the e-mail address'} of ${whom} through ${where} (${String(exchange.status)}); reading the user back showed the new value.`, exchange)
    }
  },
}

/** After a change the victim did not get: if the attacker's own password no longer works, the new one does — set the old one back. */
async function restoreIfChanged(context: ScanContext, operation: OperationView, parameter: string, passwordField: string, body: Record<string, unknown>, attacker: ScanIdentity, newPassword: string): Promise<void> {
  if (await tryLogIn(context, new ScanIdentity('check', { username: attacker.username ?? '', password: attacker.password ?? '' }))) return
  const changed = new ScanIdentity('check', { username: attacker.username ?? '', password: newPassword })
  if (!(await tryLogIn(context, changed))) return
  await context.client.send(requestAs(context, operation, changed, { pathValues: { [parameter]: attacker.username ?? '' }, body: { ...body, [passwordField]: attacker.password } }))
  await attacker.logIn()
}

/** B's own password back, set by B (logged in with the password A set): B's credentials keep working for the rest of the scan. */
async function restorePassword(context: ScanContext, operation: OperationView, parameter: string, passwordField: string, body: Record<string, unknown>, changed: ScanIdentity, original: ScanIdentity): Promise<void> {
  if (original.password === undefined) return
  await context.client.send(requestAs(context, operation, changed, { pathValues: { [parameter]: original.username ?? '' }, body: { ...body, [passwordField]: original.password } }))
  if (original.canLogIn) await original.logIn()
}
