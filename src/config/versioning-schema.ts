/**
 * An API's `versioning`: how requests name one of the versions that share its hosts and base
 * path — a request header, or a media-type parameter (or vendor media type) in `Accept`
 * (docs/lifecycle.md, Versions at one path). Every entry of the versions at one path carries the
 * same block; the config checks refuse one that differs.
 */
import { Type, type Static } from '@sinclair/typebox'

const TOKEN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"

export const VersioningConfig = Type.Object(
  {
    by: Type.Union([Type.Literal('header'), Type.Literal('media-type')], {
      description: '`header`: the version is the value of `header` (`X-API-Version: 2`); `media-type`: it is named in `Accept`, by the media-type `parameter` (`application/json; version=2`) or in a `vendorType` (`application/vnd.example.v2+json`).',
    }),
    header: Type.Optional(Type.String({ pattern: TOKEN, 'x-message': 'must be an HTTP field name (a token)', description: 'With `by: header`: the request header naming the version (default `X-API-Version`).' })),
    parameter: Type.Optional(
      Type.String({ pattern: TOKEN, 'x-message': 'must be a media-type parameter name (a token)', description: 'With `by: media-type`: the `Accept` media-type parameter naming the version (default `version`).' }),
    ),
    vendorType: Type.Optional(
      Type.String({
        pattern: "^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]*\\{version\\}[a-z0-9!#$&^_.+-]*$",
        'x-message': 'must be a lower-case media type holding {version} once, e.g. application/vnd.example.v{version}+json',
        description: 'With `by: media-type`, instead of `parameter`: a vendor media type in which `{version}` stands for the version label (`application/vnd.example.v{version}+json`).',
      }),
    ),
    default: Type.Optional(
      Type.String({ minLength: 1, description: 'The version a request that names none is routed to. Without it, naming a version is required (400 `GW_ERR_API_VERSION_REQUIRED`).' }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Several versions of this API (same `name`) at the same hosts and base path, told apart by a header or a media type; the same block on each of them.',
  },
)

export type VersioningConfig = Static<typeof VersioningConfig>

/** The header a `by: header` selector reads when the block names none. */
export const DEFAULT_VERSION_HEADER = 'X-API-Version'
/** The `Accept` parameter a `by: media-type` selector reads when the block names neither a parameter nor a vendor type. */
export const DEFAULT_VERSION_PARAMETER = 'version'

/** What a version label must look like when a selector compares it: safe as a header value, a media-type parameter and inside a vendor subtype. */
export const SELECTABLE_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
