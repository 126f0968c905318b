/**
 * The admin API's inventory routes: what the `inventory` policy learned in this process.
 *
 *   GET /inventory          every API using the policy
 *   GET /inventory/{api}    one API (404 when it does not use the policy)
 *
 * The answer is the snapshot `portcullis discover` turns into a draft OpenAPI document. It holds
 * templates, names, counts and shapes, never a value from a request or response.
 */
import type { InventoryService } from '../policies/inventory/inventory-service.js'
import { NotFoundError } from './management.js'
import type { ManagementReply, ManagementRequest } from './management-routes.js'

export interface InventoryRoutesOptions {
  /** The inventory serving now; undefined when the policy is not loaded. */
  readonly source: () => InventoryService | undefined
}

export function createInventoryRoutes(options: InventoryRoutesOptions): (req: ManagementRequest) => Promise<ManagementReply> | null {
  return (req) => {
    const [collection, api, ...rest] = req.segments
    if (collection !== 'inventory' || rest.length > 0) return null
    if (req.method !== 'GET' && req.method !== 'HEAD') return Promise.resolve({ kind: 'method-not-allowed', allow: 'GET, HEAD' })
    const snapshot = options.source()?.snapshot(api) ?? null
    if (snapshot === null) {
      if (api !== undefined) return Promise.reject(new NotFoundError(`API ${api} has no inventory (no such API, or it does not use the inventory policy)`))
      return Promise.resolve({ kind: 'json', status: 200, body: { format: 'portcullis-inventory/1', generatedAt: new Date().toISOString(), since: null, apis: [] } })
    }
    return Promise.resolve({ kind: 'json', status: 200, body: snapshot })
  }
}
