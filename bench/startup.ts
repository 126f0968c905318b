/**
 * Start-up time of the installed command: `portcullis --version` (the compiled build, as users
 * run it) against `node -e 0` on the same machine, interleaved runs, medians and their ratio.
 * The goal (issue 22): at most 4× `node -e 0`. Also `portcullis validate` on the quickstart
 * config, which loads the config code and every policy but starts nothing.
 * `--documents DIR`: instead, `portcullis start` with one API per OpenAPI document in DIR (each
 * with `openapi-validation` and the WAF's built-in profile, as the WAF report's schema contenders
 * run them), timed until its `gateway started` line, with its resident memory then.
 * Usage: node --import tsx bench/startup.ts [--runs 30] [--documents DIR]
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { stringify } from 'yaml'

const { values } = parseArgs({ options: { runs: { type: 'string' }, documents: { type: 'string' } } })
// Starting hundreds of APIs takes seconds: fewer runs by default.
const runs = Number(values.runs ?? (values.documents === undefined ? 30 : 3))
const root = join(import.meta.dirname, '..')
const bin = join(root, 'bin/portcullis.js')

const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
if (build.status !== 0) throw new Error('the build failed')

if (values.documents !== undefined) {
  await startWithDocuments(values.documents)
  process.exit(0)
}

/** Starts the gateway on a config of one API per document, `runs` times, and prints each time to its first line of service. */
async function startWithDocuments(documents: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-startup-'))
  const files = readdirSync(documents).filter((f) => /\.(?:json|ya?ml)$/.test(f)).sort()
  const log = join(dir, 'gateway.log')
  const config = join(dir, 'gateway.yaml')
  const apis = files.map((file, i) => ({ name: `api-${i}`, basePath: `/b${i}`, openapi: join(documents, file), upstream: { url: 'http://127.0.0.1:9' }, policies: { 'openapi-validation': {}, waf: {} } }))
  writeFileSync(config, stringify({ listen: { http: { port: 0, host: '127.0.0.1' } }, watch: false, log: { destination: log, access: false }, apis }))
  for (let i = 0; i < runs; i++) {
    writeFileSync(log, '')
    const started = performance.now()
    const child = spawn(process.execPath, [bin, 'start', '-c', config], { stdio: 'ignore' })
    const deadline = started + 600_000
    while (!readFileSync(log, 'utf8').includes('"gateway started"')) {
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`the gateway did not start (exit ${child.exitCode}); see ${log}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const ms = performance.now() - started
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    console.log(`portcullis start, ${files.length} APIs with openapi-validation and the WAF: ${(ms / 1000).toFixed(1)} s to its first line of service, ${rss === undefined ? '?' : Math.round(Number(rss) / 1024)} MB resident`)
  }
}

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
