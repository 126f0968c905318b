/**
 * `portcullis scan` throughput: the whole scan (every check, rate unlimited, --destructive)
 * against the notes API of the tests (test/fixtures/scan), the target alone on core 1 and the
 * scanner on core 0. Prints requests, seconds and requests per second per run, against the fixed
 * API (fast answers, no deliberate delays) and the vulnerable one (whose simulated shell and SQL
 * `SLEEP()` each sleep 3 s twice for the time-based proofs; the rate is reported without those 12 s).
 * Usage: node --import tsx bench/scan.ts [--runs 3]
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { readSpecSource } from '../src/audit/spec-source.js'
import { parseIdentity } from '../src/scan/identities.js'
import { scanTarget } from '../src/scan/scanner.js'
import { startNotesApi } from '../test/fixtures/scan/notes-api.js'

const SPEC = join(import.meta.dirname, '../test/fixtures/scan/notes-api.yaml')
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, serve: { type: 'string' } } })

if (values.serve !== undefined) {
  // The target process: the notes API, its URL and tokens on stdout, until stdin closes.
  const api = await startNotesApi({ fixed: values.serve === 'fixed' })
  process.stdout.write(`${JSON.stringify({ url: api.url, tokens: api.tokens })}\n`)
  process.stdin.resume()
  process.stdin.on('end', () => void api.close().then(() => process.exit(0)))
} else {
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0
  for (const mode of ['fixed', 'vulnerable'] as const) {
    const rates: number[] = []
    for (let run = 0; run < Number(values.runs); run++) {
      const child = spawn('taskset', ['-c', '1', process.execPath, '--import', 'tsx', import.meta.filename, '--serve', mode], { stdio: ['pipe', 'pipe', 'inherit'] })
      const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve))
      const target = JSON.parse(line) as { url: string; tokens: { alice: string; bob: string } }
      const result = await scanTarget({
        source: readSpecSource(SPEC, readFileSync(SPEC, 'utf8')),
        target: new URL(`${target.url}/api/v1`),
        identities: [parseIdentity(`alice=${target.tokens.alice}`), parseIdentity(`bob=${target.tokens.bob}`)],
        budget: 100_000,
        rate: 0,
        timeoutMs: 10_000,
        allowDestructive: true,
      })
      child.stdin.end()
      const sleeping = mode === 'vulnerable' ? 12 : 0
      const perSecond = result.requests / (result.seconds - sleeping)
      rates.push(perSecond)
      process.stdout.write(`${mode} run ${String(run + 1)}: ${String(result.requests)} requests in ${result.seconds.toFixed(2)} s${sleeping > 0 ? ` (${String(sleeping)} s of them the target's deliberate sleeps)` : ''}: ${perSecond.toFixed(0)} requests/s, ${String(result.report.findings.length)} findings\n`)
    }
    process.stdout.write(`${mode}: median ${median(rates).toFixed(0)} requests/s\n`)
  }
}
