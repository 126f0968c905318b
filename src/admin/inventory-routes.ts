/**
 * The admin API's inventory routes: what the `inventory` policy learned (in this process, or in
 * every worker of a node, merged by the primary).
 *
 *   GET /inventory          every API using the policy
 *   GET /inventory/{api}    one API (404 when it does not use the policy)
 *
 * The answer is the snapshot `portcullis discover` turns into a draft OpenAPI document. It holds
 * templates, names, counts and shapes, never a value from a request or response.
 */
import { SNAPSHOT_FORMAT, type InventorySnapshot } from '../policies/inventory/inventory-service.js'
import { NotFoundError } from './management.js'
import type { ManagementReply, ManagementRequest } from './management-routes.js'

export interface InventoryRoutesOptions {
  /** Every API's inventory, or `api`'s alone (null when it has none); null as well when the policy is not loaded. */
  readonly snapshot: (api: string | undefined) => Promise<InventorySnapshot | null>
  readonly clock: { now(): number }
}

export function createInventoryRoutes(options: InventoryRoutesOptions): (req: ManagementRequest) => Promise<ManagementReply> | null {
  async function inventory(api: string | undefined): Promise<ManagementReply> {
    const snapshot = await options.snapshot(api)
    if (snapshot !== null) return { kind: 'json', status: 200, body: snapshot }
    if (api !== undefined) throw new NotFoundError(`API ${api} has no inventory (no such API, or it does not use the inventory policy)`)
    const now = new Date(options.clock.now()).toISOString()
    return { kind: 'json', status: 200, body: { format: SNAPSHOT_FORMAT, generatedAt: now, since: now, apis: [] } satisfies InventorySnapshot }
  }

  return (req) => {
    const [collection, api, ...rest] = req.segments
    if (collection !== 'inventory' || rest.length > 0) return null
    if (req.method !== 'GET' && req.method !== 'HEAD') return Promise.resolve({ kind: 'method-not-allowed', allow: 'GET, HEAD' })
    return inventory(api)
  }
}
