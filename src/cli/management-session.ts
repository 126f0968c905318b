/**
 * What every `consumers`, `keys` and `audit` command shares: the data store named by the
 * config (`-c FILE`, its `stores.data`) or directly (`--store URL`), the Management service
 * acting as `cli:<user>` from `cli@<host>`, and one way to report what went wrong.
 */
import { hostname, userInfo } from 'node:os'
import type { Command } from 'commander'
import { Management, ConflictError, NotFoundError, type Actor } from '../admin/management.js'
import { InvalidInputError } from '../admin/management-input.js'
import { createConfigLoader } from '../config/load-config.js'
import { identityConfigOf } from '../policies/auth/identity-section.js'
import { builtinPolicies } from '../policies/index.js'
import { openConfiguredDataStore, redactUrl } from '../stores/open-data-store.js'
import { EXIT_ERROR, EXIT_OK, reportError } from './report-error.js'

export interface StoreOptions {
  config?: string
  store?: string
  json?: boolean
}

export interface ManagementSession {
  readonly management: Management
  readonly actor: Actor
  readonly now: number
  /** How long a running gateway may keep serving a cached look-up (`identity.apiKeys.cacheSec`). */
  readonly cacheSec: number | null
  readonly json: boolean
}

/** The input fields as the user typed them on the command line, for located messages. */
const FLAG_OF: Record<string, string> = {
  id: '<id>',
  name: '--name',
  roles: '--roles',
  scopes: '--scopes',
  plan: '--plan',
  metadata: '--metadata',
  label: '--label',
  expiresAt: '--expires-at',
  expiresInSec: '--expires-in',
  overlapSec: '--overlap',
}

function cliActor(): Actor {
  let user: string
  try {
    user = userInfo().username
  } catch {
    user = process.env.USER ?? 'unknown'
  }
  return { actor: `cli:${user}`, source: `cli@${hostname()}` }
}

/** Opens the store, runs `work`, prints its output, closes the store; returns the exit code. */
export async function withManagement(options: StoreOptions, work: (session: ManagementSession) => Promise<string>): Promise<number> {
  if ((options.config === undefined) === (options.store === undefined)) {
    process.stderr.write('error: give the data store with either -c FILE (its stores.data) or --store URL\n')
    return EXIT_ERROR
  }
  let url: string
  let baseDir: string
  let cacheSec: number | null = null
  try {
    if (options.config !== undefined) {
      const loaded = createConfigLoader(builtinPolicies).load(options.config)
      url = loaded.config.stores.data
      baseDir = loaded.baseDir
      cacheSec = identityConfigOf(loaded.config).apiKeys.cacheSec
    } else {
      url = options.store as string
      baseDir = process.cwd()
    }
  } catch (error) {
    return reportError(error, options.config ?? null)
  }
  let store: Awaited<ReturnType<typeof openConfiguredDataStore>>
  try {
    store = await openConfiguredDataStore(url, baseDir)
  } catch (error) {
    return reportError(error, options.config ?? null)
  }
  try {
    const output = await work({ management: new Management(store), actor: cliActor(), now: Date.now(), cacheSec, json: options.json === true })
    process.stdout.write(output)
    return EXIT_OK
  } catch (error) {
    return reportManagementError(error, url)
  } finally {
    await store.close().catch(() => undefined)
  }
}

function reportManagementError(error: unknown, url: string): number {
  if (error instanceof InvalidInputError) {
    for (const problem of error.problems) {
      const [field = '', ...rest] = problem.path.split(/(?=[.[])/)
      process.stderr.write(`error: ${FLAG_OF[field] ?? field}${rest.join('')}: ${problem.message}\n`)
    }
    return EXIT_ERROR
  }
  if (error instanceof NotFoundError || error instanceof ConflictError) {
    process.stderr.write(`error: ${error.message}\n`)
    return EXIT_ERROR
  }
  process.stderr.write(`error: data store ${redactUrl(url)}: ${(error as Error).message}\n`)
  return EXIT_ERROR
}

/** `a,b , c` → ['a', 'b', 'c']; an empty string is an empty list. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/** A JSON option value, or an InvalidInputError naming the field. */
export function parseJsonOption(value: string, field: string): unknown {
  try {
    return JSON.parse(value) as unknown
  } catch {
    throw new InvalidInputError([{ path: field, message: 'must be valid JSON' }])
  }
}

const DURATION = /^(\d+)(s|m|h|d)?$/
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const

/** `90`, `90s`, `15m`, `24h`, `30d` → seconds, or an InvalidInputError naming the field. */
export function parseDuration(value: string, field: string): number {
  const match = DURATION.exec(value.trim())
  if (match === null) throw new InvalidInputError([{ path: field, message: 'must be a duration such as 3600, 90s, 15m, 24h or 30d' }])
  return Number(match[1]) * UNIT_SECONDS[(match[2] ?? 's') as keyof typeof UNIT_SECONDS]
}

/** `-c FILE`, `--store URL` and `--json` on a management command. */
export function addStoreOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'gateway config whose stores.data names the data store')
    .option('--store <url>', 'data store URL instead of a config (sqlite:PATH or postgres://…)')
    .option('--json', 'print JSON instead of text')
}
