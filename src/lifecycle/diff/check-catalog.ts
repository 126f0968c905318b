/**
 * Every check `portcullis diff` can report, with its level and meaning. Schema checks are generated:
 * one per aspect (`max-length-decreased`…) and place (`request-property`, `response-header`…), with
 * the level the direction gives it — a narrowing breaks clients that send, a widening breaks clients
 * that read. `docs/diff.md` lists them all (a test keeps it in sync).
 */
import type { DiffLevel } from './diff-types.js'

export const CHECK_CATEGORIES = ['paths', 'parameters', 'request-body', 'responses', 'schemas', 'security', 'lifecycle', 'servers', 'version'] as const
export type CheckCategory = (typeof CHECK_CATEGORIES)[number]

export interface CheckDefinition {
  readonly id: string
  readonly level: DiffLevel
  readonly category: CheckCategory
  /** One line: what changed. */
  readonly meaning: string
}

type Row = readonly [id: string, level: DiffLevel, meaning: string]

const FIXED: Readonly<Record<Exclude<CheckCategory, 'schemas'>, readonly Row[]>> = {
  paths: [
    ['api-path-removed-without-deprecation', 'error', 'a path and all its operations were removed without being deprecated first'],
    ['api-removed-without-deprecation', 'error', 'an operation was removed without being deprecated first'],
    ['api-removed-before-sunset', 'error', 'a deprecated operation was removed before its x-sunset date'],
    ['api-removed-deprecated-without-sunset', 'warning', 'a deprecated operation without an x-sunset date was removed'],
    ['api-removed-after-sunset', 'info', 'a deprecated operation was removed after its x-sunset date'],
    ['api-path-added', 'info', 'a new path'],
    ['endpoint-added', 'info', 'a new operation on an existing path'],
    ['api-path-parameter-renamed', 'info', 'a path template parameter was renamed (`/users/{id}` → `/users/{userId}`): the same URL'],
    ['api-operation-id-changed', 'warning', 'operationId changed: generated clients rename the method'],
    ['api-operation-id-removed', 'warning', 'operationId removed: generated clients rename the method'],
    ['api-operation-id-added', 'info', 'operationId added'],
    ['api-tag-removed', 'info', 'a tag was removed from an operation'],
    ['api-tag-added', 'info', 'a tag was added to an operation'],
    ['api-schema-removed', 'info', 'a named schema was removed from components/definitions (its uses are reported where they changed)'],
  ],
  parameters: [
    ['new-required-request-parameter', 'error', 'a new required parameter: existing requests lack it'],
    ['new-optional-request-parameter', 'info', 'a new optional parameter'],
    ['request-parameter-removed', 'warning', 'a parameter was removed: requests that send it may be rejected (the gateway rejects undeclared parameters)'],
    ['request-parameter-became-required', 'error', 'an optional parameter became required'],
    ['request-parameter-became-optional', 'info', 'a required parameter became optional'],
    ['request-parameter-serialization-changed', 'error', 'style, explode or collectionFormat changed: the same value is written differently'],
    ['request-parameter-empty-value-disallowed', 'error', 'allowEmptyValue was switched off'],
    ['request-parameter-empty-value-allowed', 'info', 'allowEmptyValue was switched on'],
    ['request-parameter-media-type-changed', 'error', 'the media type of a parameter with `content` changed'],
    ['request-parameter-deprecated', 'info', 'a parameter was deprecated'],
    ['request-parameter-deprecation-removed', 'info', 'a parameter is no longer deprecated'],
  ],
  'request-body': [
    ['new-required-request-body', 'error', 'a required request body was added to an operation that had none'],
    ['new-optional-request-body', 'info', 'an optional request body was added'],
    ['request-body-removed', 'warning', 'the request body was removed: clients that send one may be rejected'],
    ['request-body-became-required', 'error', 'the request body became required'],
    ['request-body-became-optional', 'info', 'the request body became optional'],
    ['request-body-media-type-removed', 'error', 'a request media type is no longer accepted'],
    ['request-body-media-type-added', 'info', 'a request media type is now accepted'],
  ],
  responses: [
    ['response-success-status-removed', 'error', 'a 2xx/3xx response status was removed'],
    ['response-non-success-status-removed', 'warning', 'a 4xx/5xx or default response was removed from the document'],
    ['response-success-status-added', 'info', 'a new 2xx/3xx response status'],
    ['response-non-success-status-added', 'info', 'a new 4xx/5xx or default response'],
    ['response-media-type-removed', 'error', 'a response media type is no longer produced'],
    ['response-media-type-added', 'warning', 'a new response media type: clients that do not send Accept may receive it'],
    ['response-body-removed', 'error', 'a response that had a body has none'],
    ['response-body-added', 'info', 'a response that had no body has one'],
    ['response-required-header-removed', 'error', 'a required response header was removed'],
    ['response-optional-header-removed', 'warning', 'an optional response header was removed'],
    ['response-header-added', 'info', 'a new response header'],
    ['response-header-became-optional', 'error', 'a required response header became optional'],
    ['response-header-became-required', 'info', 'an optional response header became required'],
  ],
  security: [
    ['api-security-added', 'error', 'an operation that could be called without credentials now requires them'],
    ['api-security-removed', 'warning', 'an operation that required credentials can now be called without them (not breaking; a security regression to review)'],
    ['api-security-requirement-removed', 'error', 'a security requirement (one alternative) was removed: clients using it are refused'],
    ['api-security-requirement-added', 'info', 'a new alternative security requirement'],
    ['api-security-scope-added', 'error', 'a requirement needs a scope it did not need: existing tokens lack it'],
    ['api-security-scope-removed', 'info', 'a requirement needs fewer scopes'],
    ['security-scheme-removed', 'warning', 'a security scheme definition was removed'],
    ['security-scheme-added', 'info', 'a new security scheme definition'],
    ['security-scheme-type-changed', 'error', 'a security scheme changed type (apiKey, http, oauth2, openIdConnect, mutualTLS)'],
    ['security-scheme-http-scheme-changed', 'error', 'an http scheme changed (basic → bearer…)'],
    ['security-scheme-api-key-location-changed', 'error', 'an API key moved (header, query, cookie)'],
    ['security-scheme-api-key-name-changed', 'error', 'an API key is sent under another name'],
    ['security-scheme-bearer-format-changed', 'warning', 'the bearer token format changed'],
    ['security-scheme-oauth-flow-removed', 'error', 'an OAuth 2.0 flow is no longer offered'],
    ['security-scheme-oauth-flow-added', 'info', 'a new OAuth 2.0 flow'],
    ['security-scheme-token-url-changed', 'warning', 'an OAuth 2.0 token URL changed'],
    ['security-scheme-authorization-url-changed', 'warning', 'an OAuth 2.0 authorization URL changed'],
    ['security-scheme-refresh-url-changed', 'info', 'an OAuth 2.0 refresh URL changed'],
    ['security-scheme-scope-removed', 'error', 'a scope is no longer defined by an OAuth 2.0 flow'],
    ['security-scheme-scope-added', 'info', 'a new scope in an OAuth 2.0 flow'],
    ['security-scheme-openid-connect-url-changed', 'warning', 'the OpenID Connect discovery URL changed'],
  ],
  lifecycle: [
    ['api-deprecated', 'info', 'an operation was deprecated'],
    ['api-deprecation-removed', 'warning', 'an operation is no longer deprecated: clients told to migrate may have done so for nothing'],
    ['api-sunset-added', 'info', 'an operation was given an x-sunset date'],
    ['api-sunset-earlier', 'error', 'x-sunset moved earlier: clients have less time than announced'],
    ['api-sunset-later', 'info', 'x-sunset moved later'],
    ['api-sunset-removed', 'warning', 'a deprecated operation lost its x-sunset date'],
    ['api-sunset-invalid', 'warning', 'x-sunset is not a date (YYYY-MM-DD or an RFC 3339 date-time)'],
    ['api-stability-decreased', 'error', 'x-stability-level went down (stable → beta → alpha → draft)'],
    ['api-stability-increased', 'info', 'x-stability-level went up'],
  ],
  servers: [
    ['api-base-path-changed', 'error', 'the base path (Swagger basePath, or the path of the server URLs) changed: every URL moves'],
    ['api-server-removed', 'warning', 'a server URL was removed'],
    ['api-server-added', 'info', 'a new server URL'],
  ],
  version: [
    ['api-version-not-bumped', 'error', 'info.version did not move as semver requires for the changes found (error when a breaking change lacks a major bump, warning otherwise)'],
    ['api-version-changed', 'info', 'info.version changed'],
    ['diff-truncated', 'warning', 'the schema comparison reached its node bound: deeper changes are not reported'],
  ],
}

/** Where a schema sits; the first half is what clients send, the second what they read. */
export const SCHEMA_PLACES = ['request-body', 'request-property', 'request-parameter', 'response-body', 'response-property', 'response-header'] as const
export type SchemaPlace = (typeof SCHEMA_PLACES)[number]

export function isRequestPlace(place: SchemaPlace): boolean {
  return place.startsWith('request-')
}

type AspectRow = readonly [aspect: string, request: DiffLevel, response: DiffLevel, meaning: string]

const BOUNDS: readonly (readonly [keyword: string, upper: boolean])[] = [
  ['max-length', true],
  ['min-length', false],
  ['maximum', true],
  ['minimum', false],
  ['max-items', true],
  ['min-items', false],
  ['max-properties', true],
  ['min-properties', false],
]

/** A bound that tightens breaks senders (request), one that loosens breaks readers (response, possibly). */
function boundRows(): AspectRow[] {
  return BOUNDS.flatMap(([keyword, upper]): AspectRow[] => {
    const tightened = upper ? 'decreased' : 'increased'
    const loosened = upper ? 'increased' : 'decreased'
    return [
      [`${keyword}-${tightened}`, 'error', 'info', `${keyword} ${tightened}: a tighter bound`],
      [`${keyword}-${loosened}`, 'info', 'warning', `${keyword} ${loosened}: a looser bound`],
      [`${keyword}-set`, 'error', 'info', `${keyword} set where there was none`],
      [`${keyword}-unset`, 'info', 'warning', `${keyword} removed`],
    ]
  })
}

/** Aspects of any schema, reported at each of the six places. */
export const SCHEMA_ASPECTS: readonly AspectRow[] = [
  ['type-changed', 'error', 'error', 'the type changed to an unrelated one'],
  ['type-narrowed', 'error', 'info', 'fewer types accepted (number → integer, a type added where any was allowed)'],
  ['type-widened', 'info', 'error', 'more types allowed (integer → number, type removed)'],
  ['format-changed', 'error', 'error', 'the format changed'],
  ['format-added', 'error', 'info', 'a format was added'],
  ['format-removed', 'info', 'warning', 'the format was removed'],
  ['became-nullable', 'info', 'error', 'null became a valid value'],
  ['became-not-nullable', 'error', 'info', 'null is no longer a valid value'],
  ['enum-value-added', 'info', 'warning', 'a new enum (or const) value'],
  ['enum-value-removed', 'error', 'info', 'an enum (or const) value was removed'],
  ['enum-added', 'error', 'info', 'values restricted to an enum (or const) where any was allowed'],
  ['enum-removed', 'info', 'warning', 'the enum (or const) restriction was removed'],
  ['pattern-added', 'error', 'info', 'a pattern was added'],
  ['pattern-changed', 'warning', 'warning', 'the pattern changed (whether it is narrower cannot be decided)'],
  ['pattern-removed', 'info', 'warning', 'the pattern was removed'],
  ...boundRows(),
  ['multiple-of-set', 'error', 'info', 'multipleOf set'],
  ['multiple-of-changed', 'error', 'warning', 'multipleOf changed'],
  ['multiple-of-unset', 'info', 'warning', 'multipleOf removed'],
  ['unique-items-set', 'error', 'info', 'uniqueItems switched on'],
  ['unique-items-unset', 'info', 'warning', 'uniqueItems switched off'],
  ['additional-properties-narrowed', 'error', 'info', 'additional properties are no longer allowed'],
  ['additional-properties-widened', 'info', 'warning', 'additional properties are now allowed'],
  ['one-of-variant-added', 'info', 'warning', 'a new oneOf variant'],
  ['one-of-variant-removed', 'error', 'info', 'a oneOf variant was removed'],
  ['any-of-variant-added', 'info', 'warning', 'a new anyOf variant'],
  ['any-of-variant-removed', 'error', 'info', 'an anyOf variant was removed'],
  ['not-added', 'error', 'info', 'a `not` subschema was added'],
  ['not-removed', 'info', 'warning', 'the `not` subschema was removed'],
  ['discriminator-property-changed', 'error', 'error', 'the discriminator property changed'],
  ['discriminator-mapping-changed', 'warning', 'warning', 'the discriminator mapping changed'],
  ['default-added', 'warning', 'info', 'a default was added: the server now assumes a value when it is omitted'],
  ['default-changed', 'warning', 'info', 'the default changed: omitting the value now means something else'],
  ['default-removed', 'warning', 'info', 'the default was removed'],
  ['external-ref-changed', 'warning', 'warning', 'a reference to another file changed (other files are not read)'],
]

/** Aspects of object members, reported at `request-property` and `response-property` only. */
export const PROPERTY_ASPECTS: readonly AspectRow[] = [
  ['new-required', 'error', 'info', 'a new required property'],
  ['new-optional', 'info', 'info', 'a new optional property'],
  ['removed', 'warning', 'warning', 'an optional property was removed (request: undeclared properties may be rejected)'],
  ['required-removed', 'warning', 'error', 'a required property was removed'],
  ['became-required', 'error', 'info', 'an optional property became required'],
  ['became-optional', 'info', 'error', 'a required property became optional: readers may no longer get it'],
  ['became-read-only', 'warning', 'info', 'a property became readOnly: clients can no longer set it'],
  ['became-not-read-only', 'info', 'info', 'a property is no longer readOnly'],
  ['became-write-only', 'info', 'error', 'a property became writeOnly: it is no longer returned'],
  ['became-not-write-only', 'info', 'info', 'a property is no longer writeOnly'],
  ['deprecated', 'info', 'info', 'a property was deprecated'],
  ['deprecation-removed', 'info', 'info', 'a property is no longer deprecated'],
]

export function schemaCheckId(place: SchemaPlace, aspect: string): string {
  return `${place}-${aspect}`
}

/** `request-property-removed` for an aspect of a member, whatever the root place was. */
export function propertyCheckId(place: SchemaPlace, aspect: string): string {
  return `${isRequestPlace(place) ? 'request' : 'response'}-property-${aspect}`
}

function buildCatalog(): Map<string, CheckDefinition> {
  const catalog = new Map<string, CheckDefinition>()
  const add = (definition: CheckDefinition) => catalog.set(definition.id, definition)
  for (const [category, rows] of Object.entries(FIXED) as [CheckCategory, readonly Row[]][]) for (const [id, level, meaning] of rows) add({ id, level, category, meaning })
  for (const place of SCHEMA_PLACES) {
    const request = isRequestPlace(place)
    for (const [aspect, requestLevel, responseLevel, meaning] of SCHEMA_ASPECTS) add({ id: schemaCheckId(place, aspect), level: request ? requestLevel : responseLevel, category: 'schemas', meaning })
  }
  for (const request of [true, false]) {
    for (const [aspect, requestLevel, responseLevel, meaning] of PROPERTY_ASPECTS) add({ id: `${request ? 'request' : 'response'}-property-${aspect}`, level: request ? requestLevel : responseLevel, category: 'schemas', meaning })
  }
  return catalog
}

/** Every check, by id. */
export const DIFF_CHECKS: ReadonlyMap<string, CheckDefinition> = buildCatalog()

/** The definition of a check the engine reports; an unknown id is a bug in the engine. */
export function checkDefinition(id: string): CheckDefinition {
  const definition = DIFF_CHECKS.get(id)
  if (definition === undefined) throw new Error(`unknown diff check id: ${id}`)
  return definition
}
