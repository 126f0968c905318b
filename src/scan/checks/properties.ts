/** Checks 4 and 5: mass assignment, and responses that say more than the document declares. */
import { randomBytes } from 'node:crypto'
import { allowsAnonymous, type OperationView } from '../../audit/operations.js'
import { isObject, type SpecModel } from '../../audit/spec-model.js'
import { ALL_DETECTORS, DETECTORS } from '../../sensitive/detectors.js'
import { detect } from '../../audit/rules/properties.js'
import { accountBody, accountOperations, type AccountOperation } from '../account-operations.js'
import { ScanIdentity } from '../identities.js'
import { logInQuietly } from '../log-in.js'
import { objectIn } from '../owned-objects.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'
import { bodySample } from '../sample-values.js'
import { identityA, isSuccess, ME_PATH, parseJson, reachableReads, requestAs, USER_PARAMETER } from './shared.js'

/** Properties a client should never set, with values the scan can recognise when they come back. */
const PRIVILEGED: Readonly<Record<string, unknown>> = { role: 'admin', isAdmin: true, is_admin: true, admin: true, balance: 9999999, permissions: ['admin'], verified: true }
const RESPONSE_DETECTORS = ALL_DETECTORS.filter((name) => name !== 'email' && name !== 'phone').map((name) => DETECTORS[name])

/** The declared properties of an object schema (allOf merged, refs followed); undefined when it declares none or allows any. */
function declaredProperties(spec: SpecModel, schema: unknown, depth = 0): Set<string> | undefined {
  const resolved = spec.resolve(schema, []).value
  if (!isObject(resolved) || depth > 8) return undefined
  const names = new Set<string>()
  let any = false
  if (isObject(resolved.properties)) for (const name of Object.keys(resolved.properties)) names.add(name)
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
    const parts = resolved[key]
    if (!Array.isArray(parts)) continue
    for (const part of parts) {
      const inner = declaredProperties(spec, part, depth + 1)
      if (inner === undefined) any = true
      else for (const name of inner) names.add(name)
    }
  }
  if (resolved.additionalProperties !== undefined && resolved.additionalProperties !== false) any = true
  return names.size === 0 || any ? undefined : names
}

/** The schema of an operation's 2XX JSON response. */
function responseSchema(operation: OperationView, status: number): unknown {
  if (!operation.responses.some((candidate) => candidate.status === String(status)) && status !== 200) return undefined
  const response = operation.responses.find((candidate) => candidate.status === String(status)) ?? operation.responses.find((candidate) => /^2/.test(candidate.status))
  return response?.contents.find((content) => /json/i.test(content.mediaType))?.schema
}

/** Properties the document marks readOnly in `schema`, with values the scan can recognise when they come back. */
function readOnlyProbes(spec: SpecModel, schema: unknown): Record<string, unknown> {
  const resolved = spec.resolve(schema, []).value
  const probes: Record<string, unknown> = {}
  if (!isObject(resolved) || !isObject(resolved.properties)) return probes
  for (const [name, property] of Object.entries(resolved.properties)) {
    const value = spec.resolve(property, []).value
    if (!isObject(value) || value.readOnly !== true) continue
    if (value.type === 'string') probes[name] = `portcullis-scan-${name}`
    else if (value.type === 'integer' || value.type === 'number') probes[name] = 987654321
  }
  return probes
}

export const massAssignment: ScanCheck = {
  id: 'mass-assignment',
  severity: 'high',
  owasp: 'API3:2023',
  title: 'Mass assignment: a privileged or read-only property was written',
  description: 'A write carrying properties the client must not set (`role`, `isAdmin`, `balance`…, or ones the document marks readOnly) was stored: they came back on the next read.',
  remediation: 'Bind request bodies to an explicit allow-list of writable properties; have the gateway strip undeclared properties (`openapi-validation`).',
  async run(context) {
    const a = identityA(context)
    const signUp = accountOperations(context.spec, context.operations).signUp
    if (signUp !== undefined) await signUpAssignment(context, signUp)
    if (a === undefined) return
    for (const operation of context.operations) {
      if (!['post', 'put', 'patch'].includes(operation.method) || operation.pathTemplate.includes('{') || operation === signUp?.operation) continue
      const body = operation.requestBodies.find((candidate) => /json/i.test(candidate.mediaType))
      if (body === undefined) continue
      const base = bodySample(context.spec, body)
      if (!isObject(base)) continue
      // Read back: the same path's GET, else the write's own response.
      const read = context.operations.find((candidate) => candidate.pathTemplate === operation.pathTemplate && candidate.method === 'get')
      const readOnly = { ...readOnlyProbes(context.spec, body.schema), ...readOnlyProbes(context.spec, responseSchema(operation, 200)), ...(read === undefined ? {} : readOnlyProbes(context.spec, responseSchema(read, 200))) }
      const sent = { ...PRIVILEGED, ...readOnly }
      const write = await context.client.send(requestAs(context, operation, a, { body: { ...base, ...sent } }))
      if (!isSuccess(write.status)) continue
      const exchange = read === undefined ? write : await context.client.send(requestAs(context, read, a))
      const taken = takenProperties(exchange.body, sent, readOnly)
      if (taken.length > 0) context.report(operation, `${operation.method.toUpperCase()} ${operation.pathTemplate} stored ${taken.join(', ')} sent by the client.`, exchange)
    }
  },
}

/** The privileged properties an answer shows with the values sent. */
function takenProperties(body: string, sent: Readonly<Record<string, unknown>>, readOnly: Readonly<Record<string, unknown>>): string[] {
  const stored = objectIn(parseJson(body))
  if (stored === undefined) return []
  return Object.entries(sent)
    .filter(([name, value]) => JSON.stringify(stored[name]) === JSON.stringify(value))
    .map(([name]) => (name in readOnly ? `${name} (read-only)` : name))
}


/**
 * Sign-up with privileged properties, under a fresh user name: the new user then reads itself
 * back (its "me" operation, or the user's own path) — the sign-up's answer alone proves nothing.
 */
async function signUpAssignment(context: ScanContext, signUp: AccountOperation): Promise<void> {
  const { operation } = signUp
  const username = `pcs${randomBytes(5).toString('hex')}`
  const password = `Pcs-${randomBytes(8).toString('hex')}`
  const body = operation.requestBodies.find((candidate) => /json/i.test(candidate.mediaType))
  const readOnly = { ...readOnlyProbes(context.spec, body?.schema), ...readOnlyProbes(context.spec, objectSchema(context.spec, responseSchema(operation, 201) ?? responseSchema(operation, 200))) }
  const sent = { ...PRIVILEGED, ...readOnly }
  const write = await context.client.send(requestAs(context, operation, allowsAnonymous(operation) ? undefined : identityA(context), { body: { ...accountBody(signUp, { username, password, email: `${username}@example.com` }), ...sent } }))
  if (!isSuccess(write.status)) return
  const user = new ScanIdentity('signed-up', { username, password })
  if (!(await logInQuietly(context.client, context.spec, context.basePath, context.operations, user))) return
  // The user's own reads: "me", or a path whose only parameter names the user (filled with the new user name by requestAs).
  const reads = context.operations.filter((candidate) => {
    if (candidate.method !== 'get') return false
    const pathParameters = candidate.parameters.filter(({ parameter }) => parameter.in === 'path')
    if (pathParameters.length === 0) return ME_PATH.test(candidate.pathTemplate)
    return pathParameters.length === 1 && /\}$/.test(candidate.pathTemplate) && USER_PARAMETER.test(String(pathParameters[0]?.parameter.name))
  })
  for (const read of reads) {
    const exchange = await context.client.send(requestAs(context, read, user))
    if (!isSuccess(exchange.status)) continue
    const taken = takenProperties(exchange.body, sent, readOnly)
    if (taken.length > 0) {
      context.report(operation, `${operation.method.toUpperCase()} ${operation.pathTemplate} (sign-up) stored ${taken.join(', ')} sent by the client: the new user ${username} read them back through GET ${read.pathTemplate}.`, exchange)
      return
    }
  }
}

/** The object schema of an answer, under an envelope property such as `data` when the answer has one. */
function objectSchema(spec: SpecModel, schema: unknown): unknown {
  const resolved = spec.resolve(schema, []).value
  if (!isObject(resolved) || !isObject(resolved.properties)) return schema
  const envelope = Object.entries(resolved.properties).find(([name]) => /^(data|result|item|object|resource|payload)$/i.test(name))?.[1]
  return envelope ?? schema
}

export const excessiveDataExposure: ScanCheck = {
  id: 'excessive-data-exposure',
  severity: 'medium',
  owasp: 'API3:2023',
  title: 'Response carries properties the document does not declare',
  description: 'The response holds properties its schema does not declare: data the contract never meant to expose (internal fields, hashes, other users\' data).',
  remediation: 'Serialise responses from an explicit view; or have the gateway strip undeclared properties (`openapi-validation: { response: strip }`).',
  async run(context) {
    for (const { operation, status, body, exchange } of await reachableReads(context)) {
      const value = parseJson(body)
      const first: unknown = Array.isArray(value) ? value[0] : value
      if (!isObject(first)) continue
      let schema = responseSchema(operation, status)
      if (Array.isArray(value)) {
        const resolved = context.spec.resolve(schema, []).value
        schema = isObject(resolved) ? resolved.items : undefined
      }
      const declared = declaredProperties(context.spec, schema)
      if (declared === undefined) continue
      const extra = Object.keys(first).filter((name) => !declared.has(name))
      if (extra.length > 0) context.report(operation, `GET ${operation.pathTemplate} returns undeclared properties: ${extra.join(', ')}.`, exchange)
    }
  },
}

export const sensitiveDataInResponse: ScanCheck = {
  id: 'sensitive-data-in-response',
  severity: 'high',
  owasp: 'API3:2023',
  title: 'Sensitive data in a response',
  description: 'A response holds data the detectors recognise as sensitive: card numbers (within card network ranges, Luhn-checked), SSNs, IBANs, tokens, API keys, private keys.',
  remediation: 'Do not return such data; if it must be returned, mask it (the gateway\'s `masking` policy).',
  async run(context) {
    for (const { operation, body, exchange } of await reachableReads(context)) {
      const detector = detect(body, RESPONSE_DETECTORS)
      if (detector !== undefined) context.report(operation, `GET ${operation.pathTemplate} returns data that looks like ${detector.name}.`, exchange)
    }
  },
}

