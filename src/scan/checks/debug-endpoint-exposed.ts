/**
 * Check: debug, administrative and internal endpoints that hand out secrets to anyone. Declared
 * GET operations under such a path, and a short list of undeclared ones next to the base path and
 * the declared collections, are requested without credentials; a finding needs a 2XX JSON answer
 * with secret-named properties (passwords, hashes, keys, tokens) holding values, twice. A public
 * list of user names and addresses is not one. Messages name the properties, never the values,
 * and the evidence shows the values masked.
 */
import { debugSegmentOf, isAdminPath } from '../../audit/operation-kinds.js'
import type { OperationView } from '../../audit/operations.js'
import { isObject } from '../../audit/spec-model.js'
import type { Exchange, ScanRequest } from '../scan-client.js'
import type { ScanCheck, ScanContext } from '../scan-check.js'
import { isSuccess, parseJson, requestAs, withHeaders } from './shared.js'

/** Undeclared places where such endpoints are left: below the base path, and below each of a few collections. */
const BASE_PROBES = ['/_debug', '/debug', '/debug/users', '/admin/users', '/internal/users', '/internal/config', '/actuator/env']
const COLLECTION_PROBES = ['/_debug', '/debug']
const MAX_COLLECTIONS = 3
/** Property names (lowercased, separators removed, the last dotted part) whose values are secrets. */
const SECRET_KEY = /^(pass|pwd|token|(.*)(password|passwd|passwordhash|passworddigest|secret|secretkey|privatekey|apikey|accesstoken|refreshtoken|authtoken|sessiontoken|apitoken))$/
/** A bare `hash` is a secret beside a user's name or address (elsewhere it is often a content digest). */
const HASH_KEY = /^(hash|hashed|digest)$/
const USER_KEY = /^(user_?name|username|login|email|e_?mail|user)$/i
/** Values that show a secret was withheld. */
const MASKED = /^(\*+|•+|x{3,}|\[?(redacted|masked|hidden|filtered|removed)\]?|<redacted>|null|undefined|none|n\/a)$/i
const MAX_DEPTH = 8
const CONFIRM_HEADERS = { accept: 'application/json', 'cache-control': 'no-cache', pragma: 'no-cache' }

const normalised = (key: string) => (key.split('.').pop() ?? key).toLowerCase().replace(/[-_\s]/g, '')

function isSecretKey(key: string, siblings: readonly string[]): boolean {
  const name = normalised(key)
  return SECRET_KEY.test(name) || (HASH_KEY.test(name) && siblings.some((sibling) => USER_KEY.test(sibling)))
}

/** A secret's value as given: a string, or `{ "value": "…" }` as Spring's actuator writes it. */
function secretValue(value: unknown): string | undefined {
  const text = isObject(value) ? value.value : value
  return typeof text === 'string' && text.trim() !== '' && !MASKED.test(text.trim()) ? text : undefined
}

/** The JSON with every secret value replaced by `***`, and how many values each secret-named property held. */
function maskSecrets(value: unknown, found: Map<string, number>, depth = 0): unknown {
  if (depth > MAX_DEPTH) return value
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, found, depth + 1))
  if (!isObject(value)) return value
  const keys = Object.keys(value)
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) {
    if (isSecretKey(key, keys) && secretValue(inner) !== undefined) {
      found.set(key, (found.get(key) ?? 0) + 1)
      out[key] = '***'
    } else out[key] = maskSecrets(inner, found, depth + 1)
  }
  return out
}

interface Exposure {
  readonly found: ReadonlyMap<string, number>
  /** The exchange with the secret values masked, for evidence. */
  readonly masked: Exchange
}

/** The secret-named properties with values in a 2XX JSON answer, or undefined. */
function exposureIn(exchange: Exchange): Exposure | undefined {
  if (!isSuccess(exchange.status)) return undefined
  const json = parseJson(exchange.body)
  if (json === undefined) return undefined
  const found = new Map<string, number>()
  const masked = maskSecrets(json, found)
  return found.size === 0 ? undefined : { found, masked: { ...exchange, body: JSON.stringify(masked) } }
}

/** Exposed twice: as asked, and again asking for JSON, uncached. */
async function confirmedExposure(context: ScanContext, request: ScanRequest): Promise<Exposure | undefined> {
  if (exposureIn(await context.client.send(request)) === undefined) return undefined
  return exposureIn(await context.client.send(withHeaders(request, CONFIRM_HEADERS)))
}

const describe = (found: ReadonlyMap<string, number>) => [...found].map(([key, count]) => `${key} (${String(count)} ${count === 1 ? 'value' : 'values'})`).join(', ')

/** Declared GET operations without path parameters under a debug, administrative or internal path. */
const declaredCandidates = (context: ScanContext): OperationView[] =>
  context.operations.filter((operation) => operation.method === 'get' && !operation.pathTemplate.includes('{') && (debugSegmentOf(operation.pathTemplate) !== undefined || isAdminPath(operation.pathTemplate)))

/** Collections of the document: the paths before a parameter (`/books` of `/books/{title}`), the first few. */
function collectionsOf(operations: readonly OperationView[]): string[] {
  const collections = new Set<string>()
  for (const operation of operations) {
    const segments = operation.pathTemplate.split('/')
    const parameter = segments.findIndex((segment) => segment.startsWith('{'))
    if (parameter > 1) collections.add(segments.slice(0, parameter).join('/'))
  }
  return [...collections].slice(0, MAX_COLLECTIONS)
}

/** Undeclared paths to try (the declared ones are tried as operations). */
function undeclaredProbes(context: ScanContext): string[] {
  const declared = new Set(context.operations.map((operation) => operation.pathTemplate))
  const paths = [...BASE_PROBES, ...collectionsOf(context.operations).flatMap((collection) => COLLECTION_PROBES.map((probe) => `${collection}${probe}`))]
  return [...new Set(paths)].filter((path) => !declared.has(path))
}

export const debugEndpointExposed: ScanCheck = {
  id: 'debug-endpoint-exposed',
  severity: 'high',
  owasp: 'API9:2023',
  title: 'Debug or internal endpoint hands out secrets without credentials',
  description: 'A debug, administrative or internal endpoint (declared, or at a common undeclared path such as `/_debug` or `/actuator/env`) answered a request without credentials, twice, with secret-named properties holding values: passwords, password hashes, keys or tokens of other users or of the service.',
  remediation: 'Remove debug endpoints from production builds (or serve them on a loopback-only port), require an administrator\'s credentials on administrative and internal ones, and never return secrets, hashed or not; route only documented operations through the gateway.',
  async run(context) {
    for (const operation of declaredCandidates(context)) {
      const exposure = await confirmedExposure(context, requestAs(context, operation, undefined))
      if (exposure !== undefined) context.report(operation, `${operation.method.toUpperCase()} ${operation.pathTemplate} answers without credentials with secret properties holding values: ${describe(exposure.found)}.`, exposure.masked)
    }
    for (const path of undeclaredProbes(context)) {
      const exposure = await confirmedExposure(context, { method: 'GET', path: `${context.basePath}${path}` })
      if (exposure !== undefined) context.report(null, `GET ${context.basePath}${path}, not in the document, answers without credentials with secret properties holding values: ${describe(exposure.found)}.`, exposure.masked)
    }
  },
}
