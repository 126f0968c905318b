/**
 * `rate-limit`: rates, sliding windows and calendar quotas per consumer, API key, client address,
 * route, header value or a combination; the API's limits plus those of the principal's plan, all
 * of which must pass. Counters live in the configured store (memory, or Redis shared by every
 * node); one store call per request checks and consumes every limit at once. Limited responses
 * carry the RateLimit headers; a refusal is a 429 problem with `Retry-After`.
 */
import type { Static } from '@sinclair/typebox'
import type { RequestContext } from '../../pipeline/context.js'
import { definePolicy } from '../../pipeline/define-policy.js'
import { respond, type Reply } from '../../pipeline/reply.js'
import type { BanRule, ConsumeResult, LimitOutcome } from '../../stores/counter-store.js'
import { durationMs, limitProblems, type CompiledLimit } from './compile-limits.js'
import { createCounterAccess, type Access } from './counter-access.js'
import { LimitSet } from './limit-set.js'
import { plansSection } from './plans.js'
import { ConcurrencyLimiter, type Ticket } from './concurrency.js'
import { keyOf, requestKeyInputs } from './request-key.js'
import { RateLimitConfig } from './schema.js'

export const rateLimit = definePolicy({
  name: 'rate-limit',
  priority: 1800,
  description: 'Rate limits, sliding windows and calendar quotas, per consumer, key, address, route or header; plans; RateLimit headers.',
  configSchema: RateLimitConfig,
  sections: { plans: plansSection },
  needsCounters: true,
  check(config, gateway) {
    const problems = config.limits.flatMap((limit, index) => limitProblems(limit).map((p) => ({ path: `limits[${index}]${p.path === '' ? '' : `.${p.path}`}`, message: p.message })))
    const names = config.limits.map((l, i) => l.name ?? `${i}`)
    names.forEach((name, index) => {
      if (names.indexOf(name) !== index) problems.push({ path: `limits[${index}].name`, message: `duplicates the name of another limit ("${name}")` })
    })
    if (gateway.counters === 'memory' && gateway.workers > 1) {
      problems.push({
        path: '',
        message: `with workers: ${gateway.workers} the memory counter store would count in each worker separately (${gateway.workers}× the limit); set stores.counters to a Redis URL, or workers: 1`,
      })
    }
    return problems
  },
  create(config, deps) {
    const limitSet = new LimitSet(config, deps.api, deps.sections.plans)
    const ban: BanRule | null = config.ban === undefined ? null : { after: config.ban.after, withinMs: durationMs(config.ban.within), forMs: durationMs(config.ban.for) }
    const counters = createCounterAccess({ onFailure: config.onFailure, ban, counters: deps.counters, logger: deps.logger })
    const warnedPlans = new Set<string>()

    const concurrency = config.concurrency === undefined ? null : createConcurrency(config.concurrency, config.ipv6Prefix)

    const limitsFor = (ctx: RequestContext): readonly CompiledLimit[] => {
      const plan = ctx.state.principal?.plan ?? null
      const { limits, known } = limitSet.limitsFor(plan)
      if (!known && plan !== null && !warnedPlans.has(plan) && warnedPlans.size < 100) {
        warnedPlans.add(plan)
        deps.logger.warn({ plan }, 'a consumer’s plan is not in the config’s plans; the default plan’s limits apply')
      }
      return limits
    }

    const decide = (ctx: RequestContext, applied: readonly CompiledLimit[], result: ConsumeResult, nowMs: number): Reply | undefined => {
      const { outcomes } = result
      if (outcomes.length === 0 && result.ban !== null) {
        const seconds = Math.max(1, Math.ceil(result.ban.remainingMs / 1000))
        return respond.problem('GW_ERR_RATE_LIMIT_BANNED', { headers: { 'retry-after': String(seconds) }, detail: `retry after ${seconds} s` })
      }
      if (result.ban !== null) {
        deps.logger.warn({ requestId: ctx.requestId, subject: result.ban.subject, forMs: result.ban.remainingMs }, 'rate-limit ban: a subject kept exceeding its limits')
        ctx.noteSecurity('rate-limit', { action: 'rate-limit-ban-started', details: { subject: result.ban.subject, forMs: result.ban.remainingMs } })
      }
      if (config.headers !== 'none') setHeaders(ctx, config.headers, applied, outcomes, nowMs)
      let refused: CompiledLimit | null = null
      let retryAfterMs = 0
      outcomes.forEach((outcome, i) => {
        if (outcome.allowed) return
        refused = refused?.code === 'GW_ERR_QUOTA_EXCEEDED' ? refused : (applied[i] as CompiledLimit)
        retryAfterMs = Math.max(retryAfterMs, outcome.retryAfterMs)
      })
      if (refused === null) return undefined
      const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000))
      if (result.ban === null) ctx.noteSecurity('rate-limit', { ruleName: (refused as CompiledLimit).name, details: { retryAfterMs } })
      return respond.problem((refused as CompiledLimit).code, { headers: { 'retry-after': String(seconds) }, detail: `retry after ${seconds} s` })
    }

    const unavailable = () => respond.problem('GW_ERR_RATE_LIMIT_UNAVAILABLE', { headers: { 'retry-after': '1' } })
    const decideAccess = (ctx: RequestContext, applied: readonly CompiledLimit[], access: Access, nowMs: number): Reply | undefined =>
      access === null ? unavailable() : decide(ctx, applied, access, nowMs)

    const checkLimits = (ctx: RequestContext): Reply | undefined | Promise<Reply | undefined> => {
      const applied = limitsFor(ctx)
      if (applied.length === 0) return undefined
      const nowMs = deps.clock.now()
      const access = counters.consume(limitSet.checks(applied, requestKeyInputs(ctx), nowMs), nowMs)
      if (!(access instanceof Promise)) return decideAccess(ctx, applied, access, nowMs)
      return access.then((answer) => decideAccess(ctx, applied, answer, nowMs))
    }

    if (concurrency === null) {
      return {
        onRequest(ctx) {
          return ctx.isPreflight ? undefined : checkLimits(ctx)
        },
      }
    }
    // Rates first: a request they refuse never takes an in-flight slot.
    return {
      onRequest(ctx) {
        if (ctx.isPreflight) return undefined
        const verdict = checkLimits(ctx)
        if (verdict instanceof Promise) return verdict.then((reply) => reply ?? concurrency.enter(ctx))
        return verdict ?? concurrency.enter(ctx)
      },
      onLog(ctx) {
        concurrency.leave(ctx)
      },
    }
  },
})

declare module '../../pipeline/context.js' {
  interface RequestState {
    /** The request's in-flight slot (rate-limit `concurrency`). */
    concurrencySlot?: { ticket: Ticket | null; finished: boolean }
  }
}

/** Entering takes (or waits for) a slot; leaving, once the response is done, gives it back. */
function createConcurrency(options: NonNullable<Static<typeof RateLimitConfig>['concurrency']>, ipv6Prefix: number) {
  const limiter = new ConcurrencyLimiter({ max: options.max, queue: options.queue, timeoutMs: durationMs(options.queueTimeout) })
  const per = options.per ?? 'consumer'
  const parts = typeof per === 'string' ? [per] : per
  const busy = () => respond.problem('GW_ERR_CONCURRENCY_LIMITED', { headers: { 'retry-after': '1' } })
  return {
    enter(ctx: RequestContext): Reply | undefined | Promise<Reply | undefined> {
      const key = keyOf(parts, requestKeyInputs(ctx), ipv6Prefix)
      const slot: { ticket: Ticket | null; finished: boolean } = { ticket: null, finished: false }
      ctx.state.concurrencySlot = slot
      const ticket = limiter.acquire(key)
      if (ticket === null) return busy()
      if (!(ticket instanceof Promise)) {
        slot.ticket = ticket
        return undefined
      }
      return ticket.then((granted) => {
        if (granted === null) return busy()
        // The client may have gone while the request waited: the slot goes back at once.
        if (slot.finished) granted.release()
        else slot.ticket = granted
        return undefined
      })
    },
    leave(ctx: RequestContext): void {
      const slot = ctx.state.concurrencySlot
      if (slot === undefined) return
      slot.finished = true
      slot.ticket?.release()
    },
  }
}

/** `RateLimit-Policy` + `RateLimit` (every limit), or the `X-RateLimit-*` trio for the tightest. */
function setHeaders(ctx: RequestContext, style: 'ietf' | 'legacy' | 'both', applied: readonly CompiledLimit[], outcomes: readonly LimitOutcome[], nowMs: number): void {
  const headers = ctx.responseHeaders
  if (style !== 'legacy') {
    headers.set('ratelimit-policy', applied.map((limit) => limit.policyField(nowMs)).join(', '))
    headers.set('ratelimit', outcomes.map((o, i) => `"${(applied[i] as CompiledLimit).name}";r=${o.remaining};t=${Math.ceil(o.resetMs / 1000)}`).join(', '))
  }
  if (style !== 'ietf') {
    // A refused limit (the longest wait first), else the one with the fewest units left.
    let tightest = 0
    for (let i = 1; i < outcomes.length; i++) {
      const o = outcomes[i] as LimitOutcome
      const best = outcomes[tightest] as LimitOutcome
      if (o.allowed ? best.allowed && o.remaining < best.remaining : best.allowed || o.retryAfterMs > best.retryAfterMs) tightest = i
    }
    const chosen = outcomes[tightest] as LimitOutcome
    headers.set('x-ratelimit-limit', String(chosen.limit))
    headers.set('x-ratelimit-remaining', String(chosen.remaining))
    headers.set('x-ratelimit-reset', String(Math.ceil(chosen.resetMs / 1000)))
  }
}
