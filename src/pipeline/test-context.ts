/** A request context for hook tests: what a policy sees, without a socket. */
import { RequestContext, type TlsInfo } from './context.js'

export function testContext(init: {
  method?: string
  path?: string
  query?: string
  headers?: Record<string, string>
  address?: string
  tls?: TlsInfo | null
  isPreflight?: boolean
}): RequestContext {
  const headers = init.headers ?? {}
  return new RequestContext({
    requestId: 'test-request',
    method: init.method ?? 'GET',
    path: init.path ?? '/',
    query: init.query ?? '',
    headers,
    rawHeaders: Object.entries(headers).flat(),
    client: { address: init.address ?? '127.0.0.1', peerAddress: init.address ?? '127.0.0.1', peerPort: 40000, tls: init.tls ?? null },
    route: { api: 'test', template: init.path ?? '/', operationId: null, params: {} },
    isPreflight: init.isPreflight ?? false,
    receivedAt: 0,
  })
}
