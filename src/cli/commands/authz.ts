/**
 * `portcullis authz check`: what the config's `authz` policy decides for one request and
 * principal, evaluated offline (no gateway, no upstream, no IdP), with the rule and policies that
 * decided. Exit 0 when allowed, 1 when denied or not routed, 2 when the input or config is wrong.
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import type { Command } from 'commander'
import { pino } from 'pino'
import { createConfigLoader } from '../../config/load-config.js'
import type { AuthMethod, Principal } from '../../identity/principal.js'
import { checkOffline, type OfflineRequest } from '../../policies/authz/check-offline.js'
import { builtinPolicies } from '../../policies/index.js'
import { buildRuntime, compileOnlyDeps } from '../../server/runtime.js'
import { formatAuthzCheck } from '../formatters/authz-check.js'
import { splitList } from '../management-session.js'
import { EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, reportError } from '../report-error.js'

interface CheckFlags {
  config: string
  request: string
  principal?: string
  authMethod: string
  roles?: string
  scopes?: string
  plan?: string
  claims?: string
  host?: string
  header: string[]
  body?: string
  contentType?: string
  ip: string
  json?: boolean
}

const AUTH_METHODS: readonly AuthMethod[] = ['jwt', 'introspection', 'apiKey', 'mtls']

/** A command-line value that is wrong, with the flag it came from. */
class FlagError extends Error {
  constructor(flag: string, message: string) {
    super(`${flag}: ${message}`)
  }
}

function parseJsonObject(flag: string, text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new FlagError(flag, `is not JSON (${(error as Error).message})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FlagError(flag, 'must be a JSON object')
  return value as Record<string, unknown>
}

function principalOf(flags: CheckFlags): Principal | undefined {
  if (flags.principal === undefined) {
    for (const flag of ['roles', 'scopes', 'plan', 'claims'] as const) if (flags[flag] !== undefined) throw new FlagError(`--${flag}`, 'needs --principal (without it the request is anonymous)')
    return undefined
  }
  if (flags.principal === '') throw new FlagError('--principal', 'must not be empty')
  const method = flags.authMethod as AuthMethod
  if (!AUTH_METHODS.includes(method)) throw new FlagError('--auth-method', `must be one of ${AUTH_METHODS.join(', ')}`)
  const claims = flags.claims === undefined ? {} : parseJsonObject('--claims', flags.claims)
  return {
    id: flags.principal,
    method,
    name: null,
    roles: splitList(flags.roles ?? ''),
    scopes: splitList(flags.scopes ?? ''),
    plan: flags.plan ?? null,
    claims: method === 'jwt' || method === 'introspection' ? { sub: flags.principal, ...claims } : claims,
    metadata: {},
    clientId: null,
    keyId: null,
    expiresAt: null,
  }
}

function requestOf(flags: CheckFlags, principal: Principal | undefined): OfflineRequest {
  const line = /^([A-Za-z]+)\s+(\/\S*)$/.exec(flags.request.trim())
  if (line === null) throw new FlagError('--request', `must be "METHOD /path[?query]", e.g. "DELETE /orders/42" (got "${flags.request}")`)
  const headers: Record<string, string> = {}
  for (const header of flags.header) {
    const colon = header.indexOf(':')
    const name = header.slice(0, colon).trim().toLowerCase()
    if (colon < 1 || !/^[a-z0-9-]+$/.test(name)) throw new FlagError('--header', `must be "Name: value" (got "${header}")`)
    headers[name] = header.slice(colon + 1).trim()
  }
  let body = Buffer.alloc(0)
  if (flags.body !== undefined) {
    if (flags.body.startsWith('@')) {
      try {
        body = readFileSync(flags.body.slice(1))
      } catch (error) {
        throw new FlagError('--body', `cannot read ${flags.body.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
      }
    } else body = Buffer.from(flags.body)
    headers['content-type'] = flags.contentType ?? headers['content-type'] ?? 'application/json'
    headers['content-length'] = String(body.length)
  } else if (flags.contentType !== undefined) headers['content-type'] = flags.contentType
  if (isIP(flags.ip) === 0) throw new FlagError('--ip', `must be an IP address (got "${flags.ip}")`)
  return { method: (line[1] as string).toUpperCase(), target: line[2] as string, host: flags.host, headers, body, clientAddress: flags.ip, principal }
}

async function check(flags: CheckFlags): Promise<number> {
  let principal: Principal | undefined
  let request: OfflineRequest
  try {
    principal = principalOf(flags)
    request = requestOf(flags, principal)
  } catch (error) {
    if (!(error instanceof FlagError)) throw error
    process.stderr.write(`error: ${error.message}\n`)
    return EXIT_ERROR
  }
  let runtime
  try {
    const loaded = createConfigLoader(builtinPolicies).load(flags.config)
    runtime = buildRuntime(loaded, compileOnlyDeps(builtinPolicies, pino({ level: 'silent' })), null)
  } catch (error) {
    return reportError(error, flags.config)
  }
  try {
    const result = await checkOffline(runtime.router, request, runtime.config.server.encodedSlashes)
    const requestLine = `${request.method} ${request.target}`
    process.stdout.write(flags.json === true ? `${JSON.stringify({ request: requestLine, principal: principal ?? null, ...result }, null, 2)}\n` : formatAuthzCheck(requestLine, principal, result))
    const allowed = result.kind === 'no-authz' || (result.kind === 'decided' && result.decision.decision === 'allow')
    return allowed ? EXIT_OK : EXIT_FINDINGS
  } finally {
    for (const upstream of runtime.upstreams.values()) void upstream.destroy()
    runtime.services.close()
  }
}

export function registerAuthzCommands(program: Command, setExit: (code: number) => void): void {
  const authz = program.command('authz').description('authorization tools')
  const collect = (value: string, previous: string[]) => [...previous, value]
  authz
    .command('check')
    .description("evaluate a request against the config's authz policy offline and print the decision and why (exit 0 allow, 1 deny)")
    .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
    .requiredOption('--request <request>', 'method and path, e.g. "DELETE /orders/42"')
    .option('--principal <id>', 'the consumer making the request (anonymous without it)')
    .option('--auth-method <method>', `how the principal authenticated: ${AUTH_METHODS.join(', ')}`, 'jwt')
    .option('--roles <list>', "comma-separated roles of the principal")
    .option('--scopes <list>', 'comma-separated scopes of the principal')
    .option('--plan <plan>', "the principal's plan")
    .option('--claims <json>', 'token claims as a JSON object (`sub` defaults to the principal id)')
    .option('--host <host>', 'Host header, for APIs routed by host')
    .option('--header <header>', 'a request header "Name: value" (repeatable)', collect, [])
    .option('--body <body>', 'request body, or @file')
    .option('--content-type <type>', 'Content-Type of the body (default application/json)')
    .option('--ip <address>', 'client address', '127.0.0.1')
    .option('--json', 'print JSON')
    .action(async (flags: CheckFlags) => {
      setExit(await check(flags))
    })
}
