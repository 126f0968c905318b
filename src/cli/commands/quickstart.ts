/**
 * `portcullis quickstart`: the demo orders API on 127.0.0.1:3000 and the gateway on the embedded
 * quickstart config (examples/quickstart.yaml) on 127.0.0.1:8080 (each can be moved). Generates an
 * admin token when none is configured and prints it once; its store goes to a state directory.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { startOrdersServer } from '../../../examples/orders-api/server.js'
import { runGatewayProcess } from '../../main.js'
import { PACKAGE_ROOT } from '../../package-root.js'
import { reportError } from '../report-error.js'

export const QUICKSTART_CONFIG = join(PACKAGE_ROOT, 'examples', 'quickstart.yaml')

/**
 * Where the quickstart keeps what it writes (its SQLite store): `PORTCULLIS_STATE_DIR`, else
 * `$XDG_STATE_HOME/portcullis`, else `~/.local/state/portcullis` — never the installed package,
 * which may be read-only and is replaced on upgrade.
 */
export function quickstartStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PORTCULLIS_STATE_DIR !== undefined && env.PORTCULLIS_STATE_DIR !== '') return env.PORTCULLIS_STATE_DIR
  const base = env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== '' ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state')
  return join(base, 'portcullis')
}

export async function quickstartCommand(options: { upstreamPort: number; listen?: string; adminListen?: string }): Promise<number> {
  if (options.listen !== undefined) process.env.PORTCULLIS_QUICKSTART_LISTEN = options.listen
  if (options.adminListen !== undefined) process.env.PORTCULLIS_QUICKSTART_ADMIN_LISTEN = options.adminListen
  process.env.PORTCULLIS_QUICKSTART_UPSTREAM_PORT = String(options.upstreamPort)
  const stateDir = quickstartStateDir()
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  } catch (error) {
    process.stderr.write(`error: cannot create the state directory ${stateDir} (set PORTCULLIS_STATE_DIR): ${(error as NodeJS.ErrnoException).code ?? 'error'}\n`)
    return 2
  }
  const store = join(stateDir, 'quickstart.db')
  process.env.PORTCULLIS_QUICKSTART_DB ??= store
  const QUICKSTART_STORE = process.env.PORTCULLIS_QUICKSTART_DB
  if (process.env.PORTCULLIS_ADMIN_TOKEN_SHA256 === undefined) {
    const token = randomBytes(24).toString('base64url')
    process.env.PORTCULLIS_ADMIN_TOKEN_SHA256 = createHash('sha256').update(token).digest('hex')
    process.stderr.write(`admin token for this run (shown once): ${token}\n`)
    process.stderr.write(`  curl -H "Authorization: Bearer ${token}" http://${process.env.PORTCULLIS_QUICKSTART_ADMIN_LISTEN ?? '127.0.0.1:9090'}/metrics\n`)
  }
  let upstream: Awaited<ReturnType<typeof startOrdersServer>>
  try {
    upstream = await startOrdersServer(options.upstreamPort)
  } catch (error) {
    process.stderr.write(`error: cannot start the demo upstream on 127.0.0.1:${options.upstreamPort}: ${(error as NodeJS.ErrnoException).code ?? 'error'}\n`)
    return 2
  }
  process.stderr.write(`demo orders API on http://127.0.0.1:${upstream.port}; gateway config ${QUICKSTART_CONFIG}\n`)
  const listen = process.env.PORTCULLIS_QUICKSTART_LISTEN ?? '127.0.0.1:8080'
  process.stderr.write(`try: curl -i http://${listen}/orders/v1/orders/1\n`)
  process.stderr.write('creating or deleting an order needs an API key:\n')
  process.stderr.write(`  portcullis consumers create demo --store sqlite:${QUICKSTART_STORE}\n`)
  process.stderr.write(`  portcullis keys create --consumer demo --store sqlite:${QUICKSTART_STORE}\n`)
  process.stderr.write(`  curl -i -X POST -H "x-api-key: <key>" -H 'content-type: application/json' -d '{"item":"pen","quantity":1}' http://${listen}/orders/v1/orders\n`)
  try {
    return await runGatewayProcess(QUICKSTART_CONFIG)
  } catch (error) {
    return reportError(error, QUICKSTART_CONFIG)
  } finally {
    upstream.server.close()
    upstream.server.closeAllConnections()
  }
}
