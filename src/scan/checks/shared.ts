/** Helpers the scan checks share: requests as an identity, JSON bodies, operations by kind. */
import { allowsAnonymous, type OperationView } from '../../audit/operations.js'
import type { Identity } from '../identities.js'
import type { Exchange, ScanClient, ScanRequest } from '../scan-client.js'
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

export const identityA = (context: ScanContext): Identity | undefined => context.identities[0]
export const identityB = (context: ScanContext): Identity | undefined => context.identities[1]

export interface ReachableRead {
  readonly operation: OperationView
  readonly status: number
  readonly body: string
  readonly exchange: Exchange
}

/** Per scan (one client each): several checks start from the same reads. */
const readsOfScan = new WeakMap<ScanClient, Promise<ReachableRead[]>>()

/** GET operations without path parameters that identity A can call successfully with sample values, with the exchange; sent once per scan. */
export function reachableReads(context: ScanContext): Promise<ReachableRead[]> {
  let reads = readsOfScan.get(context.client)
  if (reads === undefined) {
    reads = (async () => {
      const out: ReachableRead[] = []
      for (const operation of context.operations) {
        if (operation.method !== 'get' || operation.pathTemplate.includes('{')) continue
        const exchange = await context.client.send(requestAs(context, operation, identityA(context)))
        if (isSuccess(exchange.status)) out.push({ operation, status: exchange.status, body: exchange.body, exchange })
      }
      return out
    })()
    readsOfScan.set(context.client, reads)
  }
  return reads
}
