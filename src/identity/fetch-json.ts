/**
 * Small HTTP client for identity providers: one JSON document with a timeout and a size cap,
 * through undici. Conditional requests (ETag / Last-Modified) let a key set be revalidated cheaply.
 */
import { request } from 'undici'

const MAX_BODY_BYTES = 1024 * 1024

export interface FetchedJson {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** Parsed body; null on 304. */
  body: unknown
}

export interface FetchOptions {
  timeoutMs: number
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
}

/** Fetches `url`; rejects with a message naming the URL on network errors, bad JSON or a body over 1 MiB. */
export async function fetchJson(url: string, options: FetchOptions): Promise<FetchedJson> {
  const response = await request(url, {
    method: options.method ?? 'GET',
    headers: { accept: 'application/json', ...options.headers },
    body: options.body,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    signal: AbortSignal.timeout(options.timeoutMs),
  }).catch((error: unknown) => {
    throw new Error(`${url}: ${(error as Error).message}`, { cause: error })
  })
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) {
      response.body.destroy()
      throw new Error(`${url}: response larger than ${MAX_BODY_BYTES} bytes`)
    }
    chunks.push(chunk)
  }
  if (response.statusCode === 304) return { status: 304, headers: response.headers, body: null }
  const text = Buffer.concat(chunks).toString('utf8')
  try {
    return { status: response.statusCode, headers: response.headers, body: text === '' ? null : (JSON.parse(text) as unknown) }
  } catch {
    throw new Error(`${url}: answered ${response.statusCode} with a body that is not JSON`)
  }
}

/** Freshness lifetime in seconds from Cache-Control (max-age, s-maxage, no-store/no-cache) or Expires; null when none. */
export function freshnessSeconds(headers: FetchedJson['headers'], nowMs: number): number | null {
  const cacheControl = headerText(headers['cache-control'])
  if (cacheControl !== undefined) {
    const directives = cacheControl.toLowerCase().split(',').map((d) => d.trim())
    if (directives.includes('no-store') || directives.includes('no-cache')) return 0
    for (const name of ['s-maxage', 'max-age']) {
      const directive = directives.find((d) => d.startsWith(`${name}=`))
      if (directive !== undefined) {
        const seconds = Number(directive.slice(name.length + 1).replace(/"/g, ''))
        if (Number.isFinite(seconds) && seconds >= 0) return seconds
      }
    }
  }
  const expires = headerText(headers.expires)
  if (expires !== undefined) {
    const at = Date.parse(expires)
    return Number.isNaN(at) ? 0 : Math.max(0, (at - nowMs) / 1000)
  }
  return null
}

export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}
