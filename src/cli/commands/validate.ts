/** `portcullis validate -c FILE`: checks a config as `start` would, without starting anything. */
import { createConfigLoader } from '../../config/load-config.js'
import { builtinPolicies } from '../../policies/index.js'
import { buildRuntime, compileOnlyDeps } from '../../server/runtime.js'
import { EXIT_OK, reportError } from '../report-error.js'
import { pino } from 'pino'

export function validateCommand(file: string): number {
  try {
    const loaded = createConfigLoader(builtinPolicies).load(file)
    // Compiling catches what only policy set-up and the route table can see.
    const runtime = buildRuntime(loaded, compileOnlyDeps(builtinPolicies, pino({ level: 'silent' })), null)
    for (const upstream of runtime.upstreams.values()) void upstream.destroy()
    runtime.services.close()
    const routes = loaded.routes.reduce((n, r) => n + (r?.length ?? 1), 0)
    process.stdout.write(`${file}: valid (${loaded.config.apis.length} API(s), ${routes} route(s))\n`)
    return EXIT_OK
  } catch (error) {
    return reportError(error, file)
  }
}
