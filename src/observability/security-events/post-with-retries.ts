/**
 * POSTs a body to a collector or webhook with a timeout per attempt and retries with exponential
 * backoff and jitter, for network errors, 408, 429 and 5xx; other answers are final.
 */
import { setTimeout as sleep } from 'node:timers/promises'

export interface PostOptions {
  readonly timeoutMs: number
  readonly maxRetries: number
  /** First backoff; each retry doubles it (with ±50 % jitter), capped at 30 s. */
  readonly backoffMs: number
}

export class DeliveryError extends Error {}

const RETRIED = new Set([408, 429])

export async function postWithRetries(url: string, headers: Record<string, string>, body: string, options: PostOptions, signal: AbortSignal): Promise<void> {
  let lastError: unknown = null
  for (let attempt = 0; attempt <= options.maxRetries; attempt++) {
    if (attempt > 0) {
      const base = Math.min(30_000, options.backoffMs * 2 ** (attempt - 1))
      try {
        await sleep(base / 2 + Math.random() * base, undefined, { signal })
      } catch {
        break
      }
    }
    if (signal.aborted) break
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]), redirect: 'error' })
      // The answer's body is not needed; reading it frees the connection.
      await res.arrayBuffer().catch(() => undefined)
      if (res.ok) return
      lastError = new DeliveryError(`${new URL(url).origin} answered ${res.status}`)
      if (!(RETRIED.has(res.status) || res.status >= 500)) break
    } catch (error) {
      lastError = error
    }
  }
  throw lastError instanceof Error ? lastError : new DeliveryError('delivery aborted at shutdown')
}
