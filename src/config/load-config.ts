/**
 * Load → resolve references → expand shorthands → validate (schema, then cross-field checks)
 * → fill defaults → freeze. Every problem is collected and reported together, with its path.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { ConfigError, type ConfigProblem } from '../errors.js'
import type { PolicyDefinition } from '../pipeline/define-policy.js'
import { applyShorthands } from './shorthands.js'
import { buildConfigSchema, type GatewayConfig } from './schema.js'
import { checkConfig } from './check-config.js'
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
}

export interface ConfigLoader {
  load(file: string): LoadedConfig
  /** Validates already-parsed data, as `load` does after reading. */
  loadData(data: unknown, file: string): LoadedConfig
  readonly schema: ReturnType<typeof buildConfigSchema>
}

/** Compiles the schema once; `load` can then be called on every reload. */
export function createConfigLoader(policies: readonly PolicyDefinition[], env: NodeJS.ProcessEnv = process.env): ConfigLoader {
  const schema = buildConfigSchema(policies)
  const validator: SchemaValidator = createSchemaValidator(schema)
  // ajv fills no defaults inside unions, and route overrides are `policy | false` unions.
  const policyValidators = new Map(policies.map((p) => [p.name, createSchemaValidator(p.configSchema)]))

  function fillOverrideDefaults(config: GatewayConfig): void {
    for (const api of config.apis) {
      for (const overrides of Object.values(api.routes)) {
        for (const [name, value] of Object.entries(overrides)) {
          if (value !== false) policyValidators.get(name)?.validate(value)
        }
      }
    }
  }

  function loadData(data: unknown, file: string): LoadedConfig {
    const baseDir = dirname(file)
    const references = resolveReferences(data, env, baseDir)
    if (references.problems.length > 0) throw new ConfigError('GW_ERR_CONFIG_REFERENCE', references.problems)
    const expanded = applyShorthands(references.value)
    const schemaProblems = validator.validate(expanded)
    if (schemaProblems.length > 0) throw new ConfigError('GW_ERR_CONFIG_INVALID', schemaProblems)
    const config = resolvePaths(expanded as GatewayConfig, baseDir)
    fillOverrideDefaults(config)

    const problems: ConfigProblem[] = checkConfig(config, policies)
    const routes = config.apis.map((api, index) => {
      const resolved = resolveRoutes(index, api.openapi, api.routes)
      problems.push(...resolved.problems)
      return resolved.routes
    })
    if (problems.length > 0) throw new ConfigError('GW_ERR_CONFIG_INVALID', problems)
    return deepFreeze({ file, baseDir, config, routes, files: [file, ...references.files, ...referencedFiles(config)] })
  }

  return {
    schema,
    loadData,
    load(file) {
      const absolute = resolve(file)
      return loadData(readConfigFile(absolute), absolute)
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
