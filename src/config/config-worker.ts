/** Worker-thread side of `ParserWorker`: compiles the parser once, then parses each file it is sent. */
import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import { ConfigError } from '../errors.js'
import { createConfigParser, type ConfigParser } from './load-config.js'
import type { ParserRequest, ParserResponse } from './parse-in-worker.js'

let parser: ConfigParser | null = null

/**
 * A reload should take little CPU from serving: on Linux a thread has its own nice value. At
 * nice 10 the scheduler gives this thread about a tenth of a core the request path also wants
 * (CFS weights 110 against 1024), so on a saturated single core a reload takes a few times longer
 * instead of raising latency, yet still finishes; at 19 it would wait until load drops, which on
 * a saturated gateway is never. Elsewhere the thread keeps its priority.
 */
const RELOAD_THREAD_NICE = 10

function lowerThisThreadsPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, RELOAD_THREAD_NICE)
  } catch {
    // Not Linux, or not allowed: parsing still runs off the request path, at normal priority.
  }
}
lowerThisThreadsPriority()

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
