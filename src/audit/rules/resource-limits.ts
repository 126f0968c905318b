/** API4:2023 Unrestricted Resource Consumption: bounds on values and lists, and rate limits in the contract. */
import { operationsOf } from '../operations.js'
import { defineRule } from '../rule.js'
import { isObject, type JsonObject, type ObjectNode, type SpecModel } from '../spec-model.js'

const PAGINATION_PARAMETER = /^(limit|per_?page|page_?size|pagesize|size|count|max|max_?results|top|\$top|first|last|page|offset|cursor|after|before|skip|\$skip|page_?token|next_?token|continuation_?token|start)$/i
const RATE_LIMIT_HEADER_SETS: readonly (readonly string[])[] = [['RateLimit'], ['RateLimit-Limit', 'RateLimit-Reset'], ['X-RateLimit-Limit'], ['X-Rate-Limit-Limit']]

/** Nodes typed `type` — in 3.1 also those whose type list includes it. */
function typed(spec: SpecModel, type: string): ObjectNode[] {
  return spec.nodes.filter(({ value }) => spec.hasType(value, type))
}

const has = (schema: JsonObject, ...keys: string[]) => keys.some((key) => schema[key] !== undefined)

export const arrayWithoutMaxItems = defineRule({
  id: 'array-without-max-items',
  severity: 'high',
  owasp: 'API4:2023',
  title: 'Array without `maxItems`',
  description: 'An unbounded array lets a client send, or ask for, as many items as memory allows.',
  remediation: 'Set `maxItems` (and bound the item schema too).',
  check(spec, report) {
    for (const node of typed(spec, 'array')) if (node.value.maxItems === undefined) report([...node.path, 'maxItems'], 'Array has no maxItems.')
  },
})

export const stringWithoutMaxLength = defineRule({
  id: 'string-without-max-length',
  severity: 'high',
  owasp: 'API4:2023',
  title: 'String without `maxLength`',
  description: 'An unbounded string accepts megabytes where a name was expected: memory, storage and downstream parsers pay for it.',
  remediation: 'Set `maxLength`, or constrain the value with `enum` or `const`.',
  check(spec, report) {
    for (const node of typed(spec, 'string')) if (!has(node.value, 'maxLength', 'enum', 'const')) report(node.path, 'String has no maxLength, enum or const.')
  },
})

export const stringUnrestricted = defineRule({
  id: 'string-unrestricted',
  severity: 'medium',
  owasp: 'API4:2023',
  title: 'String without `format`, `pattern`, `enum` or `const`',
  description: 'A string that may hold anything lets unexpected values through to the application (and to injection).',
  remediation: 'Give the string a `format`, a `pattern`, an `enum` or a `const`.',
  check(spec, report) {
    for (const node of typed(spec, 'string')) if (!has(node.value, 'format', 'pattern', 'enum', 'const')) report(node.path, 'String has no format, pattern, enum or const.')
  },
})

export const integerWithoutBounds = defineRule({
  id: 'integer-without-bounds',
  severity: 'high',
  owasp: 'API4:2023',
  title: 'Integer without minimum and maximum',
  description: 'Unbounded integers invite negative quantities, huge page sizes and loops run a billion times.',
  remediation: 'Set `minimum` and `maximum` (in 3.1, or `exclusiveMinimum`/`exclusiveMaximum`, one of each pair).',
  check(spec, report) {
    for (const node of typed(spec, 'integer')) {
      if (spec.format === 'oas3.1') {
        // 3.1 (JSON Schema 2020-12): `exclusiveMinimum` is a number, so exactly one of each pair bounds the value.
        if (has(node.value, 'minimum') === has(node.value, 'exclusiveMinimum')) report(node.path, 'Integer needs exactly one of minimum and exclusiveMinimum.')
        if (has(node.value, 'maximum') === has(node.value, 'exclusiveMaximum')) report(node.path, 'Integer needs exactly one of maximum and exclusiveMaximum.')
      } else {
        if (!has(node.value, 'minimum')) report([...node.path, 'minimum'], 'Integer has no minimum.')
        if (!has(node.value, 'maximum')) report([...node.path, 'maximum'], 'Integer has no maximum.')
      }
    }
  },
})

export const integerWithoutFormat = defineRule({
  id: 'integer-without-format',
  severity: 'high',
  owasp: 'API4:2023',
  title: 'Integer without `format`',
  description: 'Without `int32` or `int64`, clients and servers disagree on the range: overflows and truncation follow.',
  remediation: 'Set `format: int32` or `format: int64`.',
  check(spec, report) {
    for (const node of typed(spec, 'integer')) if (node.value.format === undefined) report([...node.path, 'format'], 'Integer has no format.')
  },
})

export const rateLimitHeadersMissing = defineRule({
  id: 'rate-limit-headers-missing',
  severity: 'high',
  owasp: 'API4:2023',
  title: '2XX/4XX response without rate-limit headers',
  description: 'Responses that do not describe rate-limit headers suggest the API has no rate limit, and leave clients unable to pace themselves.',
  remediation: 'Declare one set: `RateLimit`, `RateLimit-Limit` + `RateLimit-Reset`, `X-RateLimit-Limit` or `X-Rate-Limit-Limit`.',
  formats: ['oas3.0', 'oas3.1'],
  check(spec, report) {
    for (const operation of operationsOf(spec)) {
      for (const response of operation.responses) {
        if (!/^[24]/.test(response.status)) continue
        const headers = response.headers
        if (headers === undefined) report([...response.path, 'headers'], `Response ${response.status} of ${operation.method.toUpperCase()} ${operation.pathTemplate} declares no rate-limit headers.`)
        // Exactly one convention, as the Spectral rule has it: two conventions at once confuse clients.
        else if (RATE_LIMIT_HEADER_SETS.filter((set) => set.every((name) => headers[name] !== undefined)).length !== 1)
          report([...response.path, 'headers'], `Response ${response.status} must declare exactly one rate-limit header convention.`)
      }
    }
  },
})

export const retryAfterMissing = defineRule({
  id: 'retry-after-missing',
  severity: 'high',
  owasp: 'API4:2023',
  title: '429 response without `Retry-After`',
  description: 'Clients told to slow down need to know for how long; without it they retry at once and make the overload worse.',
  remediation: 'Declare a `Retry-After` header on 429 responses.',
  formats: ['oas3.0', 'oas3.1'],
  check(spec, report) {
    for (const operation of operationsOf(spec)) {
      for (const response of operation.responses) {
        if (response.status === '429' && response.headers !== undefined && response.headers['Retry-After'] === undefined) report([...response.path, 'headers', 'Retry-After'], 'The 429 response declares no Retry-After header.')
      }
    }
  },
})

/** Where an unbounded list is in a response body: the body itself, or a property of a wrapper object (`{ data: [...] }`). */
function listIn(spec: SpecModel, schema: unknown, path: readonly string[]): readonly string[] | undefined {
  const body = spec.resolve(schema, path)
  if (spec.hasType(body.value, 'array')) return (body.value as JsonObject).maxItems === undefined ? body.path : undefined
  if (!isObject(body.value)) return undefined
  const parts = [body, ...(Array.isArray(body.value.allOf) ? body.value.allOf.map((part: unknown, index) => spec.resolve(part, [...body.path, 'allOf', String(index)])) : [])]
  for (const part of parts) {
    if (!isObject(part.value) || !isObject(part.value.properties)) continue
    for (const [name, property] of Object.entries(part.value.properties)) {
      const resolved = spec.resolve(property, [...part.path, 'properties', name])
      if (spec.hasType(resolved.value, 'array') && (resolved.value as JsonObject).maxItems === undefined) return resolved.path
    }
  }
  return undefined
}

export const unboundedListResponse = defineRule({
  id: 'unbounded-list-response',
  severity: 'medium',
  owasp: 'API4:2023',
  title: 'List response without a bound or pagination',
  description: 'A GET returning an array, with no `maxItems` and no pagination parameter, returns everything it has: slow responses, and a lever for scraping.',
  remediation: 'Paginate (`limit`/`cursor` parameters with a maximum) and declare `maxItems` on the list.',
  check(spec, report) {
    for (const operation of operationsOf(spec)) {
      if (operation.method !== 'get') continue
      if (operation.parameters.some(({ parameter }) => parameter.in === 'query' && typeof parameter.name === 'string' && PAGINATION_PARAMETER.test(parameter.name))) continue
      for (const response of operation.responses) {
        if (!response.status.startsWith('2')) continue
        for (const content of response.contents) {
          const list = listIn(spec, content.schema, content.path)
          if (list) report(list, `GET ${operation.pathTemplate} returns a list with no maxItems and no pagination parameter.`)
        }
      }
    }
  },
})

export const missing429Response = defineRule({
  id: 'missing-429-response',
  severity: 'medium',
  owasp: 'API4:2023',
  title: 'Operation without a 429 response',
  description: 'A documented 429 tells clients the API is rate limited and what the error looks like; its absence usually means no rate limit at all.',
  remediation: 'Declare a 429 response with a body schema (e.g. `application/problem+json`) and a `Retry-After` header.',
  check(spec, report) {
    for (const operation of operationsOf(spec)) {
      const responses = isObject(operation.operation.responses) ? operation.operation.responses : undefined
      if (responses === undefined) continue
      const path = [...operation.path, 'responses']
      if (!responses['429']) report([...path, '429'], `${operation.method.toUpperCase()} ${operation.pathTemplate} has no 429 response.`)
      else if (!hasBody(spec, responses['429'])) report([...path, '429', spec.isOas3 ? 'content' : 'schema'], `The 429 response of ${operation.method.toUpperCase()} ${operation.pathTemplate} has no body.`)
    }
  },
})

/** Whether a response (refs followed) describes a body. */
export function hasBody(spec: SpecModel, response: unknown): boolean {
  const resolved = spec.resolve(response, []).value
  if (!isObject(resolved)) return false
  return spec.isOas3 ? Boolean(resolved.content) : Boolean(resolved.schema)
}

export const RESOURCE_LIMIT_RULES = [
  arrayWithoutMaxItems,
  stringWithoutMaxLength,
  stringUnrestricted,
  integerWithoutBounds,
  integerWithoutFormat,
  rateLimitHeadersMissing,
  retryAfterMissing,
  missing429Response,
  unboundedListResponse,
]
