/** Checks 7, 8 and 11 — resource limits, misconfiguration, inventory: how the API is deployed rather than what it computes. */
import { randomBytes } from 'node:crypto'
import { isLoginLike } from '../../audit/operation-kinds.js'
import { accountBody, accountOperations } from '../account-operations.js'
import type { ScanCheck } from '../scan-check.js'
import { answersAlike, identityA, isSuccess, parseJson, reachableReads, requestAs } from './shared.js'
import { isObject } from '../../audit/spec-model.js'

const PAGE_SIZE = /^(limit|per_?page|page_?size|pagesize|size|count|max|max_?results|top|\$top|first)$/i
const STACK_TRACE = /\bat [\w.$<>[\]]+ \(?(?:file:\/\/)?\/?[\w./-]+:\d+:\d+\)?|Traceback \(most recent call last\)|\bat [\w.$]+\([\w]+\.java:\d+\)|Exception in thread|SqliteError|node:internal\/|\bstack\b.*\bat /
const BURST = 30
const EVIL_ORIGIN = 'https://evil.portcullis-scan.example'

/** A log-in body the scan could not read: every string replaced by a generated one, so no example credential is sent 30 times. */
function generatedBody(sample: string | undefined): Record<string, unknown> {
  const parsed = sample === undefined ? undefined : parseJson(sample)
  if (!isObject(parsed)) return {}
  return Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, typeof value === 'string' ? `portcullis-${randomBytes(5).toString('hex')}` : value]))
}

export const noRateLimit: ScanCheck = {
  id: 'no-rate-limit',
  severity: 'medium',
  owasp: 'API4:2023',
  title: 'No rate limit',
  description: `A burst of ${String(BURST)} requests got no 429: nothing stops one client from taking the API's capacity, or guessing passwords at full speed.`,
  remediation: 'Rate-limit every API per consumer and per IP, and login-like operations much more tightly (the gateway\'s `rate-limit` policy).',
  async run(context) {
    // The log-in operation first, with a generated user and password (never the document's example: it may be a real account), then one ordinary read.
    const account = accountOperations(context.spec, context.operations).logIn
    const login = account?.operation ?? context.operations.find((operation) => operation.method === 'post' && isLoginLike(operation.pathTemplate, operation.operation.operationId) && !/regist|sign-?up|reset|forgot/i.test(`${operation.pathTemplate} ${String(operation.operation.operationId)}`))
    const read = (await reachableReads(context))[0]?.operation
    const wrong = { username: `portcullis-${randomBytes(4).toString('hex')}`, password: `Wrong-${randomBytes(6).toString('hex')}` }
    for (const operation of [...(login === undefined ? [] : [login]), ...(read === undefined ? [] : [read])]) {
      const request = operation === read ? requestAs(context, operation, identityA(context)) : requestAs(context, operation, undefined, { body: account === undefined ? generatedBody(requestAs(context, operation, undefined).body) : accountBody(account, wrong) })
      let last
      let limited = false
      for (let i = 0; i < BURST && !limited; i++) {
        last = await context.client.send(request)
        limited = last.status === 429
      }
      if (!limited && last !== undefined) context.report(operation, `${String(BURST)} requests to ${operation.method.toUpperCase()} ${operation.pathTemplate} in a burst, no 429.`, last)
    }
  },
}

export const oversizedPage: ScanCheck = {
  id: 'oversized-page',
  severity: 'medium',
  owasp: 'API4:2023',
  title: 'Page size not bounded',
  description: 'A list operation accepted a page size of 100000: one request can make the server load and serialise everything.',
  remediation: 'Cap page sizes (refuse or clamp values above the documented maximum); validate against the document.',
  async run(context) {
    for (const operation of context.operations) {
      if (operation.method !== 'get' || operation.pathTemplate.includes('{')) continue
      const parameter = operation.parameters.find(({ parameter: p }) => p.in === 'query' && typeof p.name === 'string' && PAGE_SIZE.test(p.name))
      if (parameter === undefined) continue
      const exchange = await context.client.send(requestAs(context, operation, identityA(context), { query: { [String(parameter.parameter.name)]: '100000' } }))
      if (isSuccess(exchange.status)) context.report(operation, `${String(parameter.parameter.name)}=100000 was accepted (${String(exchange.status)}).`, exchange)
    }
  },
}

export const securityHeaders: ScanCheck = {
  id: 'security-headers',
  severity: 'low',
  owasp: 'API8:2023',
  title: 'Missing security headers or a revealing server banner',
  description: 'Responses lack `X-Content-Type-Options: nosniff` (and `Strict-Transport-Security` over HTTPS), or announce the server software and version (`X-Powered-By`, `Server`).',
  remediation: 'Send nosniff and HSTS, drop `X-Powered-By` and version banners (the gateway\'s `security-headers` policy does all of it).',
  async run(context) {
    const read = (await reachableReads(context))[0]
    if (read === undefined) return
    const { headers } = read.exchange
    const problems: string[] = []
    if (headers['x-content-type-options']?.toLowerCase() !== 'nosniff') problems.push('no X-Content-Type-Options: nosniff')
    if (context.client.target.protocol === 'https:' && headers['strict-transport-security'] === undefined) problems.push('no Strict-Transport-Security')
    if (headers['x-powered-by'] !== undefined) problems.push(`X-Powered-By: ${headers['x-powered-by']}`)
    if (headers.server !== undefined && /\d/.test(headers.server)) problems.push(`Server: ${headers.server}`)
    if (problems.length > 0) context.report(null, `Responses: ${problems.join('; ')}.`, read.exchange)
  },
}

export const corsReflectsOrigin: ScanCheck = {
  id: 'cors-reflects-origin',
  severity: 'high',
  owasp: 'API8:2023',
  title: 'CORS reflects any origin with credentials',
  description: 'A request from an arbitrary origin got it back in `Access-Control-Allow-Origin` with `Access-Control-Allow-Credentials: true`: any web page can call the API with a user\'s cookies.',
  remediation: 'Allow an explicit list of origins (the gateway\'s `cors` policy); never reflect the request\'s Origin with credentials.',
  async run(context) {
    const read = (await reachableReads(context))[0]
    if (read === undefined) return
    const exchange = await context.client.send(requestAs(context, read.operation, identityA(context), { headers: { origin: EVIL_ORIGIN } }))
    if (exchange.headers['access-control-allow-origin'] === EVIL_ORIGIN && exchange.headers['access-control-allow-credentials'] === 'true') context.report(null, `Origin ${EVIL_ORIGIN} was allowed, with credentials.`, exchange)
  },
}

export const verboseErrors: ScanCheck = {
  id: 'verbose-errors',
  severity: 'medium',
  owasp: 'API8:2023',
  title: 'Errors reveal internals (stack traces)',
  description: 'A malformed request made the server answer with a stack trace or internal error text: file paths, libraries and code structure for an attacker.',
  remediation: 'Answer errors with a fixed problem+json body; log the details server-side only.',
  async run(context) {
    for (const operation of context.operations) {
      if (operation.method === 'delete' || operation.pathTemplate.includes('{')) continue
      const hasBody = operation.requestBodies.length > 0
      const base = requestAs(context, operation, identityA(context))
      const exchange = await context.client.send(hasBody ? { ...base, headers: { ...base.headers, 'content-type': 'application/json' }, body: '{"broken": ' } : { ...base, path: `${base.path}${base.path.includes('?') ? '&' : '?'}%ff=%ff` })
      if (STACK_TRACE.test(exchange.body)) {
        context.report(operation, `A malformed request to ${operation.method.toUpperCase()} ${operation.pathTemplate} returned a stack trace.`, exchange)
        return
      }
    }
  },
}

export const traceEnabled: ScanCheck = {
  id: 'trace-enabled',
  severity: 'low',
  owasp: 'API8:2023',
  title: 'TRACE is enabled',
  description: 'The server answers TRACE by echoing the request, headers included: with a browser or proxy bug, credentials leak (cross-site tracing).',
  remediation: 'Refuse TRACE with 405.',
  async run(context) {
    const exchange = await context.client.send({ method: 'TRACE', path: `${context.basePath}/`, headers: { 'x-portcullis-trace': 'probe' } })
    if (isSuccess(exchange.status) && exchange.body.includes('x-portcullis-trace')) context.report(null, 'TRACE echoed the request.', exchange)
  },
}

export const plainHttp: ScanCheck = {
  id: 'plain-http',
  severity: 'high',
  owasp: 'API8:2023',
  title: 'API served over plain HTTP',
  description: 'The API answers over plain http://: tokens and data cross the network in clear. (A local target is reported too: switch the check off in the settings for development scans.)',
  remediation: 'Serve only HTTPS (TLS 1.2+), redirect or refuse HTTP, and send HSTS.',
  async run(context) {
    if (context.client.target.protocol !== 'http:') return
    const exchange = await context.client.send({ method: 'GET', path: `${context.basePath}/` })
    if (exchange.status !== 0) context.report(null, `${context.client.target.origin} answers over plain HTTP.`, exchange)
  },
}

/** Next to the documented base path: older versions and debug endpoints (a short, bounded list). */
function inventoryPaths(basePath: string): string[] {
  const paths = ['/debug', '/debug/vars', '/debug/pprof/', '/actuator', '/actuator/env', '/.env', '/.git/config', '/server-status', '/console', '/phpinfo.php', '/swagger-ui.html', '/graphql']
  const version = /^(.*\/)v(\d+)(\/.*)?$/.exec(basePath)
  if (version?.[2] !== undefined) {
    const n = Number(version[2])
    for (const other of [n - 1, n + 1, 0]) if (other >= 0 && other !== n) paths.push(`${version[1] ?? '/'}v${String(other)}${version[3] ?? ''}`)
  }
  return [...new Set(paths)]
}

export const inventoryExposed: ScanCheck = {
  id: 'inventory-exposed',
  severity: 'medium',
  owasp: 'API9:2023',
  title: 'Undocumented version or debug endpoint reachable',
  description: 'An older API version or a debug endpoint answers next to the documented API: unmaintained code, usually without today\'s protections.',
  remediation: 'Retire old versions (with `Sunset` first) and remove debug endpoints from production; route only documented APIs.',
  async run(context) {
    const documented = new Set(context.operations.map((operation) => `${context.basePath}${operation.pathTemplate}`))
    // A server that answers 200 to any path (a single-page app's fallback) proves nothing by answering these.
    const nowhere = await context.client.send({ method: 'GET', path: `${context.basePath}/portcullis-${randomBytes(6).toString('hex')}`, headers: identityA(context)?.headers ?? {} })
    // Another version is probed at a few of today's plain GET paths; the debug paths as they are.
    const samples = context.operations.filter((operation) => operation.method === 'get' && !operation.pathTemplate.includes('{')).slice(0, 3).map((operation) => operation.pathTemplate)
    for (const path of inventoryPaths(context.basePath)) {
      const probes = /\/v\d+$/.test(path) ? samples.map((template) => `${path}${template}`) : [path]
      for (const probe of probes) {
        if (documented.has(probe)) continue
        const exchange = await context.client.send({ method: 'GET', path: probe, headers: identityA(context)?.headers ?? {} })
        if (exchange.status === 200 && !(nowhere.status === 200 && answersAlike(exchange, nowhere))) {
          context.report(null, `GET ${probe} answered 200.`, exchange)
          break
        }
      }
    }
  },
}

export const DEPLOYMENT_CHECKS: readonly ScanCheck[] = [noRateLimit, oversizedPage, securityHeaders, corsReflectsOrigin, verboseErrors, traceEnabled, plainHttp, inventoryExposed]
