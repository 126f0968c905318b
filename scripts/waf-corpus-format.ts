/**
 * The request corpora the WAF is measured on (scripts/waf-attack-corpus.ts, scripts/waf-benign-corpus.ts,
 * read by scripts/waf-report.ts): one JSON object per line, each a request exactly as a client sends it.
 * A corpus directory holds `requests.jsonl` and, under `documents/`, the OpenAPI documents its
 * requests were built from (`<api>.json`), so the report can run schema-aware mode with them loaded.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export type AttackClass = 'sqli' | 'xss' | 'rce' | 'lfi' | 'rfi' | 'php' | 'java' | 'ssrf' | 'nosql' | 'ssti' | 'crlf'
export const ATTACK_CLASSES: readonly AttackClass[] = ['sqli', 'xss', 'rce', 'lfi', 'rfi', 'php', 'java', 'ssrf', 'nosql', 'ssti', 'crlf']

export type Placement = 'query' | 'json' | 'form' | 'form-name' | 'multipart' | 'header' | 'cookie' | 'path'
export const PLACEMENTS: readonly Placement[] = ['query', 'json', 'form', 'form-name', 'multipart', 'header', 'cookie', 'path']

export interface CorpusRequest {
  /** Unique within the corpus, stable for a seed. */
  id: string
  kind: 'attack' | 'benign'
  /** An attack's class; for benign traffic, its family (e.g. `openapi-example`, `multilingual`, `graphql`). */
  class: string
  /** Where the attack (or the text under test) sits in the request. */
  placement: Placement
  /**
   * Where the payload or text came from: `sqlmap:<file>`, `npm:<package>`, `debian:<package>/<file>`,
   * `generated:<family>`, `openapi:<document>`.
   */
  source: string
  /** The attack (or the text under test) as the application receives it, before the client's encoding; for reports. */
  payload?: string
  method: string
  /** The request target exactly as sent: path and query, percent-encoded as a client encodes them. */
  target: string
  headers: [string, string][]
  /** The body as sent (UTF-8), when there is one; its Content-Type is among `headers`. */
  body?: string
  /** The API (`documents/<api>.json`) and the operation the request was built for, when built from a document. */
  api?: string
  operationId?: string
  /** The mount point of that API in the gateway under test (its `basePath`); `target` starts with it. */
  basePath?: string
}

export function readCorpus(dir: string): CorpusRequest[] {
  return readFileSync(join(dir, 'requests.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusRequest)
}
