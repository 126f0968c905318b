/**
 * `portcullis apis list` and `portcullis apis usage`: a running gateway's API versions with their
 * lifecycle (how each is selected, state, deprecation and sunset dates, successor, deprecated
 * operations) and traffic (requests in total and in the last hour, the last one's time), and who
 * still calls what is deprecated (consumer, calls, first and last seen), read from its admin API
 * (`--admin URL`, the token in an environment variable). Text tables, or `--json`.
 */
import type { Command } from 'commander'
import { CliInputError, fetchAdmin } from '../admin-client.js'
import { EXIT_ERROR, EXIT_OK } from '../report-error.js'

interface AdminFlags {
  admin?: string
  tokenEnv: string
  json?: boolean
}

interface UsageFlags extends AdminFlags {
  api?: string
  since?: string
  limit?: string
}

interface VersionRecord {
  name: string
  version: string | null
  basePath: string
  selectedBy: { kind: 'header'; header: string; default: string | null } | { kind: 'media-type'; parameter: string; default: string | null } | { kind: 'vendor'; vendorType: string; default: string | null } | null
  state: string
  deprecatedAt: string | null
  sunsetAt: string | null
  successor: string | null
  deprecatedOperations: { operation: string; sunsetAt?: string }[]
  /** Null when the gateway could not read its metrics. */
  traffic: { total: number; lastHour: number; lastSeen: string | null } | null
}

interface UsageRecord {
  api: string
  version: string | null
  operation: string
  consumer: string
  calls: number
  firstSeen: string
  lastSeen: string
}

function adminOf(flags: AdminFlags): string {
  if (flags.admin === undefined) throw new CliInputError("--admin URL is required: a running gateway's admin API, e.g. http://127.0.0.1:9090")
  return flags.admin
}

function parsed<T>(text: string, where: string, field: string): T[] {
  try {
    const value = (JSON.parse(text) as Record<string, unknown>)[field]
    if (Array.isArray(value)) return value as T[]
  } catch {
    // Reported below.
  }
  throw new CliInputError(`${where}: the answer is not the admin API's (no "${field}" list)`)
}

/** Rows as aligned columns, the header first. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n'
}

async function listVersions(flags: AdminFlags): Promise<number> {
  const admin = adminOf(flags)
  const { text } = await fetchAdmin(admin, flags.tokenEnv, '/lifecycle')
  const apis = parsed<VersionRecord>(text, `--admin ${admin}`, 'apis')
  if (flags.json === true) process.stdout.write(`${JSON.stringify({ apis }, null, 2)}\n`)
  else {
    process.stdout.write(
      table(
        ['API', 'VERSION', 'BASE PATH', 'SELECTED BY', 'STATE', 'DEPRECATED', 'SUNSET', 'SUCCESSOR', 'DEPRECATED OPERATIONS', 'REQUESTS', 'LAST HOUR', 'LAST SEEN'],
        apis.map((a) => [
          a.name,
          a.version ?? '-',
          a.basePath,
          selection(a),
          a.state,
          a.deprecatedAt ?? '-',
          a.sunsetAt ?? '-',
          a.successor ?? '-',
          String(a.deprecatedOperations.length),
          a.traffic === null ? '?' : String(a.traffic.total),
          a.traffic === null ? '?' : String(a.traffic.lastHour),
          a.traffic?.lastSeen ?? '-',
        ]),
      ),
    )
  }
  return EXIT_OK
}

/** How a request names the version: `X-API-Version: 2`, `Accept ;version=2`, `Accept application/vnd.example.v2+json`, marked when it is the default; `path` when the base path alone routes to it. */
function selection(record: VersionRecord): string {
  const by = record.selectedBy
  const label = record.version ?? ''
  if (by === null) return 'path'
  const named = by.kind === 'header' ? `${by.header}: ${label}` : by.kind === 'media-type' ? `Accept ;${by.parameter}=${label}` : `Accept ${by.vendorType.replace('{version}', label)}`
  return by.default !== null && by.default.toLowerCase() === label.toLowerCase() ? `${named} (default)` : named
}

async function listUsage(flags: UsageFlags): Promise<number> {
  const admin = adminOf(flags)
  if (flags.limit !== undefined && !/^\d+$/.test(flags.limit)) throw new CliInputError(`--limit ${flags.limit}: must be a whole number from 1 to 1000`)
  if (flags.since !== undefined && Number.isNaN(Date.parse(flags.since))) throw new CliInputError(`--since ${flags.since}: must be an ISO 8601 date or time, e.g. 2026-12-01`)
  const query = new URLSearchParams()
  if (flags.api !== undefined) query.set('api', flags.api)
  if (flags.since !== undefined) query.set('since', String(Date.parse(flags.since)))
  if (flags.limit !== undefined) query.set('limit', flags.limit)
  const { text } = await fetchAdmin(admin, flags.tokenEnv, `/lifecycle/usage${query.size === 0 ? '' : `?${query.toString()}`}`)
  const usage = parsed<UsageRecord>(text, `--admin ${admin}`, 'usage')
  if (flags.json === true) process.stdout.write(`${JSON.stringify({ usage }, null, 2)}\n`)
  else if (usage.length === 0) process.stdout.write('no calls of deprecated versions or operations recorded\n')
  else {
    process.stdout.write(
      table(
        ['API', 'VERSION', 'OPERATION', 'CONSUMER', 'CALLS', 'FIRST SEEN', 'LAST SEEN'],
        usage.map((u) => [u.api, u.version ?? '-', u.operation, u.consumer, String(u.calls), u.firstSeen, u.lastSeen]),
      ),
    )
  }
  return EXIT_OK
}

export function registerApisCommands(program: Command, setExit: (code: number) => void): void {
  const run = (work: () => Promise<number>) => async () => {
    try {
      setExit(await work())
    } catch (error) {
      if (!(error instanceof CliInputError)) throw error
      process.stderr.write(`error: ${error.message}\n`)
      setExit(EXIT_ERROR)
    }
  }
  const apis = program.command('apis').description("a running gateway's API versions and their lifecycle")
  const adminOptions = (command: Command) =>
    command
      .option('--admin <url>', "a running gateway's admin API, e.g. http://127.0.0.1:9090")
      .option('--token-env <name>', 'environment variable holding the admin token', 'PORTCULLIS_ADMIN_TOKEN')
      .option('--json', 'JSON instead of a table')
  adminOptions(apis.command('list').description('every API version: how it is selected, state, deprecation and sunset dates, successor, deprecated operations, requests (total, last hour, last seen)')).action(function (this: Command) {
    return run(() => listVersions(this.opts<AdminFlags>()))()
  })
  adminOptions(
    apis
      .command('usage')
      .description('who still calls deprecated versions and operations: consumer, calls, first and last seen (newest first)')
      .option('--deprecated', 'only deprecated versions and operations (the only ones recorded; accepted for clarity)')
      .option('--api <name>', 'one API version')
      .option('--since <date>', 'only consumers seen since this date or time')
      .option('--limit <n>', 'at most this many rows (1–1000, default 100)'),
  ).action(function (this: Command) {
    return run(() => listUsage(this.opts<UsageFlags>()))()
  })
}
