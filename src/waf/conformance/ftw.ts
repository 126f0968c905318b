/**
 * Replays go-ftw YAML regression tests (the CRS suite's format) through the engine in process:
 * each stage's input becomes a request — its method, URI, version, headers and data, or a
 * base64 `encoded_request` read as raw HTTP — run through the request phases; the stage passes
 * when the matched rule ids include every `expect_ids` and none of the `no_expect_ids`. Tests an
 * engine cannot honour for a reason outside it are listed in an overrides file with the reason.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { load as loadYaml } from 'js-yaml'
import { WafTransaction, type TransactionOptions } from '../engine.js'
import type { RuleSet } from '../rule-set.js'
import type { WafRequest } from '../request-variables.js'

export interface FtwInput {
  method?: string
  uri?: string
  version?: string
  headers?: Record<string, string | number>
  data?: string
  encoded_request?: string
  autocomplete_headers?: boolean
}

export interface FtwStage {
  input: FtwInput
  output: { log?: { expect_ids?: number[]; no_expect_ids?: number[] }; status?: number | number[]; [key: string]: unknown }
}

export interface FtwTest {
  /** `920100-4`: rule id and test id, as go-ftw names them. */
  readonly name: string
  readonly stages: readonly FtwStage[]
}

export interface FtwOverride {
  readonly name: string
  readonly reason: string
}

export interface FtwOutcome {
  readonly name: string
  readonly passed: boolean
  /** Why it failed: the ids missing or unexpectedly present. */
  readonly detail: string
}

/** Every test in the `*.yaml` files under `dir`, in path order. */
export function readFtwTests(dir: string): FtwTest[] {
  const tests: FtwTest[] = []
  for (const file of yamlFiles(dir)) {
    const document = loadYaml(readFileSync(file, 'utf8')) as { rule_id?: number; tests?: { test_id: number; stages: FtwStage[] }[] }
    for (const test of document.tests ?? []) tests.push({ name: `${document.rule_id ?? '?'}-${test.test_id}`, stages: test.stages })
  }
  return tests
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? yamlFiles(path) : name.endsWith('.yaml') ? [path] : []
    })
}

/** Runs one test: every stage must pass. */
export function runFtwTest(ruleSet: RuleSet, test: FtwTest): FtwOutcome {
  for (const stage of test.stages) {
    const log = stage.output.log
    if (log === undefined) return { name: test.name, passed: false, detail: 'checks only the server’s status or log text, not rule ids' }
    const matched = new Set(runFtwStage(ruleSet, stage).matchedIds())
    const missing = (log.expect_ids ?? []).filter((id) => !matched.has(id))
    const unexpected = (log.no_expect_ids ?? []).filter((id) => matched.has(id))
    if (missing.length > 0 || unexpected.length > 0) {
      return { name: test.name, passed: false, detail: [missing.length > 0 ? `missing ${missing.join(',')}` : '', unexpected.length > 0 ? `unexpected ${unexpected.join(',')}` : ''].filter(Boolean).join('; ') }
    }
  }
  return { name: test.name, passed: true, detail: '' }
}

/** One stage's request (and the backend's answer) through every phase of a transaction. */
export function runFtwStage(ruleSet: RuleSet, stage: FtwStage, options: TransactionOptions = {}): WafTransaction {
  const { request, body } = stage.input.encoded_request !== undefined ? decodeRawRequest(stage.input.encoded_request) : buildRequest(stage.input)
  const transaction = new WafTransaction(ruleSet, request, options)
  transaction.processRequestHeaders()
  transaction.processRequestBody(body)
  const response = backendResponse(request, body)
  transaction.processResponseHeaders({ status: response.status, protocol: 'HTTP/1.1', headers: response.headers })
  transaction.processResponseBody(response.body)
  transaction.processLogging()
  return transaction
}

/**
 * What the suite's backend answers (albedo, which go-ftw's CRS setup runs): `/reflect` answers
 * with the status, headers and body its JSON request describes; anything else a plain 200.
 */
function backendResponse(request: WafRequest, body: Buffer | null): { status: number; headers: [string, string][]; body: Buffer | null } {
  const plain = { status: 200, headers: [['Content-Type', 'text/plain']] as [string, string][], body: null }
  if (!request.uri.startsWith('/reflect') || body === null) return plain
  let spec: { status?: number; headers?: Record<string, string>; body?: string; encodedBody?: string }
  try {
    spec = JSON.parse(body.toString('utf8')) as typeof spec
  } catch {
    return plain
  }
  const headers: [string, string][] = Object.entries(spec.headers ?? { 'Content-Type': 'text/html' }).map(([n, v]) => [n, v])
  const content = spec.encodedBody !== undefined ? Buffer.from(spec.encodedBody, 'base64') : Buffer.from(spec.body ?? '', 'utf8')
  return { status: spec.status ?? 200, headers, body: content }
}

function buildRequest(input: FtwInput): { request: WafRequest; body: Buffer | null } {
  const headers: [string, string][] = Object.entries(input.headers ?? {}).map(([name, value]) => [name, String(value)])
  const body = input.data === undefined ? null : Buffer.from(input.data, 'utf8')
  // go-ftw completes the headers a client would send unless told not to.
  const has = (header: string) => headers.some(([name]) => name.toLowerCase() === header)
  if (input.autocomplete_headers !== false && body !== null) {
    if (!has('content-length')) headers.push(['Content-Length', String(body.length)])
    if (!has('content-type')) headers.push(['Content-Type', 'application/x-www-form-urlencoded'])
  }
  const version = input.version === undefined ? 'HTTP/1.1' : input.version
  const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1')
  // A server reads a body only when a Content-Length or Transfer-Encoding announces one.
  const announced = has('content-length') || has('transfer-encoding')
  return {
    request: { method: input.method ?? 'GET', uri: bytes(input.uri ?? '/'), protocol: version, headers: headers.map(([n, v]) => [n, bytes(v)]), remoteAddress: '127.0.0.1' },
    body: announced ? body : null,
  }
}

/** The bytes a client sends for a stage's input: its `encoded_request`, or the request it describes, completed as go-ftw completes it. */
export function stageBytes(input: FtwInput): Buffer {
  if (input.encoded_request !== undefined) return Buffer.from(input.encoded_request, 'base64')
  const { request, body } = buildRequest(input)
  const head = [`${request.method} ${request.uri} ${request.protocol}`, ...request.headers.map(([name, value]) => `${name}: ${value}`)].join('\r\n')
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)])
}

/** A raw HTTP/1.x request: request line, headers, blank line, body. */
function decodeRawRequest(encoded: string): { request: WafRequest; body: Buffer | null } {
  const raw = Buffer.from(encoded, 'base64')
  const headerEnd = raw.indexOf('\r\n\r\n')
  const head = raw.subarray(0, headerEnd === -1 ? raw.length : headerEnd).toString('latin1').split('\r\n')
  const [method = 'GET', uri = '/', protocol = 'HTTP/1.1'] = (head[0] ?? '').split(' ')
  const headers = head.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon), line.slice(colon + 1).trim()]
  })
  const body = headerEnd === -1 ? null : raw.subarray(headerEnd + 4)
  return { request: { method, uri, protocol, headers, remoteAddress: '127.0.0.1' }, body }
}

/** The overrides file: a YAML list of `{ test: '920100-4', reason: … }`. */
export function readFtwOverrides(file: string): FtwOverride[] {
  const entries = loadYaml(readFileSync(file, 'utf8')) as { test: string; reason: string }[] | null
  return (entries ?? []).map((e) => ({ name: e.test, reason: e.reason }))
}
