/**
 * Check: user enumeration. The log-in and password-reset operations are sent an existing user
 * name (an identity's, never A's: A must not be locked out) and a generated one, each with the
 * same generated wrong password; the answers, echoes of the names and volatile parts removed,
 * must not differ. A difference counts when a second pair (another unknown name, another
 * password) shows the same one; a time difference only when it is large and in the same direction
 * in three pairs. At most three wrong passwords reach a real account.
 */
import { randomBytes } from 'node:crypto'
import { accountBody, accountOperations, type AccountOperation } from '../account-operations.js'
import type { Exchange } from '../scan-client.js'
import { tokenIn } from '../log-in.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'
import { identityA, identityB, requestAs } from './shared.js'

/** A time difference that counts, in every one of TIMING_PAIRS pairs, in the same direction. */
const TIMING_MS = 150
const TIMING_PAIRS = 3
const EXCERPT = 100

/** Parts of an answer that change from request to request: times, ids, tokens. */
const VOLATILE: readonly [RegExp, string][] = [
  [/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>'],
  [/"(request_?id|trace_?id|correlation_?id|nonce|csrf_?token|id)"\s*:\s*("[^"]*"|\d+)/gi, '"$1":<id>'],
  [/[A-Za-z0-9+/_-]{24,}={0,2}/g, '<token>'],
  [/\d{5,}/g, '<number>'],
]

/** The answer as compared: its status and its body without the names sent and the volatile parts. */
function signatureOf(exchange: Exchange, names: readonly string[]): string {
  let body = exchange.body
  for (const name of names) body = body.replaceAll(name, '<name>').replaceAll(encodeURIComponent(name), '<name>')
  for (const [pattern, replacement] of VOLATILE) body = body.replace(pattern, replacement)
  return `${String(exchange.status)} ${body.trim()}`
}

const wrongPassword = () => `Wrong-${randomBytes(6).toString('hex')}-Pw9!`

/** A user name that does not exist, shaped like the existing one (an e-mail address in the same domain). */
function unknownName(existing: string): string {
  const made = `zq${randomBytes(5).toString('hex')}`
  const at = existing.lastIndexOf('@')
  return at < 0 ? made : `${made}${existing.slice(at)}`
}

/** The user name of an identity other than A: B first, then any other (an administrator). */
function existingName(context: ScanContext): string | undefined {
  const a = identityA(context)
  return identityB(context)?.username ?? context.identities.find((identity) => identity !== a && identity.username !== undefined)?.username
}

interface Pair {
  readonly known: Exchange
  readonly unknown: Exchange
  readonly knownSignature: string
  readonly unknownSignature: string
}

/** A success that hands out credentials: a token in the JSON answer or a cookie. */
function loggedIn(exchange: Exchange): boolean {
  if (exchange.status < 200 || exchange.status >= 300) return false
  let body: unknown
  try {
    body = JSON.parse(exchange.body) as unknown
  } catch {
    body = undefined
  }
  return tokenIn(body) !== undefined || exchange.headers['set-cookie'] !== undefined
}

async function sendPair(context: ScanContext, account: AccountOperation, existing: string): Promise<Pair | undefined> {
  const password = wrongPassword()
  const stranger = unknownName(existing)
  const send = (username: string) => context.client.send(requestAs(context, account.operation, undefined, { body: accountBody(account, { username, password }) }))
  const known = await send(existing)
  const unknown = await send(stranger)
  // A refused connection, a rate limit or a real log-in says nothing about the names; a 200 that
  // carries no token nor session ("status": "fail") is a refusal like a 401.
  if ([known, unknown].some((exchange) => exchange.status === 0 || exchange.status === 429 || loggedIn(exchange))) return undefined
  const names = [existing, stranger, existing.split('@')[0] ?? existing, stranger.split('@')[0] ?? stranger]
  return { known, unknown, knownSignature: signatureOf(known, names), unknownSignature: signatureOf(unknown, names) }
}

const excerpt = (signature: string) => (signature.length > EXCERPT ? `${signature.slice(0, EXCERPT)}…` : signature)
const where = (account: AccountOperation) => `${account.operation.method.toUpperCase()} ${account.operation.pathTemplate}`

/** Compares the answers for an existing and an unknown user name; reports a difference that holds twice (time: three times). */
async function probe(context: ScanContext, account: AccountOperation, existing: string): Promise<void> {
  const first = await sendPair(context, account, existing)
  if (first === undefined) return
  if (first.knownSignature !== first.unknownSignature) {
    const second = await sendPair(context, account, existing)
    if (second?.knownSignature !== first.knownSignature || second.unknownSignature !== first.unknownSignature) return
    context.report(account.operation, `${where(account)} answers an existing user name and an unknown one differently, twice with other names and wrong passwords: ${excerpt(first.knownSignature)} versus ${excerpt(first.unknownSignature)}.`, second.known)
    return
  }
  const pairs = [first]
  const difference = (pair: Pair) => pair.known.ms - pair.unknown.ms
  const slower = (pair: Pair) => Math.abs(difference(pair)) > TIMING_MS && Math.sign(difference(pair)) === Math.sign(difference(first))
  while (pairs.length < TIMING_PAIRS && pairs.every(slower)) {
    const next = await sendPair(context, account, existing)
    if (next?.knownSignature !== first.knownSignature || next.unknownSignature !== first.unknownSignature) return
    pairs.push(next)
  }
  if (pairs.length < TIMING_PAIRS || !pairs.every(slower)) return
  const times = pairs.map((pair) => `${String(Math.round(pair.known.ms))} versus ${String(Math.round(pair.unknown.ms))} ms`).join(', ')
  context.report(account.operation, `${where(account)} takes longer for ${difference(first) > 0 ? 'an existing user name than an unknown one' : 'an unknown user name than an existing one'}, in ${String(TIMING_PAIRS)} pairs with other names and wrong passwords: ${times}.`, pairs[0]?.known)
}

export const userEnumeration: ScanCheck = {
  id: 'user-enumeration',
  severity: 'medium',
  owasp: 'API2:2023',
  title: 'User enumeration through log-in or password reset',
  description: `The log-in or password-reset operation answers an existing user name and an unknown one differently (status, message, or, in ${String(TIMING_PAIRS)} pairs out of ${String(TIMING_PAIRS)}, more than ${String(TIMING_MS)} ms of time): anyone can learn which accounts exist, and aim password guessing at them.`,
  remediation: 'Give one answer, in the same time, whether or not the account exists ("wrong user name or password"; "if the account exists, a message was sent"); compare a dummy password hash when the user is unknown.',
  async run(context) {
    const existing = existingName(context)
    if (existing === undefined) return
    const { logIn, passwordReset } = accountOperations(context.spec, context.operations)
    for (const account of [logIn, passwordReset]) if (account !== undefined) await probe(context, account, existing)
  },
}
