/**
 * Cedar policies for `authz` (@cedar-policy/cedar-wasm): loaded from files and checked once per
 * config load — parsed, validated against the schema when one is given (a policy that does not
 * validate refuses the config with Cedar's message) — and pre-parsed in the WASM module, so a
 * request only pays for one evaluation. Policy ids are the `@id("…")` annotations (else
 * `policy<N>` in file order), so a decision names the policies that made it.
 *
 * The request as Cedar sees it:
 *   principal  Consumer::"<id>"  { id, authenticated, method, roles: Set<String>, scopes: Set<String>, plan?, claims }
 *   action     Action::"<operationId>" (or "<METHOD> <template>")
 *   resource   Route::"<api> <template>"  { api, method, template, params: {…}, query: {…} }
 *   context    { ip, time (seconds), tls: Bool, clientCertificate?: { subject, thumbprint }, headers: {…} }
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import * as cedar from '@cedar-policy/cedar-wasm/nodejs'
import type { Principal } from '../../identity/principal.js'
import type { RequestContext } from '../../pipeline/context.js'

export interface CedarFiles {
  policies: string
  schema?: string | undefined
  headers: readonly string[]
}

export interface CedarDecision {
  readonly allowed: boolean
  /** Ids of the policies that determined the decision. */
  readonly policies: readonly string[]
  /** Evaluation errors (a policy that failed to evaluate); any error makes the decision a deny. */
  readonly errors: readonly string[]
}

type EntityJson = cedar.EntityJson
type CedarValue = cedar.CedarValueJson

const ID_ANNOTATION = /@id\(\s*"((?:[^"\\]|\\.)*)"\s*\)/

function messages(errors: readonly cedar.DetailedError[]): string {
  return errors.map((e) => e.message + (e.help === null ? '' : ` (${e.help})`)).join('; ')
}

function readPolicyFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw new Error(`cannot read the Cedar ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error })
  }
}

/** Only values Cedar can hold: strings, integers, booleans, and sets and records of them. */
function cedarValue(value: unknown, depth = 0): CedarValue | undefined {
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined
  if (depth > 4 || typeof value !== 'object' || value === null) return undefined
  if (Array.isArray(value)) return value.map((v) => cedarValue(v, depth + 1)).filter((v): v is CedarValue => v !== undefined)
  const record: Record<string, CedarValue> = {}
  for (const [key, v] of Object.entries(value)) {
    const converted = cedarValue(v, depth + 1)
    if (converted !== undefined) record[key] = converted
  }
  return record
}

export class CedarPolicies {
  readonly #setId: string
  readonly #headers: readonly string[]
  readonly #principals = new WeakMap<Principal, EntityJson>()
  readonly #clock: { now(): number }

  /** Reads, parses and validates; throws an Error carrying Cedar's messages. */
  constructor(files: CedarFiles, baseDir: string, clock: { now(): number }) {
    this.#clock = clock
    const text = readPolicyFile(resolve(baseDir, files.policies), 'policies')
    const parts = cedar.policySetTextToParts(text)
    if (parts.type === 'failure') throw new Error(`Cedar policies ${files.policies}: ${messages(parts.errors)}`)
    const staticPolicies: Record<string, string> = {}
    parts.policies.forEach((policy, index) => {
      const id = ID_ANNOTATION.exec(policy)?.[1] ?? `policy${index}`
      if (id in staticPolicies) throw new Error(`Cedar policies ${files.policies}: two policies have the id "${id}"`)
      staticPolicies[id] = policy
    })
    const policySet: cedar.PolicySet = { staticPolicies }
    const schemaText = files.schema === undefined ? null : readPolicyFile(resolve(baseDir, files.schema), 'schema')
    if (schemaText !== null) {
      const answer = cedar.validate({ schema: schemaText, policies: policySet, validationSettings: { mode: 'strict' } })
      if (answer.type === 'failure') throw new Error(`Cedar schema ${String(files.schema)}: ${messages(answer.errors)}`)
      if (answer.validationErrors.length > 0) {
        throw new Error(`Cedar policies ${files.policies} do not validate against ${String(files.schema)}: ${answer.validationErrors.map((e) => `${e.policyId}: ${messages([e.error])}`).join('; ')}`)
      }
    }
    // The WASM module keeps pre-parsed sets by id; the id is the content's, so reloads of the same
    // files reuse one entry instead of adding another.
    this.#setId = createHash('sha256').update(text).digest('base64url')
    const preparsed = cedar.preparsePolicySet(this.#setId, policySet)
    if (preparsed.type === 'failure') throw new Error(`Cedar policies ${files.policies}: ${messages(preparsed.errors)}`)
    this.#headers = files.headers.map((h) => h.toLowerCase())
  }

  evaluate(ctx: RequestContext, action: string, principal: Principal | undefined): CedarDecision {
    const principalEntity = this.#principalEntity(principal)
    const resourceId = `${ctx.route.api} ${ctx.route.template}`
    const headers: Record<string, CedarValue> = {}
    for (const name of this.#headers) {
      const value = ctx.headers[name]
      if (typeof value === 'string') headers[name] = value
    }
    const certificate = ctx.client.tls?.clientCertificate ?? null
    const answer = cedar.statefulIsAuthorized({
      principal: principalEntity.uid,
      action: { type: 'Action', id: action },
      resource: { type: 'Route', id: resourceId },
      context: {
        ip: ctx.client.address,
        time: Math.floor(this.#clock.now() / 1000),
        tls: ctx.client.tls !== null,
        ...(certificate === null ? {} : { clientCertificate: { subject: certificate.subject.CN ?? '', thumbprint: certificate.thumbprintS256 } }),
        headers,
      },
      preparsedPolicySetId: this.#setId,
      entities: [
        principalEntity,
        {
          uid: { type: 'Route', id: resourceId },
          attrs: {
            api: ctx.route.api,
            method: ctx.method,
            template: ctx.route.template,
            params: { ...ctx.route.params },
            query: Object.fromEntries(new URLSearchParams(ctx.query)),
          },
          parents: [],
        },
      ],
    })
    if (answer.type === 'failure') return { allowed: false, policies: [], errors: [messages(answer.errors)] }
    const { decision, diagnostics } = answer.response
    const errors = diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`)
    return { allowed: decision === 'allow' && errors.length === 0, policies: diagnostics.reason, errors }
  }

  #principalEntity(principal: Principal | undefined): EntityJson {
    if (principal === undefined) return ANONYMOUS
    let entity = this.#principals.get(principal)
    if (entity === undefined) {
      entity = {
        uid: { type: 'Consumer', id: principal.id },
        attrs: {
          id: principal.id,
          authenticated: true,
          method: principal.method,
          roles: [...principal.roles],
          scopes: [...principal.scopes],
          ...(principal.plan === null ? {} : { plan: principal.plan }),
          claims: cedarValue(principal.claims) ?? {},
        },
        parents: [],
      }
      this.#principals.set(principal, entity)
    }
    return entity
  }
}

const ANONYMOUS: EntityJson = { uid: { type: 'Consumer', id: '' }, attrs: { id: '', authenticated: false, method: 'none', roles: [], scopes: [], claims: {} }, parents: [] }
