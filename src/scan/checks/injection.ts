/** Check 6, injection: SQL (errors, boolean differential, time), NoSQL operators, OS commands (time), templates, path traversal. */
import type { OperationView } from '../../audit/operations.js'
import { isObject } from '../../audit/spec-model.js'
import type { Exchange } from '../scan-client.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'
import { sampleValue } from '../sample-values.js'
import { identityA, isSuccess, requestAs } from './shared.js'

/** Extra delay that counts as "the payload slept", above the baseline; payloads sleep 3 s. */
const DELAY_THRESHOLD_MS = 2500
const SQL_ERRORS = /SQLITE_ERROR|SqliteError|unrecognized token|SQL syntax|syntax error at or near|unterminated quoted string|quoted string not properly terminated|ORA-\d{5}|SQLSTATE\[|PG::SyntaxError|mysql_fetch|Microsoft OLE DB|ODBC SQL Server Driver|near "[^"]*": syntax error/i
const FILE_PARAMETER = /^(file|filename|file_name|path|filepath|name|doc|document|template|page|folder|dir|directory|include|download|attachment)$/i

/** Where a payload goes: a string query parameter, or a string property of a JSON body. */
interface InjectionPoint {
  readonly operation: OperationView
  readonly kind: 'query' | 'body'
  readonly name: string
  readonly value: string
}

function injectionPoints(context: ScanContext): InjectionPoint[] {
  const points: InjectionPoint[] = []
  for (const operation of context.operations) {
    if (operation.method === 'delete' || operation.pathTemplate.includes('{')) continue
    for (const { parameter, schema } of operation.parameters) {
      if (parameter.in !== 'query' || typeof parameter.name !== 'string') continue
      const value = parameter.example ?? sampleValue(context.spec, context.spec.isOas3 ? parameter.schema : schema)
      if (typeof value === 'string') points.push({ operation, kind: 'query', name: parameter.name, value })
    }
    const body = operation.requestBodies.find((candidate) => /json/i.test(candidate.mediaType))
    const sample = body === undefined ? undefined : sampleValue(context.spec, body.schema)
    if (isObject(sample)) for (const [name, value] of Object.entries(sample)) if (typeof value === 'string') points.push({ operation, kind: 'body', name, value })
  }
  return points
}

/** Sends the operation as identity A with `value` at the injection point. */
function sendAt(context: ScanContext, point: InjectionPoint, value: unknown): Promise<Exchange> {
  if (point.kind === 'query') return context.client.send(requestAs(context, point.operation, identityA(context), { query: { [point.name]: String(value) } }))
  const body = point.operation.requestBodies.find((candidate) => /json/i.test(candidate.mediaType))
  const sample = body === undefined ? {} : sampleValue(context.spec, body.schema)
  return context.client.send(requestAs(context, point.operation, identityA(context), { body: { ...(isObject(sample) ? sample : {}), [point.name]: value } }))
}

const where = (point: InjectionPoint) => `${point.kind === 'query' ? 'query parameter' : 'body property'} "${point.name}" of ${point.operation.method.toUpperCase()} ${point.operation.pathTemplate}`

/** The second of two answers to `value` that both came at least the threshold later than the baseline, or undefined. */
async function delayedTwice(context: ScanContext, point: InjectionPoint, value: string, baseline: Exchange): Promise<Exchange | undefined> {
  const slow = await sendAt(context, point, value)
  if (slow.ms < baseline.ms + DELAY_THRESHOLD_MS) return undefined
  const again = await sendAt(context, point, value)
  return again.ms >= baseline.ms + DELAY_THRESHOLD_MS ? again : undefined
}

/** A response body without the echoed payload, so a reflected payload does not look like its effect. */
const withoutEcho = (body: string, payload: string) => body.replaceAll(payload, '').replaceAll(encodeURIComponent(payload), '')

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
      let found = false
      for (const payload of [`${point.value}'`, `${point.value}"`, `${point.value}')`]) {
        const exchange = await sendAt(context, point, payload)
        if (SQL_ERRORS.test(withoutEcho(exchange.body, payload))) {
          context.report(point.operation, `SQL error after a quote in the ${where(point)}.`, exchange)
          found = true
          break
        }
      }
      if (found) continue
      // In a string literal, then as a number: two true and two false conditions; only a stable, different answer counts.
      let differential = false
      for (const quote of ["'", '']) {
        const [t1, t2, f1, f2] = await Promise.all([` OR 1=1 -- `, ` OR 2=2 -- `, ` AND 1=2 -- `, ` AND 2=3 -- `].map((suffix) => sendAt(context, point, `${point.value}${quote}${suffix}`)))
        if (t1 && t2 && f1 && f2 && isSuccess(t1.status) && isSuccess(f1.status) && t1.body === t2.body && f1.body === f2.body && t1.body !== f1.body) {
          context.report(point.operation, `Boolean SQL conditions in the ${where(point)} change the result (true: ${String(t1.body.length)} bytes, false: ${String(f1.body.length)} bytes).`, t1)
          differential = true
          break
        }
      }
      if (differential) continue
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

export const nosqlInjection: ScanCheck = {
  id: 'nosql-injection',
  severity: 'critical',
  owasp: 'API8:2023',
  title: 'NoSQL operator injection',
  description: 'A query operator (`{"$ne": null}`) sent where a string belongs changed the outcome: a failing request succeeded.',
  remediation: 'Require the declared types (strings stay strings) before values reach a query; validate against the document.',
  async run(context) {
    for (const point of injectionPoints(context)) {
      if (point.kind !== 'body') continue
      const baseline = await sendAt(context, point, `${point.value}-portcullis-wrong`)
      if (isSuccess(baseline.status)) continue
      for (const operator of [{ $ne: null }, { $gt: '' }]) {
        const exchange = await sendAt(context, point, operator)
        if (isSuccess(exchange.status)) {
          context.report(point.operation, `${JSON.stringify(operator)} in the ${where(point)} turned a ${String(baseline.status)} into ${String(exchange.status)}.`, exchange)
          break
        }
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
      if (!FILE_PARAMETER.test(point.name) && !/\.[a-z0-9]{2,4}$/i.test(point.value)) continue
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
