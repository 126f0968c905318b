/** `portcullis consumers list|show|create|update|delete`: the consumers in the data store. */
import type { Command } from 'commander'
import { ConsumerPatchInput, NewConsumerInput, parseInput } from '../../admin/management-input.js'
import { viewConsumer } from '../../admin/management-view.js'
import { formatConsumer, formatConsumers } from '../formatters/management.js'
import { addStoreOptions, parseJsonOption, splitList, withManagement, type StoreOptions } from '../management-session.js'

interface ConsumerFlags extends StoreOptions {
  name?: string
  roles?: string
  scopes?: string
  plan?: string | false
  metadata?: string
}

/** The flags the user gave, as a management input object (absent flags stay absent). */
function consumerFields(flags: ConsumerFlags): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  if (flags.name !== undefined) fields.name = flags.name
  if (flags.roles !== undefined) fields.roles = splitList(flags.roles)
  if (flags.scopes !== undefined) fields.scopes = splitList(flags.scopes)
  if (flags.plan !== undefined) fields.plan = flags.plan === false ? null : flags.plan
  if (flags.metadata !== undefined) fields.metadata = parseJsonOption(flags.metadata, 'metadata')
  return fields
}

function consumerFlags(command: Command): Command {
  return command
    .option('--name <name>', 'human-readable name')
    .option('--roles <list>', 'comma-separated roles')
    .option('--scopes <list>', 'comma-separated scopes')
    .option('--plan <plan>', 'plan name')
    .option('--no-plan', 'no plan')
    .option('--metadata <json>', 'attributes as a JSON object')
}

export function registerConsumerCommands(program: Command, setExit: (code: number) => void): void {
  const consumers = program.command('consumers').description('manage consumers (the owners of API keys)')

  addStoreOptions(consumers.command('list').description('list consumers')).action(async (flags: StoreOptions) => {
    setExit(
      await withManagement(flags, async ({ management, json }) => {
        const all = await management.listConsumers()
        return json ? `${JSON.stringify({ consumers: all.map(viewConsumer) }, null, 2)}\n` : formatConsumers(all)
      }),
    )
  })

  addStoreOptions(consumers.command('show').argument('<id>').description('show one consumer')).action(async (id: string, flags: StoreOptions) => {
    setExit(
      await withManagement(flags, async ({ management, json }) => {
        const consumer = await management.getConsumer(id)
        return json ? `${JSON.stringify(viewConsumer(consumer), null, 2)}\n` : formatConsumer(consumer)
      }),
    )
  })

  addStoreOptions(consumerFlags(consumers.command('create').argument('<id>').description('create a consumer'))).action(async (id: string, flags: ConsumerFlags) => {
    setExit(
      await withManagement(flags, async ({ management, actor, json }) => {
        const input = parseInput(NewConsumerInput, { id, name: flags.name ?? id, ...consumerFields(flags) })
        const consumer = await management.createConsumer(actor, input)
        return json ? `${JSON.stringify(viewConsumer(consumer), null, 2)}\n` : `created consumer ${consumer.id}\n${formatConsumer(consumer)}`
      }),
    )
  })

  addStoreOptions(consumerFlags(consumers.command('update').argument('<id>').description('change a consumer (only the fields given)'))).action(
    async (id: string, flags: ConsumerFlags) => {
      setExit(
        await withManagement(flags, async ({ management, actor, json }) => {
          const consumer = await management.updateConsumer(actor, id, parseInput(ConsumerPatchInput, consumerFields(flags)))
          return json ? `${JSON.stringify(viewConsumer(consumer), null, 2)}\n` : `updated consumer ${consumer.id}\n${formatConsumer(consumer)}`
        }),
      )
    },
  )

  addStoreOptions(consumers.command('delete').argument('<id>').description('delete a consumer and all its API keys')).action(async (id: string, flags: StoreOptions) => {
    setExit(
      await withManagement(flags, async ({ management, actor, json }) => {
        await management.deleteConsumer(actor, id)
        return json ? `${JSON.stringify({ deleted: id })}\n` : `deleted consumer ${id} and its API keys\n`
      }),
    )
  })
}
