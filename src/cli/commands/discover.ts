/**
 * `portcullis discover`: a draft OpenAPI 3.1 document from what the `inventory` policy learned,
 * read from a running gateway's admin API (`--admin URL`, the token in an environment variable,
 * never on the command line) or from a saved `GET /inventory` answer (`--from FILE`). YAML or
 * JSON, to stdout or `--output`. Exit 0 with a document, 2 with an error saying what and where.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { stringify } from 'yaml'
import type { ApiRecord } from '../../policies/inventory/api-inventory.js'
import { buildDraftOpenApi } from '../../policies/inventory/draft-openapi.js'
import { SNAPSHOT_FORMAT, type InventorySnapshot } from '../../policies/inventory/inventory-service.js'
import { mergeSnapshots } from '../../policies/inventory/merge-snapshots.js'
import { EXIT_ERROR, EXIT_OK } from '../report-error.js'
import { CliInputError, fetchAdmin } from '../admin-client.js'

interface DiscoverFlags {
  admin?: string
  from: string[]
  api?: string
  tokenEnv: string
  format?: string
  output?: string
  undocumentedOnly?: boolean
}

/** A problem the user can fix, said with where it is. */
const DiscoverError = CliInputError

async function runDiscover(flags: DiscoverFlags): Promise<number> {
  if ((flags.admin === undefined) === (flags.from.length === 0)) throw new DiscoverError('give the inventory with either --admin URL (a running gateway) or --from FILE (a saved GET /inventory answer)')
  const format = flags.format ?? (flags.output?.endsWith('.json') === true ? 'json' : 'yaml')
  if (format !== 'yaml' && format !== 'json') throw new DiscoverError(`--format ${format}: must be yaml or json`)
  const snapshot = flags.admin !== undefined ? await fetchSnapshot(flags.admin, flags.tokenEnv, flags.api) : mergeSnapshots(flags.from.map(readSnapshot), Date.now())
  const api = chooseApi(snapshot, flags.api, flags.admin ?? flags.from.join(', '))
  const document = buildDraftOpenApi(api, snapshot.since, { undocumentedOnly: flags.undocumentedOnly === true })
  const text = format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 })
  if (flags.output === undefined) process.stdout.write(text)
  else {
    try {
      writeFileSync(flags.output, text)
    } catch (error) {
      throw new DiscoverError(`--output ${flags.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
  }
  return EXIT_OK
}

async function fetchSnapshot(admin: string, tokenEnv: string, api: string | undefined): Promise<InventorySnapshot> {
  const { text } = await fetchAdmin(admin, tokenEnv, `/inventory${api === undefined ? '' : `/${encodeURIComponent(api)}`}`)
  return parseSnapshot(text, `--admin ${admin}`)
}

function readSnapshot(file: string): InventorySnapshot {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DiscoverError(`--from ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)}`)
  }
  return parseSnapshot(text, `--from ${file}`)
}

function parseSnapshot(text: string, where: string): InventorySnapshot {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new DiscoverError(`${where}: not JSON`)
  }
  const snapshot = value as Partial<InventorySnapshot> | null
  if (typeof snapshot !== 'object' || snapshot === null || snapshot.format !== SNAPSHOT_FORMAT || !Array.isArray(snapshot.apis)) {
    throw new DiscoverError(`${where}: not an inventory (format ${SNAPSHOT_FORMAT}, as GET /inventory of the admin API answers)`)
  }
  return snapshot as InventorySnapshot
}

function chooseApi(snapshot: InventorySnapshot, name: string | undefined, where: string): ApiRecord {
  const names = snapshot.apis.map((a) => a.name)
  if (name !== undefined) {
    const api = snapshot.apis.find((a) => a.name === name)
    if (api === undefined) throw new DiscoverError(`--api ${name}: ${where} has no inventory of it (${names.length === 0 ? 'none has one' : `it has ${names.join(', ')}`})`)
    return api
  }
  if (snapshot.apis.length === 1) return snapshot.apis[0] as ApiRecord
  if (snapshot.apis.length === 0) throw new DiscoverError(`${where}: no API uses the inventory policy (policies: { inventory: {} } in an API of the config)`)
  throw new DiscoverError(`${where} has the inventories of ${names.join(', ')}: choose one with --api NAME`)
}

export function registerDiscoverCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('discover')
    .description('write a draft OpenAPI 3.1 document from the endpoints the inventory policy learned from traffic')
    .option('--admin <url>', "a running gateway's admin API, e.g. http://127.0.0.1:9090")
    .option('--token-env <name>', 'environment variable holding the admin token', 'PORTCULLIS_ADMIN_TOKEN')
    .option('--from <file>', 'a saved GET /inventory answer instead of --admin; repeat it to merge the inventories of several nodes', (file: string, files: string[]) => [...files, file], [] as string[])
    .option('--api <name>', 'the API to describe (needed when several have an inventory)')
    .option('--undocumented-only', 'only operations outside the API’s document (shadow)')
    .option('--format <format>', 'yaml or json (default: json for an --output ending in .json, else yaml)')
    .option('-o, --output <file>', 'write the document here instead of stdout')
    .action(async (flags: DiscoverFlags) => {
      try {
        setExit(await runDiscover(flags))
      } catch (error) {
        if (!(error instanceof CliInputError)) throw error
        process.stderr.write(`error: ${error.message}\n`)
        setExit(EXIT_ERROR)
      }
    })
}
