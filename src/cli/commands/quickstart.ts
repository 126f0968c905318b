/**
 * `portcullis quickstart`: the demo orders API on 127.0.0.1:3000 and the gateway on the embedded
 * quickstart config (examples/quickstart.yaml) on 127.0.0.1:8080. Generates an admin token when
 * none is configured and prints it once.
 */
import { createHash, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { startOrdersServer } from '../../../examples/orders-api/server.js'
import { runGatewayProcess } from '../../main.js'
import { reportError } from '../report-error.js'

export const QUICKSTART_CONFIG = fileURLToPath(new URL('../../../examples/quickstart.yaml', import.meta.url))
/** `stores.data` of the quickstart config. */
const QUICKSTART_STORE = fileURLToPath(new URL('../../../examples/portcullis.db', import.meta.url))

export async function quickstartCommand(options: { upstreamPort: number }): Promise<number> {
  if (process.env.PORTCULLIS_ADMIN_TOKEN_SHA256 === undefined) {
    const token = randomBytes(24).toString('base64url')
    process.env.PORTCULLIS_ADMIN_TOKEN_SHA256 = createHash('sha256').update(token).digest('hex')
    process.stderr.write(`admin token for this run (shown once): ${token}\n`)
    process.stderr.write(`  curl -H "Authorization: Bearer ${token}" http://127.0.0.1:9090/metrics\n`)
  }
  let upstream: Awaited<ReturnType<typeof startOrdersServer>>
  try {
    upstream = await startOrdersServer(options.upstreamPort)
  } catch (error) {
    process.stderr.write(`error: cannot start the demo upstream on 127.0.0.1:${options.upstreamPort}: ${(error as NodeJS.ErrnoException).code ?? 'error'}\n`)
    return 2
  }
  process.stderr.write(`demo orders API on http://127.0.0.1:${upstream.port}; gateway config ${QUICKSTART_CONFIG}\n`)
  process.stderr.write('try: curl -i http://127.0.0.1:8080/orders/v1/orders/1\n')
  process.stderr.write('creating or deleting an order needs an API key:\n')
  process.stderr.write(`  portcullis consumers create demo --store sqlite:${QUICKSTART_STORE}\n`)
  process.stderr.write(`  portcullis keys create --consumer demo --store sqlite:${QUICKSTART_STORE}\n`)
  process.stderr.write(`  curl -i -X POST -H "x-api-key: <key>" -H 'content-type: application/json' -d '{"item":"pen","quantity":1}' http://127.0.0.1:8080/orders/v1/orders\n`)
  try {
    return await runGatewayProcess(QUICKSTART_CONFIG)
  } catch (error) {
    return reportError(error, QUICKSTART_CONFIG)
  } finally {
    upstream.server.close()
    upstream.server.closeAllConnections()
  }
}
