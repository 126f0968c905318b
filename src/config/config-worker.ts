/** Worker-thread side of `parseInWorker`: parses one config and posts the result back. */
import { parentPort } from 'node:worker_threads'
import { ConfigError } from '../errors.js'
import { createConfigParser } from './load-config.js'
import type { ParseRequest, ParseResponse } from './parse-in-worker.js'

parentPort?.once('message', (request: ParseRequest) => {
  let response: ParseResponse
  try {
    response = { ok: createConfigParser(request.schema, request.policySchemas, request.env).parse(request.file) }
  } catch (error) {
    response =
      error instanceof ConfigError
        ? { error: { code: error.code, problems: [...error.problems] } }
        : { error: { code: 'GW_ERR_CONFIG_UNREADABLE', problems: [{ path: '', message: (error as Error).message }] } }
  }
  parentPort?.postMessage(response)
})
