/**
 * Start-up time of the installed command: `portcullis --version` (the compiled build, as users
 * run it) against `node -e 0` on the same machine, interleaved runs, medians and their ratio.
 * The goal (issue 22): at most 4× `node -e 0`. Also `portcullis validate` on the quickstart
 * config, which loads the config code and every policy but starts nothing.
 * Usage: node --import tsx bench/startup.ts [--runs 30]
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } })
const runs = Number(values.runs)
const root = join(import.meta.dirname, '..')
const bin = join(root, 'bin/portcullis.js')

const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
if (build.status !== 0) throw new Error('the build failed')

const contenders: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'portcullis --version': [bin, '--version'],
  'portcullis validate (quickstart)': [bin, 'validate', '-c', join(root, 'examples/quickstart.yaml')],
}
const times: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]))
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(contenders)) {
    const started = process.hrtime.bigint()
    const run = spawnSync(process.execPath, args, { env: { ...process.env, PORTCULLIS_ADMIN_TOKEN_SHA256: 'a'.repeat(64) }, stdio: 'ignore' })
    if (run.status !== 0) throw new Error(`${name} exited ${run.status}`)
    times[name]?.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[list.length >> 1] as number
const floor = median(times['node -e 0'] as number[])
for (const [name, list] of Object.entries(times)) {
  const m = median(list)
  console.log(`${name.padEnd(34)} median ${m.toFixed(1).padStart(7)} ms   ${(m / floor).toFixed(2)}× node -e 0`)
}
