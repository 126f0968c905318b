/**
 * Serves the developer portal on the public listeners under `portal.path`, from a site held in
 * memory: a request names a file by a path the site may contain (letters, digits, `.`, `_`, `-`,
 * no dot segment, no percent-encoding at all), or gets a 404 problem. Nothing is read from disk
 * per request, so no encoded dot or slash can reach outside the site. Every file carries its CSP,
 * `nosniff`, a strong ETag (304 on a match) and no caching without revalidation.
 */
import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { respond, type HeaderValue, type Reply } from '../pipeline/reply.js'
import type { PortalSite } from '../portal/build-site.js'
import { contentSecurityPolicyOf, contentTypeOf, isSitePath } from '../portal/site-policy.js'

export interface PortalServer {
  /** Whether the request path is the portal's: its prefix, or under it. */
  covers(path: string): boolean
  answer(method: string, path: string, headers: IncomingHttpHeaders): Reply
}

interface ServedFile {
  readonly body: Buffer
  readonly etag: string
  readonly headers: Readonly<Record<string, HeaderValue>>
}

export function createPortalServer(prefix: string, site: PortalSite): PortalServer {
  const files = new Map<string, ServedFile>()
  for (const [path, body] of site) {
    if (!isSitePath(path)) continue
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`
    files.set(path, {
      body,
      etag,
      headers: {
        'content-type': contentTypeOf(path),
        'content-security-policy': contentSecurityPolicyOf(path),
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
        'cache-control': 'no-cache',
        etag,
      },
    })
  }
  const under = `${prefix}/`
  const notFound = () => respond.problem('GW_ERR_ROUTE_NOT_FOUND')
  return {
    covers(path) {
      return path === prefix || path.startsWith(under)
    },
    answer(method, path, headers) {
      if (method !== 'GET' && method !== 'HEAD') return respond.problem('GW_ERR_METHOD_NOT_ALLOWED', { headers: { allow: 'GET, HEAD' } })
      // Relative links in the pages need the trailing slash.
      if (path === prefix) return respond.send(308, { location: under, 'cache-control': 'no-cache' })
      let relative = path.slice(under.length)
      if (relative === '' || relative.endsWith('/')) relative += 'index.html'
      if (!isSitePath(relative)) return notFound()
      const file = files.get(relative)
      if (file === undefined) return notFound()
      if (headers['if-none-match'] === file.etag) return respond.send(304, { etag: file.etag, 'cache-control': 'no-cache' })
      return respond.send(200, { ...file.headers }, file.body)
    },
  }
}
