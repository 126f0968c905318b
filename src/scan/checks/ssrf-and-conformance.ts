/** Check 9, SSRF (URL parameters pointed at a canary on loopback), and check 10, conformance of responses to the document. */
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { OperationView } from '../../audit/operations.js'
import { isObject, type SpecModel } from '../../audit/spec-model.js'
import type { Exchange } from '../scan-client.js'
import type { ScanCheck } from '../scan-check.js'
import { bodySample } from '../sample-values.js'
import { identityA, parseJson, reachableReads, requestAs } from './shared.js'

const URL_NAME = /(^(callback|redirect|webhook|url|uri|href|link|target|dest|destination|feed|image|avatar|icon|next|return)$)|(_url|Url|-url|_uri|Uri)$/

export const ssrf: ScanCheck = {
  id: 'ssrf',
  severity: 'high',
  owasp: 'API7:2023',
  title: 'Server-side request forgery',
  description: 'A URL given to the API was fetched by the server: the scan\'s canary listener on loopback received the request. The server can be made to reach internal services.',
  remediation: 'Allow only known hosts and schemes for URLs the server fetches, resolve and refuse private and loopback addresses, do not follow redirects.',
  async run(context) {
    for (const operation of context.operations) {
      if (operation.method === 'delete' || operation.pathTemplate.includes('{')) continue
      const canary = context.canary.url()
      const query: Record<string, string> = {}
      for (const { parameter, schema } of operation.parameters) {
        const format = (isObject(schema) ? schema.format : undefined) ?? parameter.format
        if (parameter.in === 'query' && typeof parameter.name === 'string' && (URL_NAME.test(parameter.name) || format === 'uri' || format === 'url')) query[parameter.name] = canary.url
      }
      const json = operation.requestBodies.find((body) => /json/i.test(body.mediaType))
      const sample = json === undefined ? undefined : bodySample(context.spec, json)
      const resolved = json === undefined ? undefined : context.spec.resolve(json.schema, []).value
      const properties = isObject(resolved) && isObject(resolved.properties) ? resolved.properties : {}
      const body = isObject(sample) ? { ...sample } : undefined
      if (body !== undefined) {
        for (const [name, property] of Object.entries(properties)) {
          const propertySchema = context.spec.resolve(property, []).value
          if (URL_NAME.test(name) || (isObject(propertySchema) && (propertySchema.format === 'uri' || propertySchema.format === 'url'))) body[name] = canary.url
        }
      }
      const bodyUsesCanary = body !== undefined && Object.values(body).includes(canary.url)
      if (Object.keys(query).length === 0 && !bodyUsesCanary) continue
      const exchange = await context.client.send(requestAs(context, operation, identityA(context), { query, ...(bodyUsesCanary ? { body } : {}) }))
      // The fetch may happen after the answer: give it a moment.
      for (let i = 0; i < 20 && !context.canary.hit(canary.token); i++) await new Promise((resolve) => setTimeout(resolve, 50))
      if (context.canary.hit(canary.token)) context.report(operation, `${operation.method.toUpperCase()} ${operation.pathTemplate} fetched the URL it was given (the canary on loopback was requested).`, exchange)
    }
  },
}

/** A schema with local refs inlined (cycles cut), for ajv; OpenAPI 3.0's `nullable` as a type union. */
function standalone(spec: SpecModel, schema: unknown, depth = 0, seen = new Set<unknown>()): unknown {
  const resolved = spec.resolve(schema, []).value
  if (!isObject(resolved)) return resolved
  if (seen.has(resolved) || depth > 24) return {}
  const inner = new Set(seen).add(resolved)
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(resolved)) {
    if (['example', 'examples', 'xml', 'externalDocs', 'discriminator', 'nullable'].includes(key)) continue
    if (key === 'properties' && isObject(value)) out[key] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, standalone(spec, child, depth + 1, inner)]))
    else if (['items', 'additionalProperties', 'not'].includes(key) && isObject(value)) out[key] = standalone(spec, value, depth + 1, inner)
    else if (['allOf', 'anyOf', 'oneOf'].includes(key) && Array.isArray(value)) out[key] = value.map((child) => standalone(spec, child, depth + 1, inner))
    else out[key] = value
  }
  if (resolved.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null']
  return out
}

function declaredResponse(operation: OperationView, status: number) {
  const text = String(status)
  return operation.responses.find((response) => response.status === text) ?? operation.responses.find((response) => response.status.toUpperCase() === `${text[0] ?? ''}XX`) ?? operation.responses.find((response) => response.status === 'default')
}

export const undeclaredStatus: ScanCheck = {
  id: 'undeclared-status',
  severity: 'low',
  owasp: 'API8:2023',
  title: 'Response status not in the document',
  description: 'The API answered with a status its document does not declare for the operation (and no range or default covers it): clients and contract tests are not told about it.',
  remediation: 'Declare every status the operation returns, or fix the implementation.',
  async run(context) {
    const a = identityA(context)
    for (const operation of context.operations) {
      if (operation.method !== 'get' && !(operation.method === 'delete' && context.allowDestructive)) continue
      let exchange: Exchange
      if (operation.pathTemplate.includes('{')) {
        // An object the scan creates, so the item operations answer about something real.
        const collection = context.operations.find((candidate) => candidate.method === 'post' && operation.pathTemplate.startsWith(`${candidate.pathTemplate}/{`))
        if (collection === undefined) continue
        const created = parseJson((await context.client.send(requestAs(context, collection, a))).body)
        const parameter = /\{([^}]+)\}$/.exec(operation.pathTemplate)?.[1] ?? ''
        const id = isObject(created) ? (created[parameter] ?? created.id) : undefined
        if (typeof id !== 'string' && typeof id !== 'number') continue
        exchange = await context.client.send(requestAs(context, operation, a, { pathValues: { [parameter]: String(id) } }))
      } else exchange = await context.client.send(requestAs(context, operation, a))
      if (exchange.status !== 0 && declaredResponse(operation, exchange.status) === undefined) context.report(operation, `${operation.method.toUpperCase()} ${operation.pathTemplate} answered ${String(exchange.status)}, which its document does not declare.`, exchange)
    }
  },
}

export const responseSchemaMismatch: ScanCheck = {
  id: 'response-schema-mismatch',
  severity: 'medium',
  owasp: 'API8:2023',
  title: 'Response body does not match its schema',
  description: 'A JSON response does not validate against the schema its document declares: clients built from the document break, and the difference is often data that should not be there.',
  remediation: 'Fix the implementation or the document; the gateway can hold responses to the document (`openapi-validation: { response: block }`).',
  async run(context) {
    const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true })
    addFormats.default(ajv)
    for (const { operation, status, exchange } of await reachableReads(context)) {
      const response = declaredResponse(operation, status)
      const content = response?.contents.find((candidate) => /json/i.test(candidate.mediaType))
      const body = parseJson(exchange.body)
      if (content?.schema === undefined || body === undefined) continue
      const validate = ajv.compile(standalone(context.spec, content.schema) as object)
      if (!validate(body)) {
        const error = validate.errors?.[0]
        context.report(operation, `GET ${operation.pathTemplate}: the body does not match its schema (${error?.instancePath || '/'} ${error?.message ?? ''}).`, exchange)
      }
    }
  },
}

export const SSRF_AND_CONFORMANCE_CHECKS: readonly ScanCheck[] = [ssrf, undeclaredStatus, responseSchemaMismatch]
