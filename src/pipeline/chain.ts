/**
 * A route's compiled chain: its policy instances sorted by priority and split by phase, built
 * once per config load. Routes without overrides share their API's chain.
 */
import type { RequestContext } from './context.js'
import type { OnFailure, PolicyHooks } from './define-policy.js'

/** One configured policy: created once per API (and once per route that overrides it). */
export interface PolicyInstance {
  readonly name: string
  readonly priority: number
  readonly onFailure: OnFailure
  readonly hooks: PolicyHooks
}

export interface Step<H> {
  readonly name: string
  readonly onFailure: OnFailure
  readonly hook: H
}

type Hook<K extends keyof PolicyHooks> = NonNullable<PolicyHooks[K]>

export interface Chain {
  readonly policies: readonly string[]
  readonly onRequest: readonly Step<Hook<'onRequest'>>[]
  readonly onRequestBody: readonly Step<Hook<'onRequestBody'>>[]
  readonly onResponse: readonly Step<Hook<'onResponse'>>[]
  readonly onResponseBody: readonly Step<Hook<'onResponseBody'>>[]
  readonly onLog: readonly Step<Hook<'onLog'>>[]
  readonly onUnrouted: readonly Step<Hook<'onUnrouted'>>[]
  /** Whether a policy wants this request's body buffered (only meaningful with `onRequestBody` steps). */
  readonly wantsRequestBody: (ctx: RequestContext) => boolean
  /** Whether a policy wants this response's body buffered (`ctx.response` null: whether one might). */
  readonly wantsResponseBody: (ctx: RequestContext) => boolean
  /** Smallest body limit a policy declared, or null: bodies then stream unbounded by policy. */
  readonly requestBodyLimit: number | null
  /** The limit a buffered request body is held to (413 past it). */
  readonly bufferLimit: number
}

export function buildChain(instances: readonly PolicyInstance[], maxBufferedBodyBytes: number): Chain {
  const sorted = [...instances].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name))
  const steps = <K extends keyof PolicyHooks>(phase: K): Step<Hook<K>>[] =>
    sorted
      .filter((i) => i.hooks[phase] !== undefined)
      .map((i) => ({ name: i.name, onFailure: i.onFailure, hook: (i.hooks[phase] as Hook<K> & ((...args: never[]) => unknown)).bind(i.hooks) as Hook<K> }))
  const limits = sorted.map((i) => i.hooks.requestBodyLimit).filter((l): l is number => l !== undefined)
  const requestBodyLimit = limits.length === 0 ? null : Math.min(...limits)
  return {
    policies: sorted.map((i) => i.name),
    onRequest: steps('onRequest'),
    onRequestBody: steps('onRequestBody'),
    onResponse: steps('onResponse'),
    onResponseBody: steps('onResponseBody'),
    onLog: steps('onLog'),
    onUnrouted: steps('onUnrouted'),
    wantsRequestBody: bodyWanted(sorted, 'onRequestBody', 'wantsRequestBody'),
    wantsResponseBody: bodyWanted(sorted, 'onResponseBody', 'wantsResponseBody'),
    requestBodyLimit,
    bufferLimit: requestBodyLimit ?? maxBufferedBodyBytes,
  }
}

const ALWAYS = (): boolean => true

/** One predicate for a body phase: always when a policy with a body hook has no predicate, else when any predicate says so. */
function bodyWanted(sorted: readonly PolicyInstance[], phase: 'onRequestBody' | 'onResponseBody', predicate: 'wantsRequestBody' | 'wantsResponseBody'): (ctx: RequestContext) => boolean {
  const readers = sorted.filter((i) => i.hooks[phase] !== undefined)
  if (readers.some((i) => i.hooks[predicate] === undefined)) return ALWAYS
  const wants = readers.map((i) => (i.hooks[predicate] as (ctx: RequestContext) => boolean).bind(i.hooks))
  if (wants.length === 1) return wants[0] as (ctx: RequestContext) => boolean
  return (ctx) => wants.some((w) => w(ctx))
}
