/**
 * The dashboard's checks of where a request comes from:
 *
 * - `Host` must be an IP address, `localhost`, or the configured origin's host: a page on another
 *   name that resolves to the admin address (DNS rebinding) is refused before anything else;
 * - a change (any method but GET and HEAD) must come from the dashboard itself (`Origin`, or
 *   `Sec-Fetch-Site` where the browser sends `Origin: null`), and once signed in, carry the
 *   session's CSRF token in `x-csrf-token` (compared in constant time). The
 *   cookie is SameSite=Strict as well: each check alone would stop a cross-site form.
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

export const CSRF_HEADER = 'x-csrf-token'

export function isChange(method: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD'
}

export class RequestGuard {
  readonly #origin: URL | null

  /** `origin`: the configured `admin.dashboard.origin`, when users reach the dashboard under a name. */
  constructor(origin: string | undefined) {
    this.#origin = origin === undefined ? null : new URL(origin)
  }

  /** Whether the Host header names this dashboard. */
  hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host
    if (host === undefined) return false
    let name: string
    try {
      name = new URL(`http://${host}`).hostname
    } catch {
      return false
    }
    if (this.#origin !== null && host.toLowerCase() === this.#origin.host) return true
    return name === 'localhost' || isIP(name.replace(/^\[|\]$/g, '')) !== 0
  }

  /**
   * Whether the request comes from the dashboard's own pages: `Origin` is the configured origin or
   * this request's host. Under `Referrer-Policy: no-referrer` browsers send `Origin: null` on a
   * same-origin form post or fetch (Fetch §3.2), so then `Sec-Fetch-Site: same-origin` — a header
   * no page can set — must say so instead; a request with neither is refused.
   */
  originAllowed(req: IncomingMessage): boolean {
    const site = req.headers['sec-fetch-site']
    if (site !== undefined && site !== 'same-origin') return false
    const origin = req.headers.origin
    if (origin === undefined || origin === 'null') return site === 'same-origin'
    let parsed: URL
    try {
      parsed = new URL(origin)
    } catch {
      return false
    }
    if (this.#origin !== null) return parsed.origin === this.#origin.origin
    return parsed.host === req.headers.host?.toLowerCase()
  }

  /** Whether the request carries this CSRF token. */
  csrfValid(req: IncomingMessage, expected: string): boolean {
    const presented = req.headers[CSRF_HEADER]
    if (typeof presented !== 'string') return false
    const a = Buffer.from(presented)
    const b = Buffer.from(expected)
    return a.length === b.length && timingSafeEqual(a, b)
  }
}
