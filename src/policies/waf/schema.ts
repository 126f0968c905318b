import { Type } from '@sinclair/typebox'
import { MEDIA_TYPE_ENTRY } from './content-types.js'

const RuleTarget = Type.Object(
  {
    rule: Type.Integer({ minimum: 1, description: 'Rule id.' }),
    target: Type.String({ minLength: 1, description: 'The variable the rule must not look at, e.g. `ARGS:comment` or `REQUEST_COOKIES:/^_ga/`.' }),
  },
  { additionalProperties: false },
)

export const WafConfig = Type.Object({
  mode: Type.Union([Type.Literal('block'), Type.Literal('report')], {
    default: 'block',
    description: '`block`: a request the rules reject is answered 403; `report`: it passes and the matches are logged (detection only).',
  }),
  ruleSet: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'An OWASP CRS installation: a release directory (holding `rules/*.conf` and `crs-setup.conf` or `crs-setup.conf.example`, e.g. CRS v4), or Debian\'s `modsecurity-crs` package (`/usr/share/modsecurity-crs`, CRS 3.3: its `owasp-crs.load` is followed), or a loader file of `Include` lines. Without it the built-in profile runs: native detectors for SQL injection, XSS, OS command injection and SSRF, and rules for path traversal and system files, RFI and PHP stream wrappers, PHP and Java/JNDI injection, NoSQL operators, template injection and CRLF injection, over arguments and their names, cookies, headers and the path, each blocking on its own.',
    }),
  ),
  builtinRules: Type.Boolean({
    default: true,
    description:
      'With `ruleSet`, also run the built-in profile’s rules after the CRS, each blocking on its own: they cover what CRS at paranoia 1 reads thinly in API traffic (SSRF in URL-valued fields, NoSQL operators, template injection, remote file inclusion and PHP wrappers, CRLF, Java gadgets, header values and path segments) with rules written not to fire on API payloads (docs/waf.md). `false` runs the CRS alone.',
  }),
  paranoia: Type.Integer({ minimum: 1, maximum: 4, default: 1, description: 'CRS paranoia level: higher catches more and refuses more legitimate traffic.' }),
  anomalyThreshold: Type.Integer({ minimum: 1, default: 5, description: 'CRS inbound anomaly score at which a request is blocked (one critical match scores 5).' }),
  allowedMethods: Type.Array(Type.String({ pattern: '^[A-Z]+$' }), {
    default: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    description: 'Methods CRS lets through (its own default refuses PUT, PATCH and DELETE, which APIs need).',
  }),
  allowedContentTypes: Type.Array(
    Type.String({
      pattern: MEDIA_TYPE_ENTRY.source,
      'x-message': 'must be a media type without parameters (`application/json`) or a structured-syntax family (`application/*+json`)',
    }),
    {
      default: ['application/json', 'application/*+json', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/xml', 'application/xml', 'application/soap+xml', 'text/plain'],
      description:
        'Request media types CRS lets through (rule 920420). `type/*+suffix` admits a structured-syntax family: the default `application/*+json` lets vendor JSON types (`application/vnd.api+json`, `application/scim+json`, `application/json-patch+json`, `application/ld+json`…) through, and the firewall inspects them as JSON.',
    },
  ),
  apiExclusions: Type.Boolean({
    default: true,
    description:
      'CRS exclusions for API traffic (see docs/waf.md): OData query options (`$filter`, `$top`…) are not MongoDB operators (942290), API clients send no Referer (943110, 943120), and JSON property names are the API’s schema, not file names (930120).',
  }),
  excludeRules: Type.Array(Type.Integer({ minimum: 1 }), { default: [], description: 'Rule ids switched off (for this API, or this route in a route override).' }),
  excludeTags: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Rules switched off by tag, e.g. `attack-rce` or `paranoia-level/2`.' }),
  excludeTargets: Type.Array(RuleTarget, { default: [], description: 'Variables a rule must not inspect (SecLang `ruleRemoveTargetById`), the usual cure for a false positive on one field.' }),
  maxBodyBytes: Type.Integer({ minimum: 0, default: 1048576, description: 'Largest request body inspected and let through (413 past it).' }),
  maxArguments: Type.Integer({
    minimum: 1,
    maximum: 100000,
    default: 1000,
    description:
      'Most arguments a request body may hold (form fields, JSON values, multipart parts; ModSecurity’s SecArgumentsLimit, default 1,000): a body with more cannot be inspected and is refused. Raise it for APIs whose bodies carry more values (`openapi-validation` allows 1,000 keys per object and 10,000 array items); each argument is read by every rule that reads arguments, hence the ceiling of 100,000.',
  }),
  schemaAware: Type.Boolean({
    default: true,
    description:
      'Where `openapi-validation` held a request to the API’s document, use what it declares (docs/waf.md): values it held to an integer, number, boolean, enum, uuid, date or a pattern of safe characters are not inspected; free text (strings bounded above 256 characters, fields named like `description`, `comment`, `message`) is read only by high-confidence rules (the SQLi/XSS detectors and rules tagged `confidence/high`); everything else by every rule.',
  }),
  inspectResponses: Type.Boolean({
    default: false,
    description: 'Run the response phases too (CRS 950–959: SQL errors, stack traces, web shells leaking out); buffers the API’s responses and asks upstreams for uncompressed bodies.',
  }),
})
