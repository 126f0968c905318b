/**
 * What each WAF stops, side by side, on request corpora in the format of scripts/waf-corpus-format.ts
 * (the attack corpus of scripts/waf-attack-corpus.ts, the benign one of scripts/waf-benign-corpus.ts):
 * every request sent over a socket, a few at a time, through each contender in turn, all in front
 * of one upstream on 127.0.0.1 that answers 200:
 * - `portcullis-crs`: the gateway (`bin/portcullis.js start`) with `waf: { ruleSet: <CRS> }` and the
 *   policy's defaults as they are when it runs (paranoia, threshold, API exclusions…);
 * - `portcullis-builtin`: `waf: {}`, the built-in profile;
 * - `portcullis-builtin-schema`, `portcullis-crs-schema`: the same with each corpus document loaded as
 *   an API at its `basePath` with `openapi-validation` (requests built from no document go to an API at `/`);
 * - `apache-modsecurity`: Apache 2.4 + ModSecurity v2 loading the same CRS with the same settings
 *   (bench/support/apache-modsecurity.ts).
 * A 403 is a block; another 4xx a refusal (a 400 from validation refuses an attack too: both
 * "403" and "403 or 400" are shown); 2xx passed; 5xx or no answer an error. Prints block rates by
 * class, placement and source, the disagreements between Apache and Portcullis with CRS, and the
 * rules behind benign blocks (from the gateway's log and Apache's error log); `--json` keeps every
 * outcome, `--compare` reads such a file and shows what changed. Every process it starts is stopped,
 * on errors and Ctrl-C too. The gateway runs from dist/: rebuilt first when src/ is newer.
 * Usage: node --import tsx scripts/waf-report.ts [CORPUS_DIR…] [--contenders a,b] [--crs DIR] [--paranoia N]
 *        [--limit N] [--concurrency 8] [--show 15] [--json FILE] [--compare FILE] [--no-build] [--repo CHECKOUT]
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, chmodSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { Value } from '@sinclair/typebox/value'
import type { TSchema } from '@sinclair/typebox'
import { Pool } from 'undici'
import { stringify } from 'yaml'
import { freePort, startPinned, waitForHttp, type Started } from '../bench/harness.js'
import { apacheErrorLog, modSecurityRulesByRequest, startApacheModSecurity } from '../bench/support/apache-modsecurity.js'
import { printComparison, printCorpusReport, type ContenderName, type CorpusResults, type Outcome } from './waf-report-format.js'
import { readCorpus, type CorpusRequest } from './waf-corpus-format.js'

const CONTENDERS: readonly ContenderName[] = ['portcullis-crs', 'portcullis-builtin', 'portcullis-crs-schema', 'portcullis-builtin-schema', 'apache-modsecurity']
const REPO = resolve(import.meta.dirname, '..')

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    contenders: { type: 'string', default: CONTENDERS.join(',') },
    crs: { type: 'string', default: process.env.PORTCULLIS_CRS_DIR ?? resolve(REPO, '../shared/crs/v4.28.0') },
    paranoia: { type: 'string' },
    limit: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '8' },
    show: { type: 'string', default: '15' },
    json: { type: 'string' },
    compare: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    repo: { type: 'string', default: resolve(import.meta.dirname, '..') },
  },
})
/** The checkout whose gateway runs (another worktree measures another change). */
const GATEWAY = resolve(values.repo)

const contenders = values.contenders.split(',').map((c) => c.trim()).filter((c) => c !== '') as ContenderName[]
for (const c of contenders) if (!CONTENDERS.includes(c)) throw new Error(`unknown contender ${c} (known: ${CONTENDERS.join(', ')})`)
const crsDir = resolve(values.crs)
const corpusDirs = positionals.length > 0 ? positionals : ['attacks', 'benign'].map((d) => join(tmpdir(), 'portcullis-waf-corpus', d)).filter((d) => existsSync(join(d, 'requests.jsonl')))
if (corpusDirs.length === 0) throw new Error('no corpus: name a directory, or generate one with scripts/waf-attack-corpus.ts')
const ALL_CORES = `0-${availableParallelism() - 1}`

// Everything started, stopped however the run ends.
const running = new Set<Started>()
let upstream: Server | null = null
let work: string | null = null
let interrupted = false
async function cleanUp(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()))
  running.clear()
  upstream?.close()
  upstream?.closeAllConnections()
  if (work !== null) rmSync(work, { recursive: true, force: true })
  work = null
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    interrupted = true
    process.stderr.write(`\n${signal}: stopping what was started…\n`)
    void cleanUp().finally(() => process.exit(code))
  })
}

interface WafSettings {
  paranoia: number
  anomalyThreshold: number
  allowedMethods: string[]
  allowedContentTypes: string[]
}

/**
 * The `waf` policy's defaults and its CRS settings SecLang, from the build of the checkout under
 * test: Apache gets exactly what that gateway loads, whatever this checkout's sources say.
 */
async function gatewaySettings(): Promise<{ defaults: WafSettings; crsSettings: (settings: WafSettings) => string; validateCommand: (file: string) => number }> {
  const dist = join(GATEWAY, 'dist', 'src', 'policies', 'waf')
  const { WafConfig } = (await import(pathToFileURL(join(dist, 'schema.js')).href)) as { WafConfig: TSchema }
  const { crsSettings } = (await import(pathToFileURL(join(dist, 'index.js')).href)) as { crsSettings: (settings: WafSettings) => string }
  const validate = (await import(pathToFileURL(join(GATEWAY, 'dist', 'src', 'cli', 'commands', 'validate.js')).href)) as { validateCommand: (file: string) => number }
  return { defaults: Value.Default(WafConfig, {}) as WafSettings, crsSettings, validateCommand: validate.validateCommand }
}

/** dist/ is what `bin/portcullis.js` runs: rebuilt when a source file is newer. */
function ensureBuilt(): void {
  const stamp = join(GATEWAY, 'dist', '.tsbuildinfo')
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return Math.max(max, newest(path))
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? Math.max(max, statSync(path).mtimeMs) : max
    }, 0)
  if (newest(join(GATEWAY, 'src')) <= built) return
  process.stderr.write('src/ is newer than dist/: building (npm run build)…\n')
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: GATEWAY, stdio: 'inherit' })
  } catch (error) {
    throw new Error('the build failed (a change in progress?); fix it, or run with --no-build to measure what dist/ holds', { cause: error })
  }
}

function sample(requests: CorpusRequest[], limit: number): CorpusRequest[] {
  if (limit <= 0 || limit >= requests.length) return requests
  // Evenly spaced, so a corpus written in order keeps its proportions.
  return Array.from({ length: limit }, (_, i) => requests[Math.floor((i * requests.length) / limit)] as CorpusRequest)
}

/** Hop-by-hop fields a client library sets itself; the length is computed from the body. */
const DROPPED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length', 'te', 'trailer', 'proxy-connection'])

interface Sent {
  status: number
  /** The gateway's x-request-id or Apache's x-unique-id: how its log names the request. */
  key: string | null
  error?: string
}

async function sendAll(port: number, requests: readonly CorpusRequest[], concurrency: number): Promise<Sent[]> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, headersTimeout: 60_000, bodyTimeout: 60_000 })
  const results = new Array<Sent>(requests.length)
  let next = 0
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let index = next++; index < requests.length && !interrupted; index = next++) {
          const request = requests[index] as CorpusRequest
          const headers = request.headers.filter(([name]) => !DROPPED.has(name.toLowerCase()))
          if (!headers.some(([name]) => name.toLowerCase() === 'host')) headers.unshift(['host', 'api.example.com'])
          try {
            const response = await pool.request({ method: request.method, path: request.target, headers: headers.flat(), ...(request.body === undefined ? {} : { body: request.body }) })
            await response.body.text()
            const key = response.headers['x-unique-id'] ?? response.headers['x-request-id']
            results[index] = { status: response.statusCode, key: typeof key === 'string' ? key : null }
          } catch (error) {
            results[index] = { status: 0, key: null, error: (error as Error).message }
          }
        }
      }),
    )
  } finally {
    await pool.close()
  }
  return results
}

/** The rules the gateway logged for each blocked request, by request id, with their messages. */
function gatewayRules(logFile: string, messages: Map<number, string>): Map<string, number[]> {
  const out = new Map<string, number[]>()
  if (!existsSync(logFile)) return out
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('blocked by the WAF')) continue
    const entry = JSON.parse(line) as { requestId?: string; rules?: { id: number; msg: string | null }[] }
    if (entry.requestId === undefined) continue
    out.set(entry.requestId, (entry.rules ?? []).map((r) => r.id))
    for (const rule of entry.rules ?? []) if (rule.msg !== null && !messages.has(rule.id)) messages.set(rule.id, rule.msg)
  }
  return out
}

/** Polls until the contender answers 200 (the probe passes every WAF); fails at once if it exits. Hundreds of documents take minutes to compile on a busy machine. */
async function waitUntilUp(started: Started, port: number): Promise<void> {
  const begun = Date.now()
  let told = begun
  while (Date.now() - begun < 900_000) {
    if (started.child.exitCode !== null) throw new Error(`${started.name} exited (${started.child.exitCode}) before it answered; see its message above`)
    try {
      await waitForHttp(`http://127.0.0.1:${port}/waf-report-probe`, 2_000)
      return
    } catch {
      if (Date.now() - told > 30_000) {
        told = Date.now()
        process.stderr.write(`${started.name}: still starting after ${Math.round((told - begun) / 1000)} s…\n`)
      }
    }
  }
  throw new Error(`${started.name} did not answer within 15 minutes`)
}

interface Corpus {
  dir: string
  requests: CorpusRequest[]
  /** `api` → `basePath` of its requests, each with its document under `documents/`. */
  apis: Map<string, string>
}

function readCorpusDir(dir: string): Corpus {
  const requests = sample(readCorpus(dir), Number(values.limit))
  const apis = new Map<string, string>()
  for (const r of requests) {
    if (r.api === undefined || r.basePath === undefined) continue
    const known = apis.get(r.api)
    if (known !== undefined && known !== r.basePath) throw new Error(`${dir}: API ${r.api} has two base paths (${known}, ${r.basePath})`)
    if (!existsSync(join(dir, 'documents', `${r.api}.json`))) throw new Error(`${dir}: no documents/${r.api}.json for request ${r.id}`)
    apis.set(r.api, r.basePath)
  }
  return { dir, requests, apis }
}

/** Corpora one gateway can serve at once: their APIs agree on base paths, and no request without an API falls under one. */
interface Batch {
  corpora: Corpus[]
  apis: Map<string, { basePath: string; document: string }>
}

function under(target: string, basePath: string): boolean {
  return target === basePath || target.startsWith(`${basePath}/`) || target.startsWith(`${basePath}?`)
}

function fits(batch: Batch, corpus: Corpus): boolean {
  const paths = new Map([...batch.apis].map(([api, { basePath }]) => [basePath, api]))
  for (const [api, basePath] of corpus.apis) {
    if ((batch.apis.get(api)?.basePath ?? basePath) !== basePath || (paths.get(basePath) ?? api) !== api) return false
  }
  const loose = (c: Corpus, bases: Iterable<string>) => c.requests.some((r) => r.api === undefined && [...bases].some((b) => under(r.target, b)))
  return !loose(corpus, paths.keys()) && !batch.corpora.some((c) => loose(c, corpus.apis.values()))
}

/** Without documents every corpus goes through one gateway; with them, as few as agree. */
function batchesOf(corpora: readonly Corpus[], schema: boolean): Batch[] {
  if (!schema) return [{ corpora: [...corpora], apis: new Map() }]
  const batches: Batch[] = []
  for (const corpus of corpora) {
    let batch = batches.find((b) => fits(b, corpus))
    if (batch === undefined) {
      batch = { corpora: [], apis: new Map() }
      batches.push(batch)
    }
    batch.corpora.push(corpus)
    for (const [api, basePath] of corpus.apis) if (!batch.apis.has(api)) batch.apis.set(api, { basePath, document: join(resolve(corpus.dir), 'documents', `${api}.json`) })
  }
  return batches
}

/** The gateway's settings, read from the checkout under test when the run starts. */
let defaults: WafSettings
let paranoia: number
let crsSettingsText: (settings: WafSettings) => string

/** Documents the gateway under test refuses (a route declared twice, a fragment in a template…), with why; checked once a run. */
const refusals = new Map<string, string | null>()
let validateCommand: (file: string) => number

function refusal(document: string, basePath: string): string | null {
  const known = refusals.get(document)
  if (known !== undefined) return known
  const file = join(work as string, 'validate.yaml')
  const api = { name: 'candidate', basePath, openapi: document, upstream: { url: 'http://127.0.0.1:9' }, policies: { 'openapi-validation': {}, waf: {} } }
  writeFileSync(file, stringify({ listen: { http: { port: 1, host: '127.0.0.1' } }, watch: false, apis: [api] }))
  // `portcullis validate` in process: its verdict, not its output.
  const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) }
  let said = ''
  process.stdout.write = () => true
  process.stderr.write = (chunk: string | Uint8Array) => ((said += String(chunk)), true)
  let verdict: string | null
  try {
    verdict = validateCommand(file) === 0 ? null : said.split('\n').slice(1).join(' ').replace(/\s+/g, ' ').trim().slice(0, 200)
  } finally {
    process.stdout.write = writes.out
    process.stderr.write = writes.err
  }
  refusals.set(document, verdict)
  return verdict
}

/** Starts a contender on `port`: the process, and how to read the rules it logged per request once it stopped. */
async function startContender(name: ContenderName, batch: Batch, slug: string, port: number, upstreamPort: number, messages: Map<number, string>): Promise<{ process: Started; rulesOf: () => Map<string, number[]> }> {
  const folder = work as string
  if (name === 'apache-modsecurity') {
    const settings = { paranoia, anomalyThreshold: defaults.anomalyThreshold, allowedMethods: defaults.allowedMethods, allowedContentTypes: defaults.allowedContentTypes }
    const started = startApacheModSecurity({ dir: folder, name: slug, port, upstreamPort, crs: crsDir, settings, settingsText: crsSettingsText(settings), core: ALL_CORES, tagResponses: true })
    running.add(started)
    await waitUntilUp(started, port)
    return { process: started, rulesOf: () => modSecurityRulesByRequest(apacheErrorLog({ dir: folder, name: slug })) }
  }
  const upstream = { url: `http://127.0.0.1:${upstreamPort}` }
  const waf = name.startsWith('portcullis-crs') ? { ruleSet: crsDir, ...(values.paranoia === undefined ? {} : { paranoia }) } : {}
  // A corpus names an API after its document; the gateway's names are stricter (`[a-z0-9][a-z0-9._-]*`).
  const apiName = (api: string, n: number) => `${n}-${api.toLowerCase().replace(/[^a-z0-9._-]+/g, '-')}`.slice(0, 100)
  // Every document first; only when the gateway refuses its config is each one checked, and those it refuses left out.
  let documents = [...batch.apis].map(([api, { basePath, document }], n) => ({ api, name: apiName(api, n + 1), basePath, document }))
  const logFile = join(folder, `${slug}.log`)
  const config = join(folder, `${slug}.yaml`)
  for (let attempt = 0; ; attempt++) {
    const apis: Record<string, unknown>[] = documents.map((d) => ({ name: d.name, basePath: d.basePath, openapi: d.document, upstream, policies: { 'openapi-validation': {}, waf } }))
    apis.push({ name: 'catch-all', basePath: '/', upstream, policies: { waf } })
    writeFileSync(config, stringify({ listen: { http: { port, host: '127.0.0.1' } }, watch: false, log: { destination: logFile, access: false }, apis }, { aliasDuplicateObjects: false }))
    const started = startPinned(slug, ALL_CORES, join(GATEWAY, 'bin/portcullis.js'), ['start', '-c', config])
    running.add(started)
    try {
      await waitUntilUp(started, port)
      return { process: started, rulesOf: () => gatewayRules(logFile, messages) }
    } catch (error) {
      running.delete(started)
      await started.stop()
      if (started.child.exitCode !== 2 || attempt > 0) throw error
      process.stderr.write(`checking the ${documents.length} documents one by one…\n`)
      documents = documents.filter((d) => refusal(d.document, d.basePath) === null)
      const refused = [...batch.apis].filter(([, { document }]) => refusals.get(document) !== null)
      const affected = batch.corpora.flatMap((c) => c.requests).filter((r) => refused.some(([api]) => api === r.api)).length
      process.stderr.write(`WARNING: the gateway refuses ${refused.length} document(s) of ${batch.corpora.map((c) => c.dir).join(' + ')}; their ${affected} requests go to the API at / without a document:\n${refused.map(([api, { document }]) => `  ${api}: ${refusals.get(document) ?? ''}`).join('\n')}\n`)
    }
  }
}

/** Starts the contender for a batch, sends its corpora's requests, stops it; the outcomes per corpus. */
async function runContender(name: ContenderName, batch: Batch, slug: string, upstreamPort: number, messages: Map<number, string>): Promise<Outcome[][]> {
  const port = await freePort()
  const requests = batch.corpora.flatMap((c) => c.requests)
  const started = performance.now()
  const contender = await startContender(name, batch, slug, port, upstreamPort, messages)
  let sent: Sent[]
  try {
    sent = await sendAll(port, requests, Number(values.concurrency))
  } finally {
    await contender.process.stop()
    running.delete(contender.process)
  }
  const rules = contender.rulesOf()
  const outcomes = sent.map((s): Outcome => ({ status: s.status, ...(s.key !== null && rules.has(s.key) ? { rules: rules.get(s.key) } : {}), ...(s.error === undefined ? {} : { error: s.error }) }))
  const count = (test: (status: number) => boolean) => sent.filter((s) => test(s.status)).length
  process.stderr.write(`${name} on ${batch.corpora.map((c) => c.dir).join(' + ')}: ${requests.length} requests in ${((performance.now() - started) / 1000).toFixed(1)} s — 403 ${count((s) => s === 403)}, other 4xx ${count((s) => s >= 400 && s < 500 && s !== 403)}, passed ${count((s) => s > 0 && s < 400)}, errors ${count((s) => s === 0 || s >= 500)}\n`)
  let offset = 0
  return batch.corpora.map((c) => outcomes.slice(offset, (offset += c.requests.length)))
}

async function main(): Promise<void> {
  if (!values['no-build']) ensureBuilt()
  const gateway = await gatewaySettings()
  defaults = gateway.defaults
  crsSettingsText = gateway.crsSettings
  validateCommand = gateway.validateCommand
  paranoia = values.paranoia === undefined ? defaults.paranoia : Number(values.paranoia)
  work = mkdtempSync(join(tmpdir(), 'portcullis-waf-report-'))
  // Apache drops to its unprivileged user; it must write its logs and temporary files here.
  chmodSync(work, 0o777)
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'))
  })
  upstream = server
  const upstreamPort = await freePort()
  await new Promise<void>((done) => server.listen(upstreamPort, '127.0.0.1', done))
  const crsRelease = /SecComponentSignature\s+"OWASP_CRS\/([\d.]+)"/.exec(readdirSync(join(crsDir, 'rules')).filter((f) => f.endsWith('.conf')).map((f) => readFileSync(join(crsDir, 'rules', f), 'utf8')).join('\n'))?.[1] ?? 'unknown'
  const header = { crs: crsDir, crsRelease, paranoia, anomalyThreshold: defaults.anomalyThreshold, contenders }
  process.stdout.write(`WAF report: CRS ${crsRelease} (${crsDir}), paranoia ${paranoia}, threshold ${defaults.anomalyThreshold} (the waf policy's defaults unless --paranoia); contenders ${contenders.join(', ')}\n`)
  const messages = new Map<number, string>()
  const read = corpusDirs.map(readCorpusDir)
  const corpora: CorpusResults[] = read.map((c) => ({ dir: c.dir, requests: c.requests, results: new Map() }))
  for (const name of contenders) {
    const batches = batchesOf(read, name.endsWith('-schema'))
    for (const [b, batch] of batches.entries()) {
      const outcomes = await runContender(name, batch, `${name}-${b}`, upstreamPort, messages)
      if (interrupted) return
      for (const [i, corpus] of batch.corpora.entries()) corpora[read.indexOf(corpus)]?.results.set(name, outcomes[i] ?? [])
    }
  }
  for (const corpus of corpora) printCorpusReport(corpus, contenders, messages, Number(values.show))
  if (values.compare !== undefined) printComparison(values.compare, corpora)
  if (values.json !== undefined) {
    const json = {
      ...header,
      date: new Date().toISOString(),
      corpora: corpora.map((c) => ({
        dir: c.dir,
        requests: c.requests.map((r, i) => ({ id: r.id, kind: r.kind, class: r.class, placement: r.placement, source: r.source, outcomes: Object.fromEntries(contenders.map((name) => [name, c.results.get(name)?.[i]])) })),
      })),
      ruleMessages: Object.fromEntries(messages),
    }
    writeFileSync(values.json, `${JSON.stringify(json)}\n`)
    process.stderr.write(`results written to ${values.json}\n`)
  }
}

try {
  await main()
} finally {
  await cleanUp()
}
