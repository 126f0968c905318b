/**
 * `portcullis init --openapi spec.yaml [-o gateway.yaml]`: a starting gateway config for one API
 * from its OpenAPI document — routes from its paths, identity and `auth` methods from its
 * `securitySchemes`, authorization and validation on, sensible limits — checked by loading it as
 * `start` would. What it could not decide is printed, and marked `TODO` in the file.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { basename, dirname, relative, resolve } from 'node:path'
import type { Command } from 'commander'
import { load as loadYaml } from 'js-yaml'
import { readFileSync } from 'node:fs'
import { stringify } from 'yaml'
import { createConfigLoader } from '../../config/load-config.js'
import { isRecord } from '../../openapi/document-set.js'
import { builtinPolicies } from '../../policies/index.js'
import { EXIT_ERROR, EXIT_OK, reportError } from '../report-error.js'

interface Draft {
  config: Record<string, unknown>
  undecided: string[]
}

const PLACEHOLDER_UPSTREAM = 'http://127.0.0.1:3000'

/** The config for `document` (at `specPath`, referenced from `configDir`) and what is left to decide. */
export function draftConfig(document: unknown, specPath: string, configDir: string): Draft {
  const undecided: string[] = []
  const doc = isRecord(document) ? document : {}
  const info = isRecord(doc.info) ? doc.info : {}
  const name = (typeof info.title === 'string' ? info.title : basename(specPath)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|-+$/g, '') || 'api'

  let upstream = PLACEHOLDER_UPSTREAM
  let basePath = '/'
  const servers = Array.isArray(doc.servers) ? doc.servers.filter(isRecord) : []
  const serverUrl = typeof servers[0]?.url === 'string' ? servers[0].url : null
  if (serverUrl !== null && /^https?:\/\//.test(serverUrl) && !serverUrl.includes('{')) {
    const url = new URL(serverUrl)
    upstream = url.origin
    basePath = url.pathname.replace(/\/$/, '') || '/'
    if (servers.length > 1) undecided.push(`the document lists ${servers.length} servers; the upstream is the first (${serverUrl})`)
  } else {
    undecided.push(`upstream: the document has no absolute server URL${serverUrl === null ? '' : ` (${serverUrl})`}; set apis[0].upstream.url (now ${PLACEHOLDER_UPSTREAM})`)
    if (serverUrl?.startsWith('/') === true) basePath = serverUrl.replace(/\/$/, '') || '/'
  }

  const identity: Record<string, unknown> = {}
  const methods = new Set<string>()
  const components = isRecord(doc.components) ? doc.components : {}
  const schemes = isRecord(components.securitySchemes) ? components.securitySchemes : {}
  for (const [schemeName, scheme] of Object.entries(schemes)) {
    if (!isRecord(scheme)) continue
    switch (scheme.type) {
      case 'oauth2':
      case 'openIdConnect': {
        methods.add('jwt')
        const discovery = typeof scheme.openIdConnectUrl === 'string' ? scheme.openIdConnectUrl : null
        const issuer = discovery?.replace(/\/\.well-known\/openid-configuration$/, '') ?? null
        identity.jwt = { issuer: issuer ?? 'https://TODO-issuer.example', audiences: [name] }
        if (issuer === null) undecided.push(`identity.jwt.issuer: scheme "${schemeName}" (${scheme.type}) names no OpenID discovery URL; set the issuer of its tokens`)
        undecided.push(`identity.jwt.audiences: set the audience the issuer puts in tokens for this API (now "${name}")`)
        break
      }
      case 'http':
        if (String(scheme.scheme).toLowerCase() === 'bearer') {
          methods.add('jwt')
          identity.jwt ??= { issuer: 'https://TODO-issuer.example', audiences: [name] }
          undecided.push(`identity.jwt: scheme "${schemeName}" is HTTP bearer; set how its tokens are verified (issuer, jwksUri or introspection)`)
        } else undecided.push(`scheme "${schemeName}": HTTP ${String(scheme.scheme)} authentication is not supported; left out`)
        break
      case 'apiKey':
        if (scheme.in === 'header' && typeof scheme.name === 'string') {
          methods.add('apiKey')
          identity.apiKeys = { header: scheme.name.toLowerCase() }
        } else undecided.push(`scheme "${schemeName}": API keys in the ${String(scheme.in)} are not supported (only in a header); left out`)
        break
      case 'mutualTLS':
        methods.add('mtls')
        undecided.push(`scheme "${schemeName}" is mutual TLS: add listen.https with clientCa`)
        break
      default:
        undecided.push(`scheme "${schemeName}": type ${String(scheme.type)} is not supported; left out`)
    }
  }

  const policies: Record<string, unknown> = { 'request-limits': {} }
  if (methods.size > 0) {
    policies.auth = { methods: [...methods], optional: true }
    policies.authz = {}
  } else undecided.push('the document declares no security schemes: no auth or authz policy (every operation is public)')
  policies['rate-limit'] = { limits: [{ name: 'burst', per: 'consumer', rate: '100/s', burst: 200 }] }
  policies['openapi-validation'] = { response: 'report' }
  policies['security-headers'] = {}
  undecided.push('rate-limit: 100/s with bursts of 200 per consumer is a starting point; set limits from the API’s capacity')

  const config = {
    listen: { http: { host: '127.0.0.1', port: 8080 } },
    ...(Object.keys(identity).length === 0 ? {} : { identity }),
    apis: [{ name, basePath, openapi: relative(configDir, resolve(specPath)) || basename(specPath), upstream: { url: upstream }, policies }],
  }
  return { config, undecided }
}

function initCommand(options: { openapi: string; output: string; force?: boolean }): number {
  let document: unknown
  try {
    const text = readFileSync(options.openapi, 'utf8')
    document = /^\s*\{/.test(text) ? JSON.parse(text) : loadYaml(text)
  } catch (error) {
    process.stderr.write(`error: cannot read ${options.openapi}: ${(error as Error).message}\n`)
    return EXIT_ERROR
  }
  if (existsSync(options.output) && options.force !== true) {
    process.stderr.write(`error: ${options.output} exists; pass --force to replace it\n`)
    return EXIT_ERROR
  }
  const { config, undecided } = draftConfig(document, options.openapi, dirname(resolve(options.output)))
  const header = `# Written by \`portcullis init --openapi ${options.openapi}\`. Review it: see the notes printed with it.\n`
  writeFileSync(options.output, header + stringify(config))
  try {
    createConfigLoader(builtinPolicies).load(options.output)
  } catch (error) {
    process.stderr.write(`${options.output} was written but does not load:\n`)
    return reportError(error, options.output)
  }
  process.stdout.write(`wrote ${options.output} (valid)\n`)
  if (undecided.length > 0) process.stdout.write(`left for you to decide:\n${undecided.map((u) => `  - ${u}\n`).join('')}`)
  return EXIT_OK
}

export function registerInitCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('init')
    .description('write a starting gateway config for an API from its OpenAPI document')
    .requiredOption('--openapi <file>', 'the API’s OpenAPI 3.0 or 3.1 document')
    .option('-o, --output <file>', 'config file to write', 'gateway.yaml')
    .option('--force', 'replace an existing file')
    .action((options: { openapi: string; output: string; force?: boolean }) => {
      setExit(initCommand(options))
    })
}
