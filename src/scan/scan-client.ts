/**
 * The scanner's HTTP client: every request counts against the budget and waits for the rate the
 * user set; responses are read up to a bound; each exchange is kept short for evidence.
 * Identities' credentials are known so that evidence and reproduction commands can mask them.
 */
import { Agent, request, type Dispatcher } from 'undici'
import type { ScanIdentity } from './identities.js'

export interface ScanRequest {
  readonly method: string
  /** Path and query, joined to the target's origin. */
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  /** Sent as this identity: its current credentials are applied at send time (after a log-in when they are stale). */
  readonly identity?: ScanIdentity
}

export interface Exchange {
  readonly request: ScanRequest & { readonly url: string }
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly ms: number
}

/** The request budget is spent: the scan stops where it is and reports what it found. */
export class BudgetExhaustedError extends Error {}

const MAX_BODY_BYTES = 256 * 1024

export interface ScanClientOptions {
  readonly target: URL
  /** Most requests in the whole scan. */
  readonly budget: number
  /** Requests per second; 0 for as fast as the target answers. */
  readonly rate: number
  readonly timeoutMs: number
  /** Certificate authorities to trust for an https:// target (PEM), besides the system's. */
  readonly ca?: string
}

export class ScanClient {
  readonly target: URL
  #sent = 0
  #nextAt = 0
  readonly #options: ScanClientOptions
  readonly #dispatcher: Dispatcher | undefined

  constructor(options: ScanClientOptions) {
    this.target = options.target
    this.#options = options
    this.#dispatcher = options.ca === undefined ? undefined : new Agent({ connect: { ca: options.ca } })
  }

  async close(): Promise<void> {
    await this.#dispatcher?.close()
  }

  get sent(): number {
    return this.#sent
  }

  get remaining(): number {
    return this.#options.budget - this.#sent
  }

  async send(scanRequest: ScanRequest): Promise<Exchange> {
    const { identity } = scanRequest
    if (identity === undefined) return this.#send(scanRequest)
    await identity.ensureFresh()
    const exchange = await this.#send(withCredentials(scanRequest, identity))
    if (exchange.status !== 401 || !(await identity.refreshAfterRefusal())) return exchange
    return this.#send(withCredentials(scanRequest, identity))
  }

  async #send(scanRequest: ScanRequest): Promise<Exchange> {
    if (this.#sent >= this.#options.budget) throw new BudgetExhaustedError(`the request budget (${String(this.#options.budget)}) is spent`)
    this.#sent++
    if (this.#options.rate > 0) {
      const now = performance.now()
      const wait = this.#nextAt - now
      this.#nextAt = Math.max(now, this.#nextAt) + 1000 / this.#options.rate
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    }
    const url = new URL(scanRequest.path, this.target.origin).href
    const started = performance.now()
    try {
      const response = await request(url, {
        method: scanRequest.method as 'GET',
        headers: { 'user-agent': 'portcullis-scan', ...scanRequest.headers },
        body: scanRequest.body,
        headersTimeout: this.#options.timeoutMs,
        bodyTimeout: this.#options.timeoutMs,
        ...(this.#dispatcher === undefined ? {} : { dispatcher: this.#dispatcher }),
      })
      const body = await readBounded(response.body)
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(response.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : String(value)
      return { request: { ...scanRequest, url }, status: response.statusCode, headers, body, ms: performance.now() - started }
    } catch (error) {
      // A refused connection or a timeout is an answer too: status 0, so checks compare it like any other.
      return { request: { ...scanRequest, url }, status: 0, headers: {}, body: (error as Error).message, ms: performance.now() - started }
    }
  }
}

function withCredentials(scanRequest: ScanRequest, identity: ScanIdentity): ScanRequest {
  return { ...scanRequest, headers: { ...scanRequest.headers, ...identity.headers } }
}

async function readBounded(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    chunks.push(chunk)
    size += chunk.length
    if (size > MAX_BODY_BYTES) {
      body.destroy()
      break
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8')
}
