/** Check 6, injection: SQL (errors, boolean differential, time), NoSQL operators, OS commands (time), templates, path traversal. */
import { itemsIn, objectIn } from '../owned-objects.js'
import { describePoint as where, injectionPoints, sendAt, sendWithQuery, type InjectionPoint } from '../injection-points.js'
import type { Exchange } from '../scan-client.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'
import { accountBody, accountOperations } from '../account-operations.js'
import { identityA, identityB, isSuccess, parseJson, userNameOf } from './shared.js'

/** Extra delay that counts as "the payload slept", above the baseline; payloads sleep 3 s. */
const DELAY_THRESHOLD_MS = 2500
const SQL_ERRORS = /SQLITE_ERROR|SqliteError|unrecognized token|SQL syntax|syntax error at or near|unterminated quoted string|quoted string not properly terminated|ORA-\d{5}|SQLSTATE\[|PG::SyntaxError|mysql_fetch|Microsoft OLE DB|ODBC SQL Server Driver|near "[^"]*": syntax error/i
const FILE_PARAMETER = /^(file|filename|file_name|path|filepath|name|doc|document|template|page|folder|dir|directory|include|download|attachment)$/i

/** The second of two answers to `value` that both came at least the threshold later than the baseline, or undefined. */
async function delayedTwice(context: ScanContext, point: InjectionPoint, value: string, baseline: Exchange): Promise<Exchange | undefined> {
  const slow = await sendAt(context, point, value)
  if (slow.ms < baseline.ms + DELAY_THRESHOLD_MS) return undefined
  const again = await sendAt(context, point, value)
  return again.ms >= baseline.ms + DELAY_THRESHOLD_MS ? again : undefined
}

/** A response body without the echoed payload, so a reflected payload does not look like its effect. */
const withoutEcho = (body: string, payload: string) => body.replaceAll(payload, '').replaceAll(encodeURIComponent(payload), '')

/** A quote makes the database fail, and the same quote doubled (a valid literal) does not: the input is inside SQL text. */
async function errorBased(context: ScanContext, point: InjectionPoint): Promise<boolean> {
  for (const [breaking, balanced] of [["'", "''"], ['"', '""'], ["')", "''"]] as const) {
    const exchange = await sendAt(context, point, `${point.value}${breaking}`)
    if (!SQL_ERRORS.test(withoutEcho(exchange.body, breaking))) continue
    const confirmation = await sendAt(context, point, `${point.value}${balanced}`)
    if (SQL_ERRORS.test(withoutEcho(confirmation.body, balanced))) continue
    context.report(point.operation, `SQL error after a quote in the ${where(point)} (the quote doubled gives none).`, exchange)
    return true
  }
  return false
}

/** The same answer, payload echoes aside. */
const sameAnswer = (a: Exchange, b: Exchange, payloads: readonly string[]) => a.status === b.status && payloads.reduce((body, payload) => withoutEcho(body, payload), a.body) === payloads.reduce((body, payload) => withoutEcho(body, payload), b.body)

/**
 * Conditions appended to the value change the answer the way SQL would: a true condition answers
 * like the value alone, a false one like a value that matches nothing — proven twice, with
 * differently written conditions. For lists, OR-true and AND-false give two stable, different
 * successful answers.
 */
async function booleanBased(context: ScanContext, point: InjectionPoint, baseline: Exchange): Promise<boolean> {
  const { value } = point
  const nothing = await sendAt(context, point, `${value}zq${String(Date.now() % 100000)}x`)
  for (const quote of ["'", '']) {
    // A literal that the quote closes, or a number: "alice' AND '1'='1" or "7 AND 1=1".
    const condition = (test: string) => (quote === '' ? `${value} AND ${test}` : `${value}' AND ${test.replace(/(\S+)$/, (last) => last.replace(/'$/, ''))}`)
    const shapes = quote === '' ? [['1=1', '1=2'], ['2>1', '2<1']] : [["'1'='1'", "'1'='2'"], ["'b'>'a'", "'a'>'b'"]]
    if (!sameAnswer(baseline, nothing, [])) {
      let proven = 0
      let evidence: Exchange | undefined
      for (const [truth, falsehood] of shapes) {
        if (truth === undefined || falsehood === undefined) continue
        const [t, f] = [condition(truth), condition(falsehood)]
        const whenTrue = await sendAt(context, point, t)
        if (!sameAnswer(whenTrue, baseline, [t, value])) break
        const whenFalse = await sendAt(context, point, f)
        if (sameAnswer(whenFalse, whenTrue, [t, f]) || !(whenFalse.status === nothing.status && (whenFalse.status !== baseline.status || whenFalse.body.length !== baseline.body.length))) break
        proven++
        evidence ??= whenTrue
      }
      if (proven === shapes.length && evidence !== undefined) {
        context.report(point.operation, `Boolean SQL conditions appended to the ${where(point)} decide the answer: a true one answers like the value alone (${String(baseline.status)}), a false one like a value that matches nothing (${String(nothing.status)}); twice, written two ways.`, evidence)
        return true
      }
    }
    const [t1, t2, f1, f2] = await Promise.all([` OR 1=1 -- `, ` OR 2=2 -- `, ` AND 1=2 -- `, ` AND 2=3 -- `].map((suffix) => sendAt(context, point, `${value}${quote}${suffix}`)))
    if (t1 && t2 && f1 && f2 && isSuccess(t1.status) && isSuccess(f1.status) && t1.body === t2.body && f1.body === f2.body && t1.body !== f1.body) {
      context.report(point.operation, `Boolean SQL conditions in the ${where(point)} change the result (true: ${String(t1.body.length)} bytes, false: ${String(f1.body.length)} bytes).`, t1)
      return true
    }
  }
  return false
}

export const sqlInjection: ScanCheck = {
  id: 'sql-injection',
  severity: 'critical',
  owasp: 'API8:2023',
  title: 'SQL injection',
  description: 'Input reaches an SQL statement as code: a quote makes the database fail (error-based), conditions change the result (boolean differential), or a sleep delays the answer (time-based).',
  remediation: 'Use parameterised queries everywhere; validate input against the document (`openapi-validation`) and run the `waf` policy in front.',
  async run(context) {
    for (const point of injectionPoints(context)) {
      const baseline = await sendAt(context, point, point.value)
      if (SQL_ERRORS.test(baseline.body)) continue
      if (await errorBased(context, point)) continue
      if (await booleanBased(context, point, baseline)) continue
      for (const suffix of [`' AND SLEEP(3)-- `, `'; SELECT pg_sleep(3)-- `, `'; WAITFOR DELAY '0:0:3'-- `]) {
        const delayed = await delayedTwice(context, point, `${point.value}${suffix}`, baseline)
        if (delayed !== undefined) {
          context.report(point.operation, `A SQL sleep in the ${where(point)} delayed the answer by ${String(Math.round(delayed.ms - baseline.ms))} ms, twice.`, delayed)
          break
        }
      }
    }
  },
}

/** Items in a JSON list answer (`[…]`, `{"data": […]}`, `{"result": {"items": […]}}`). */
const itemCount = (body: string) => itemsIn(objectIn(parseJson(body)))?.length

export const nosqlInjection: ScanCheck = {
  id: 'nosql-injection',
  severity: 'critical',
  owasp: 'API8:2023',
  title: 'NoSQL operator injection',
  description: 'A query operator sent where a string belongs changed the outcome: in a JSON body (`{"$ne": null}`) a failing request succeeded; in a query string (`name[$ne]=x`) a filter that matches nothing returned items. Each is proven with two different operators.',
  remediation: 'Require the declared types (strings stay strings) before values reach a query; parse query strings without nested objects; validate against the document.',
  async run(context) {
    for (const point of injectionPoints(context)) {
      if (point.location === 'body') {
        // At the log-in's password, a real user name (B's): an operator there logs in as B without B's password. One wrong password reaches B.
        const login = accountOperations(context.spec, context.operations).logIn
        const known = userNameOf(identityB(context)) ?? userNameOf(identityA(context))
        const body = login !== undefined && login.operation === point.operation && point.name === login.passwordField && known !== undefined ? accountBody(login, { username: known, password: `Wrong-${String(Date.now())}` }) : undefined
        const baseline = await sendAt(context, point, `${point.value}-portcullis-wrong`, body)
        if (isSuccess(baseline.status)) continue
        const ne = await sendAt(context, point, { $ne: null }, body)
        if (!isSuccess(ne.status)) continue
        const gt = await sendAt(context, point, { $gt: '' }, body)
        if (isSuccess(gt.status)) context.report(point.operation, `{"$ne": null} and {"$gt": ""} in the ${where(point)} each turned a ${String(baseline.status)} into ${String(ne.status)}.`, ne)
      } else if (point.location === 'query') {
        const miss = `portcullis${String(Date.now() % 100000)}`
        const baseline = await sendWithQuery(context, point, `${encodeURIComponent(point.name)}=${miss}`)
        if (!isSuccess(baseline.status) || itemCount(baseline.body) !== 0) continue
        // Operators that select everything must return items, and one that selects nothing must not: a parser that ignores the brackets gives the same answer to both.
        const operator = (name: string, value: string) => sendWithQuery(context, point, `${encodeURIComponent(point.name)}%5B%24${name}%5D=${value}`)
        const ne = await operator('ne', miss)
        if (!isSuccess(ne.status) || (itemCount(ne.body) ?? 0) === 0) continue
        const eq = await operator('eq', miss)
        if (!isSuccess(eq.status) || itemCount(eq.body) !== 0) continue
        const greater = await operator('gt', '')
        if (isSuccess(greater.status) && (itemCount(greater.body) ?? 0) > 0) context.report(point.operation, `"${point.name}[$ne]=${miss}" and "${point.name}[$gt]=" in the query of ${point.operation.method.toUpperCase()} ${point.operation.pathTemplate} returned ${String(itemCount(ne.body))} items where "${point.name}=${miss}" and "${point.name}[$eq]=${miss}" returned none.`, ne)
      }
    }
  },
}

export const commandInjection: ScanCheck = {
  id: 'command-injection',
  severity: 'critical',
  owasp: 'API8:2023',
  title: 'OS command injection',
  description: 'A shell `sleep` appended to the input delayed the answer, twice: the input reaches a shell.',
  remediation: 'Never pass input to a shell; call programs with argument arrays and validate input strictly.',
  async run(context) {
    for (const point of injectionPoints(context)) {
      const baseline = await sendAt(context, point, point.value)
      for (const suffix of [';sleep 3', '|sleep 3', '$(sleep 3)', '`sleep 3`', '&& sleep 3']) {
        const delayed = await delayedTwice(context, point, `${point.value}${suffix}`, baseline)
        if (delayed !== undefined) {
          context.report(point.operation, `"${suffix}" in the ${where(point)} delayed the answer by ${String(Math.round(delayed.ms - baseline.ms))} ms, twice.`, delayed)
          break
        }
      }
    }
  },
}

export const templateInjection: ScanCheck = {
  id: 'template-injection',
  severity: 'critical',
  owasp: 'API8:2023',
  title: 'Server-side template injection',
  description: 'A template expression in the input (`{{7*191}}`) came back evaluated (1337): the input is rendered as a template, often a path to code execution.',
  remediation: 'Never render input as a template; pass it as data to a fixed template.',
  async run(context) {
    for (const point of injectionPoints(context)) {
      const baseline = await sendAt(context, point, point.value)
      if (baseline.body.includes('1337')) continue
      for (const payload of ['{{7*191}}', '${7*191}', '<%= 7*191 %>', '#{7*191}']) {
        const exchange = await sendAt(context, point, `${point.value}${payload}`)
        if (withoutEcho(exchange.body, payload).includes('1337')) {
          context.report(point.operation, `"${payload}" in the ${where(point)} was evaluated.`, exchange)
          break
        }
      }
    }
  },
}

export const pathTraversal: ScanCheck = {
  id: 'path-traversal',
  severity: 'critical',
  owasp: 'API8:2023',
  title: 'Path traversal',
  description: 'A relative path in a file-like parameter read a file outside the intended folder (`/etc/passwd`).',
  remediation: 'Resolve names against the folder and refuse anything that leaves it; better, look files up by id.',
  async run(context) {
    for (const point of injectionPoints(context)) {
      if (point.location !== 'path' && !FILE_PARAMETER.test(point.name) && !/\.[a-z0-9]{2,4}$/i.test(point.value)) continue
      for (const payload of ['../../../../../../../../etc/passwd', '....//....//....//....//....//....//etc/passwd', '/etc/passwd']) {
        const exchange = await sendAt(context, point, payload)
        if (/root:[^:\n]*:0:0:/.test(exchange.body)) {
          context.report(point.operation, `"${payload}" in the ${where(point)} returned /etc/passwd.`, exchange)
          break
        }
      }
    }
  },
}

export const INJECTION_CHECKS: readonly ScanCheck[] = [sqlInjection, nosqlInjection, commandInjection, templateInjection, pathTraversal]
