/**
 * A loaded gateway config as posture rules read it: each API with its routes and the policies
 * that really apply to each (the API's, with the route's overrides replacing or removing them),
 * and the API's OpenAPI document for what it says about security and data.
 */
import type { SpecSource } from '../audit/spec-source.js'
import type { GatewayConfig } from '../config/schema.js'
import type { LoadedConfig } from '../config/load-config.js'
import type { ResolvedRoute } from '../config/resolve-routes.js'

export type PolicyMap = Readonly<Record<string, Readonly<Record<string, unknown>>>>

export interface RouteView {
  readonly method: string
  readonly template: string
  readonly operationId: string | null
  /** From the OpenAPI document: null when the document says nothing (or there is none). */
  readonly documentSecurity: ResolvedRoute['security']
  /** The policies in force on this route, by name. */
  readonly policies: PolicyMap
  /** Where each policy in force is configured: the API's `policies` or the route's override. */
  readonly policyPaths: Readonly<Record<string, readonly string[]>>
  /** Where the route's overrides are written, or the API when it has none. */
  readonly path: readonly string[]
  /** `GET /orders/{id}` */
  readonly label: string
}

export interface ApiView {
  readonly index: number
  readonly name: string
  readonly policies: PolicyMap
  /** Routes of the API; one catch-all route (`* /*`) for an API without document or routes. */
  readonly routes: readonly RouteView[]
  readonly spec: SpecSource | null
  readonly path: readonly string[]
}

export interface GatewayView {
  readonly config: GatewayConfig
  readonly apis: readonly ApiView[]
}

function policyPathsOf(policies: PolicyMap, apiPath: readonly string[], routePath: readonly string[], overrides: Readonly<Record<string, unknown>>): Record<string, readonly string[]> {
  return Object.fromEntries(Object.keys(policies).map((name) => [name, name in overrides ? [...routePath, name] : [...apiPath, 'policies', name]]))
}

function effectivePolicies(apiPolicies: PolicyMap, overrides: Readonly<Record<string, unknown>>): PolicyMap {
  const policies: Record<string, Readonly<Record<string, unknown>>> = { ...apiPolicies }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === false) delete policies[name]
    else policies[name] = value as Readonly<Record<string, unknown>>
  }
  return policies
}

/** Finds the key under which a route's overrides are written: its operationId or `METHOD /template`. */
function routeKey(routes: Readonly<Record<string, unknown>>, route: ResolvedRoute): string | undefined {
  if (route.operationId !== null && route.operationId in routes) return route.operationId
  const key = `${route.method} ${route.template}`
  return key in routes ? key : undefined
}

/** `specs[i]` is API i's OpenAPI document as read by the caller, or null. */
export function buildGatewayView(loaded: LoadedConfig, specs: readonly (SpecSource | null)[]): GatewayView {
  const apis = loaded.config.apis.map((api, index): ApiView => {
    const apiPath = ['apis', String(index)]
    const apiPolicies = api.policies as PolicyMap
    const resolved = loaded.routes[index]
    const routes: RouteView[] =
      resolved === null || resolved === undefined
        ? [{ method: '*', template: '/*', operationId: null, documentSecurity: null, policies: apiPolicies, policyPaths: policyPathsOf(apiPolicies, apiPath, apiPath, {}), path: apiPath, label: `${api.basePath} (every route)` }]
        : resolved.map((route) => {
            const key = routeKey(api.routes, route)
            const path = key === undefined ? apiPath : [...apiPath, 'routes', key]
            const policies = effectivePolicies(apiPolicies, route.overrides)
            return {
              method: route.method,
              template: route.template,
              operationId: route.operationId,
              documentSecurity: route.security,
              policies,
              policyPaths: policyPathsOf(policies, apiPath, path, route.overrides),
              path,
              label: `${route.method} ${route.template}`,
            }
          })
    return { index, name: api.name, policies: apiPolicies, routes, spec: specs[index] ?? null, path: apiPath }
  })
  return { config: loaded.config, apis }
}
