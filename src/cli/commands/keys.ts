/**
 * `portcullis keys create|list|show|rotate|revoke`: API keys in the data store. A new key is
 * printed once, on stdout; nothing else ever shows it again. When stdout is not a terminal
 * (`keys create … > key.txt`, `KEY=$(…)`) or with `--quiet`, stdout gets the key alone.
 */
import { Option, type Command } from 'commander'
import { NewKeyInput, RotateKeyInput, parseInput, toKeyOptions } from '../../admin/management-input.js'
import { viewKey } from '../../admin/management-view.js'
import { formatKey, formatKeys } from '../formatters/management.js'
import { addStoreOptions, parseDuration, splitList, withManagement, type ManagementSession, type StoreOptions } from '../management-session.js'

interface CreateFlags extends StoreOptions {
  consumer: string
  label?: string
  scopes?: string
  plan?: string
  expiresIn?: string
  expiresAt?: string
  quiet?: boolean
}

const SHOWN_ONCE = 'The key is shown only now; store it in a secret manager. The gateway keeps only its hash.\n'

/** `--quiet`: the key alone on stdout; it conflicts with `--json`, which prints the key inside its object. */
const quietOption = () => new Option('-q, --quiet', 'print only the key, nothing on stderr (the default for stdout when it is not a terminal)').conflicts('json')

/**
 * What stdout gets for a new key. On a terminal, the key and its record; otherwise only the key,
 * so a file or a variable it is captured in holds the key and nothing else — the record and the
 * note then go to stderr, for the person running it. `--quiet` drops them altogether.
 */
function newKeyOutput(key: string, details: string, quiet: boolean): string {
  if (quiet) return `${key}\n`
  process.stderr.write(SHOWN_ONCE)
  if (process.stdout.isTTY) return `${key}\n${details}`
  process.stderr.write(details)
  return `${key}\n`
}

/**
 * How long until every running gateway refuses a revoked key (each polls the store for
 * revocations every cacheSec, at least 1 s, so an outage after that changes nothing), and the
 * exception: a node cut off from the store before then serves keys from its stale cache.
 */
function propagation({ cacheSec }: ManagementSession): string {
  const when = cacheSec === null ? 'once its key cache expires' : `within ${Math.max(cacheSec, 1)} s`
  return (
    `Every gateway node that reaches the data store refuses it ${when} (identity.apiKeys.cacheSec; nodes also poll the store for revocations that often), ` +
    'and keeps refusing it if it loses the store afterwards.\n' +
    'A node cut off from the store before then keeps accepting keys it has seen valid for up to identity.apiKeys.staleIfErrorSec, ' +
    'but never a key it has seen revoked.\n'
  )
}

export function registerKeyCommands(program: Command, setExit: (code: number) => void): void {
  const keys = program.command('keys').description('manage API keys')

  addStoreOptions(
    keys
      .command('create')
      .description('issue a new API key for a consumer')
      .requiredOption('--consumer <id>', 'the consumer that owns the key')
      .option('--label <label>', 'what the key is for')
      .option('--scopes <list>', "comma-separated scopes (default: the consumer's)")
      .option('--plan <plan>', "plan name (default: the consumer's)")
      .option('--expires-in <duration>', 'expiry from now: 3600, 90s, 15m, 24h, 30d')
      .option('--expires-at <time>', 'expiry as an ISO 8601 date-time')
      .addOption(quietOption()),
  ).action(async (flags: CreateFlags) => {
    setExit(
      await withManagement(flags, async (session) => {
        const input: Record<string, unknown> = {}
        if (flags.label !== undefined) input.label = flags.label
        if (flags.scopes !== undefined) input.scopes = splitList(flags.scopes)
        if (flags.plan !== undefined) input.plan = flags.plan
        if (flags.expiresIn !== undefined) input.expiresInSec = parseDuration(flags.expiresIn, 'expiresInSec')
        if (flags.expiresAt !== undefined) input.expiresAt = flags.expiresAt
        const options = toKeyOptions(parseInput(NewKeyInput, input), session.now)
        const { key, record } = await session.management.createKey(session.actor, flags.consumer, options)
        if (!session.json) return newKeyOutput(key, formatKey(record, session.now), flags.quiet === true)
        process.stderr.write(SHOWN_ONCE)
        return `${JSON.stringify({ key, record: viewKey(record) }, null, 2)}\n`
      }),
    )
  })

  addStoreOptions(keys.command('list').description('list API keys (never the keys themselves)').option('--consumer <id>', 'only this consumer’s keys')).action(
    async (flags: StoreOptions & { consumer?: string }) => {
      setExit(
        await withManagement(flags, async ({ management, json, now }) => {
          if (flags.consumer !== undefined) await management.getConsumer(flags.consumer)
          const records = await management.listKeys(flags.consumer)
          return json ? `${JSON.stringify({ keys: records.map(viewKey) }, null, 2)}\n` : formatKeys(records, now)
        }),
      )
    },
  )

  addStoreOptions(keys.command('show').argument('<id>', 'the key id (the part after pcl_)').description('show one API key record')).action(
    async (id: string, flags: StoreOptions) => {
      setExit(
        await withManagement(flags, async ({ management, json, now }) => {
          const record = await management.getKey(id)
          return json ? `${JSON.stringify(viewKey(record), null, 2)}\n` : formatKey(record, now)
        }),
      )
    },
  )

  addStoreOptions(
    keys
      .command('rotate')
      .argument('<id>', 'the key id')
      .description('issue a replacement key; the old one keeps working for the overlap')
      .option('--overlap <duration>', 'how long the old key keeps working', '24h')
      .addOption(quietOption()),
  ).action(async (id: string, flags: StoreOptions & { overlap: string; quiet?: boolean }) => {
    setExit(
      await withManagement(flags, async (session) => {
        const { overlapSec } = parseInput(RotateKeyInput, { overlapSec: parseDuration(flags.overlap, 'overlapSec') })
        const rotated = await session.management.rotateKey(session.actor, id, overlapSec * 1000)
        const until = rotated.previous.expiresAt === null ? '-' : new Date(rotated.previous.expiresAt).toISOString()
        if (!session.json) return newKeyOutput(rotated.key, `${formatKey(rotated.record, session.now)}old key ${id} works until ${until}\n`, flags.quiet === true)
        process.stderr.write(SHOWN_ONCE)
        return `${JSON.stringify({ key: rotated.key, record: viewKey(rotated.record), previous: viewKey(rotated.previous) }, null, 2)}\n`
      }),
    )
  })

  addStoreOptions(keys.command('revoke').argument('<id>', 'the key id').description('revoke a key on every gateway node')).action(async (id: string, flags: StoreOptions) => {
    setExit(
      await withManagement(flags, async (session) => {
        const record = await session.management.revokeKey(session.actor, id)
        return session.json ? `${JSON.stringify(viewKey(record), null, 2)}\n` : `revoked API key ${id} of ${record.consumerId}\n${propagation(session)}`
      }),
    )
  })
}
