/**
 * A remote JSON Web Key Set kept fresh for the verifier.
 *
 * - Fetched with the provider's HTTP cache headers honoured (within configured bounds) and
 *   revalidated with ETag / Last-Modified; refreshed in the background before it goes stale.
 * - A token with a `kid` the set lacks triggers at most one fetch per cooldown, shared by every
 *   such token (coalesced): a flood of made-up `kid`s cannot become a flood of fetches.
 * - When the provider is unreachable the last good set keeps working; fetches back off.
 * - Not ready until the first set has loaded (the gateway's readiness waits on it).
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose'
import type { Logger } from 'pino'
import { fetchJson, freshnessSeconds, headerText } from './fetch-json.js'

type KeyResolver = ReturnType<typeof createLocalJWKSet>
export type JwksFetchOutcome = 'loaded' | 'not_modified' | 'failed'

export interface JwksSourceOptions {
  /** Resolves the key set's URL (fixed, or by OIDC discovery). */
  locate: () => Promise<string>
  minRefreshMs: number
  maxRefreshMs: number
  unknownKidCooldownMs: number
  timeoutMs: number
  clock: { now(): number }
  logger: Logger
  /** Called when the set of keys changed, so results verified with removed keys can be dropped. */
  onChange?: () => void
  onFetch?: (outcome: JwksFetchOutcome, reason: 'initial' | 'scheduled' | 'unknown_kid') => void
}

const MAX_BACKOFF_MS = 60_000

export class JwksUnavailableError extends Error {}

export class JwksSource {
  readonly #options: JwksSourceOptions
  #resolve: KeyResolver | null = null
  #kids = new Set<string>()
  #fingerprint = ''
  #url: string | null = null
  #etag: string | undefined
  #lastModified: string | undefined
  #inFlight: Promise<void> | null = null
  #lastAttemptAt = Number.NEGATIVE_INFINITY
  #failures = 0
  #timer: NodeJS.Timeout | null = null
  #closed = false

  constructor(options: JwksSourceOptions) {
    this.#options = options
  }

  /** Starts loading; resolves once the first key set is in (retrying in the background until then). */
  start(): void {
    void this.#refresh('initial')
  }

  isReady(): boolean {
    return this.#resolve !== null
  }

  /** The key for a token's protected header (jose's key-resolver contract). */
  async getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<Awaited<ReturnType<KeyResolver>>> {
    const resolve = this.#resolve
    if (resolve === null) throw new JwksUnavailableError('the key set has not been loaded yet')
    try {
      return await resolve(header, token)
    } catch (error) {
      const kid = header.kid
      if (!(error instanceof errors.JWKSNoMatchingKey) || kid === undefined || this.#kids.has(kid)) throw error
      if (this.#options.clock.now() - this.#lastAttemptAt < this.#options.unknownKidCooldownMs && this.#inFlight === null) throw error
      await this.#refresh('unknown_kid')
      const next = this.#resolve as KeyResolver
      return await next(header, token)
    }
  }

  close(): void {
    this.#closed = true
    if (this.#timer !== null) clearTimeout(this.#timer)
  }

  /** One fetch at a time: callers that arrive while one runs share its outcome. */
  #refresh(reason: 'initial' | 'scheduled' | 'unknown_kid'): Promise<void> {
    this.#inFlight ??= this.#fetch(reason).finally(() => {
      this.#inFlight = null
    })
    return this.#inFlight
  }

  async #fetch(reason: 'initial' | 'scheduled' | 'unknown_kid'): Promise<void> {
    const { clock, logger } = this.#options
    this.#lastAttemptAt = clock.now()
    let nextInMs: number
    try {
      this.#url ??= await this.#options.locate()
      const conditional: Record<string, string> = {}
      if (this.#resolve !== null && this.#etag !== undefined) conditional['if-none-match'] = this.#etag
      if (this.#resolve !== null && this.#lastModified !== undefined) conditional['if-modified-since'] = this.#lastModified
      const response = await fetchJson(this.#url, { timeoutMs: this.#options.timeoutMs, headers: conditional })
      if (response.status === 304 && this.#resolve !== null) {
        this.#options.onFetch?.('not_modified', reason)
      } else {
        if (response.status !== 200) throw new Error(`${this.#url}: answered ${response.status}`)
        this.#install(parseKeySet(this.#url, response.body))
        this.#etag = headerText(response.headers.etag)
        this.#lastModified = headerText(response.headers['last-modified'])
        this.#options.onFetch?.('loaded', reason)
      }
      this.#failures = 0
      const fresh = freshnessSeconds(response.headers, Date.now())
      nextInMs = clamp(fresh === null ? this.#options.maxRefreshMs : fresh * 1000, this.#options.minRefreshMs, this.#options.maxRefreshMs)
    } catch (error) {
      this.#failures++
      this.#options.onFetch?.('failed', reason)
      nextInMs = Math.min(MAX_BACKOFF_MS, this.#options.maxRefreshMs, 1000 * 2 ** Math.min(this.#failures - 1, 16))
      logger.warn(
        { err: { message: (error as Error).message }, failures: this.#failures, keysKept: this.#resolve !== null, retryInMs: nextInMs },
        this.#resolve === null ? 'key set could not be loaded; tokens are refused until it is' : 'key set refresh failed; the last good keys stay in use',
      )
    }
    this.#schedule(nextInMs)
  }

  #install(keySet: JSONWebKeySet): void {
    const fingerprint = JSON.stringify(keySet.keys)
    this.#resolve = createLocalJWKSet(keySet)
    this.#kids = new Set(keySet.keys.map((k) => k.kid).filter((kid): kid is string => typeof kid === 'string'))
    if (this.#fingerprint !== '' && fingerprint !== this.#fingerprint) {
      this.#options.logger.info({ kids: [...this.#kids] }, 'key set changed')
      this.#options.onChange?.()
    }
    this.#fingerprint = fingerprint
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.#refresh('scheduled'), delayMs)
    this.#timer.unref()
  }
}

function parseKeySet(url: string, body: unknown): JSONWebKeySet {
  const keys = (body as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'object' && k !== null)) throw new Error(`${url}: not a JSON Web Key Set`)
  return { keys: keys as JSONWebKeySet['keys'] }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}
