/**
 * The dashboard's cookies (RFC 6265bis): `__Host-` names, so a browser accepts them only with
 * `Secure`, `Path=/` and no `Domain` (no sibling host can set or shadow them). Browsers treat
 * http://127.0.0.1 and http://localhost as secure contexts, so `Secure` cookies work on the
 * loopback admin listener too.
 */
import type { IncomingMessage } from 'node:http'

export const SESSION_COOKIE = '__Host-portcullis-session'
/** The OIDC log-in in progress: its `state`, so the callback is tied to the browser that started it. */
export const OIDC_COOKIE = '__Host-portcullis-oidc'

/** A cookie's value from the request, or undefined (the first one when repeated). */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/**
 * A `Set-Cookie` value. SameSite=Strict for the session (never sent on a request another site
 * starts); Lax for the OIDC state, which must come back on the provider's redirect.
 */
export function cookie(name: string, value: string, maxAgeSec: number, sameSite: 'Strict' | 'Lax' = 'Strict'): string {
  return `${name}=${value}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSec))}; HttpOnly; Secure; SameSite=${sameSite}`
}

export function clearedCookie(name: string, sameSite: 'Strict' | 'Lax' = 'Strict'): string {
  return cookie(name, '', 0, sameSite)
}
