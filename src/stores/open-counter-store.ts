/** The counter store `stores.counters` names: memory, or Redis under the gateway's key prefix. */
import type { CounterStore } from './counter-store.js'
import { MemoryCounters } from './memory-counters.js'
import { RedisCounters } from './redis-counters.js'

export const COUNTER_KEY_PREFIX = 'portcullis:rl:'

/** `gatewayClock`: decide on the gateway's (injected) clock instead of Redis's, for tests. */
export function openCounterStore(url: string, timeoutMs: number, gatewayClock = false): CounterStore {
  return url === 'memory' ? new MemoryCounters() : new RedisCounters(url, { timeoutMs, prefix: COUNTER_KEY_PREFIX, gatewayClock })
}
