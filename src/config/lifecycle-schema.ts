/** An API's `lifecycle`: its state, deprecation and sunset dates, successor and brownouts (docs/lifecycle.md). */
import { Type, type Static } from '@sinclair/typebox'

const Instant = (description: string) =>
  Type.String({ format: 'date-time-or-date', 'x-message': 'must be an RFC 3339 date (2027-01-31) or date-time (2027-01-31T00:00:00Z)', description })

export const LifecycleConfig = Type.Object(
  {
    state: Type.Union([Type.Literal('draft'), Type.Literal('published'), Type.Literal('deprecated'), Type.Literal('retired')], {
      default: 'published',
      description: 'draft: served only to the `preview` consumers (404 to anyone else); deprecated: served with Deprecation/Sunset/Link headers; retired: 410 Gone from `sunsetAt` on.',
    }),
    deprecatedAt: Type.Optional(Instant('When the API was (or will be) deprecated: the `Deprecation` header’s date (RFC 9745).')),
    sunsetAt: Type.Optional(Instant('When it stops being served: the `Sunset` header (RFC 8594); from then on every request is answered 410 without calling the upstream.')),
    successor: Type.Optional(Type.String({ pattern: '^(https?://|/)[!#-;=?-~]*$', 'x-message': 'must be a URL or a path starting with /', description: 'The version that replaces it: a URL, or a path on this gateway (`/orders/v2`); `Link: <…>; rel="successor-version"`, and named in 410 answers.' })),
    migrationGuide: Type.Optional(Type.String({ pattern: '^https?://[!#-;=?-~]+$', 'x-message': 'must be an http(s) URL', description: 'Where the deprecation is explained: `Link: <…>; rel="deprecation"` (RFC 9745 §3).' })),
    brownouts: Type.Array(
      Type.Object({ start: Instant('Start of a window of 410 answers.'), end: Instant('Its end.') }, { additionalProperties: false }),
      { default: [], maxItems: 100, description: 'Scheduled windows before the sunset in which the API (and its sunset operations) answer 410, so late clients notice.' },
    ),
    breakingChanges: Type.Union([Type.Literal('log'), Type.Literal('refuse')], {
      default: 'log',
      description: 'When a reload changes the document: log the changes that break clients (`portcullis diff`’s), or refuse the reload while the version is `published`.',
    }),
    preview: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'With `state: draft`: the consumer ids (principals) allowed to call it; needs `auth` on the API.' }),
  },
  { additionalProperties: false, default: {}, description: 'The API version’s lifecycle: state, deprecation, sunset, successor, brownouts (docs/lifecycle.md).' },
)

export type LifecycleConfig = Static<typeof LifecycleConfig>
