/**
 * GraphQL requests as the WAF reads them (src/waf/graphql-document.ts): a document in a JSON
 * body's `query` (one operation, or a batch of them) or in the query string's `query` is not read
 * by the rules as it stands — its syntax reads as shell and SQL — and its string values are
 * arguments of their own (`graphql.query.0`…); `variables` are JSON and read like any body value.
 */
import { graphqlStrings, MAX_GRAPHQL_LENGTH } from '../../waf/graphql-document.js'
import type { ArgumentInspection } from '../../waf/engine.js'
import { isJsonMediaType, mediaTypeOf } from '../../net/media-type.js'
import { asBytes } from './argument-sources.js'

export interface GraphqlArguments {
  /** The arguments holding documents, by the WAF's collection and name: not read as they stand. */
  readonly documents: ReadonlySet<string>
  /** The documents' strings, as ARGS_POST (latin1 values). */
  readonly strings: [string, string][]
}

/** At most this many operations of a batch are read as GraphQL; a longer batch is read as it stands. */
const MAX_BATCH = 32

/** The GraphQL documents of a request, or null when it carries none. */
export function graphqlArguments(query: string, contentType: string | undefined, body: Buffer): GraphqlArguments | null {
  const documents = new Set<string>()
  const strings: [string, string][] = []
  const take = (collection: 'ARGS_GET' | 'ARGS_POST', name: string, text: unknown) => {
    if (typeof text !== 'string') return
    const found = graphqlStrings(text)
    if (found === null) return
    documents.add(`${collection}\u0000${name}`)
    found.forEach((value, i) => strings.push([`graphql.${name}.${i}`, asBytes(value)]))
  }
  if (query.includes('query=')) {
    const values = new URLSearchParams(query).getAll('query')
    // A repeated name is read as it stands: which one the server takes is its own choice.
    if (values.length === 1) take('ARGS_GET', 'query', values[0])
  }
  if (body.length > 0 && body.length <= MAX_GRAPHQL_LENGTH * 2 && isJsonMediaType(mediaTypeOf(contentType)) && body.includes('"query"')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      parsed = null
    }
    if (Array.isArray(parsed) && parsed.length <= MAX_BATCH) parsed.forEach((operation, i) => take('ARGS_POST', `json.${i}.query`, (operation as { query?: unknown } | null)?.query))
    else if (parsed !== null && typeof parsed === 'object') take('ARGS_POST', 'json.query', (parsed as { query?: unknown }).query)
  }
  return documents.size === 0 ? null : { documents, strings }
}

/** `inspection` with the GraphQL documents' arguments left unread. */
export function withoutDocuments(graphql: GraphqlArguments, inspection: ArgumentInspection | undefined): ArgumentInspection {
  return {
    isHighConfidence: (rule) => inspection?.isHighConfidence(rule) ?? true,
    levelOf(collection, key) {
      if (graphql.documents.has(`${collection}\u0000${key}`)) return 'skip'
      return inspection?.levelOf(collection, key) ?? 'all'
    },
  }
}
