/**
 * `definePolicy`: a policy is a name, a priority, a config schema and a factory of phase hooks.
 * The factory runs once per config load (per API and per route override), never per request.
 * What else the core must know of a policy, the policy declares here too — the top-level config
 * sections it owns, a service shared by its instances, the files its config names, whether it
 * reads the data store or the rate-limit counters — so the core never names a policy and a new
 * one never edits the core. `create` gets the generic deps plus, typed, what the policy declared
 * (docs/architecture.md).
 */
import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox'
import type { Logger } from 'pino'
import type { ConfigProblem } from '../errors.js'
import type { AccessLogEntry } from '../observability/access-log.js'
import type { EventFields } from '../observability/security-events/security-event.js'
import type { OperationEntry } from '../openapi/list-operations.js'
import type { RemoteDocuments } from '../openapi/remote-documents.js'
import type { CounterStore } from '../stores/counter-store.js'
import type { DataStore } from '../stores/data-store.js'
import type { RequestContext } from './context.js'
import type { Verdict } from './reply.js'

/** Hooks of one policy instance. Phases run in the order listed; see DESIGN.md. */
export interface PolicyHooks {
  /** Headers only. May answer locally. */
  onRequest?(ctx: RequestContext): Verdict | Promise<Verdict>
  /** Declaring this hook makes the gateway buffer the request body (bounded, 413 past the limit). */
  onRequestBody?(ctx: RequestContext, body: Buffer): Verdict | Promise<Verdict>
  /**
   * Upstream status and headers. Synchronous by contract: it runs between receiving the
   * upstream's headers and writing ours, so it must not wait on I/O (use onResponseBody).
   */
  onResponse?(ctx: RequestContext): Verdict
  /** Declaring this hook makes the gateway buffer the response body; hooks may replace `ctx.responseBody`. */
  onResponseBody?(ctx: RequestContext, body: Buffer): Verdict | Promise<Verdict>
  /**
   * Largest request body this policy lets through, enforced while the body streams (and from
   * `Content-Length` before it does); the smallest of a chain's limits applies.
   */
  requestBodyLimit?: number
  /** After the response is sent; must not throw or block. */
  onLog?(ctx: RequestContext, entry: AccessLogEntry): void
  /**
   * With `onRequestBody`: whether this policy wants this request's body, asked after the
   * `onRequest` hooks. The body is buffered when a policy of the chain wants it (one without this
   * predicate always does); otherwise it streams and no body hook runs. A body hook may still run
   * for a body another policy wanted. Must be cheap, synchronous, and must not throw.
   */
  wantsRequestBody?(ctx: RequestContext): boolean
  /**
   * With `onResponseBody`: whether this policy wants this response's body. Asked after the
   * `onRequest` hooks with `ctx.response` null (could it want it? no: the response is relayed as
   * it streams, untouched), then once the status and headers are in `ctx.response`. Same rules as
   * `wantsRequestBody`.
   */
  wantsResponseBody?(ctx: RequestContext): boolean
  /**
   * A request under the API's base path that no route matched (answered 404 or 405 by the
   * gateway, no other hook ran for it), after the answer. Only for APIs with routes; must not
   * throw or block.
   */
  onUnrouted?(request: UnroutedRequest): void
}

/** What `onUnrouted` hooks learn of a request no route of the API matched. */
export interface UnroutedRequest {
  readonly api: string
  /** The client's address (from X-Forwarded-For when the peer is a trusted proxy). */
  readonly client: string
  readonly method: string
  /** The raw path relative to the API's base path. */
  readonly relativePath: string
  /** Raw query string without `?`, or the empty string. */
  readonly query: string
  readonly status: number
}

/** What every policy's `create` gets, whatever it declared. */
export interface PolicyDeps {
  readonly logger: Logger
  readonly clock: { now(): number }
  /** The API the instance belongs to. */
  readonly api: string
  /** Directory relative paths in the policy's config are resolved against. */
  readonly baseDir: string
  /** The API's base path (`/` or `/orders/v2`); route templates are relative to it. */
  readonly basePath: string
  /** The API's operations by `METHOD template` (from its OpenAPI document and route keys). */
  readonly operations: ReadonlyMap<string, OperationEntry>
  /** The API's OpenAPI document (absolute path), or null. */
  readonly openapiFile: string | null
  /** The remote documents the API's document may reach (`openapiRemoteRefs`), as fetched when the config was parsed. */
  readonly openapiRemote: RemoteDocuments
  readonly metrics: PolicyMetrics
  /**
   * The value built once per config load under `key`, shared by every API and route (e.g. a
   * loaded WAF rule set); `build` runs on the first call.
   */
  memo<T>(key: string, build: () => T): T
  /**
   * Build now what the policy would otherwise build on first use (per-operation validators): when
   * the config is only compiled (`portcullis validate`), so every problem is reported, and on a
   * reload, so a problem refuses the reload while the running config serves on.
   */
  readonly eager?: boolean
}

/** Rate-limit counters (`stores.counters`), and the per-process store used while it fails. */
export interface Counters {
  readonly store: CounterStore
  readonly fallback: CounterStore
}

/**
 * What `create` gets: the generic deps, the values of the sections the policy declared, and only
 * what else it declared — its `service`, the data store (`needsDataStore`), the counters
 * (`needsCounters: true`).
 */
export type DeclaredDeps<G extends SectionSchemas, V, C extends boolean, D extends boolean> = PolicyDeps & {
  /** The top-level config sections the policy declared (`sections`), by name, as loaded. */
  readonly sections: SectionValues<G>
} & ([V] extends [undefined] ? unknown : { /** The policy's shared service (`service`), one per runtime. */ readonly service: V }) &
  (C extends true ? { readonly counters: Counters } : unknown) &
  ([D] extends [never] ? unknown : { /** The data store; null when no setting needs it or the config is only compiled (`validate`). */ readonly dataStore: DataStore | null })

/** The deps the core hands any policy: the generic ones, and each declared one when the policy declared it. */
export type AnyPolicyDeps = PolicyDeps & {
  readonly sections: Readonly<Record<string, unknown>>
  readonly service?: PolicyService
  readonly counters?: Counters
  readonly dataStore?: DataStore | null
}

/**
 * A long-lived object a policy declares (`service`) and its instances share: auth's credential
 * verifiers (key sets, caches of API-key look-ups). The runtime builds one per policy from the
 * sections the policy declared, keeps it across reloads while those sections are unchanged, and
 * drives its lifecycle without knowing what it is.
 */
export interface PolicyService {
  /** Starts background work (fetching key sets, polling); a config that is only compiled never starts. */
  start?(): void
  /** Whether it can serve yet; the gateway is not ready (`/readyz`) while a service is not. */
  isReady?(): boolean
  /** The admin API changed the data store: one API key (its id), or anything (no id); cached look-ups are forgotten. */
  onDataStoreChange?(keyId?: string): void
  /** Stops background work; called once, when no runtime uses the service any more or the gateway stops. */
  close?(): void
}

/** What a service's factory gets. */
export interface ServiceDeps {
  readonly logger: Logger
  readonly clock: { now(): number }
  readonly metrics: PolicyMetrics
  /** The data store; null when nothing needs it or the config is only compiled (`validate`). */
  readonly dataStore: DataStore | null
  /** The security-event hub (alerts of the service's own, such as detections); null when no sink is configured. */
  readonly events: SecurityEventSink | null
}

/** Where a service emits security events (the gateway's hub, docs/security-events.md). */
export interface SecurityEventSink {
  emit(fields: EventFields): unknown
}

/**
 * The gateway's labelled counters a policy or its service reports to (labels are fixed words or
 * names from the config, never request data).
 */
export interface PolicyMetrics {
  /** A request or response that did not match the API description, and what became of it. */
  validation(api: string, direction: 'request' | 'response', outcome: 'blocked' | 'reported' | 'stripped'): void
  /** A response body masking could not inspect, and whether it was blocked or passed. */
  maskingUninspected(api: string, reason: 'too_large' | 'encoded' | 'not_json', outcome: 'blocked' | 'passed'): void
  /** A WAF rule that matched a blocked or reported request (the rule id is from the loaded rule set, never request data). */
  waf(api: string, rule: string, outcome: 'blocked' | 'reported'): void
  /** One authentication outcome by method (`none`: no credential); `reason` is a short fixed word, never the credential. */
  authOutcome(api: string, method: string, outcome: 'allowed' | 'denied' | 'unavailable', reason: string): void
  /** One fetch of a JSON Web Key Set and why it ended so. */
  jwksFetch(outcome: string, reason: string): void
  /** One authorization decision and the rule that made it. */
  authzDecision(api: string, decision: 'allow' | 'deny', rule: string): void
}

export const NO_POLICY_METRICS: PolicyMetrics = {
  validation: () => undefined,
  maskingUninspected: () => undefined,
  waf: () => undefined,
  authOutcome: () => undefined,
  jwksFetch: () => undefined,
  authzDecision: () => undefined,
}

/** The parts of the gateway's config a policy's `check` and `needsDataStore` may look at. */
export interface PolicyCheckContext<Sections = Readonly<Record<string, unknown>>> {
  /** The top-level sections the policy declared, by name, as loaded. */
  readonly sections: Sections
  readonly workers: number
  /** `stores.counters`: `memory` or a Redis URL. */
  readonly counters: string
}

/** Per-policy failure mode for when its dependency (a store, an IdP) fails. */
export const OnFailure = Type.Union([Type.Literal('closed'), Type.Literal('open')], {
  default: 'closed',
  description: 'What to do when the policy cannot decide (an error, not a denial): `closed` answers 500/503, `open` lets the request through and logs it.',
})
export type OnFailure = Static<typeof OnFailure>

/**
 * A top-level section of the gateway's config that a policy owns (auth's `identity`, rate-limit's
 * `plans`): added to the config's schema beside the core's sections, checked once per load,
 * handed to the policy's `check`, `service` and `create`.
 */
export interface PolicySection<T extends TSchema = TSchema> {
  readonly schema: T
  /** Cross-field checks the schema cannot express; paths relative to the section. */
  check?(value: Static<T>): ConfigProblem[]
}

/** The schemas of a policy's declared sections, by name. */
export type SectionSchemas = Readonly<Record<string, TSchema>>

/** The loaded values of declared sections, by name. */
export type SectionValues<G extends SectionSchemas> = { readonly [K in keyof G]: Static<G[K]> }

/** The values in `config` of the sections `policy` declared, by name. */
export function sectionValuesOf(policy: PolicyDefinition, config: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  return Object.fromEntries(Object.keys(policy.sections).map((name) => [name, config[name]]))
}

/** One setting of a policy (an API's, or a route override's) after validation: its schema's fields and `onFailure`. */
export type PolicyConfig<S extends TObject> = Static<S> & { onFailure: OnFailure }

/** A policy as the core sees it: its declarations, with the defaults of what it left undeclared. */
export interface PolicyDefinition<S extends TObject = TObject> {
  /** Folder name = config key = metric label. */
  readonly name: string
  /** Higher runs first within a phase; the table is in docs/policies.md. */
  readonly priority: number
  readonly description: string
  /** The schema with the common `onFailure` option added. */
  readonly configSchema: TObject
  /** Top-level config sections the policy owns, by name (none: `{}`). */
  readonly sections: Readonly<Record<string, PolicySection>>
  /** Builds the policy's shared service from its sections' values; null when it declares none. */
  readonly service: ((sections: Readonly<Record<string, unknown>>, deps: ServiceDeps) => PolicyService) | null
  /** Which declared deps `create` gets: the counters (`needsCounters: true`), the data store (`needsDataStore` declared). */
  readonly receives: { readonly counters: boolean; readonly dataStore: boolean }
  /** Whether this setting reads the data store (`stores.data`), which is opened only when something does; no by default. */
  needsDataStore(config: PolicyConfig<S>, gateway: PolicyCheckContext): boolean
  /** Cross-field checks the schema cannot express; paths relative to the policy's config. */
  check(config: PolicyConfig<S>, gateway: PolicyCheckContext): ConfigProblem[]
  /**
   * The files this setting makes `create` read (absolute, or relative to `baseDir`): the config
   * loader watches them for reload and folds their contents into the API's digest, so a changed
   * file recompiles the API. Asked once per load, after the checks passed; none by default.
   */
  files(config: PolicyConfig<S>, baseDir: string): string[]
  create(config: PolicyConfig<S>, deps: AnyPolicyDeps): PolicyHooks
}

/**
 * Typing helper; adds the common options to the policy's schema and the defaults of what it may
 * leave undeclared. The type parameters are inferred from the declarations: `G` from `sections`,
 * `V` from what `service` returns, `C` from `needsCounters`, `D` from what `needsDataStore` returns
 * (`never` when it is not declared); they decide what `create`'s deps hold.
 */
export function definePolicy<
  S extends TObject,
  G extends SectionSchemas = Record<string, never>,
  V extends PolicyService | undefined = undefined,
  C extends boolean = false,
  D extends boolean = never,
>(definition: {
  name: string
  priority: number
  description: string
  configSchema: S
  sections?: { readonly [K in keyof G]: PolicySection<G[K]> }
  service?: (sections: SectionValues<G>, deps: ServiceDeps) => V
  needsCounters?: C
  needsDataStore?: (config: PolicyConfig<S>, gateway: PolicyCheckContext<SectionValues<G>>) => D
  check?: (config: PolicyConfig<S>, gateway: PolicyCheckContext<SectionValues<G>>) => ConfigProblem[]
  files?: (config: PolicyConfig<S>, baseDir: string) => string[]
  create: (config: PolicyConfig<S>, deps: DeclaredDeps<G, V, C, D>) => PolicyHooks
}): PolicyDefinition<S> {
  const properties: TProperties = { onFailure: Type.Optional(OnFailure) }
  // Fields with defaults are optional, at every depth, so a route override (a union, where ajv
  // fills no defaults) validates before the loader fills them.
  for (const [key, schema] of Object.entries(definition.configSchema.properties)) {
    const relaxed = withDefaultsOptional(schema)
    properties[key] = 'default' in schema ? Type.Optional(relaxed) : relaxed
  }
  return {
    name: definition.name,
    priority: definition.priority,
    description: definition.description,
    configSchema: Type.Object(properties, {
      additionalProperties: false,
      description: definition.description,
    }),
    sections: definition.sections ?? {},
    // The core hands the service the values of the sections the policy declared, by name.
    service: (definition.service ?? null) as PolicyDefinition['service'],
    receives: { counters: definition.needsCounters ?? false, dataStore: definition.needsDataStore !== undefined },
    needsDataStore: definition.needsDataStore ?? (() => false),
    check: definition.check ?? (() => []),
    files: definition.files ?? (() => []),
    create: definition.create,
  }
}

/** A copy of `schema` whose object schemas, nested ones included, do not require fields that have defaults. */
function withDefaultsOptional(schema: TSchema): TSchema {
  const copy: Record<string | symbol, unknown> = { ...schema }
  const properties = schema.properties as Record<string, TSchema> | undefined
  if (properties !== undefined && typeof properties === 'object') {
    copy.properties = Object.fromEntries(Object.entries(properties).map(([key, child]) => [key, withDefaultsOptional(child)]))
    if (Array.isArray(schema.required)) {
      const required = (schema.required as string[]).filter((key) => !(properties[key] !== undefined && 'default' in properties[key]))
      if (required.length > 0) copy.required = required
      else delete copy.required
    }
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(schema[key])) copy[key] = (schema[key] as TSchema[]).map(withDefaultsOptional)
  }
  if (schema.items !== undefined && typeof schema.items === 'object' && !Array.isArray(schema.items)) copy.items = withDefaultsOptional(schema.items as TSchema)
  return copy as unknown as TSchema
}
