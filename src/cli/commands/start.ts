/** `portcullis start -c FILE`: runs the gateway until SIGTERM/SIGINT. */
import { runGatewayProcess } from '../../main.js'
import { reportError } from '../report-error.js'

export async function startCommand(file: string): Promise<number> {
  try {
    return await runGatewayProcess(file)
  } catch (error) {
    return reportError(error, file)
  }
}
