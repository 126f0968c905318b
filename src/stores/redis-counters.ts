/**
 * Rate-limit counters in Redis, shared by every gateway node: each request's limits are checked
 * and consumed by one server-side script (one round trip, atomic — no read-then-write race
 * between nodes). The script mirrors limit-math.ts. Time is Redis's own clock unless the gateway
 * runs on an injected one (tests), so nodes with skewed clocks still share one timeline.
 *
 * A command the gateway gave up on must not count: the request was already refused or decided by
 * the node's own counters, yet Redis runs a command already written to its socket when it gets to
 * it (after a stall, a pause, a slow script). So each consuming command carries a deadline in
 * Redis's time, no later than the moment the gateway gives up (server-clock.ts), and the script
 * changes nothing when it starts past it.
 *
 * Redis Cluster (`redis-cluster://host:port,host:port`): a script may only touch keys of one
 * hash slot, so callers tag every key of one request with the same `{…}` hash tag (the policy
 * uses the API's name): an API's counters and bans live on one shard, its decisions stay atomic.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import type { BanEntry, BanRule, CarriedState, ConsumeResult, CounterStore, LimitCheck, LimitOutcome, TallyUpdate } from './counter-store.js'
import { withoutConsumption } from './limit-math.js'
import { storageKey } from './memory-counters.js'
import { ServerClock } from './server-clock.js'

// KEYS: one counter per limit; with a ban rule also one ban key and one refusal counter per limit.
// ARGV: now ('' = Redis time), cost, commit (1/0), ban after / within ms / for ms ('' = no rule),
// deadline (Redis time in ms, '' = none), then per limit its kind (g, s, f), two numbers — g:
// interval ms, burst; s: window ms, limit; f: limit, end ms — and the state carried from the
// node's own counters ('' = none; g: ms ahead of now; s: current:previous; f: count). Returns
// Redis's time (seconds, microseconds), the banned subject's index (0: none; -1: past the
// deadline, nothing done) and the ban's remaining ms, then five integers per limit: allowed,
// limit, remaining, reset ms, retry-after ms.
const SCRIPT = `
local clock = redis.call('TIME')
local sec, usec = tonumber(clock[1]), tonumber(clock[2])
local deadline = tonumber(ARGV[7])
if deadline and sec * 1000 + usec / 1000 > deadline then return {sec, usec, -1, 0} end
local now = tonumber(ARGV[1])
if now == nil then now = sec * 1000 + math.floor(usec / 1000) end
local cost = tonumber(ARGV[2])
local commit = ARGV[3] == '1'
local banAfter = tonumber(ARGV[4])
local banWithin = tonumber(ARGV[5])
local banFor = tonumber(ARGV[6])
local n = #KEYS
if banAfter then n = n / 3 end
-- Keys outlive the moment they stop mattering by a little: a stale state decides as no state
-- does, and the slack absorbs any difference between the deciding clock and Redis's expiry clock.
local slack = 60000
-- A sliding window's state, rolled forward to the window holding now.
local function readSliding(key, window)
  local start, current, previous = 0, 0, 0
  local stored = redis.call('GET', key)
  if stored then
    local s1, c1, p1 = string.match(stored, '^([^:]+):([^:]+):([^:]+)$')
    start, current, previous = tonumber(s1), tonumber(c1), tonumber(p1)
  end
  local windowStart = math.floor(now / window) * window
  if start ~= windowStart then
    if start == windowStart - window then previous = current else previous = 0 end
    current = 0
    start = windowStart
  end
  return start, current, previous
end
-- What the node counted on its own while this store failed: the more used state stays, whatever
-- this request's fate (merging twice changes nothing).
if commit then
  for i = 1, n do
    local arg = 7 + (i - 1) * 4
    local kind, a, b, carried = ARGV[arg + 1], tonumber(ARGV[arg + 2]), tonumber(ARGV[arg + 3]), ARGV[arg + 4]
    if carried ~= '' then
      if kind == 'g' then
        local tat = now + tonumber(carried)
        if tat > tonumber(redis.call('GET', KEYS[i]) or 0) then redis.call('SET', KEYS[i], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + slack) end
      elseif kind == 's' then
        local cc, cp = string.match(carried, '^([^:]+):([^:]+)$')
        cc, cp = tonumber(cc), tonumber(cp)
        local start, current, previous = readSliding(KEYS[i], a)
        if cc > current or cp > previous then
          redis.call('SET', KEYS[i], start .. ':' .. math.max(current, cc) .. ':' .. math.max(previous, cp), 'PX', math.ceil(start + 2 * a - now) + slack)
        end
      else
        local count = tonumber(carried)
        if count > tonumber(redis.call('GET', KEYS[i]) or '0') then redis.call('SET', KEYS[i], count, 'PX', math.ceil(b - now) + slack) end
      end
    end
  end
end
if banAfter then
  for i = 1, n do
    local left = redis.call('PTTL', KEYS[n + i])
    if left > 0 then return {sec, usec, i, left} end
  end
end
local out = {sec, usec, 0, 0}
local writes = {}
local all = true
for i = 1, n do
  local arg = 7 + (i - 1) * 4
  local kind, a, b = ARGV[arg + 1], tonumber(ARGV[arg + 2]), tonumber(ARGV[arg + 3])
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
    local start, current, previous = readSliding(KEYS[i], a)
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
    if out[4 + (i - 1) * 5 + 1] == 0 and not counted[violations] then
      counted[violations] = true
      local count = redis.call('INCR', violations)
      if count == 1 then redis.call('PEXPIRE', violations, banWithin) end
      if count >= banAfter then
        redis.call('DEL', violations)
        redis.call('SET', KEYS[n + i], '1', 'PX', banFor)
        if out[3] == 0 then out[3] = i; out[4] = banFor end
      end
    end
  end
end
return out
`

/** Answer fields before the per-limit ones: Redis time (s, µs), banned index, ban ms. */
const HEAD = 4
const PAST_DEADLINE = -1

/** Tally updates sent in one pipeline (about 3,000 commands): the event loop gets a turn between two. */
const TALLY_CHUNK = 1000

/**
 * The command may run this much before the gateway gives up and still count: the answer then
 * has this long to come back over the network and be read before the gateway's timer fires.
 */
function answerMarginMs(timeoutMs: number): number {
  return Math.min(20, timeoutMs / 5)
}

/** Redis did not answer in time; whenever it runs the command, the command counts nothing. */
export class CounterStoreTimeoutError extends Error {
  readonly code = 'COUNTER_STORE_TIMEOUT'
}

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
  readonly #cluster: boolean
  readonly #clock = new ServerClock()
  /** A first answer in flight per shard, which the deadlines of its commands wait for. */
  readonly #calibrations = new Map<string, Promise<unknown>>()

  constructor(url: string, options: RedisCountersOptions) {
    this.#options = options
    const redisOptions: RedisOptions = {
      // Fail fast while disconnected instead of queueing: the policy then falls back or refuses,
      // and ioredis keeps reconnecting in the background.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // The limits script keeps its own time (#send); this bounds every other command, and what
      // a stalled connection holds.
      commandTimeout: 2 * options.timeoutMs + 1000,
      connectTimeout: Math.max(1000, options.timeoutMs),
      retryStrategy: (attempt) => Math.min(1000, 50 * attempt),
    }
    // Every request sends one script call: to one Redis, those of one turn of the event loop go
    // out in one write (ioredis's auto-pipelining), not one write (and one wake-up of Redis)
    // each. Not to a cluster: ioredis groups a defined command by its first argument (the key
    // count, not a key), so one batch would mix slots of several shards and fail whole, and a
    // MOVED answer inside a batch of writes is not followed.
    const client = url.startsWith(CLUSTER_SCHEME)
      ? new Cluster(clusterSeeds(url), { redisOptions, enableOfflineQueue: false, clusterRetryStrategy: (attempt) => Math.min(1000, 50 * attempt) })
      : new Redis(url, { ...redisOptions, enableAutoPipelining: true })
    client.defineCommand('portcullisLimits', { lua: SCRIPT })
    // Errors surface on each command; without a listener ioredis would print them.
    client.on('error', () => undefined)
    this.#client = client as CounterClient
    this.#cluster = client instanceof Cluster
    client.on('ready', () => this.#reconnected())
  }

  get connected(): boolean {
    return this.#client.status === 'ready'
  }

  /** Waits (at most `timeoutMs`) for the first connection; rejects with the reason otherwise. */
  async waitUntilConnected(timeoutMs: number): Promise<void> {
    const client = this.#client
    if (!this.connected) {
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
    // So that the first requests need not learn Redis's clock themselves.
    await this.#calibrations.get('')?.catch(() => undefined)
  }

  /**
   * A new connection may reach another server (a restart, a failover) with another clock: what
   * was learnt is dropped, and one Redis's clock learnt again at once (a cluster's shards are
   * learnt from their first answers).
   */
  #reconnected(): void {
    this.#clock.forget()
    if (this.#cluster) return
    this.#calibrate('', async () => {
      const [seconds, micros] = await (this.#client as Redis).time()
      this.#clock.observe('', Number(seconds) * 1000 + Number(micros) / 1000, performance.now())
    }, true).catch(() => undefined)
  }

  async consume(checks: readonly LimitCheck[], cost: number, nowMs: number, ban: BanRule | null, carried?: readonly (CarriedState | null)[]): Promise<ConsumeResult> {
    return this.#run(checks, cost, nowMs, true, ban, carried)
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

  /**
   * The ban key (NX: an existing ban is not extended), then its entry in the index of imposed bans
   * at the key's actual expiry — also when the key was set by an earlier attempt whose answer came
   * too late, so a retry always leaves the ban indexed, where every node reads it.
   */
  async imposeBan(subject: string, forMs: number, nowMs: number): Promise<boolean> {
    const ms = Math.max(1, Math.ceil(forMs))
    const set = await this.#withinTimeout(this.#client.set(this.#banKey(subject), '1', 'PX', ms, 'NX'))
    const remainingMs = set === 'OK' ? ms : await this.#withinTimeout(this.#client.pttl(this.#banKey(subject)))
    if (set === 'OK') await this.#withinTimeout(this.#client.zadd(this.#imposedKey, nowMs + remainingMs, subject))
    else if (remainingMs > 0) await this.#withinTimeout(this.#client.zadd(this.#imposedKey, 'NX', nowMs + remainingMs, subject))
    await this.#withinTimeout(this.#client.zremrangebyscore(this.#imposedKey, '-inf', nowMs))
    return set === 'OK'
  }

  /** Those that end last first: when there are more than `max`, the newest and longest are the ones kept. */
  async imposedBans(nowMs: number, max: number): Promise<readonly BanEntry[]> {
    const flat = await this.#withinTimeout(this.#client.zrevrangebyscore(this.#imposedKey, '+inf', nowMs + 1, 'WITHSCORES', 'LIMIT', 0, max))
    const entries: BanEntry[] = []
    for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ subject: flat[i] as string, remainingMs: Number(flat[i + 1]) - nowMs })
    return entries
  }

  get #imposedKey(): string {
    return `${this.#options.prefix}imposed-bans`
  }

  /**
   * Pipelines of at most TALLY_CHUNK updates, each waited for before the next is built (a large
   * flush never holds the event loop): per update its bucket's INCRBY or PFADD with its expiry,
   * then the window read back (one MGET summed, or one PFCOUNT). In a cluster a pipeline and a
   * multi-key command must stay on one slot: callers give the keys a common hash tag (detection
   * uses `{detection}`).
   */
  async tally(updates: readonly TallyUpdate[], nowMs: number): Promise<readonly number[]> {
    const totals: number[] = []
    for (let from = 0; from < updates.length; from += TALLY_CHUNK) totals.push(...(await this.#tallyChunk(updates.slice(from, from + TALLY_CHUNK), nowMs)))
    return totals
  }

  async #tallyChunk(updates: readonly TallyUpdate[], nowMs: number): Promise<number[]> {
    const pipeline = this.#client.pipeline()
    const reads: { index: number; distinct: boolean }[] = []
    let index = 0
    for (const update of updates) {
      const bucket = Math.floor(nowMs / update.bucketMs)
      const buckets = Math.max(1, Math.ceil(update.windowMs / update.bucketMs))
      const keyOf = (b: number) => `${this.#options.prefix}tally:${update.key}:${b}`
      // Whole milliseconds: PEXPIRE refuses fractions, and a refused expiry would leave the key forever.
      const ttlMs = Math.ceil((buckets + 1) * update.bucketMs)
      const window: string[] = []
      for (let b = bucket - buckets + 1; b <= bucket; b++) window.push(keyOf(b))
      if ('add' in update) {
        pipeline.incrby(keyOf(bucket), update.add).pexpire(keyOf(bucket), ttlMs).mget(...window)
        index += 3
        reads.push({ index: index - 1, distinct: false })
      } else {
        if (update.members.length > 0) {
          pipeline.pfadd(keyOf(bucket), ...update.members).pexpire(keyOf(bucket), ttlMs)
          index += 2
        }
        pipeline.pfcount(...window)
        index += 1
        reads.push({ index: index - 1, distinct: true })
      }
    }
    const answers = await this.#withinTimeout(pipeline.exec())
    if (answers === null) throw new Error('the tally pipeline was discarded')
    for (const [error] of answers) if (error !== null) throw error
    return reads.map(({ index: at, distinct }) => {
      const value = (answers[at] as [Error | null, unknown])[1]
      return distinct ? Number(value) : (value as (string | null)[]).reduce((sum, count) => sum + Number(count ?? 0), 0)
    })
  }

  /** Rejects with CounterStoreTimeoutError when `command` does not answer within the store's timeout. */
  async #withinTimeout<T>(command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CounterStoreTimeoutError(`Redis did not answer within ${this.#options.timeoutMs} ms`)), this.#options.timeoutMs)
    })
    try {
      return await Promise.race([command, deadline])
    } finally {
      clearTimeout(timer)
    }
  }

  async liftBan(subject: string): Promise<boolean> {
    // Two commands, not one DEL of both keys: in a cluster they need not share a slot.
    const removed = await this.#client.del(this.#banKey(subject))
    await this.#client.del(this.#violationKey(subject))
    await this.#client.zrem(this.#imposedKey, subject)
    return removed > 0
  }

  #banKey(subject: string): string {
    return `${this.#options.prefix}ban:${subject}`
  }

  #violationKey(subject: string): string {
    return `${this.#options.prefix}refusals:${subject}`
  }

  async #run(checks: readonly LimitCheck[], cost: number, nowMs: number, commit: boolean, ban: BanRule | null, carried?: readonly (CarriedState | null)[]): Promise<ConsumeResult> {
    const giveUpAt = performance.now() + this.#options.timeoutMs
    const keys: string[] = checks.map((check) => this.#options.prefix + storageKey(check))
    if (ban !== null) {
      for (const check of checks) keys.push(this.#banKey(check.subject))
      for (const check of checks) keys.push(this.#violationKey(check.subject))
    }
    const shard = this.#cluster && keys[0] !== undefined ? hashTag(keys[0]) : ''
    const args = (writes: boolean, deadline: string): (string | number)[] => {
      const list: (string | number)[] = [...keys, this.#options.gatewayClock ? nowMs : '', cost, writes ? '1' : '0']
      if (ban === null) list.push('', '', '')
      else list.push(ban.after, ban.withinMs, ban.forMs)
      list.push(deadline)
      checks.forEach(({ algorithm }, i) => {
        if (algorithm.kind === 'gcra') list.push(KIND.gcra, algorithm.intervalMs, algorithm.burst)
        else if (algorithm.kind === 'sliding') list.push(KIND.sliding, algorithm.windowMs, algorithm.limit)
        else list.push(KIND.fixed, algorithm.limit, algorithm.endMs)
        list.push(writes ? carriedArg(carried?.[i] ?? null) : '')
      })
      return list
    }
    // Only a command that writes needs a deadline; it is built from what Redis's clock said before.
    const deadline = async () => {
      const offset = this.#clock.lowerBound(shard, performance.now()) ?? (await this.#calibrate(shard, () => this.#send(shard, keys.length, args(false, ''), giveUpAt)))
      return { offset, deadline: (giveUpAt - answerMarginMs(this.#options.timeoutMs) + offset).toFixed(3) }
    }
    const first = commit ? await deadline() : { offset: 0, deadline: '' }
    let flat = await this.#send(shard, keys.length, args(commit, first.deadline), giveUpAt)
    if (flat[2] === PAST_DEADLINE && performance.now() < giveUpAt) {
      // Answered in time yet past its deadline: the clock was learnt from a slow answer (a busy
      // start-up), and this one taught it better. Nothing was written, so once more.
      const second = await deadline()
      if (second.offset > first.offset) flat = await this.#send(shard, keys.length, args(commit, second.deadline), giveUpAt)
    }
    if (flat[2] === PAST_DEADLINE) throw new CounterStoreTimeoutError(`Redis ran the command after ${this.#options.timeoutMs} ms`)
    const bannedIndex = flat[2] ?? 0
    const banned = bannedIndex === 0 ? null : { subject: (checks[bannedIndex - 1] as LimitCheck).subject, remainingMs: flat[3] ?? 0 }
    if (flat.length === HEAD) return { outcomes: [], ban: banned }
    const outcomes = checks.map((_, i) => ({
      allowed: flat[HEAD + i * 5] === 1,
      limit: flat[HEAD + i * 5 + 1] ?? 0,
      remaining: flat[HEAD + i * 5 + 2] ?? 0,
      resetMs: flat[HEAD + i * 5 + 3] ?? 0,
      retryAfterMs: flat[HEAD + i * 5 + 4] ?? 0,
    }))
    return { outcomes: withoutConsumption(outcomes, checks.map((c) => c.algorithm), cost), ban: banned }
  }

  /**
   * Learns where a shard's clock stands, from one answer shared by the commands waiting for it:
   * TIME on a new connection, or else the limits script without writes. Returns the offset bound.
   */
  async #calibrate(shard: string, ask: () => Promise<unknown>, anew = false): Promise<number> {
    let calibration = anew ? undefined : this.#calibrations.get(shard)
    if (calibration === undefined) {
      const asked: Promise<unknown> = ask().finally(() => {
        if (this.#calibrations.get(shard) === asked) this.#calibrations.delete(shard)
      })
      calibration = asked
      this.#calibrations.set(shard, asked)
    }
    await calibration
    const offset = this.#clock.lowerBound(shard, performance.now())
    if (offset === null) throw new Error('Redis answered without its time')
    return offset
  }

  /**
   * Runs the script; rejects at `giveUpAt` (local monotonic ms). Every answer, even one that
   * comes after the gateway gave up, teaches where Redis's clock stands.
   */
  #send(shard: string, keyCount: number, args: (string | number)[], giveUpAt: number): Promise<number[]> {
    const pending = this.#client.portcullisLimits(keyCount, ...args)
    pending.then(
      (flat) => this.#clock.observe(shard, (flat[0] ?? 0) * 1000 + (flat[1] ?? 0) / 1000, performance.now()),
      () => undefined,
    )
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          // The answer may have arrived while this process was busy: timers run before the loop
          // reads sockets, so let it read once before giving up on an answer already here.
          setImmediate(() => reject(new CounterStoreTimeoutError(`Redis did not answer within ${this.#options.timeoutMs} ms`)))
        },
        Math.max(0, giveUpAt - performance.now()),
      )
      pending.then(
        (flat) => {
          clearTimeout(timer)
          resolve(flat)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(error instanceof Error ? error : new Error(String(error)))
        },
      )
    })
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect())
  }
}

/** The `{…}` hash tag Redis Cluster places a key by (the whole key when it has none). */
function hashTag(key: string): string {
  const open = key.indexOf('{')
  const close = open === -1 ? -1 : key.indexOf('}', open + 1)
  return close > open + 1 ? key.slice(open + 1, close) : key
}

/** A carried state as the script's argument ('' for none). */
function carriedArg(state: CarriedState | null): string {
  if (state === null) return ''
  if (state.kind === 'gcra') return state.aheadMs.toFixed(3)
  if (state.kind === 'sliding') return `${state.current}:${state.previous}`
  return String(state.count)
}
