/**
 * The `portcullis` command line. Exit codes: 0 ok, 1 findings, 2 errors (as Spectral).
 * Command modules are imported only for the command being run (all of them for help): loading
 * the gateway's policies alone takes over a second, which `audit` and `scan` do not need.
 */
import { Command } from 'commander'
import { PORTCULLIS_VERSION } from './version.js'

const program = new Command()
program.name('portcullis').description('API security gateway and toolkit').version(PORTCULLIS_VERSION)
program.exitOverride()

program
  .command('start')
  .description('start the gateway')
  .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
  .action(async (options: { config: string }) => {
    const { startCommand } = await import('./commands/start.js')
    process.exitCode = await startCommand(options.config)
  })

program
  .command('validate')
  .description('check a config file and print every problem with its path')
  .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
  .action(async (options: { config: string }) => {
    const { validateCommand } = await import('./commands/validate.js')
    process.exitCode = validateCommand(options.config)
  })

program
  .command('schema')
  .description("print the config's JSON Schema")
  .action(async () => {
    const { schemaCommand } = await import('./commands/schema.js')
    process.exitCode = schemaCommand()
  })

program
  .command('quickstart')
  .description('start the demo orders API and the gateway on examples/quickstart.yaml')
  .option('--upstream-port <port>', 'port of the demo orders API', '3000')
  .option('--listen <host:port>', "the gateway's listener", '127.0.0.1:8080')
  .option('--admin-listen <host:port>', 'the admin listener', '127.0.0.1:9090')
  .action(async (options: { upstreamPort: string; listen: string; adminListen: string }) => {
    const { quickstartCommand } = await import('./commands/quickstart.js')
    process.exitCode = await quickstartCommand({ upstreamPort: Number(options.upstreamPort), listen: options.listen, adminListen: options.adminListen })
  })

const setExit = (code: number) => {
  process.exitCode = code
}
/** Commands defined in their own modules, by name, each with the import that registers it. */
const COMMAND_MODULES: Readonly<Record<string, () => Promise<void>>> = {
  consumers: async () => (await import('./commands/consumers.js')).registerConsumerCommands(program, setExit),
  keys: async () => (await import('./commands/keys.js')).registerKeyCommands(program, setExit),
  'audit-log': async () => (await import('./commands/audit-log.js')).registerAuditLogCommand(program, setExit),
  audit: async () => (await import('./commands/audit.js')).registerSpecAuditCommand(program, setExit),
  posture: async () => (await import('./commands/posture.js')).registerPostureCommand(program, setExit),
  scan: async () => (await import('./commands/scan.js')).registerScanCommand(program, setExit),
  authz: async () => (await import('./commands/authz.js')).registerAuthzCommands(program, setExit),
  init: async () => (await import('./commands/init.js')).registerInitCommand(program, setExit),
  waf: async () => (await import('./commands/waf.js')).registerWafCommands(program, setExit),
  discover: async () => (await import('./commands/discover.js')).registerDiscoverCommand(program, setExit),
  apis: async () => (await import('./commands/apis.js')).registerApisCommands(program, setExit),
  portal: async () => (await import('./commands/portal.js')).registerPortalCommands(program, setExit),
  diff: async () => (await import('./commands/diff.js')).registerDiffCommand(program, setExit),
}
// `--version` needs no command at all: it answers before any command module is loaded.
const DEFINED_HERE = new Set(['start', 'validate', 'schema', 'quickstart', '--version', '-V'])
const requested = process.argv[2] ?? ''
const load = DEFINED_HERE.has(requested) ? [] : Object.hasOwn(COMMAND_MODULES, requested) ? [COMMAND_MODULES[requested]] : Object.values(COMMAND_MODULES)
for (const register of load) await register?.()

try {
  await program.parseAsync(process.argv)
} catch (error) {
  const code = (error as { code?: string }).code
  // commander has already printed its message; help and version are not errors.
  process.exitCode = code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : 2
}
