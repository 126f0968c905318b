/**
 * A security event in Elastic Common Schema (ECS) field names, so Elasticsearch, OpenSearch,
 * Splunk's ECS add-on, Sentinel and Chronicle ingest it without a mapping; our own fields live
 * under `portcullis.*`, as ECS asks of custom fields. Why ECS over OCSF: docs/security-events.md.
 */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { ErrorCode } from '../../errors.js'
import { DETECTORS, maskDetected, type Detector } from '../../sensitive/detectors.js'

/** A release whose `event.category` has `api` (the category of most of our decisions). */
export const ECS_VERSION = '8.17.0'

export type EventKind = 'event' | 'alert'
export type EventOutcome = 'success' | 'failure' | 'unknown'

export interface SecurityEvent {
  readonly '@timestamp': string
  readonly message: string
  readonly ecs: { readonly version: string }
  readonly event: EventClass & {
    readonly id: string
    readonly dataset: 'portcullis.security'
    readonly module: 'portcullis'
    /** The stable error code the client got (GW_ERR_…), when the request was refused. */
    readonly code?: string
    readonly reason?: string
  }
  readonly observer: { readonly vendor: 'Portcullis'; readonly product: 'Portcullis'; readonly type: 'gateway'; readonly hostname: string; readonly version: string }
  readonly source?: { readonly ip: string }
  readonly user?: { readonly id: string; readonly name?: string }
  readonly url?: { readonly path: string }
  readonly http?: { readonly request: { readonly id: string; readonly method: string }; readonly response?: { readonly status_code: number } }
  readonly rule?: { readonly id?: string | readonly string[]; readonly name?: string }
  readonly trace?: { readonly id: string }
  readonly span?: { readonly id: string }
  readonly labels?: Readonly<Record<string, string>>
  readonly portcullis: {
    readonly api?: string
    readonly route?: string
    /** The policy that decided (`auth`, `waf`…), or `gateway`, `admin`, `config`. */
    readonly policy: string
    readonly details?: Readonly<Record<string, unknown>>
  }
}

/** How a kind of decision reads in ECS: the fields every event of that kind shares. */
export interface EventClass {
  readonly kind: EventKind
  readonly category: readonly string[]
  readonly type: readonly string[]
  readonly action: string
  readonly outcome: EventOutcome
  /** 1 (informational) to 10 (critical); the scale is in docs/security-events.md. */
  readonly severity: number
}

const cls = (category: readonly string[], type: readonly string[], action: string, severity: number, kind: EventKind = 'event', outcome: EventOutcome = 'failure'): EventClass => ({
  kind,
  category,
  type,
  action,
  outcome,
  severity,
})

const AUTH_FAILED = cls(['authentication'], ['start'], 'authentication-failed', 3)
const DENIED = (action: string, severity: number) => cls(['api'], ['denied'], action, severity)

/**
 * The reply codes that are security decisions, and what each means. Codes not here (an upstream
 * down, a route that does not exist, an internal error) make no event: they are operations, and
 * the access log and metrics have them.
 */
export const EVENT_CLASS_BY_CODE: Readonly<Partial<Record<ErrorCode, EventClass>>> = {
  GW_ERR_AUTH_REQUIRED: AUTH_FAILED,
  GW_ERR_AUTH_INVALID: AUTH_FAILED,
  GW_ERR_AUTH_MALFORMED: AUTH_FAILED,
  GW_ERR_AUTH_INSUFFICIENT_SCOPE: cls(['authentication'], ['start'], 'authentication-insufficient-scope', 3),
  GW_ERR_AUTHZ_DENIED: DENIED('authorization-denied', 5),
  GW_ERR_AUTHZ_EVALUATION_FAILED: DENIED('authorization-denied', 5),
  GW_ERR_RATE_LIMITED: DENIED('rate-limited', 3),
  GW_ERR_QUOTA_EXCEEDED: DENIED('quota-exceeded', 3),
  GW_ERR_CONCURRENCY_LIMITED: DENIED('concurrency-limited', 2),
  GW_ERR_RATE_LIMIT_BANNED: DENIED('rate-limit-banned-request', 4),
  GW_ERR_CLIENT_BANNED: DENIED('detection-banned-request', 4),
  GW_ERR_WAF_BLOCKED: cls(['intrusion_detection'], ['denied'], 'waf-blocked', 7, 'alert'),
  GW_ERR_REQUEST_INVALID: DENIED('openapi-violation', 4),
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: DENIED('openapi-violation', 4),
  GW_ERR_UPSTREAM_RESPONSE_INVALID: cls(['api'], ['denied'], 'openapi-response-violation', 5),
  GW_ERR_IP_DENIED: cls(['network'], ['denied'], 'ip-denied', 4),
  GW_ERR_CORS_ORIGIN_DENIED: DENIED('cors-denied', 2),
  GW_ERR_CORS_PREFLIGHT_DENIED: DENIED('cors-denied', 2),
  GW_ERR_REQUEST_URL_TOO_LONG: DENIED('request-limit-exceeded', 3),
  GW_ERR_REQUEST_HEADERS_TOO_LARGE: DENIED('request-limit-exceeded', 3),
  GW_ERR_REQUEST_BODY_TOO_LARGE: DENIED('request-limit-exceeded', 3),
  GW_ERR_REQUEST_PATH_INVALID: DENIED('request-path-refused', 4),
}

/** Events of requests that were let through, and of the gateway itself, by action. */
export const EVENT_CLASS_BY_ACTION: Readonly<Record<string, EventClass>> = {
  'sensitive-data-masked': cls(['api'], ['info'], 'sensitive-data-masked', 2, 'event', 'success'),
  'waf-match-reported': cls(['intrusion_detection'], ['allowed'], 'waf-match-reported', 5, 'alert', 'success'),
  'openapi-violation-reported': cls(['api'], ['allowed'], 'openapi-violation-reported', 3, 'event', 'success'),
  'openapi-response-violation-reported': cls(['api'], ['info'], 'openapi-response-violation-reported', 3, 'event', 'success'),
  'rate-limit-ban-started': cls(['api'], ['denied', 'start'], 'rate-limit-ban-started', 7),
  'deprecated-operation-first-call': cls(['api'], ['info'], 'deprecated-operation-first-call', 2, 'event', 'success'),
  'dashboard-login': cls(['authentication'], ['start'], 'dashboard-login', 2, 'event', 'success'),
  'config-reloaded': cls(['configuration'], ['change'], 'config-reloaded', 2, 'event', 'success'),
  'config-reload-refused': cls(['configuration'], ['change'], 'config-reload-refused', 4),
}

/** An action no table names (a policy of a third party): still an event, informational. */
export function classOfAction(action: string): EventClass {
  return EVENT_CLASS_BY_ACTION[action] ?? cls(['api'], ['info'], action, 2, 'event', 'unknown')
}

/** What each admin change is in ECS: a change to identities (consumers, keys) or to configuration (bans). */
export function classOfAdminChange(action: string, outcome: EventOutcome): EventClass {
  const verb = action.slice(action.lastIndexOf('.') + 1)
  const type = verb === 'create' ? 'creation' : verb === 'delete' ? 'deletion' : 'change'
  const category = action.startsWith('consumer.') || action.startsWith('key.') ? ['iam', 'configuration'] : ['configuration']
  return cls(category, [type, 'admin'], `admin-${action.replaceAll('.', '-')}`, verb === 'revoke' || verb === 'lift' ? 4 : 3, 'event', outcome)
}

export function createObserver(version: string): SecurityEvent['observer'] {
  return { vendor: 'Portcullis', product: 'Portcullis', type: 'gateway', hostname: hostname(), version }
}

/** The fields a caller supplies; the envelope (time, id, ECS version, dataset) is added here. */
export type EventFields = Omit<SecurityEvent, '@timestamp' | 'ecs' | 'event' | 'observer' | 'message'> & {
  readonly class: EventClass
  readonly code?: string
  readonly reason?: string
  readonly message: string
}

export function buildSecurityEvent(fields: EventFields, observer: SecurityEvent['observer'], nowMs: number): SecurityEvent {
  const { class: c, code, reason, message, ...rest } = fields
  return {
    '@timestamp': new Date(nowMs).toISOString(),
    message,
    ecs: { version: ECS_VERSION },
    event: {
      id: randomUUID(),
      kind: c.kind,
      category: c.category,
      type: c.type,
      action: c.action,
      outcome: c.outcome,
      severity: c.severity,
      dataset: 'portcullis.security',
      module: 'portcullis',
      ...(code === undefined ? {} : { code }),
      ...(reason === undefined ? {} : { reason }),
    },
    observer,
    ...rest,
  }
}

/** The trace id of a W3C `traceparent` header (version 00), or null. */
export function traceIdOf(traceparent: string | string[] | undefined): string | null {
  if (typeof traceparent !== 'string') return null
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent.trim())
  return match === null || /^0+$/.test(match[1] as string) ? null : (match[1] as string)
}

const MAX_PATH_LENGTH = 1024
const PATH_DETECTORS: readonly Detector[] = [DETECTORS.pan, DETECTORS.ssn, DETECTORS.iban, DETECTORS.email, DETECTORS.jwt, DETECTORS.apiKey]

/** A request path as events carry it: at most 1 KiB, with card numbers, e-mail addresses, tokens and keys masked. */
export function eventPath(path: string): string {
  const bounded = path.length > MAX_PATH_LENGTH ? `${path.slice(0, MAX_PATH_LENGTH)}…` : path
  return maskDetected(bounded, PATH_DETECTORS, (detector) => `[${detector.name}]`)
}
