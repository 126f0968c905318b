/**
 * The top-level `portal` section: where the gateway serves the developer portal on its public
 * listener, and from what — a site written by `portcullis portal build`, or one built from this
 * config each time it loads. The admin listener is not involved.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { ConfigProblem } from '../errors.js'

export const Portal = Type.Object(
  {
    path: Type.String({
      default: '/portal',
      pattern: '^(/[A-Za-z0-9._~-]+)+$',
      'x-message': 'must be a path such as /docs (letters, digits, `.`, `_`, `~`, `-`; no trailing slash)',
      description: 'Path prefix the portal is served under on the public listeners; it must not overlap an API’s base path (an API at `/` gives it up).',
    }),
    dir: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'A site written by `portcullis portal build` (relative to the config file), read into memory when the config loads. Without it the site is built from this config at each load.',
      }),
    ),
    title: Type.String({ minLength: 1, default: 'API documentation', description: 'Title of the portal’s pages.' }),
    gettingAccess: Type.Optional(
      Type.String({ minLength: 1, description: 'How a developer obtains an API key or a client registration (shown in every operation’s authentication section), e.g. a team address.' }),
    ),
    includeDrafts: Type.Boolean({ default: false, description: 'Publish draft versions too, each with a draft banner; by default they are left out of the portal (they are served only to their preview consumers).' }),
    maxSiteBytes: Type.Integer({ minimum: 1024, default: 67108864, description: 'Largest total size of a site read from `dir`; a larger site refuses the config.' }),
  },
  { additionalProperties: false, description: 'Developer portal: per-operation documentation with what the gateway enforces (docs/portal.md).' },
)
export type PortalConfig = Static<typeof Portal>

/**
 * The portal path against the APIs' base paths: an API mounted under the portal, or the portal
 * under an API's base path, would make requests ambiguous. An API at `/` is allowed: the portal's
 * prefix is taken out of it (the portal is matched first).
 */
export function portalProblems(portal: PortalConfig | undefined, apis: readonly { basePath: string }[]): ConfigProblem[] {
  if (portal === undefined) return []
  const problems: ConfigProblem[] = []
  const prefix = `${portal.path}/`
  apis.forEach((api, index) => {
    const base = api.basePath.endsWith('/') ? api.basePath : `${api.basePath}/`
    if (base !== '/' && (prefix.startsWith(base) || base.startsWith(prefix))) {
      problems.push({ path: 'portal.path', message: `overlaps the base path ${api.basePath} of apis[${index}]: the portal needs a path of its own` })
    }
  })
  return problems
}
