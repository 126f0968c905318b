/**
 * Runs the config parser on a worker thread: parsing YAML, validating the schema and reading
 * OpenAPI documents can take hundreds of milliseconds on large configs, which on the main
 * thread would stall every request in flight during a reload. The worker is started at the
 * first reload and kept (unreferenced), so later reloads pay neither its start-up nor the
 * schema compilation again — on a single core that cost would come out of serving.
 */
import { Worker } from 'node:worker_threads'
import type { TSchema } from '@sinclair/typebox'
import { ConfigError, type ConfigProblem, type OperatorErrorCode } from '../errors.js'
import type { ParsedConfig } from './load-config.js'

export type ParserRequest =
  | { type: 'init'; schema: TSchema; policySchemas: Record<string, TSchema>; env: Record<string, string | undefined> }
  | { type: 'parse'; id: number; file: string }

export type ParserResponse = { id: number; ok: ParsedConfig } | { id: number; error: { code: OperatorErrorCode; problems: ConfigProblem[] } }

const PARSE_TIMEOUT_MS = 60_000

interface Pending {
  resolve(parsed: ParsedConfig): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

/**
 * The worker's entry: the compiled parser module beside this one; from the TypeScript sources
 * (development and tests, run through tsx) the worker registers the same loader first.
 */
function workerSource(): string {
  if (!import.meta.url.endsWith('.ts')) return `import(${JSON.stringify(new URL('./config-worker.js', import.meta.url).href)})`
  const loader = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./config-worker.ts', import.meta.url).href
  return `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`
}

export class ParserWorker {
  readonly #init: ParserRequest
  readonly #pending = new Map<number, Pending>()
  #worker: Worker | null = null
  #nextId = 0

  constructor(schema: TSchema, policySchemas: Record<string, TSchema>, env: NodeJS.ProcessEnv) {
    this.#init = { type: 'init', schema, policySchemas, env: { ...env } }
  }

  parse(file: string): Promise<ParsedConfig> {
    const worker = this.#start()
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new ConfigError('GW_ERR_CONFIG_UNREADABLE', [{ path: '', message: `parsing ${file} took longer than ${PARSE_TIMEOUT_MS} ms` }]))
      }, PARSE_TIMEOUT_MS)
      this.#pending.set(id, { resolve, reject, timer })
      worker.postMessage({ type: 'parse', id, file } satisfies ParserRequest)
    })
  }

  /** Starts the worker now, so the first reload does not pay for its start-up. */
  warm(): void {
    this.#start()
  }

  async close(): Promise<void> {
    const worker = this.#worker
    this.#worker = null
    if (worker !== null) await worker.terminate()
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker
    const worker = new Worker(workerSource(), { eval: true })
    worker.unref()
    worker.on('message', (response: ParserResponse) => {
      const pending = this.#pending.get(response.id)
      if (pending === undefined) return
      this.#pending.delete(response.id)
      clearTimeout(pending.timer)
      if ('ok' in response) pending.resolve(response.ok)
      else pending.reject(new ConfigError(response.error.code, response.error.problems))
    })
    const fail = (error: Error) => {
      if (this.#worker === worker) this.#worker = null
      for (const [id, pending] of this.#pending) {
        clearTimeout(pending.timer)
        pending.reject(new ConfigError('GW_ERR_CONFIG_UNREADABLE', [{ path: '', message: `the config parser failed: ${error.message}` }], { cause: error }))
        this.#pending.delete(id)
      }
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`parser worker exited (${code})`)))
    worker.postMessage(this.#init)
    this.#worker = worker
    return worker
  }
}
