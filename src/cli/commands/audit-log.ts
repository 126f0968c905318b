/** `portcullis audit-log`: the newest entries of the append-only admin audit log. */
import type { Command } from 'commander'
import { InvalidInputError } from '../../admin/management-input.js'
import { viewAudit } from '../../admin/management-view.js'
import { formatAudit } from '../formatters/management.js'
import { addStoreOptions, withManagement, type StoreOptions } from '../management-session.js'

export function registerAuditLogCommand(program: Command, setExit: (code: number) => void): void {
  addStoreOptions(program.command('audit-log').description('list admin changes, newest first').option('--limit <n>', 'how many entries', '50')).action(
    async (flags: StoreOptions & { limit: string }) => {
      setExit(
        await withManagement(flags, async ({ management, json }) => {
          const limit = Number(flags.limit)
          if (!/^\d+$/.test(flags.limit) || limit < 1 || limit > 1000) throw new InvalidInputError([{ path: '--limit', message: 'must be an integer from 1 to 1000' }])
          const entries = await management.listAudit(limit)
          return json ? `${JSON.stringify({ entries: entries.map(viewAudit) }, null, 2)}\n` : formatAudit(entries)
        }),
      )
    },
  )
}
