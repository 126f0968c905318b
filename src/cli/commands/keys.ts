/**
 * `portcullis keys create|list|show|rotate|revoke`: API keys in the data store. A new key is
 * printed once, on stdout; nothing else ever shows it again.
 */
import type { Command } from 'commander'
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
}

const SHOWN_ONCE = 'The key is shown only now; store it in a secret manager. The gateway keeps only its hash.\n'

/** How long until every running gateway refuses a revoked or expired key. */
function propagation({ cacheSec }: ManagementSession): string {
  return cacheSec === null ? 'Gateways refuse it once their key cache expires (identity.apiKeys.cacheSec).\n' : `Every gateway node refuses it within ${cacheSec} s (identity.apiKeys.cacheSec).\n`
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
      .option('--expires-at <time>', 'expiry as an ISO 8601 date-time'),
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
        process.stderr.write(SHOWN_ONCE)
        return session.json ? `${JSON.stringify({ key, record: viewKey(record) }, null, 2)}\n` : `${key}\n${formatKey(record, session.now)}`
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
      .option('--overlap <duration>', 'how long the old key keeps working', '24h'),
  ).action(async (id: string, flags: StoreOptions & { overlap: string }) => {
    setExit(
      await withManagement(flags, async (session) => {
        const { overlapSec } = parseInput(RotateKeyInput, { overlapSec: parseDuration(flags.overlap, 'overlapSec') })
        const rotated = await session.management.rotateKey(session.actor, id, overlapSec * 1000)
        process.stderr.write(SHOWN_ONCE)
        if (session.json) return `${JSON.stringify({ key: rotated.key, record: viewKey(rotated.record), previous: viewKey(rotated.previous) }, null, 2)}\n`
        const until = rotated.previous.expiresAt === null ? '-' : new Date(rotated.previous.expiresAt).toISOString()
        return `${rotated.key}\n${formatKey(rotated.record, session.now)}old key ${id} works until ${until}\n`
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
