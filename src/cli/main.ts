/** The `portcullis` command line. Exit codes: 0 ok, 1 findings, 2 errors (as Spectral). */
import { Command } from 'commander'
import { registerSpecAuditCommand } from './commands/audit.js'
import { registerAuditLogCommand } from './commands/audit-log.js'
import { registerAuthzCommands } from './commands/authz.js'
import { registerConsumerCommands } from './commands/consumers.js'
import { registerInitCommand } from './commands/init.js'
import { registerKeyCommands } from './commands/keys.js'
import { registerPostureCommand } from './commands/posture.js'
import { registerScanCommand } from './commands/scan.js'
import { quickstartCommand } from './commands/quickstart.js'
import { schemaCommand } from './commands/schema.js'
import { startCommand } from './commands/start.js'
import { validateCommand } from './commands/validate.js'
import { registerWafCommands } from './commands/waf.js'
import { PORTCULLIS_VERSION } from './version.js'

const program = new Command()
program.name('portcullis').description('API security gateway and toolkit').version(PORTCULLIS_VERSION)
program.exitOverride()

program
  .command('start')
  .description('start the gateway')
  .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
  .action(async (options: { config: string }) => {
    process.exitCode = await startCommand(options.config)
  })

program
  .command('validate')
  .description('check a config file and print every problem with its path')
  .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
  .action((options: { config: string }) => {
    process.exitCode = validateCommand(options.config)
  })

program
  .command('schema')
  .description("print the config's JSON Schema")
  .action(() => {
    process.exitCode = schemaCommand()
  })

program
  .command('quickstart')
  .description('start the demo orders API and the gateway on examples/quickstart.yaml')
  .option('--upstream-port <port>', 'port of the demo orders API', '3000')
  .action(async (options: { upstreamPort: string }) => {
    process.exitCode = await quickstartCommand({ upstreamPort: Number(options.upstreamPort) })
  })

const setExit = (code: number) => {
  process.exitCode = code
}
registerConsumerCommands(program, setExit)
registerKeyCommands(program, setExit)
registerAuditLogCommand(program, setExit)
registerSpecAuditCommand(program, setExit)
registerPostureCommand(program, setExit)
registerScanCommand(program, setExit)
registerAuthzCommands(program, setExit)
registerInitCommand(program, setExit)
registerWafCommands(program, setExit)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  const code = (error as { code?: string }).code
  // commander has already printed its message; help and version are not errors.
  process.exitCode = code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : 2
}
