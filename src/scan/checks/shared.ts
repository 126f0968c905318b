/** Helpers the scan checks share: requests as an identity, JSON bodies, operations by kind. */
import { allowsAnonymous, type OperationView } from '../../audit/operations.js'
import type { Identity } from '../identities.js'
import type { Exchange, ScanRequest } from '../scan-client.js'
import { buildRequest, type RequestParts } from '../sample-values.js'
import type { ScanContext } from '../scan-check.js'

export function withHeaders(request: ScanRequest, headers: Readonly<Record<string, string>>): ScanRequest {
  return { ...request, headers: { ...request.headers, ...headers } }
}

/** A request for `operation` sent as `identity` (none: anonymous). */
export function requestAs(context: ScanContext, operation: OperationView, identity: Identity | undefined, parts: RequestParts = {}): ScanRequest {
  return withHeaders(buildRequest(context.spec, context.basePath, operation, parts), identity?.headers ?? {})
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

export const isSuccess = (status: number) => status >= 200 && status < 300

/** Operations the document secures (a requirement, none of them anonymous). */
export function securedOperations(context: ScanContext): OperationView[] {
  return context.operations.filter((operation) => !allowsAnonymous(operation))
}

/** Operations safe to call repeatedly: GET, as far as the document goes. */
export function readOperations(context: ScanContext): OperationView[] {
  return context.operations.filter((operation) => operation.method === 'get')
}

export const identityA = (context: ScanContext): Identity | undefined => context.identities[0]
export const identityB = (context: ScanContext): Identity | undefined => context.identities[1]

/** GET operations without path parameters that identity A can call successfully with sample values, with the exchange. */
export async function reachableReads(context: ScanContext): Promise<{ operation: OperationView; status: number; body: string; exchange: Exchange }[]> {
  const out: { operation: OperationView; status: number; body: string; exchange: Exchange }[] = []
  for (const operation of readOperations(context)) {
    if (operation.pathTemplate.includes('{')) continue
    const exchange = await context.client.send(requestAs(context, operation, identityA(context)))
    if (isSuccess(exchange.status)) out.push({ operation, status: exchange.status, body: exchange.body, exchange })
  }
  return out
}
