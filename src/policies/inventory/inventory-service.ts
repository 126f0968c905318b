/**
 * The inventory of every API using the policy, in this process: one object shared by the policy's
 * instances (its `service`), kept across reloads, read by the admin API (`GET /inventory`).
 */
import type { PolicyService } from '../../pipeline/define-policy.js'
import { ApiInventory, type ApiRecord, type ApiSetup } from './api-inventory.js'

export const SNAPSHOT_FORMAT = 'portcullis-inventory/1'

/** What `GET /inventory` answers and `portcullis discover` reads. */
export interface InventorySnapshot {
  format: typeof SNAPSHOT_FORMAT
  generatedAt: string
  /** When this process started learning. */
  since: string
  apis: ApiRecord[]
}

export class InventoryService implements PolicyService {
  readonly #apis = new Map<string, ApiInventory>()
  readonly #clock: { now(): number }
  readonly #since: number

  constructor(clock: { now(): number }) {
    this.#clock = clock
    this.#since = clock.now()
  }

  /** The API's inventory, created at its first load and reconfigured by later ones. */
  forApi(name: string, setup: ApiSetup): ApiInventory {
    let inventory = this.#apis.get(name)
    if (inventory === undefined) this.#apis.set(name, (inventory = new ApiInventory(name, setup)))
    else inventory.configure(setup)
    return inventory
  }

  /** No runtime uses the service any more (its policy left the config): what it learned is let go. */
  close(): void {
    this.#apis.clear()
  }

  /** Every API's inventory, or only `api`'s (null when no such API is inventoried). */
  snapshot(api?: string): InventorySnapshot | null {
    const now = this.#clock.now()
    const chosen = api === undefined ? [...this.#apis.values()] : [this.#apis.get(api)].filter((a) => a !== undefined)
    if (api !== undefined && chosen.length === 0) return null
    return {
      format: SNAPSHOT_FORMAT,
      generatedAt: new Date(now).toISOString(),
      since: new Date(this.#since).toISOString(),
      apis: chosen.sort((a, b) => (a.name < b.name ? -1 : 1)).map((a) => a.record(now)),
    }
  }
}
