/**
 * Reads an OpenAPI 3.x document's paths into operations — the routes of an API — with what
 * authorization needs: the security requirements in force (the operation's, else the
 * document's; each scheme with its type), tags and `x-` extensions. Path items given by `$ref`
 * (in this file or another) are followed; validation and the rest of `$ref` resolution are the
 * openapi-validation policy's job.
 */
import { readFileSync } from 'node:fs'
import { load as loadYaml } from 'js-yaml'
import { DocumentSet, escapePointer, isRecord, type DocumentSetOptions } from './document-set.js'

/** One scheme of a security requirement, with the type its `securitySchemes` entry declares. */
export interface SchemeRequirement {
  scheme: string
  /** `oauth2`, `openIdConnect`, `apiKey`, `http`, `mutualTLS`, or `unknown` for an undeclared scheme. */
  type: string
  scopes: string[]
}

export interface OperationEntry {
  method: string
  template: string
  operationId: string | null
  /**
   * Alternatives (any one suffices), each a list of schemes (all required); `[]` marks a public
   * operation; null when neither the operation nor the document declares `security`.
   */
  security: SchemeRequirement[][] | null
  tags: string[]
  /** The operation's `x-` fields. */
  extensions: Record<string, unknown>
  /** The operation's `deprecated: true`. */
  deprecated: boolean
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

/** Throws an Error saying what is wrong with the file. */
export function listOperations(file: string, options: DocumentSetOptions = {}): OperationEntry[] {
  const text = readFileSync(file, 'utf8')
  // js-yaml, not the `yaml` package the config uses: `yaml` checks duplicate keys pairwise, which
  // took 9 s on a 10,000-path document against 0.2 s here (duplicates are still refused).
  const document: unknown = /^\s*\{/.test(text) ? JSON.parse(text) : loadYaml(text)
  if (typeof document !== 'object' || document === null) throw new Error('is not an OpenAPI document (not a mapping)')
  const { openapi, paths, security, components } = document as { openapi?: unknown; paths?: unknown; security?: unknown; components?: { securitySchemes?: unknown } }
  if (typeof openapi !== 'string' || !/^3\.[01]\./.test(openapi)) throw new Error('is not an OpenAPI 3.0 or 3.1 document (missing or unsupported `openapi` version)')
  if (typeof paths !== 'object' || paths === null) return []
  const schemes = isRecord(components?.securitySchemes) ? components.securitySchemes : {}
  const documentSecurity = securityOf(security, schemes)
  const operations: OperationEntry[] = []
  // Path items may live in other files (`$ref`); the document set loads them only when one does.
  let documents: DocumentSet | null = null
  for (const [template, raw] of Object.entries(paths)) {
    let item: unknown = raw
    if (isRecord(raw) && typeof raw.$ref === 'string') {
      documents ??= new DocumentSet(file, options)
      item = documents.deref({ value: raw, url: documents.rootUrl, pointer: `/paths/${escapePointer(template)}` }).value
    }
    if (typeof item !== 'object' || item === null) continue
    for (const method of METHODS) {
      const operation = (item as Record<string, unknown>)[method]
      if (typeof operation !== 'object' || operation === null) continue
      const fields = operation as Record<string, unknown>
      const operationId = fields.operationId
      operations.push({
        method: method.toUpperCase(),
        template,
        operationId: typeof operationId === 'string' ? operationId : null,
        security: 'security' in fields ? securityOf(fields.security, schemes) : documentSecurity,
        tags: Array.isArray(fields.tags) ? fields.tags.filter((t): t is string => typeof t === 'string') : [],
        extensions: Object.fromEntries(Object.entries(fields).filter(([key]) => key.startsWith('x-'))),
        deprecated: fields.deprecated === true,
      })
    }
  }
  return operations
}

/** A `security` array as alternatives of scheme lists; null when it is absent or not an array. */
function securityOf(value: unknown, schemes: Record<string, unknown>): SchemeRequirement[][] | null {
  if (!Array.isArray(value)) return null
  return value.filter(isRecord).map((requirement) =>
    Object.entries(requirement).map(([scheme, scopes]) => {
      const declared = schemes[scheme]
      const type = isRecord(declared) && typeof declared.type === 'string' ? declared.type : 'unknown'
      return { scheme, type, scopes: Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : [] }
    }),
  )
}
