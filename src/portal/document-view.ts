/**
 * What an operation's page shows from the OpenAPI document: summary, description, parameters,
 * request body and responses, with their schemas summarised as bounded trees (`$ref`s followed
 * in the document set, cycles and depth cut). Only reading: the document is not validated here.
 */
import { DocumentSet, escapePointer, isRecord, type Located } from '../openapi/document-set.js'
import type { OperationEntry } from '../openapi/list-operations.js'

/** One node of a summarised schema. */
export interface SchemaNode {
  /** `object`, `array of string`, `string (uuid)`, `one of`…, or the name of the referenced schema. */
  readonly type: string
  /** `maxLength 64`, `enum a, b`, `pattern ^x$`, `nullable`…. */
  readonly constraints: readonly string[]
  readonly description: string | null
  readonly children: readonly { readonly name: string; readonly required: boolean; readonly node: SchemaNode }[]
}

export interface ParameterView {
  readonly name: string
  readonly in: string
  readonly required: boolean
  readonly description: string | null
  readonly schema: SchemaNode | null
}

export interface MediaView {
  readonly mediaType: string
  readonly schema: SchemaNode | null
}

export interface ResponseView {
  readonly status: string
  readonly description: string | null
  readonly content: readonly MediaView[]
  readonly headers: readonly string[]
}

export interface OperationView {
  readonly entry: OperationEntry
  readonly summary: string | null
  readonly description: string | null
  readonly parameters: readonly ParameterView[]
  readonly requestBody: { readonly required: boolean; readonly content: readonly MediaView[] } | null
  readonly responses: readonly ResponseView[]
  /** The `x-sunset` date, when the document gives one. */
  readonly sunset: string | null
}

export interface DocumentView {
  readonly title: string
  readonly version: string | null
  readonly description: string | null
  /** The root document as JSON, for the reference renderer. */
  readonly json: string
  /** Whether the document describes the operation (a route only in the config is not). */
  hasOperation(entry: OperationEntry): boolean
  operation(entry: OperationEntry): OperationView
}

const MAX_DEPTH = 6
const MAX_NODES = 400
const CONSTRAINT_KEYS = ['format', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'default', 'const', 'readOnly', 'writeOnly', 'nullable'] as const

export function readDocumentView(file: string): DocumentView {
  const documents = new DocumentSet(file)
  const root = documents.files.get(documents.rootUrl) as Record<string, unknown>
  const info = isRecord(root.info) ? root.info : {}
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : null)

  const deref = (value: unknown, url: string, pointer: string): Located => documents.deref({ value, url, pointer })

  function summarise(start: Located, depth: number, budget: { nodes: number }, seen: readonly string[]): SchemaNode {
    budget.nodes++
    const refName = isRecord(start.value) && typeof start.value.$ref === 'string' ? start.value.$ref.split('/').at(-1) ?? null : null
    const at = deref(start.value, start.url, start.pointer)
    const key = `${at.url}#${at.pointer}`
    const schema = isRecord(at.value) ? at.value : {}
    if (seen.includes(key)) return { type: `${refName ?? 'schema'} (recursive)`, constraints: [], description: null, children: [] }
    const constraints = CONSTRAINT_KEYS.filter((k) => schema[k] !== undefined && schema[k] !== false).map((k) => (schema[k] === true ? k : `${k} ${JSON.stringify(schema[k])}`))
    if (Array.isArray(schema.enum)) constraints.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`)
    if (schema.additionalProperties === false) constraints.push('no other properties')
    const description = text(schema.description)
    const nested = (value: unknown, pointer: string) =>
      depth >= MAX_DEPTH || budget.nodes >= MAX_NODES ? { type: '…', constraints: [], description: null, children: [] } : summarise({ value, url: at.url, pointer }, depth + 1, budget, [...seen, key])
    for (const combinator of ['oneOf', 'anyOf', 'allOf'] as const) {
      const members = schema[combinator]
      if (Array.isArray(members)) {
        const label = { oneOf: 'one of', anyOf: 'any of', allOf: 'all of' }[combinator]
        const children = members.map((member, index) => ({ name: `#${index + 1}`, required: false, node: nested(member, `${at.pointer}/${combinator}/${index}`) }))
        return { type: refName ?? label, constraints, description, children }
      }
    }
    const type = Array.isArray(schema.type) ? schema.type.join(' | ') : typeof schema.type === 'string' ? schema.type : isRecord(schema.properties) ? 'object' : 'any'
    if (type === 'array' || schema.items !== undefined) {
      const items = nested(schema.items, `${at.pointer}/items`)
      return { type: refName ?? `array of ${items.type}`, constraints, description, children: items.children.length > 0 ? [{ name: '[ ]', required: false, node: items }] : [] }
    }
    const required = Array.isArray(schema.required) ? schema.required : []
    const children = isRecord(schema.properties)
      ? Object.entries(schema.properties).map(([name, value]) => ({ name, required: required.includes(name), node: nested(value, `${at.pointer}/properties/${escapePointer(name)}`) }))
      : []
    return { type: refName ?? type, constraints, description, children }
  }
  const schemaOf = (value: unknown, url: string, pointer: string): SchemaNode | null => (value === undefined ? null : summarise({ value, url, pointer }, 0, { nodes: 0 }, []))

  const contentOf = (content: unknown, url: string, pointer: string): MediaView[] =>
    isRecord(content)
      ? Object.entries(content).map(([mediaType, media]) => ({
          mediaType,
          schema: isRecord(media) ? schemaOf(media.schema, url, `${pointer}/${escapePointer(mediaType)}/schema`) : null,
        }))
      : []

  return {
    title: text(info.title) ?? 'API',
    version: text(info.version),
    description: text(info.description),
    json: JSON.stringify(root),
    hasOperation(entry) {
      const paths = isRecord(root.paths) ? root.paths : {}
      if (!Object.hasOwn(paths, entry.template)) return false
      const item = deref(paths[entry.template], documents.rootUrl, `/paths/${escapePointer(entry.template)}`)
      return isRecord(item.value) && isRecord(item.value[entry.method.toLowerCase()])
    },
    operation(entry) {
      const pathPointer = `/paths/${escapePointer(entry.template)}`
      const item = deref((root.paths as Record<string, unknown>)[entry.template], documents.rootUrl, pathPointer)
      const op = deref(isRecord(item.value) ? item.value[entry.method.toLowerCase()] : undefined, item.url, `${item.pointer}/${entry.method.toLowerCase()}`)
      const fields = isRecord(op.value) ? op.value : {}
      const parameters = new Map<string, ParameterView>()
      const addParameters = (list: unknown, url: string, pointer: string) => {
        if (!Array.isArray(list)) return
        list.forEach((raw, index) => {
          const param = deref(raw, url, `${pointer}/${index}`)
          if (!isRecord(param.value) || typeof param.value.name !== 'string' || typeof param.value.in !== 'string') return
          const p = param.value
          parameters.set(`${p.in as string}:${p.name as string}`, {
            name: p.name as string,
            in: p.in as string,
            required: p.required === true,
            description: text(p.description),
            schema: schemaOf(p.schema, param.url, `${param.pointer}/schema`),
          })
        })
      }
      if (isRecord(item.value)) addParameters(item.value.parameters, item.url, `${item.pointer}/parameters`)
      addParameters(fields.parameters, op.url, `${op.pointer}/parameters`)
      const body = fields.requestBody === undefined ? null : deref(fields.requestBody, op.url, `${op.pointer}/requestBody`)
      const responses = isRecord(fields.responses)
        ? Object.entries(fields.responses).map(([status, raw]) => {
            const response = deref(raw, op.url, `${op.pointer}/responses/${escapePointer(status)}`)
            const r = isRecord(response.value) ? response.value : {}
            return {
              status,
              description: text(r.description),
              content: contentOf(r.content, response.url, `${response.pointer}/content`),
              headers: isRecord(r.headers) ? Object.keys(r.headers) : [],
            }
          })
        : []
      const sunset = entry.extensions['x-sunset']
      return {
        entry,
        summary: text(fields.summary),
        description: text(fields.description),
        parameters: [...parameters.values()],
        requestBody:
          body === null || !isRecord(body.value) ? null : { required: body.value.required === true, content: contentOf(body.value.content, body.url, `${body.pointer}/content`) },
        responses,
        sunset: typeof sunset === 'string' ? sunset : sunset instanceof Date ? sunset.toISOString().slice(0, 10) : null,
      }
    },
  }
}
