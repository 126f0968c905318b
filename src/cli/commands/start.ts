/** `portcullis start -c FILE`: runs the gateway until SIGTERM/SIGINT. */
import { runGatewayProcess } from '../../main.js'
import { reportError } from '../report-error.js'

/**
 * How long a stopped (or failed) gateway waits for pending writes before the process ends anyway:
 * everything it opened is closed by then, and a handle a library left open must not keep it alive.
 */
const EXIT_GRACE_MS = 1000

/** Runs the gateway; resolves with the exit code: 0 after a stop, 2 when it cannot start (reported on stderr). */
export async function startCommand(file: string): Promise<number> {
  let code: number
  try {
    code = await runGatewayProcess(file)
  } catch (error) {
    code = reportError(error, file)
  }
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref()
  return code
}
