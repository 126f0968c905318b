/**
 * Security requirements (per operation, and the document's default once) and the schemes they
 * name. Requirements are alternatives: removing one, or asking a scope more, refuses clients that
 * were allowed; requiring credentials where none were needed refuses every anonymous client.
 * Schemes are paired by name and compared by what a client must do: type, where the key goes,
 * flows, URLs and scopes.
 */
import { allowsAnonymous, type OperationView, type SecurityRequirement } from '../../audit/operations.js'
import { isObject, type JsonObject, type Path, type SecuritySchemeView, type SpecModel } from '../../audit/spec-model.js'
import type { ChangePlaces } from './change-collector.js'
import { operationLabel, type DiffContext } from './diff-context.js'
import type { OperationPair } from './operation-match.js'
import { showValue } from './schema-view.js'

const requirementKey = (requirement: SecurityRequirement) => Object.keys(requirement).sort().join(' + ') || '(none)'

function requirementsOf(value: unknown): SecurityRequirement[] | undefined {
  if (!Array.isArray(value)) return undefined
  return value.filter(isObject).map((entry) => Object.fromEntries(Object.entries(entry).map(([name, scopes]) => [name, Array.isArray(scopes) ? scopes.map(String) : []])))
}

/** Where an operation's effective security is written: its own `security`, else the document's. */
function securityPath(spec: SpecModel, operation: OperationView): Path {
  if (operation.operation.security !== undefined) return [...operation.path, 'security']
  return spec.document.security !== undefined ? ['security'] : operation.path
}

export function diffOperationSecurity(context: DiffContext, pair: OperationPair): void {
  // Both inherit the document's requirements: compared once, by diffDocumentSecurity.
  if (pair.old.operation.security === undefined && pair.new.operation.security === undefined) return
  const places = { operation: operationLabel(pair.new.method, pair.new.pathTemplate), oldPath: securityPath(context.old, pair.old), newPath: securityPath(context.new, pair.new) }
  compareRequirements(context, pair.old.security, pair.new.security, places, 'the operation')
}

export function diffDocumentSecurity(context: DiffContext): void {
  const before = requirementsOf(context.old.document.security)
  const after = requirementsOf(context.new.document.security)
  if (before === undefined && after === undefined) return
  compareRequirements(context, before, after, { oldPath: ['security'], newPath: ['security'] }, "the document's default security (for operations without their own)")
}

function anonymous(requirements: readonly SecurityRequirement[] | undefined): boolean {
  return allowsAnonymous({ security: requirements } as OperationView)
}

function compareRequirements(context: DiffContext, before: readonly SecurityRequirement[] | undefined, after: readonly SecurityRequirement[] | undefined, places: ChangePlaces, subject: string): void {
  const wasOpen = anonymous(before)
  const isOpen = anonymous(after)
  if (wasOpen && !isOpen) {
    context.changes.add('api-security-added', `${subject} now requires ${(after ?? []).map(requirementKey).join(' or ')}; it could be called without credentials`, places)
    return
  }
  if (!wasOpen && isOpen) {
    context.changes.add('api-security-removed', `${subject} can now be called without credentials (it required ${(before ?? []).map(requirementKey).join(' or ')})`, places)
    return
  }
  if (wasOpen) return
  const oldByKey = new Map((before ?? []).map((requirement) => [requirementKey(requirement), requirement]))
  const newByKey = new Map((after ?? []).map((requirement) => [requirementKey(requirement), requirement]))
  for (const [key, requirement] of oldByKey) {
    const match = newByKey.get(key)
    if (match === undefined) {
      context.changes.add('api-security-requirement-removed', `${subject} no longer accepts ${key}`, places)
      continue
    }
    for (const [scheme, scopes] of Object.entries(match)) {
      const oldScopes = requirement[scheme] ?? []
      for (const scope of scopes) if (!oldScopes.includes(scope)) context.changes.add('api-security-scope-added', `${subject} now requires scope ${scope} of ${scheme}`, places)
      for (const scope of oldScopes) if (!scopes.includes(scope)) context.changes.add('api-security-scope-removed', `${subject} no longer requires scope ${scope} of ${scheme}`, places)
    }
  }
  for (const key of newByKey.keys()) if (!oldByKey.has(key)) context.changes.add('api-security-requirement-added', `${subject} now also accepts ${key}`, places)
}

/** A scheme's type as OpenAPI 3 names it (Swagger 2.0's `basic` is `http`). */
function typeOf(view: SecuritySchemeView): string {
  return view.scheme.type === 'basic' ? 'http' : String(view.scheme.type)
}

function flowsOf(view: SecuritySchemeView): Map<string, { flow: JsonObject; path: Path }> {
  return new Map(view.oauthFlows.map((flow) => [flow.name, { flow: flow.flow, path: flow.path }]))
}

export function diffSecuritySchemes(context: DiffContext): void {
  const before = new Map(context.old.securitySchemes.map((scheme) => [scheme.name, scheme]))
  const after = new Map(context.new.securitySchemes.map((scheme) => [scheme.name, scheme]))
  const container = (spec: SpecModel): Path => (spec.isOas3 ? ['components', 'securitySchemes'] : ['securityDefinitions'])
  for (const [name, oldScheme] of before) {
    const newScheme = after.get(name)
    if (newScheme === undefined) context.changes.add('security-scheme-removed', `security scheme ${name} removed`, { oldPath: oldScheme.path, newPath: container(context.new) })
    else diffScheme(context, name, oldScheme, newScheme)
  }
  for (const [name, newScheme] of after) if (!before.has(name)) context.changes.add('security-scheme-added', `security scheme ${name} added`, { oldPath: container(context.old), newPath: newScheme.path })
}

function diffScheme(context: DiffContext, name: string, before: SecuritySchemeView, after: SecuritySchemeView): void {
  const at = (key: string) => ({ oldPath: [...before.path, key], newPath: [...after.path, key] })
  const oldType = typeOf(before)
  const newType = typeOf(after)
  if (oldType !== newType) {
    context.changes.add('security-scheme-type-changed', `security scheme ${name}: type changed from ${showValue(before.scheme.type)} to ${showValue(after.scheme.type)}`, at('type'))
    return
  }
  const field = (view: SecuritySchemeView, key: string) => (view.scheme[key] === undefined ? undefined : showValue(view.scheme[key]))
  const changed = (id: string, key: string, label: string, before_: string | undefined, after_: string | undefined) => {
    if (before_ !== after_) context.changes.add(id, `security scheme ${name}: ${label} changed from ${before_ ?? '(none)'} to ${after_ ?? '(none)'}`, at(key))
  }
  if (newType === 'http') {
    changed('security-scheme-http-scheme-changed', 'scheme', 'http scheme', before.httpScheme, after.httpScheme)
    if (before.httpScheme === after.httpScheme) changed('security-scheme-bearer-format-changed', 'bearerFormat', 'bearer format', field(before, 'bearerFormat'), field(after, 'bearerFormat'))
  }
  if (newType === 'apiKey') {
    changed('security-scheme-api-key-location-changed', 'in', 'API key location', field(before, 'in'), field(after, 'in'))
    const nameOf = (view: SecuritySchemeView) => (view.scheme.in === 'header' ? field(view, 'name')?.toLowerCase() : field(view, 'name'))
    if (nameOf(before) !== nameOf(after)) changed('security-scheme-api-key-name-changed', 'name', 'API key name', field(before, 'name'), field(after, 'name'))
  }
  if (newType === 'openIdConnect') changed('security-scheme-openid-connect-url-changed', 'openIdConnectUrl', 'OpenID Connect URL', field(before, 'openIdConnectUrl'), field(after, 'openIdConnectUrl'))
  if (newType === 'oauth2') diffFlows(context, name, before, after)
}

function diffFlows(context: DiffContext, name: string, before: SecuritySchemeView, after: SecuritySchemeView): void {
  const oldFlows = flowsOf(before)
  const newFlows = flowsOf(after)
  for (const [flowName, oldFlow] of oldFlows) {
    const newFlow = newFlows.get(flowName)
    if (newFlow === undefined) {
      context.changes.add('security-scheme-oauth-flow-removed', `security scheme ${name}: OAuth 2.0 ${flowName} flow removed`, { oldPath: oldFlow.path, newPath: after.path })
      continue
    }
    for (const [key, id] of [
      ['tokenUrl', 'security-scheme-token-url-changed'],
      ['authorizationUrl', 'security-scheme-authorization-url-changed'],
      ['refreshUrl', 'security-scheme-refresh-url-changed'],
    ] as const) {
      const a = oldFlow.flow[key]
      const b = newFlow.flow[key]
      if (a !== b) context.changes.add(id, `security scheme ${name}: ${flowName} ${key} changed from ${showValue(a ?? '(none)')} to ${showValue(b ?? '(none)')}`, { oldPath: [...oldFlow.path, key], newPath: [...newFlow.path, key] })
    }
    const oldScopes = isObject(oldFlow.flow.scopes) ? Object.keys(oldFlow.flow.scopes) : []
    const newScopes = isObject(newFlow.flow.scopes) ? Object.keys(newFlow.flow.scopes) : []
    const scopesAt = { oldPath: [...oldFlow.path, 'scopes'], newPath: [...newFlow.path, 'scopes'] }
    for (const scope of oldScopes) if (!newScopes.includes(scope)) context.changes.add('security-scheme-scope-removed', `security scheme ${name}: ${flowName} scope ${scope} removed`, scopesAt)
    for (const scope of newScopes) if (!oldScopes.includes(scope)) context.changes.add('security-scheme-scope-added', `security scheme ${name}: ${flowName} scope ${scope} added`, scopesAt)
  }
  for (const [flowName, newFlow] of newFlows) if (!oldFlows.has(flowName)) context.changes.add('security-scheme-oauth-flow-added', `security scheme ${name}: OAuth 2.0 ${flowName} flow added`, { oldPath: before.path, newPath: newFlow.path })
}
