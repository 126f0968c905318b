/** Worker-thread side of `ParserWorker`: compiles the parser once, then parses each file it is sent. */
import { parentPort } from 'node:worker_threads'
import { ConfigError } from '../errors.js'
import { createConfigParser, type ConfigParser } from './load-config.js'
import type { ParserRequest, ParserResponse } from './parse-in-worker.js'

let parser: ConfigParser | null = null

parentPort?.on('message', (request: ParserRequest) => {
  if (request.type === 'init') {
    parser = createConfigParser(request.schema, request.policySchemas, request.env)
    return
  }
  let response: ParserResponse
  try {
    if (parser === null) throw new Error('parser worker was not initialised')
    response = { id: request.id, ok: parser.parse(request.file) }
  } catch (error) {
    response =
      error instanceof ConfigError
        ? { id: request.id, error: { code: error.code, problems: [...error.problems] } }
        : { id: request.id, error: { code: 'GW_ERR_CONFIG_UNREADABLE', problems: [{ path: '', message: (error as Error).message }] } }
  }
  parentPort?.postMessage(response)
})
