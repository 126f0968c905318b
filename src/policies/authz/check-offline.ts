/**
 * Offline authorization: what the compiled config's `authz` policy decides for one request and
 * principal, without a socket or an upstream (`portcullis authz check`). It runs the same policy
 * instance the gateway would, on the route the gateway's router picks; other policies on the
 * route (authentication, rate limits, …) are named, not evaluated.
 */
import { ERROR_CODES, type ErrorCode } from '../../errors.js'
import type { Principal } from '../../identity/principal.js'
import type { Chain } from '../../pipeline/chain.js'
import { RequestContext } from '../../pipeline/context.js'
import type { Verdict } from '../../pipeline/reply.js'
import { refusesToForward, type EncodedSlashes } from '../../router/normalize-path.js'
import type { Router } from '../../router/router.js'
import type { AuthzDecision } from './index.js'

/** A compiled route as the check reads it (the serving runtime's routes are such), so this module needs nothing of the server. */
export interface OfflineRoute {
  readonly api: { readonly name: string }
  readonly template: string
  readonly operationId: string | null
  readonly chain: Chain
}

export interface OfflineRequest {
  readonly method: string
  /** Path with an optional query, as on a request line. */
  readonly target: string
  readonly host?: string | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
  readonly clientAddress: string
  readonly principal: Principal | undefined
}

export type OfflineResult =
  | { readonly kind: 'not-routed'; readonly status: number; readonly code: ErrorCode; readonly allow?: string }
  | { readonly kind: 'no-authz'; readonly api: string; readonly route: string; readonly notEvaluated: readonly string[] }
  | {
      readonly kind: 'decided'
      readonly api: string
      readonly route: string
      readonly decision: AuthzDecision
      /** The gateway's answer when denied. */
      readonly answer: { readonly status: number; readonly code: ErrorCode | null } | null
      /** The policy also checks ownership on the response, which needs the upstream. */
      readonly responseCheck: boolean
      readonly notEvaluated: readonly string[]
    }

/**
 * Routes `request` through the compiled config's `router` and runs the chosen route's `authz` hooks.
 * A path the gateway routes but never forwards (a dot segment behind an encoded `/`; an encoded
 * `/` with `server.encodedSlashes: reject`) is reported as not routed, with the 400 it ends in:
 * whatever authz decides, such a request does not reach the upstream.
 */
export async function checkOffline(router: Router<OfflineRoute>, request: OfflineRequest, encodedSlashes: EncodedSlashes = 'forward'): Promise<OfflineResult> {
  const q = request.target.indexOf('?')
  const path = q === -1 ? request.target : request.target.slice(0, q)
  const query = q === -1 ? '' : request.target.slice(q + 1)
  const lookup = router.lookup(request.host?.toLowerCase(), request.method, path, null, lowerCaseNames(request.headers))
  switch (lookup.kind) {
    case 'version-refused':
      return { kind: 'not-routed', status: ERROR_CODES[lookup.refusal.code].status, code: lookup.refusal.code }
    case 'not-found':
      return { kind: 'not-routed', status: 404, code: 'GW_ERR_ROUTE_NOT_FOUND' }
    case 'bad-path':
      return { kind: 'not-routed', status: 400, code: 'GW_ERR_REQUEST_PATH_INVALID' }
    case 'method-not-allowed':
      return { kind: 'not-routed', status: 405, code: 'GW_ERR_METHOD_NOT_ALLOWED', allow: lookup.allow }
  }
  if (refusesToForward(lookup.pathHazard, encodedSlashes)) return { kind: 'not-routed', status: 400, code: 'GW_ERR_REQUEST_PATH_INVALID' }
  const route = lookup.value
  const { chain } = route
  const api = route.api.name
  const notEvaluated = chain.policies.filter((name) => name !== 'authz')
  const onRequest = chain.onRequest.find((step) => step.name === 'authz')
  const onRequestBody = chain.onRequestBody.find((step) => step.name === 'authz')
  if (onRequest === undefined && onRequestBody === undefined) return { kind: 'no-authz', api, route: route.template, notEvaluated }

  const headers: Record<string, string> = { ...request.headers }
  if (request.host !== undefined) headers.host = request.host
  const ctx = new RequestContext({
    requestId: 'offline',
    method: request.method,
    path,
    query,
    headers,
    rawHeaders: Object.entries(headers).flat(),
    client: { address: request.clientAddress, peerAddress: request.clientAddress, peerPort: 0, tls: null },
    route: { api, template: route.template, operationId: route.operationId, params: lookup.params },
    isPreflight: false,
    receivedAt: performance.now(),
  })
  if (request.principal !== undefined) ctx.state.principal = request.principal
  let verdict: Verdict = await onRequest?.hook(ctx)
  if (verdict === undefined && onRequestBody !== undefined) {
    ctx.requestBody = request.body
    verdict = await onRequestBody.hook(ctx, request.body)
  }
  const decision = ctx.state.authz
  if (decision === undefined) throw new Error(`the authz policy of ${api} ${route.template} recorded no decision`)
  return {
    kind: 'decided',
    api,
    route: route.template,
    decision,
    answer: verdict === undefined ? null : { status: verdict.status, code: verdict.code },
    responseCheck: ctx.state.authzChecksResponse === true,
    notEvaluated,
  }
}

/** Header names as the server hands them to the router: lower-case. */
function lowerCaseNames(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))
}
