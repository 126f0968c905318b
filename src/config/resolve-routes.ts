/**
 * An API's routes: the operations of its OpenAPI document plus the `routes:` map, whose keys
 * are operationIds (overrides of a documented operation) or `METHOD /template` (an override or
 * an extra route).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { listOperations, type SchemeRequirement } from '../openapi/list-operations.js'
import { DocumentSet } from '../openapi/document-set.js'
import { RemoteDocuments } from '../openapi/remote-documents.js'
import { parseTemplate } from '../router/path-template.js'
import type { ConfigProblem } from '../errors.js'
import { formatPath } from './format-path.js'

export type PolicyOverrides = Readonly<Record<string, unknown>>

export interface ResolvedRoute {
  method: string
  template: string
  operationId: string | null
  /** From the OpenAPI document (see OperationEntry); null for routes only in the config. */
  security: SchemeRequirement[][] | null
  tags: string[]
  extensions: Record<string, unknown>
  /** The document's `deprecated: true`; false for routes only in the config. */
  deprecated: boolean
  overrides: PolicyOverrides
}

export interface ResolvedRoutes {
  /** Null for a catch-all API (no document, no routes). */
  routes: ResolvedRoute[] | null
  problems: ConfigProblem[]
  /** Remote documents the API's OpenAPI document reaches, by URL, fetched now for its policies. */
  remoteDocuments: Record<string, string>
  /** The local files the API's OpenAPI document is made of: itself, then the files its `$ref`s reach (none without a document). */
  documentFiles: string[]
}

const METHOD_AND_PATH = /^([A-Z]+) (\/.*)$/

export function resolveRoutes(
  apiIndex: number,
  openapiFile: string | undefined,
  remoteRefPrefixes: readonly string[],
  routeMap: Readonly<Record<string, PolicyOverrides>>,
): ResolvedRoutes {
  const problems: ConfigProblem[] = []
  const routes: ResolvedRoute[] = []
  let remote: RemoteDocuments | null = null
  try {
    remote = new RemoteDocuments(remoteRefPrefixes)
  } catch (error) {
    problems.push({ path: formatPath(['apis', apiIndex, 'openapiRemoteRefs']), message: (error as Error).message })
  }
  let documentFiles: string[] = openapiFile === undefined ? [] : [openapiFile]
  if (openapiFile !== undefined && remote !== null) {
    try {
      // Loading the whole document set fetches every remote document it reaches, once, here.
      if (!remote.empty) documentFiles = localFilesOf(new DocumentSet(openapiFile, { remote }))
      else if (mayReferToFiles(openapiFile)) documentFiles = localFilesOr(openapiFile, documentFiles)
      for (const op of listOperations(openapiFile, { remote })) routes.push({ ...op, overrides: {} })
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
      problems.push({ path: formatPath(['apis', apiIndex, 'openapi']), message: `cannot use ${openapiFile}: ${reason}` })
    }
  }
  if (openapiFile === undefined && Object.keys(routeMap).length === 0) return { routes: null, problems, remoteDocuments: {}, documentFiles }

  for (const [key, overrides] of Object.entries(routeMap)) {
    const path = formatPath(['apis', apiIndex, 'routes', key])
    const methodAndPath = METHOD_AND_PATH.exec(key)
    if (methodAndPath !== null) {
      const [, method = '', template = ''] = methodAndPath
      try {
        parseTemplate(template)
      } catch (error) {
        problems.push({ path, message: `route template ${(error as Error).message}` })
        continue
      }
      const existing = routes.find((r) => r.method === method && r.template === template)
      if (existing !== undefined) existing.overrides = overrides
      else routes.push({ method, template, operationId: null, security: null, tags: [], extensions: {}, deprecated: false, overrides })
      continue
    }
    const operation = routes.find((r) => r.operationId === key)
    if (operation === undefined) {
      problems.push({
        path,
        message: openapiFile === undefined ? 'is an operationId but the API has no openapi document' : 'no operation has this operationId in the OpenAPI document',
      })
      continue
    }
    operation.overrides = overrides
  }
  return { routes, problems, remoteDocuments: remote?.texts() ?? {}, documentFiles }
}

/**
 * Whether the document's text holds a `$ref` to something other than a place in itself (`#…`), in
 * JSON or YAML: most documents hold none, and are not loaded a second time to find out.
 */
function mayReferToFiles(file: string): boolean {
  return EXTERNAL_REF.test(readFileSync(file, 'utf8'))
}

const EXTERNAL_REF = /\$ref['"]?\s*:\s*['"]?(?!#)[^\s'"]/

/**
 * The local files the document reaches, whose edits a reload must apply; `otherwise` when the
 * set does not load: routing reads only the document's paths, and the policies that read the
 * rest report what is wrong with it.
 */
function localFilesOr(openapiFile: string, otherwise: string[]): string[] {
  try {
    return localFilesOf(new DocumentSet(openapiFile))
  } catch {
    return otherwise
  }
}

/** The local files of a document set, as paths, the root first. */
function localFilesOf(documents: DocumentSet): string[] {
  return [...documents.files.keys()].filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url))
}
