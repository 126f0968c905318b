/**
 * Load → resolve references → expand shorthands → validate (schema, then cross-field checks)
 * → fill defaults → freeze. Every problem is collected and reported together, with its path.
 */
import { hash, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { TSchema } from '@sinclair/typebox'
import { ConfigError, type ConfigProblem } from '../errors.js'
import { ParserWorker } from './parse-in-worker.js'
import type { PolicyDefinition } from '../pipeline/define-policy.js'
import { applyShorthands } from './shorthands.js'
import { buildConfigSchema, type GatewayConfig } from './schema.js'
import { checkConfig, policySettingsOf } from './check-config.js'
import { resolveReferences } from './references.js'
import { resolveRoutes, type ResolvedRoute } from './resolve-routes.js'
import { createSchemaValidator, type SchemaValidator } from './validate.js'

export interface LoadedConfig {
  readonly file: string
  readonly baseDir: string
  readonly config: GatewayConfig
  /** Per API (same order as `config.apis`): its routes, or null for a catch-all API. */
  readonly routes: readonly (readonly ResolvedRoute[] | null)[]
  /** Every file the config depends on (itself, references, certificates, documents), for reload. */
  readonly files: readonly string[]
  /** Per API: a digest of its config and routes; a reload reuses what it compiled for an unchanged API. */
  readonly apiDigests: readonly string[]
  /** Per API: the remote documents its OpenAPI document reaches, by URL (see `openapiRemoteRefs`). */
  readonly remoteDocuments: readonly Readonly<Record<string, string>>[]
}

export interface ConfigLoader {
  /** Loads synchronously: at start-up and in the CLI. */
  load(file: string): LoadedConfig
  /**
   * Loads with the expensive part (parsing, schema validation, OpenAPI documents) on a worker
   * thread, so a reload under load never stalls the event loop; policy checks run here after.
   */
  loadOffThread(file: string, previous?: LoadedConfig): Promise<LoadedConfig>
  /** Starts the parser worker ahead of the first `loadOffThread`. */
  warm(): void
  /** Stops the parser worker, if one was started. */
  close(): Promise<void>
  readonly schema: ReturnType<typeof buildConfigSchema>
}

/** A parsed, schema-valid config before the policies' own checks: plain data, cloneable to and from a worker. */
export interface ParsedConfig {
  file: string
  baseDir: string
  config: GatewayConfig
  routes: (ResolvedRoute[] | null)[]
  files: string[]
  apiDigests: string[]
  remoteDocuments: Record<string, string>[]
  /** Per API, the local files its OpenAPI document is made of (see `ResolvedRoutes.documentFiles`). */
  documentFiles: string[][]
  /** Route problems found while parsing, reported with the policies' check problems. */
  problems: ConfigProblem[]
}

/** The worker-safe stage: needs only JSON schemas, no policy code. */
export interface ConfigParser {
  parse(file: string): ParsedConfig
}

export function createConfigParser(schema: TSchema, policySchemas: Readonly<Record<string, TSchema>>, env: NodeJS.ProcessEnv): ConfigParser {
  const validator: SchemaValidator = createSchemaValidator(schema)
  // ajv fills no defaults inside unions, and route overrides are `policy | false` unions.
  const policyValidators = new Map(Object.entries(policySchemas).map(([name, policySchema]) => [name, createSchemaValidator(policySchema)]))

  function fillOverrideDefaults(config: GatewayConfig): void {
    for (const api of config.apis) {
      for (const overrides of Object.values(api.routes)) {
        for (const [name, value] of Object.entries(overrides)) {
          if (value !== false) policyValidators.get(name)?.validate(value)
        }
      }
    }
  }

  return {
    parse(file) {
      const baseDir = dirname(file)
      const references = resolveReferences(readConfigFile(file), env, baseDir)
      if (references.problems.length > 0) throw new ConfigError('GW_ERR_CONFIG_REFERENCE', references.problems)
      const expanded = applyShorthands(references.value)
      const schemaProblems = validator.validate(expanded)
      if (schemaProblems.length > 0) throw new ConfigError('GW_ERR_CONFIG_INVALID', schemaProblems)
      const config = resolvePaths(expanded as GatewayConfig, baseDir)
      fillOverrideDefaults(config)
      const problems: ConfigProblem[] = []
      const remoteDocuments: Record<string, string>[] = []
      const documentFiles: string[][] = []
      const routes = config.apis.map((api, index) => {
        const resolved = resolveRoutes(index, api.openapi, api.openapiRemoteRefs, api.routes)
        problems.push(...resolved.problems)
        remoteDocuments.push(resolved.remoteDocuments)
        documentFiles.push(resolved.documentFiles)
        return resolved.routes
      })
      // On the parser thread, so a reload finds unchanged APIs without walking them again. The
      // digest covers what an API is compiled from (its config and routes); the files its
      // policies read are added on the main thread, where the policies are (`addPolicyFiles`).
      // An API whose document may reach remote refs is never reused: its remote parts may have changed.
      const apiDigests = config.apis.map((api, index) => (api.openapiRemoteRefs.length > 0 ? `remote:${randomUUID()}` : hash('sha256', JSON.stringify([api, routes[index]]), 'base64url')))
      return { file, baseDir, config, routes, files: [...new Set([file, ...references.files, ...referencedFiles(config), ...documentFiles.flat()])], apiDigests, remoteDocuments, documentFiles, problems }
    },
  }
}

/** The schemas a parser needs, taken from the policy registry. */
export function policySchemasOf(policies: readonly PolicyDefinition[]): Record<string, TSchema> {
  return Object.fromEntries(policies.map((p) => [p.name, p.configSchema]))
}

/** Compiles the schema once; `load` can then be called on every reload. */
export function createConfigLoader(policies: readonly PolicyDefinition[], env: NodeJS.ProcessEnv = process.env): ConfigLoader {
  const schema = buildConfigSchema(policies)
  const policySchemas = policySchemasOf(policies)
  let parser: ConfigParser | null = null
  let worker: ParserWorker | null = null

  /** The main-thread stage: the policies' cross-field checks, then freeze. */
  function finish(parsed: ParsedConfig, previous?: LoadedConfig): LoadedConfig {
    const problems = [...checkConfig(parsed.config, policies), ...parsed.problems]
    if (problems.length > 0) throw new ConfigError('GW_ERR_CONFIG_INVALID', problems)
    addPolicyFiles(parsed, policies)
    if (previous !== undefined) reuseUnchangedApis(parsed, previous)
    const { file, baseDir, config, routes, files, apiDigests, remoteDocuments } = parsed
    return deepFreeze({ file, baseDir, config, routes, files, apiDigests, remoteDocuments })
  }

  return {
    schema,
    load(file) {
      parser ??= createConfigParser(schema, policySchemas, env)
      return finish(parser.parse(resolve(file)))
    },
    async loadOffThread(file, previous) {
      worker ??= new ParserWorker(schema, policySchemas, env)
      return finish(await worker.parse(resolve(file)), previous)
    },
    warm() {
      worker ??= new ParserWorker(schema, policySchemas, env)
      worker.warm()
    },
    async close() {
      await worker?.close()
      worker = null
    },
  }
}

function readConfigFile(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError('GW_ERR_CONFIG_UNREADABLE', [{ path: '', message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` }], { cause: error })
  }
  try {
    return parseYaml(text, { prettyErrors: true })
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? 'invalid YAML'
    throw new ConfigError('GW_ERR_CONFIG_UNREADABLE', [{ path: '', message: `${file}: ${message}` }], { cause: error })
  }
}

/** Makes every file path in the config absolute, relative to the config file's directory. */
function resolvePaths(config: GatewayConfig, baseDir: string): GatewayConfig {
  const https = config.listen.https
  if (https !== undefined) {
    for (const certificate of https.certificates) {
      certificate.cert = resolve(baseDir, certificate.cert)
      certificate.key = resolve(baseDir, certificate.key)
    }
    if (https.clientCertificate !== undefined) https.clientCertificate.ca = resolve(baseDir, https.clientCertificate.ca)
  }
  if (config.log.destination !== 'stdout') config.log.destination = resolve(baseDir, config.log.destination)
  for (const api of config.apis) if (api.openapi !== undefined) api.openapi = resolve(baseDir, api.openapi)
  if (config.portal?.dir !== undefined) config.portal.dir = resolve(baseDir, config.portal.dir)
  return config
}

function referencedFiles(config: GatewayConfig): string[] {
  const files: string[] = []
  const https = config.listen.https
  if (https !== undefined) {
    for (const certificate of https.certificates) files.push(certificate.cert, certificate.key)
    if (https.clientCertificate !== undefined) files.push(https.clientCertificate.ca)
  }
  for (const api of config.apis) if (api.openapi !== undefined) files.push(api.openapi)
  return files
}

/**
 * The files each API's policies read when they are created (each policy declares them: authz its
 * Cedar files, waf its rule set), in the API's policies or its route overrides: added to the
 * watched files and folded into the API's digest. Each file is read once per load.
 */
function addPolicyFiles(parsed: ParsedConfig, policies: readonly PolicyDefinition[]): void {
  const digests = new Map<string, string>()
  const digestOf = (file: string): string => {
    let digest = digests.get(file)
    if (digest === undefined) digests.set(file, (digest = fileDigest(file)))
    return digest
  }
  parsed.config.apis.forEach((api, index) => {
    const declared = policySettingsOf(api).flatMap(([name, setting]) => policies.find((p) => p.name === name)?.files(setting as never, parsed.baseDir) ?? [])
    const files = [...new Set(declared.map((file) => resolve(parsed.baseDir, file)))]
    parsed.files.push(...files)
    // The document's schemas are compiled from it and the files it refers to, not from the routes
    // in the digest: an edit to a schema alone, in any of them, must rebuild the API.
    const read = [...files, ...(parsed.documentFiles[index] ?? [])]
    if (read.length > 0 && api.openapiRemoteRefs.length === 0) parsed.apiDigests[index] = hash('sha256', JSON.stringify([parsed.apiDigests[index], read.map(digestOf)]), 'base64url')
  })
}

/** A file's content hash, or its read error: a changed or vanished file changes the digest. */
function fileDigest(file: string): string {
  try {
    return hash('sha256', readFileSync(file), 'base64url')
  } catch (error) {
    return `unreadable:${(error as NodeJS.ErrnoException).code ?? ''}`
  }
}

/**
 * An API whose digest is unchanged takes the previous load's (already frozen) objects: freezing
 * skips them, the runtime recognises them, and the freshly parsed copies die young.
 */
function reuseUnchangedApis(parsed: ParsedConfig, previous: LoadedConfig): void {
  if (parsed.baseDir !== previous.baseDir) return
  const before = new Map(previous.apiDigests.map((digest, index) => [digest, index]))
  parsed.apiDigests.forEach((digest, index) => {
    const match = before.get(digest)
    if (match === undefined) return
    parsed.config.apis[index] = previous.config.apis[match] as GatewayConfig['apis'][number]
    parsed.routes[index] = previous.routes[match] as ResolvedRoute[] | null
  })
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
