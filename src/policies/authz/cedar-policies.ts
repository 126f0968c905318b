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
 *   resource   Route::"<api> <template>"  { api, method, template, params: {…}, query: {…}, body?: {…} }
 *              (`body`: the configured request-body fields, when `bodyFields` is set)
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
  /** Decisions remembered by their inputs (0: none). */
  decisionCacheSize: number
}

export interface CedarDecision {
  readonly allowed: boolean
  /** Ids of the policies that determined the decision. */
  readonly policies: readonly string[]
  /** Evaluation errors (a policy that failed to evaluate); any error makes the decision a deny. */
  readonly errors: readonly string[]
}

type EntityJson = cedar.EntityJson
export type CedarValue = cedar.CedarValueJson

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
export function cedarValue(value: unknown, depth = 0): CedarValue | undefined {
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

interface PrincipalEntity {
  readonly entity: EntityJson
  /** The entity as JSON: the principal's part of a decision-cache key. */
  readonly key: string
}

/** How requests for one action are evaluated: its policy slice and the attributes it reads. */
interface ActionPlan {
  readonly setId: string
  readonly principalAttributes: readonly Attribute[]
  readonly resourceAttributes: readonly Attribute[]
  readonly contextAttributes: readonly Attribute[]
  readonly principals: WeakMap<Principal, PrincipalEntity>
}

export class CedarPolicies {
  readonly #setId: string
  /** Policies that name one action (`action == Action::"x"`), by that action. */
  readonly #byAction = new Map<string, Record<string, string>>()
  /** Policies that may apply to any action. */
  readonly #general: Record<string, string> = {}
  /** The attributes each policy reads, by policy id. */
  readonly #usedBy = new Map<string, UsedAttributes>()
  /** Plans by action, made at an action's first request. */
  readonly #plans = new Map<string, ActionPlan>()
  readonly #headers: readonly string[]
  /** Decisions by their inputs, oldest first; null when the cache is off. */
  readonly #decisions: Map<string, CedarDecision> | null
  readonly #decisionCacheSize: number
  readonly #clock: { now(): number }

  /** Reads, parses and validates; throws an Error carrying Cedar's messages. */
  constructor(files: CedarFiles, baseDir: string, clock: { now(): number }) {
    this.#clock = clock
    this.#decisionCacheSize = files.decisionCacheSize
    this.#decisions = files.decisionCacheSize > 0 ? new Map() : null
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
    // Evaluation time grows with the policies evaluated and the attributes handed over: each
    // action gets only the policies that name it plus those that name no single action (`in` may
    // name a group: kept general), and only the attributes those policies read.
    for (const [id, policy] of Object.entries(staticPolicies)) {
      const used: UsedAttributes = { all: false, principal: new Set(), resource: new Set(), context: new Set() }
      const json = cedar.policyToJson(policy)
      if (json.type === 'success') collectAttributes(json.json.conditions, used)
      else used.all = true
      this.#usedBy.set(id, used)
      const action = json.type === 'success' ? json.json.action : null
      if (action !== null && action.op === '==' && 'entity' in action) {
        const target = (action.entity as { id?: unknown }).id
        if (typeof target === 'string') {
          let slice = this.#byAction.get(target)
          if (slice === undefined) this.#byAction.set(target, (slice = {}))
          slice[id] = policy
          continue
        }
      }
      this.#general[id] = policy
    }
    // The WASM module keeps pre-parsed sets by id; ids derive from the content, so reloads of the
    // same files reuse entries instead of adding more.
    this.#setId = createHash('sha256').update(text).digest('base64url')
    this.#headers = files.headers.map((h) => h.toLowerCase())
  }

  #planFor(action: string): ActionPlan {
    let plan = this.#plans.get(action)
    if (plan === undefined) {
      const policies = { ...this.#general, ...this.#byAction.get(action) }
      const setId = `${this.#setId}:${action}`
      const answer = cedar.preparsePolicySet(setId, { staticPolicies: policies })
      if (answer.type === 'failure') throw new Error(`Cedar policies for ${action}: ${messages(answer.errors)}`)
      const used: UsedAttributes = { all: false, principal: new Set(), resource: new Set(), context: new Set() }
      for (const id of Object.keys(policies)) {
        const of = this.#usedBy.get(id)
        if (of === undefined || of.all) used.all = true
        else for (const kind of ['principal', 'resource', 'context'] as const) for (const name of of[kind]) used[kind].add(name)
      }
      plan = {
        setId,
        principalAttributes: usedAttributes(PRINCIPAL_ATTRIBUTES, used, 'principal'),
        resourceAttributes: usedAttributes(RESOURCE_ATTRIBUTES, used, 'resource'),
        contextAttributes: usedAttributes(CONTEXT_ATTRIBUTES, used, 'context'),
        principals: new WeakMap(),
      }
      this.#plans.set(action, plan)
    }
    return plan
  }

  /** `body`: the selected request-body fields, or null when the policy reads no body. */
  evaluate(ctx: RequestContext, action: string, principal: Principal | undefined, body: Record<string, CedarValue> | null): CedarDecision {
    const plan = this.#planFor(action)
    const principalEntity = principalEntityOf(plan, principal)
    const resourceId = `${ctx.route.api} ${ctx.route.template}`
    const input: AttributeInput = { ctx, principal, nowMs: this.#clock.now(), headers: this.#headers, body }
    const context = attributesOf(plan.contextAttributes, input)
    const resourceAttrs = attributesOf(plan.resourceAttributes, input)
    // Evaluation is a pure function of these inputs and the policy set, so equal inputs get the
    // earlier answer: crossing into the WASM module costs far more than building this key.
    const key = this.#decisions === null ? '' : `${action}\u0000${principalEntity.key}\u0000${resourceId}\u0000${JSON.stringify(resourceAttrs)}\u0000${JSON.stringify(context)}`
    const cached = this.#decisions?.get(key)
    if (cached !== undefined) return cached
    const answer = cedar.statefulIsAuthorized({
      principal: principalEntity.entity.uid,
      action: { type: 'Action', id: action },
      resource: { type: 'Route', id: resourceId },
      context,
      preparsedPolicySetId: plan.setId,
      entities: [principalEntity.entity, { uid: { type: 'Route', id: resourceId }, attrs: resourceAttrs, parents: [] }],
    })
    if (answer.type === 'failure') return { allowed: false, policies: [], errors: [messages(answer.errors)] }
    const { decision, diagnostics } = answer.response
    const errors = diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`)
    const result: CedarDecision = { allowed: decision === 'allow' && errors.length === 0, policies: diagnostics.reason, errors }
    if (this.#decisions !== null && errors.length === 0) {
      if (this.#decisions.size >= this.#decisionCacheSize) this.#decisions.delete(this.#decisions.keys().next().value as string)
      this.#decisions.set(key, result)
    }
    return result
  }
}

/** The principal as a Cedar entity with the attributes the plan reads; made once per principal. */
function principalEntityOf(plan: ActionPlan, principal: Principal | undefined): PrincipalEntity {
  if (principal === undefined) return ANONYMOUS
  let entity = plan.principals.get(principal)
  if (entity === undefined) {
    const json: EntityJson = {
      uid: { type: 'Consumer', id: principal.id },
      attrs: attributesOf(plan.principalAttributes, { ctx: null, principal, nowMs: 0, headers: [], body: null }),
      parents: [],
    }
    entity = { entity: json, key: JSON.stringify(json) }
    plan.principals.set(principal, entity)
  }
  return entity
}

interface UsedAttributes {
  /** A policy could not be analysed: hand over every attribute. */
  all: boolean
  principal: Set<string>
  resource: Set<string>
  context: Set<string>
}

/** Records `principal.x`, `resource.x`, `context.x` and `… has x` in a policy's JSON conditions. */
function collectAttributes(node: unknown, used: UsedAttributes): void {
  if (typeof node !== 'object' || node === null) return
  if (Array.isArray(node)) {
    for (const item of node) collectAttributes(item, used)
    return
  }
  for (const [key, value] of Object.entries(node)) {
    if ((key === '.' || key === 'has') && typeof value === 'object' && value !== null) {
      const { left, attr } = value as { left?: { Var?: string }; attr?: unknown }
      const variable = left?.Var
      if ((variable === 'principal' || variable === 'resource' || variable === 'context') && typeof attr === 'string') used[variable].add(attr)
    }
    collectAttributes(value, used)
  }
}

interface AttributeInput {
  /** Null when building the principal entity (cached per principal, not per request). */
  readonly ctx: RequestContext | null
  readonly principal: Principal | undefined
  readonly nowMs: number
  readonly headers: readonly string[]
  readonly body: Record<string, CedarValue> | null
}

type Attribute = readonly [name: string, value: (input: AttributeInput) => CedarValue | undefined]

const PRINCIPAL_ATTRIBUTES: Record<string, Attribute[1]> = {
  id: ({ principal }) => principal?.id,
  authenticated: ({ principal }) => principal !== undefined,
  method: ({ principal }) => principal?.method,
  roles: ({ principal }) => (principal === undefined ? undefined : [...principal.roles]),
  scopes: ({ principal }) => (principal === undefined ? undefined : [...principal.scopes]),
  plan: ({ principal }) => principal?.plan ?? undefined,
  claims: ({ principal }) => (principal === undefined ? undefined : (cedarValue(principal.claims) ?? {})),
}

const RESOURCE_ATTRIBUTES: Record<string, Attribute[1]> = {
  api: ({ ctx }) => ctx?.route.api,
  method: ({ ctx }) => ctx?.method,
  template: ({ ctx }) => ctx?.route.template,
  params: ({ ctx }) => (ctx === null ? undefined : { ...ctx.route.params }),
  query: ({ ctx }) => (ctx === null ? undefined : Object.fromEntries(new URLSearchParams(ctx.query))),
  body: ({ body }) => body ?? undefined,
}

const CONTEXT_ATTRIBUTES: Record<string, Attribute[1]> = {
  ip: ({ ctx }) => ctx?.client.address,
  time: ({ nowMs }) => Math.floor(nowMs / 1000),
  tls: ({ ctx }) => (ctx === null ? undefined : ctx.client.tls !== null),
  clientCertificate: ({ ctx }) => {
    const certificate = ctx?.client.tls?.clientCertificate ?? null
    return certificate === null ? undefined : { subject: certificate.subject.CN ?? '', thumbprint: certificate.thumbprintS256 }
  },
  headers: ({ ctx, headers }) => {
    const out: Record<string, CedarValue> = {}
    for (const name of headers) {
      const value = ctx?.headers[name]
      if (typeof value === 'string') out[name] = value
    }
    return out
  },
}

/** The attributes of `kind` the policies read (chosen once per load). */
function usedAttributes(table: Record<string, Attribute[1]>, used: UsedAttributes, kind: 'principal' | 'resource' | 'context'): Attribute[] {
  return Object.entries(table).filter(([name]) => used.all || used[kind].has(name))
}

function attributesOf(attributes: readonly Attribute[], input: AttributeInput): Record<string, CedarValue> {
  const out: Record<string, CedarValue> = {}
  for (const [name, value] of attributes) {
    const computed = value(input)
    if (computed !== undefined) out[name] = computed
  }
  return out
}

const ANONYMOUS_ENTITY: EntityJson = { uid: { type: 'Consumer', id: '' }, attrs: { id: '', authenticated: false, method: 'none', roles: [], scopes: [], claims: {} }, parents: [] }
const ANONYMOUS: PrincipalEntity = { entity: ANONYMOUS_ENTITY, key: JSON.stringify(ANONYMOUS_ENTITY) }
