/**
 * What every portal file is served with, shared by the builder (which writes the CSP into each
 * page's meta element, for any static host) and the gateway (which sends it as a header): the
 * content type by extension and the Content-Security-Policy. Pages load nothing from elsewhere
 * and run no inline script or style. The reference pages are the exception for styles only: the
 * bundled renderer (Scalar) applies its styles from script, which `style-src 'self'` blocks.
 */

/** The policy of our own pages: same-origin scripts, styles and data; nothing inline, no frames, no forms. */
export const STRICT_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The renderer's page: the same, except that styles set from its script are allowed (no inline script). */
export const REFERENCE_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The name of the renderer's page in each API version's folder. */
export const REFERENCE_PAGE = 'reference.html'

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  json: 'application/json',
  png: 'image/png',
  svg: 'image/svg+xml',
  txt: 'text/plain; charset=utf-8',
}

/** A site file's path: lower-case-safe segments joined by `/`, no dot segments, a known extension. */
const SITE_PATH = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*\.(html|css|js|json|png|svg|txt)$/

/** Whether `path` (relative, `/`-separated) may be a file of a site: anything else is never served or written. */
export function isSitePath(path: string): boolean {
  return path.length <= 512 && SITE_PATH.test(path) && !path.split('/').some((segment) => segment.startsWith('..'))
}

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream'
}

/** The policy a file is served with (as a header, by the gateway). */
export function contentSecurityPolicyOf(path: string): string {
  return path === REFERENCE_PAGE || path.endsWith(`/${REFERENCE_PAGE}`) ? REFERENCE_CSP : STRICT_CSP
}

/** The same in a page's meta element, less `frame-ancestors`, which browsers ignore there (and say so in the console). */
export function metaContentSecurityPolicyOf(path: string): string {
  return contentSecurityPolicyOf(path).replace("; frame-ancestors 'none'", '')
}
