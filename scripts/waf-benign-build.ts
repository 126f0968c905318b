/**
 * Collects the benign corpus into the shared format (scripts/waf-corpus-format.ts): each API's
 * document under `documents/<api>.json`, mounted at `/b<N>` (a document the gateway could not
 * mount — routes it refuses, validators that do not compile — is left out), and each request
 * routed by the gateway's router to its operation and checked with the validators the
 * `openapi-validation` policy uses (a request its own API would refuse is not benign traffic:
 * it is dropped and counted), then numbered.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { listOperations } from '../src/openapi/list-operations.js'
import { compileOperationValidators, type OperationValidator } from '../src/openapi/operation-validators.js'
import { createRouter, type Router } from '../src/router/router.js'
import type { CorpusRequest, Placement } from './waf-corpus-format.js'

/** A request as a family builds it: against an operation of an API the builder knows, or none. */
export interface DraftRequest {
  class: string
  placement: Placement
  source: string
  method: string
  /** The API and the operation's path template; `target` is then `basePath` + template filled with `params`. */
  api?: string
  template?: string
  operationId?: string
  /** Path parameters (decoded); percent-encoded into the template with `encodeURIComponent` unless `rawParams`. */
  params?: Record<string, string>
  /** Path parameters already encoded as the client sends them. */
  rawParams?: Record<string, string>
  /** Target without an API (e.g. `/search`), when `api` is absent. */
  path?: string
  /** The query string without `?`, as the client encodes it. */
  query?: string
  headers: [string, string][]
  body?: string
  /** The text under test as the application receives it (before the client's encoding), for reports. */
  payload?: string
}

interface Api {
  basePath: string
  validators: Map<string, OperationValidator>
  /** The gateway's route table for this API alone: values are `METHOD template`. */
  router: Router<string>
}

const VALIDATION = { strictBodies: false, rejectUndeclaredQuery: false, limits: { depth: 32, keys: 1000, arrayLength: 10000, stringLength: 1000000 }, maxViolations: 20, responses: false }

export class CorpusBuilder {
  readonly requests: CorpusRequest[] = []
  /** Requests dropped because their API would refuse them, by family, with a few reasons. */
  readonly dropped = new Map<string, { count: number; reasons: string[] }>()
  readonly #dir: string
  readonly #apis = new Map<string, Api>()
  #mounted = 0

  constructor(dir: string) {
    this.#dir = dir
    mkdirSync(join(dir, 'documents'), { recursive: true })
  }

  /** Writes the API's document (a file to copy or a document object) and compiles its validators; throws when they cannot compile. */
  addApi(name: string, document: string | object): string {
    const existing = this.#apis.get(name)
    if (existing !== undefined) return existing.basePath
    const file = join(this.#dir, 'documents', `${name}.json`)
    if (typeof document === 'string') copyFileSync(document, file)
    else writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`)
    const basePath = `/b${this.#mounted + 1}`
    let validators: Map<string, OperationValidator>
    let router: Router<string>
    try {
      validators = compileOperationValidators(file, VALIDATION)
      const routes = listOperations(file).map((operation) => ({ method: operation.method, template: operation.template, value: `${operation.method} ${operation.template}` }))
      router = createRouter([{ name, hosts: [], basePath, routes, catchAll: null }])
    } catch (error) {
      rmSync(file, { force: true })
      throw error
    }
    this.#mounted++
    const api = { basePath, validators, router }
    this.#apis.set(name, api)
    return api.basePath
  }

  /** Removes an API no request was built for (its document is not needed). */
  dropApi(name: string): void {
    if (this.requests.some((request) => request.api === name)) return
    this.#apis.delete(name)
    rmSync(join(this.#dir, 'documents', `${name}.json`), { force: true })
  }

  /** Why the request's API would refuse it (none: it would pass `openapi-validation`). */
  violations(draft: DraftRequest): string[] {
    return draft.api === undefined ? [] : this.#violations({ ...draft, headers: oneCookieHeader(draft.headers) })
  }

  /** Counts a request its API would refuse, with the first few reasons per family. */
  reject(draft: DraftRequest, violations: readonly string[]): void {
    const entry = this.dropped.get(draft.class) ?? { count: 0, reasons: [] }
    entry.count++
    if (entry.reasons.length < 5) entry.reasons.push(`${draft.api ?? ''} ${draft.method} ${draft.template ?? ''}: ${violations.join('; ').slice(0, 240)}`)
    this.dropped.set(draft.class, entry)
  }

  /** Adds the request if its API accepts it; returns whether it did. */
  add(candidate: DraftRequest, checked = false): boolean {
    const draft = { ...candidate, headers: oneCookieHeader(candidate.headers) }
    const target = this.#target(draft)
    const violations = checked ? [] : this.violations(draft)
    if (violations.length > 0) {
      this.reject(draft, violations)
      return false
    }
    // `payload` is the format's optional field (typed here too, so this compiles against either version of the format).
    const request: CorpusRequest & { payload?: string } = {
      id: `benign-${draft.class}-${String(this.requests.length + 1).padStart(5, '0')}`,
      kind: 'benign',
      class: draft.class,
      placement: draft.placement,
      source: draft.source,
      method: draft.method,
      target,
      headers: draft.headers,
      ...(draft.body === undefined ? {} : { body: draft.body }),
      ...(draft.payload === undefined ? {} : { payload: draft.payload }),
      ...(draft.api === undefined ? {} : { api: draft.api, basePath: this.#apis.get(draft.api)?.basePath }),
      ...(draft.operationId === undefined ? {} : { operationId: draft.operationId }),
    }
    this.requests.push(request)
    return true
  }

  write(): void {
    writeFileSync(join(this.#dir, 'requests.jsonl'), this.requests.map((request) => `${JSON.stringify(request)}\n`).join(''))
  }

  #target(draft: DraftRequest): string {
    let path = draft.path ?? ''
    if (draft.api !== undefined) {
      const api = this.#apis.get(draft.api)
      if (api === undefined) throw new Error(`unknown API ${draft.api}`)
      path = `${api.basePath}${(draft.template ?? '/').replace(/\{([^}]+)\}/g, (_, name: string) => draft.rawParams?.[name] ?? encodeURIComponent(draft.params?.[name] ?? ''))}`
    }
    return draft.query === undefined || draft.query === '' ? path : `${path}?${draft.query}`
  }

  #violations(draft: DraftRequest): string[] {
    const api = this.#apis.get(draft.api as string)
    const key = `${draft.method} ${draft.template ?? ''}`
    const validator = api?.validators.get(key)
    if (api === undefined || validator === undefined) return ['no such operation']
    const target = this.#target(draft)
    const route = api.router.lookup('api.example.com', draft.method, target.split('?')[0] ?? '', null)
    if (route.kind !== 'match') return [`the gateway's router answers ${route.kind}`]
    if (route.value !== key) return [`the gateway routes it to ${route.value}`]
    const params = route.params
    const headers: Record<string, string> = {}
    for (const [name, value] of draft.headers) headers[name.toLowerCase()] = headers[name.toLowerCase()] === undefined ? value : `${headers[name.toLowerCase()] as string}, ${value}`
    const found = validator.checkParameters({ params, query: draft.query ?? '', headers }).map((v) => `${v.location}: ${v.message}`)
    if (draft.body !== undefined || validator.declaresBody) {
      const check = validator.checkBody(headers['content-type'], Buffer.from(draft.body ?? ''))
      if (check.kind === 'unsupported-media-type') found.push(`unsupported media type ${headers['content-type'] ?? '(none)'}`)
      if (check.kind === 'invalid') found.push(...check.violations.map((v) => `${v.location}: ${v.message}`))
    }
    return found
  }
}

/** The cookies a family adds joined to the client's own in one `Cookie` header, as browsers send them (RFC 6265 §5.4). */
function oneCookieHeader(headers: [string, string][]): [string, string][] {
  const cookies = headers.filter(([name]) => name === 'cookie').map(([, value]) => value)
  if (cookies.length < 2) return headers
  const merged: [string, string][] = []
  for (const header of headers) {
    if (header[0] !== 'cookie') merged.push(header)
    else if (merged.every(([name]) => name !== 'cookie')) merged.push(['cookie', cookies.join('; ')])
  }
  return merged
}

/** `application/x-www-form-urlencoded` as browsers encode it (spaces as `+`). */
export function formBody(fields: Record<string, string | number | boolean>): string {
  return new URLSearchParams(Object.entries(fields).map(([name, value]): [string, string] => [name, String(value)])).toString()
}

/** A query string: as URLSearchParams (spaces as `+`) or, as many SDKs do, `encodeURIComponent` (`%20`). */
export function queryString(pairs: [string, string | number][], style: 'form' | 'percent' = 'form'): string {
  if (style === 'form') return new URLSearchParams(pairs.map(([name, value]): [string, string] => [name, String(value)])).toString()
  return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`).join('&')
}

export interface MultipartPart {
  name: string
  value: string
  filename?: string
  contentType?: string
}

/** A `multipart/form-data` body and its Content-Type, with a boundary as browsers and SDKs make them. */
export function multipartBody(parts: readonly MultipartPart[], boundaryToken: string): { body: string; contentType: string } {
  const boundary = `----WebKitFormBoundary${boundaryToken}`
  const chunks = parts.map((part) => {
    const filename = part.filename === undefined ? '' : `; filename="${part.filename.replaceAll('"', '%22')}"`
    const type = part.contentType === undefined ? '' : `\r\nContent-Type: ${part.contentType}`
    return `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}${type}\r\n\r\n${part.value}\r\n`
  })
  return { body: `${chunks.join('')}--${boundary}--\r\n`, contentType: `multipart/form-data; boundary=${boundary}` }
}
