/**
 * Check: regular-expression denial of service. Values built to make backtracking validators try
 * every way of splitting a run of characters ("aaaa…!") are sent to string fields at growing
 * lengths, within the field's declared maxLength, with steps small enough that no request can
 * hang the target. A finding needs time that multiplies over a few characters, the same value
 * slow again, and the same characters with the breaking one first fast: plain length cost and a
 * slow endpoint are not taken for ReDoS.
 */
import type { OperationView } from '../../audit/operations.js'
import { isObject, type JsonObject } from '../../audit/spec-model.js'
import { accountOperations } from '../account-operations.js'
import { describePoint as where, injectionPoints, sendAt, writesOwnAccount, type InjectionPoint } from '../injection-points.js'
import type { Exchange } from '../scan-client.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'

/** Requests for the whole check: the fields most likely to be matched by a pattern come first. */
const MAX_REQUESTS = 60
/** Rungs of one family's ladder, and the longest pump tried when the field declares no maxLength. */
const MAX_RUNGS = 7
const FIRST_PUMP = 16
const LONGEST_PUMP = 40
/** Shorter pumps cannot cost a 2^n pattern anything measurable: such fields are skipped. */
const SHORTEST_USEFUL_PUMP = 16
/** A clear finding: this much slower than the fastest answer, and at least GROWTH times an answer at most WINDOW characters shorter. */
const SLOW_MS = 300
const GROWTH = 4
const WINDOW = 8
/** After an answer this slow the ladder stops climbing: the next rung could take seconds or hours. */
const CEILING_MS = 2000
/** Longest wait for a 429's Retry-After before the one retry. */
const MAX_RETRY_AFTER_S = 5

/** A value `prefix + pump × n + suffix`; the suffix is what makes the match fail after the pump. */
interface Family {
  readonly prefix: string
  readonly pump: string
  readonly suffix: string
}

const WORD: Family = { prefix: '', pump: 'a', suffix: '!' }
const DIGITS: Family = { prefix: '', pump: '0', suffix: 'x' }
const EMAIL_DOMAIN: Family = { prefix: 'a@', pump: 'a', suffix: '!' }
const URL_PATH: Family = { prefix: 'https://example.com/', pump: 'a', suffix: '!' }

const EMAIL_NAME = /e-?mail/i
const URL_NAME = /(^|_|-)(url|uri|link|website|homepage|href)$|Url$|Uri$/i
const DIGIT_NAME = /phone|mobile|tel$|fax|zip|postal|postcode|date|time|year|number|amount|price|ssn|iban|card/i
const TEXT_NAME = /name|email|mail|url|uri|phone|date|slug|handle|user|login|tag|code/i
const PASSWORD_NAME = /pass(word)?|passwd|pwd|secret|credential/i

/** The resolved schema of the point's parameter or body property, when the document gives one. */
function schemaOf(context: ScanContext, point: InjectionPoint): JsonObject | undefined {
  if (point.location !== 'body') {
    const found = point.operation.parameters.find(({ parameter }) => parameter.in === point.location && parameter.name === point.name)
    return found?.schema
  }
  const body = point.operation.requestBodies.find((candidate) => /json/i.test(candidate.mediaType))
  const object = context.spec.resolve(body?.schema, []).value
  const property = isObject(object) && isObject(object.properties) ? context.spec.resolve(object.properties[point.name], []).value : undefined
  return isObject(property) ? property : undefined
}

interface Candidate {
  readonly point: InjectionPoint
  readonly families: readonly Family[]
  readonly maxLength: number | undefined
  readonly priority: number
}

/** Families that fit the field: e-mail addresses fail in the domain too, URLs in the path, numbers on digits. */
function familiesOf(point: InjectionPoint, format: string): readonly Family[] {
  if (format === 'email' || EMAIL_NAME.test(point.name)) return [WORD, EMAIL_DOMAIN]
  if (format === 'uri' || format === 'url' || URL_NAME.test(point.name)) return [WORD, URL_PATH]
  if (/date|time/.test(format) || DIGIT_NAME.test(point.name)) return [DIGITS, WORD]
  return [WORD]
}

/** Operations that take a password, sign-up aside: a log-in, a change or reset of an existing account's password (its sample could become the password). */
function takesPassword(context: ScanContext, operation: OperationView): boolean {
  if (operation === accountOperations(context.spec, context.operations).signUp?.operation) return false
  const body = operation.requestBodies.find((candidate) => /json/i.test(candidate.mediaType))
  const object = context.spec.resolve(body?.schema, []).value
  return isObject(object) && isObject(object.properties) && Object.keys(object.properties).some((name) => PASSWORD_NAME.test(name))
}

/** Fields worth the budget, best first: a declared format or pattern, then a name validators like to check. Passwords are never sent, nor anything to an operation that takes one. */
function candidatesOf(context: ScanContext): Candidate[] {
  const candidates: Candidate[] = []
  for (const point of injectionPoints(context, { ownAccount: true })) {
    // On A's own account only the body's values: a payload elsewhere would go with a valid body, which would be stored.
    if (writesOwnAccount(point.operation) && point.location !== 'body') continue
    if (takesPassword(context, point.operation)) continue
    const schema = schemaOf(context, point)
    const format = typeof schema?.format === 'string' ? schema.format : ''
    if (format === 'password' || PASSWORD_NAME.test(point.name) || /^(uuid|int32|int64|byte|binary)$/.test(format) || Array.isArray(schema?.enum)) continue
    const maxLength = typeof schema?.maxLength === 'number' ? schema.maxLength : undefined
    const priority = (format !== '' || typeof schema?.pattern === 'string' ? 2 : 0) + (TEXT_NAME.test(point.name) ? 1 : 0)
    candidates.push({ point, families: familiesOf(point, format), maxLength, priority })
  }
  return candidates.sort((a, b) => b.priority - a.priority)
}

const attack = (family: Family, n: number) => `${family.prefix}${family.pump.repeat(n)}${family.suffix}`
/** The same characters with the breaking one first: a backtracking pattern gives up at once. */
const control = (family: Family, n: number) => `${family.suffix}${family.prefix}${family.pump.repeat(n)}`

interface Rung {
  readonly n: number
  readonly exchange: Exchange
}

/** What a finding reports: the slow rung, its confirmation, the control, and the rungs before. */
interface Proof {
  readonly family: Family
  readonly rungs: readonly Rung[]
  readonly slow: Rung
  readonly again: Exchange
  readonly benign: Exchange
  readonly fastest: number
}

/** The check's requests, counted; a 429 (earlier checks may have used up the path's rate) is waited out once, as Retry-After says. */
class Spending {
  #left = MAX_REQUESTS

  get left(): number {
    return this.#left
  }

  async send(context: ScanContext, point: InjectionPoint, value: string): Promise<Exchange> {
    this.#left--
    const exchange = await sendAt(context, point, value)
    if (exchange.status !== 429 || this.#left < 1) return exchange
    const seconds = Number(exchange.headers['retry-after'] ?? '1')
    await new Promise((resolve) => setTimeout(resolve, 1000 * (Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_S) : 1)))
    this.#left--
    return sendAt(context, point, value)
  }
}

/** The next pump length: big steps while answers are fast, two characters once time shows. */
function nextPump(n: number, excessMs: number): number {
  if (excessMs < 10) return n + 6
  if (excessMs < 60) return n + 3
  return n + 2
}

/** Climbs one family's ladder; a proven rung is confirmed by the same value again (slow) and its control (fast). */
async function climb(context: ScanContext, spending: Spending, point: InjectionPoint, family: Family, longest: number, baseline: number): Promise<Proof | undefined> {
  const rungs: Rung[] = []
  let fastest = baseline
  // The slowest answer of a rung that grew: a longer value slower still is on the same curve, even
  // where its own window holds no rung GROWTH times faster (the rung that grew fell short when confirmed).
  let grown = Infinity
  for (let n = Math.min(FIRST_PUMP, longest); rungs.length < MAX_RUNGS && spending.left > 2; ) {
    const exchange = await spending.send(context, point, attack(family, n))
    if (exchange.status === 0 || exchange.status === 429) return undefined
    const rung = { n, exchange }
    fastest = Math.min(fastest, exchange.ms)
    const grew = exchange.ms > grown || rungs.some((earlier) => rung.n - earlier.n <= WINDOW && exchange.ms >= GROWTH * earlier.exchange.ms)
    if (grew) grown = Math.min(grown, exchange.ms)
    rungs.push(rung)
    if (grew && exchange.ms - fastest >= SLOW_MS) {
      // Confirmed by the value again (slow) and its control (fast). A rung just past the threshold may
      // fall just short on the second try: then the climb goes on, where the time is unmistakable.
      const again = await spending.send(context, point, attack(family, n))
      const benign = await spending.send(context, point, control(family, n))
      const slowAgain = again.ms - fastest
      if (slowAgain >= SLOW_MS && benign.ms - fastest < slowAgain / GROWTH) return { family, rungs, slow: rung, again, benign, fastest }
      if (benign.ms - fastest >= slowAgain / GROWTH) return undefined
    }
    if (exchange.ms >= CEILING_MS || n >= longest) return undefined
    n = Math.min(nextPump(n, exchange.ms - fastest), longest)
  }
  return undefined
}

const shown = (family: Family, n: number) => `${family.prefix === '' ? '' : `"${family.prefix}" + `}"${family.pump}" × ${String(n)} + "${family.suffix}"`
const ms = (value: number) => `${String(Math.round(value))} ms`

function messageOf(point: InjectionPoint, proof: Proof): string {
  const { family, slow } = proof
  const before = proof.rungs.filter((rung) => rung !== slow).map((rung) => `${String(rung.n)}: ${ms(rung.exchange.ms)}`)
  return `${shown(family, slow.n)} in the ${where(point)} took ${ms(slow.exchange.ms)}, and ${ms(proof.again.ms)} again (n = ${before.join(', ')}; fastest answer ${ms(proof.fastest)}); the same characters with "${family.suffix}" first took ${ms(proof.benign.ms)}: a backtracking pattern matches the input.`
}

export const redos: ScanCheck = {
  id: 'redos',
  severity: 'high',
  owasp: 'API4:2023',
  title: 'Regular-expression denial of service (ReDoS)',
  description: `A value of a few dozen characters built to make a backtracking regular expression try every split ("aaaa…!") multiplied the answer time over a few characters (at least ${String(GROWTH)}× within ${String(WINDOW)} characters, ${String(SLOW_MS)} ms above the fastest answer), again on a second try, while the same characters with the breaking one first were fast: a handful of such requests occupies the server's CPU.`,
  remediation: 'Rewrite the pattern without nested or overlapping quantifiers (or use a linear-time engine such as RE2), bound the length before matching, and declare maxLength in the document so the gateway refuses longer values (`openapi-validation`).',
  async run(context) {
    const spending = new Spending()
    const reported = new Set<string>()
    for (const { point, families, maxLength } of candidatesOf(context)) {
      if (reported.has(`${point.operation.method} ${point.operation.pathTemplate}`)) continue
      if (spending.left < 1 + 2 + 3) return
      // On A's own account a valid value would be stored (A's e-mail replaced by the document's example): the baseline is a short control, which no validator accepts.
      const first = families[0]
      const baseline = await spending.send(context, point, writesOwnAccount(point.operation) && first !== undefined ? control(first, 8) : point.value)
      if (baseline.status === 0 || baseline.status === 429 || baseline.ms >= CEILING_MS) continue
      for (const family of families) {
        const longest = Math.min(LONGEST_PUMP, (maxLength ?? Infinity) - family.prefix.length - family.suffix.length)
        if (longest < SHORTEST_USEFUL_PUMP || spending.left < 3 + 2) continue
        const proof = await climb(context, spending, point, family, longest, baseline.ms)
        if (proof === undefined) continue
        context.report(point.operation, messageOf(point, proof), proof.again)
        reported.add(`${point.operation.method} ${point.operation.pathTemplate}`)
        break
      }
    }
  },
}
