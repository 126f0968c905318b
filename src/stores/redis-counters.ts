/**
 * Rate-limit counters in Redis, shared by every gateway node: each request's limits are checked
 * and consumed by one server-side script (one round trip, atomic — no read-then-write race
 * between nodes). The script mirrors limit-math.ts. Time is Redis's own clock unless the gateway
 * runs on an injected one (tests), so nodes with skewed clocks still share one timeline.
 *
 * Redis Cluster (`redis-cluster://host:port,host:port`): a script may only touch keys of one
 * hash slot, so callers tag every key of one request with the same `{…}` hash tag (the policy
 * uses the API's name): an API's counters and bans live on one shard, its decisions stay atomic.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import type { BanEntry, BanRule, ConsumeResult, CounterStore, LimitCheck, LimitOutcome } from './counter-store.js'
import { withoutConsumption } from './limit-math.js'
import { storageKey } from './memory-counters.js'

// KEYS: one counter per limit; with a ban rule also one ban key and one refusal counter per limit.
// ARGV: now ('' = Redis time), cost, commit (1/0), ban after / within ms / for ms ('' = no rule),
// then per limit kind (g, s, f) and two numbers — g: interval ms, burst; s: window ms, limit;
// f: limit, end ms. Returns the banned subject's index (0: none) and the ban's remaining ms, then
// five integers per limit: allowed, limit, remaining, reset ms, retry-after ms.
const SCRIPT = `
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local cost = tonumber(ARGV[2])
local commit = ARGV[3] == '1'
local banAfter = tonumber(ARGV[4])
local banWithin = tonumber(ARGV[5])
local banFor = tonumber(ARGV[6])
local n = #KEYS
-- Keys outlive the moment they stop mattering by a little: a stale state decides as no state
-- does, and the slack absorbs any difference between the deciding clock and Redis's expiry clock.
local slack = 60000
if banAfter then
  n = n / 3
  for i = 1, n do
    local left = redis.call('PTTL', KEYS[n + i])
    if left > 0 then return {i, left} end
  end
end
local out = {0, 0}
local writes = {}
local all = true
for i = 1, n do
  local kind = ARGV[6 + i * 3 - 2]
  local a = tonumber(ARGV[6 + i * 3 - 1])
  local b = tonumber(ARGV[6 + i * 3])
  local allowed, limit, remaining, reset, retry
  if kind == 'g' then
    local tat = tonumber(redis.call('GET', KEYS[i]) or now)
    local tolerance = a * b
    local base = math.max(tat, now)
    local newTat = base + a * cost
    local ahead = newTat - now
    limit = b
    if ahead <= tolerance then
      allowed, remaining, reset, retry = 1, math.floor((tolerance - ahead) / a), math.ceil(ahead), 0
      writes[i] = function() redis.call('SET', KEYS[i], string.format('%.3f', newTat), 'PX', math.ceil(ahead) + slack) end
    else
      allowed, remaining, reset, retry = 0, math.max(0, math.floor((tolerance - (base - now)) / a)), math.ceil(base - now), math.ceil(ahead - tolerance)
    end
  elseif kind == 's' then
    local start, current, previous = 0, 0, 0
    local stored = redis.call('GET', KEYS[i])
    if stored then
      local s1, c1, p1 = string.match(stored, '^([^:]+):([^:]+):([^:]+)$')
      start, current, previous = tonumber(s1), tonumber(c1), tonumber(p1)
    end
    local windowStart = math.floor(now / a) * a
    if start ~= windowStart then
      if start == windowStart - a then previous = current else previous = 0 end
      current = 0
      start = windowStart
    end
    local estimate = previous * (1 - (now - start) / a) + current
    local windowEnd = start + a
    limit = b
    if estimate + cost <= b then
      allowed, remaining, retry = 1, math.max(0, math.floor(b - estimate - cost)), 0
      local after = current + cost
      if after > 0 then reset = math.ceil(windowEnd + a - now) elseif previous > 0 then reset = math.ceil(windowEnd - now) else reset = 0 end
      writes[i] = function() redis.call('SET', KEYS[i], start .. ':' .. (current + cost) .. ':' .. previous, 'PX', math.ceil(start + 2 * a - now) + slack) end
    else
      allowed, remaining = 0, math.max(0, math.floor(b - estimate))
      if current > 0 then reset = math.ceil(windowEnd + a - now) elseif previous > 0 then reset = math.ceil(windowEnd - now) else reset = 0 end
      if current + cost <= b and previous > 0 then
        retry = math.max(1, math.ceil(start + (1 - (b - current - cost) / previous) * a - now))
      elseif cost > b then
        retry = math.ceil(windowEnd + a - now)
      else
        local fraction = 0
        if current > 0 then fraction = math.max(0, 1 - (b - cost) / current) end
        retry = math.max(1, math.ceil(windowEnd + fraction * a - now))
      end
    end
  else
    local count = tonumber(redis.call('GET', KEYS[i]) or '0')
    reset = math.max(0, math.ceil(b - now))
    limit = a
    if count + cost <= a then
      allowed, remaining, retry = 1, a - count - cost, 0
      writes[i] = function() redis.call('INCRBY', KEYS[i], cost); redis.call('PEXPIRE', KEYS[i], math.ceil(b - now) + slack) end
    else
      allowed, remaining, retry = 0, math.max(0, a - count), math.max(1, reset)
    end
  end
  if allowed == 0 then all = false end
  out[#out + 1] = allowed
  out[#out + 1] = limit
  out[#out + 1] = remaining
  out[#out + 1] = reset
  out[#out + 1] = retry
end
if all then
  if commit and cost > 0 then
    for i = 1, n do if writes[i] then writes[i]() end end
  end
elseif banAfter and commit then
  local counted = {}
  for i = 1, n do
    local violations = KEYS[2 * n + i]
    if out[2 + (i - 1) * 5 + 1] == 0 and not counted[violations] then
      counted[violations] = true
      local count = redis.call('INCR', violations)
      if count == 1 then redis.call('PEXPIRE', violations, banWithin) end
      if count >= banAfter then
        redis.call('DEL', violations)
        redis.call('SET', KEYS[n + i], '1', 'PX', banFor)
        if out[1] == 0 then out[1] = i; out[2] = banFor end
      end
    end
  end
end
return out
`

const KIND = { gcra: 'g', sliding: 's', fixed: 'f' } as const

export interface RedisCountersOptions {
  /** A command's answer must come within this, or the store is treated as failing. */
  timeoutMs: number
  /** Key prefix (several gateways may share one Redis). */
  prefix: string
  /** Use the gateway's clock instead of Redis's (tests with an injected clock). */
  gatewayClock: boolean
}

type CounterClient = (Redis | Cluster) & { portcullisLimits(numKeys: number, ...args: (string | number)[]): Promise<number[]> }

const CLUSTER_SCHEME = 'redis-cluster://'

/** `redis-cluster://h1:p1,h2:p2` → the seed nodes. */
function clusterSeeds(url: string): { host: string; port: number }[] {
  return url
    .slice(CLUSTER_SCHEME.length)
    .split(',')
    .map((address) => {
      const colon = address.lastIndexOf(':')
      return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) }
    })
}

export class RedisCounters implements CounterStore {
  readonly kind = 'redis'
  readonly #client: CounterClient
  readonly #options: RedisCountersOptions

  constructor(url: string, options: RedisCountersOptions) {
    this.#options = options
    const redisOptions: RedisOptions = {
      // Fail fast while disconnected instead of queueing: the policy then falls back or refuses,
      // and ioredis keeps reconnecting in the background.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.timeoutMs,
      connectTimeout: Math.max(1000, options.timeoutMs),
      retryStrategy: (attempt) => Math.min(1000, 50 * attempt),
    }
    const client = url.startsWith(CLUSTER_SCHEME)
      ? new Cluster(clusterSeeds(url), { redisOptions, enableOfflineQueue: false, clusterRetryStrategy: (attempt) => Math.min(1000, 50 * attempt) })
      : new Redis(url, redisOptions)
    client.defineCommand('portcullisLimits', { lua: SCRIPT })
    // Errors surface on each command; without a listener ioredis would print them.
    client.on('error', () => undefined)
    this.#client = client as CounterClient
  }

  get connected(): boolean {
    return this.#client.status === 'ready'
  }

  /** Waits (at most `timeoutMs`) for the first connection; rejects with the reason otherwise. */
  async waitUntilConnected(timeoutMs: number): Promise<void> {
    if (this.connected) return
    const client = this.#client
    await new Promise<void>((resolve, reject) => {
      let lastError: Error | null = null
      const onError = (error: Error) => (lastError = error)
      const done = (error: Error | null) => {
        clearTimeout(timer)
        client.off('ready', onReady)
        client.off('error', onError)
        if (error === null) resolve()
        else reject(error)
      }
      const onReady = () => done(null)
      const timer = setTimeout(() => done(new Error(`Redis did not answer within ${timeoutMs} ms${lastError === null ? '' : ` (${lastError.message})`}`)), timeoutMs)
      client.on('ready', onReady)
      client.on('error', onError)
    })
  }

  async consume(checks: readonly LimitCheck[], cost: number, nowMs: number, ban: BanRule | null): Promise<ConsumeResult> {
    return this.#run(checks, cost, nowMs, true, ban)
  }

  async peek(checks: readonly LimitCheck[], nowMs: number): Promise<readonly LimitOutcome[]> {
    return (await this.#run(checks, 0, nowMs, false, null)).outcomes
  }

  async listBans(prefix: string, _nowMs: number, max: number): Promise<readonly BanEntry[]> {
    const pattern = `${this.#options.prefix}ban:${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
    const entries: BanEntry[] = []
    // A cluster's keys are spread over its primaries: each is scanned in turn.
    const nodes = this.#client instanceof Cluster ? this.#client.nodes('master') : [this.#client]
    for (const node of nodes) {
      let cursor = '0'
      // SCAN is bounded by rounds as well as results: a huge keyspace must not stall the admin call.
      for (let round = 0; round < 1000 && entries.length < max; round++) {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
        for (const key of keys) {
          if (entries.length >= max) break
          const remainingMs = await node.pttl(key)
          if (remainingMs > 0) entries.push({ subject: key.slice(this.#options.prefix.length + 'ban:'.length), remainingMs })
        }
        cursor = next
        if (cursor === '0') break
      }
    }
    return entries
  }

  async liftBan(subject: string): Promise<boolean> {
    // Two commands, not one DEL of both keys: in a cluster they need not share a slot.
    const removed = await this.#client.del(this.#banKey(subject))
    await this.#client.del(this.#violationKey(subject))
    return removed > 0
  }

  #banKey(subject: string): string {
    return `${this.#options.prefix}ban:${subject}`
  }

  #violationKey(subject: string): string {
    return `${this.#options.prefix}refusals:${subject}`
  }

  async #run(checks: readonly LimitCheck[], cost: number, nowMs: number, commit: boolean, ban: BanRule | null): Promise<ConsumeResult> {
    const args: (string | number)[] = checks.map((check) => this.#options.prefix + storageKey(check))
    if (ban !== null) {
      for (const check of checks) args.push(this.#banKey(check.subject))
      for (const check of checks) args.push(this.#violationKey(check.subject))
    }
    args.push(this.#options.gatewayClock ? nowMs : '', cost, commit ? '1' : '0')
    if (ban === null) args.push('', '', '')
    else args.push(ban.after, ban.withinMs, ban.forMs)
    for (const { algorithm } of checks) {
      if (algorithm.kind === 'gcra') args.push(KIND.gcra, algorithm.intervalMs, algorithm.burst)
      else if (algorithm.kind === 'sliding') args.push(KIND.sliding, algorithm.windowMs, algorithm.limit)
      else args.push(KIND.fixed, algorithm.limit, algorithm.endMs)
    }
    const flat = await this.#client.portcullisLimits(ban === null ? checks.length : checks.length * 3, ...args)
    const bannedIndex = flat[0] ?? 0
    const banned = bannedIndex === 0 ? null : { subject: (checks[bannedIndex - 1] as LimitCheck).subject, remainingMs: flat[1] ?? 0 }
    if (flat.length === 2) return { outcomes: [], ban: banned }
    const outcomes = checks.map((_, i) => ({
      allowed: flat[2 + i * 5] === 1,
      limit: flat[2 + i * 5 + 1] ?? 0,
      remaining: flat[2 + i * 5 + 2] ?? 0,
      resetMs: flat[2 + i * 5 + 3] ?? 0,
      retryAfterMs: flat[2 + i * 5 + 4] ?? 0,
    }))
    return { outcomes: withoutConsumption(outcomes, checks.map((c) => c.algorithm), cost), ban: banned }
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect())
  }
}
