/**
 * Runs the config parser on a worker thread: parsing YAML, validating the schema and reading
 * OpenAPI documents can take hundreds of milliseconds on large configs, which on the main
 * thread would stall every request in flight during a reload.
 */
import { Worker } from 'node:worker_threads'
import type { TSchema } from '@sinclair/typebox'
import { ConfigError, type ConfigProblem, type OperatorErrorCode } from '../errors.js'
import type { ParsedConfig } from './load-config.js'

export interface ParseRequest {
  file: string
  schema: TSchema
  policySchemas: Record<string, TSchema>
  env: Record<string, string | undefined>
}

export type ParseResponse = { ok: ParsedConfig } | { error: { code: OperatorErrorCode; problems: ConfigProblem[] } }

const WORKER_TIMEOUT_MS = 60_000

/** The worker's entry: registers the TypeScript loader this process runs with, then the parser module. */
function workerSource(): string {
  const loader = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./config-worker.ts', import.meta.url).href
  return `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`
}

export function parseInWorker(file: string, schema: TSchema, policySchemas: Record<string, TSchema>, env: NodeJS.ProcessEnv): Promise<ParsedConfig> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource(), { eval: true })
    const timer = setTimeout(() => {
      void worker.terminate()
      reject(new ConfigError('GW_ERR_CONFIG_UNREADABLE', [{ path: '', message: `parsing ${file} took longer than ${WORKER_TIMEOUT_MS} ms` }]))
    }, WORKER_TIMEOUT_MS)
    const done = () => {
      clearTimeout(timer)
      void worker.terminate()
    }
    worker.once('message', (response: ParseResponse) => {
      done()
      if ('ok' in response) resolve(response.ok)
      else reject(new ConfigError(response.error.code, response.error.problems))
    })
    worker.once('error', (error) => {
      done()
      reject(new ConfigError('GW_ERR_CONFIG_UNREADABLE', [{ path: '', message: `the config parser failed: ${error.message}` }], { cause: error }))
    })
    worker.postMessage({ file, schema, policySchemas, env: { ...env } } satisfies ParseRequest)
  })
}
