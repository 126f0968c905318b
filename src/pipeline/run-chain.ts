/**
 * Runs a chain's hooks for one phase. One error path: a verdict stops the phase; a throw is a
 * policy failure, answered per the policy's `onFailure` (closed: a problem reply; open: logged
 * and skipped). Synchronous hooks stay synchronous, so a chain of them costs no promise.
 */
import { GatewayError } from '../errors.js'
import type { Chain, Step } from './chain.js'
import type { RequestContext } from './context.js'
import type { AccessLogEntry } from '../observability/access-log.js'
import type { UnroutedRequest } from './define-policy.js'
import { isReply, respond, type Reply, type Verdict } from './reply.js'

/** Called for every policy failure, whether it failed open or closed. */
export type PolicyFailureReporter = (policy: string, error: unknown, failedOpen: boolean, ctx: RequestContext) => void

type MaybePromise<T> = T | Promise<T>

function failureReply(step: Step<unknown>, error: unknown, ctx: RequestContext, report: PolicyFailureReporter): Reply | undefined {
  report(step.name, error, step.onFailure === 'open', ctx)
  if (step.onFailure === 'open') return undefined
  ctx.decidingPolicy = step.name
  return error instanceof GatewayError ? respond.problem(error.code) : respond.problem('GW_ERR_POLICY_FAILED')
}

function decide(step: Step<unknown>, verdict: Verdict, ctx: RequestContext): Reply | undefined {
  if (verdict === undefined || !isReply(verdict)) return undefined
  ctx.decidingPolicy = step.name
  return verdict
}

/** Runs `onRequest` hooks from `start`; returns synchronously while hooks do. */
export function runRequestHooks(chain: Chain, ctx: RequestContext, report: PolicyFailureReporter, start = 0): MaybePromise<Reply | undefined> {
  const steps = chain.onRequest
  for (let i = start; i < steps.length; i++) {
    const step = steps[i] as (typeof steps)[number]
    let verdict: MaybePromise<Verdict>
    try {
      verdict = step.hook(ctx)
    } catch (error) {
      const reply = failureReply(step, error, ctx, report)
      if (reply !== undefined) return reply
      continue
    }
    if (verdict instanceof Promise) return continueAfter(verdict, step, i, chain, ctx, report)
    const reply = decide(step, verdict, ctx)
    if (reply !== undefined) return reply
  }
  return undefined
}

/** A hook's asynchronous verdict as a reply (or undefined to go on), its failure handled as a synchronous one. */
async function settle(pending: Promise<Verdict>, step: Step<unknown>, ctx: RequestContext, report: PolicyFailureReporter): Promise<Reply | undefined> {
  try {
    return decide(step, await pending, ctx)
  } catch (error) {
    return failureReply(step, error, ctx, report)
  }
}

async function continueAfter(
  pending: Promise<Verdict>,
  step: Step<unknown>,
  index: number,
  chain: Chain,
  ctx: RequestContext,
  report: PolicyFailureReporter,
): Promise<Reply | undefined> {
  const reply = await settle(pending, step, ctx, report)
  if (reply !== undefined) return reply
  return runRequestHooks(chain, ctx, report, index + 1)
}

/** Runs body hooks from `start`; returns synchronously while hooks do (a WAF or a validator on every request costs no promise). */
function runBodyHooks(
  steps: readonly Step<(ctx: RequestContext, body: Buffer) => MaybePromise<Verdict>>[],
  ctx: RequestContext,
  body: () => Buffer,
  report: PolicyFailureReporter,
  start = 0,
): MaybePromise<Reply | undefined> {
  for (let i = start; i < steps.length; i++) {
    const step = steps[i] as (typeof steps)[number]
    let verdict: MaybePromise<Verdict>
    try {
      verdict = step.hook(ctx, body())
    } catch (error) {
      const reply = failureReply(step, error, ctx, report)
      if (reply !== undefined) return reply
      continue
    }
    if (verdict instanceof Promise) return continueBodyAfter(verdict, i, steps, ctx, body, report)
    const reply = decide(step, verdict, ctx)
    if (reply !== undefined) return reply
  }
  return undefined
}

async function continueBodyAfter(
  pending: Promise<Verdict>,
  index: number,
  steps: readonly Step<(ctx: RequestContext, body: Buffer) => MaybePromise<Verdict>>[],
  ctx: RequestContext,
  body: () => Buffer,
  report: PolicyFailureReporter,
): Promise<Reply | undefined> {
  const reply = await settle(pending, steps[index] as (typeof steps)[number], ctx, report)
  if (reply !== undefined) return reply
  return runBodyHooks(steps, ctx, body, report, index + 1)
}

export function runRequestBodyHooks(chain: Chain, ctx: RequestContext, report: PolicyFailureReporter): MaybePromise<Reply | undefined> {
  return runBodyHooks(chain.onRequestBody, ctx, () => ctx.requestBody ?? Buffer.alloc(0), report)
}

/** `onResponseBody` hooks see the body as the previous hook left it. */
export function runResponseBodyHooks(chain: Chain, ctx: RequestContext, report: PolicyFailureReporter): MaybePromise<Reply | undefined> {
  return runBodyHooks(chain.onResponseBody, ctx, () => ctx.responseBody ?? Buffer.alloc(0), report)
}

export function runResponseHooks(chain: Chain, ctx: RequestContext, report: PolicyFailureReporter): Reply | undefined {
  for (const step of chain.onResponse) {
    let reply: Reply | undefined
    try {
      reply = decide(step, step.hook(ctx), ctx)
    } catch (error) {
      reply = failureReply(step, error, ctx, report)
    }
    if (reply !== undefined) return reply
  }
  return undefined
}

/** Log hooks must not affect the response; their failures are only reported. */
export function runLogHooks(chain: Chain, ctx: RequestContext, entry: AccessLogEntry, report: PolicyFailureReporter): void {
  for (const step of chain.onLog) {
    try {
      step.hook(ctx, entry)
    } catch (error) {
      report(step.name, error, true, ctx)
    }
  }
}

/** `onUnrouted` hooks, like log hooks: their failures are only reported. */
export function runUnroutedHooks(chain: Chain, request: UnroutedRequest, report: (policy: string, error: unknown) => void): void {
  for (const step of chain.onUnrouted) {
    try {
      step.hook(request)
    } catch (error) {
      report(step.name, error)
    }
  }
}
