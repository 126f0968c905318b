/**
 * The configuration's schema (TypeBox → JSON Schema, compiled by ajv). Every field has a
 * description and an explicit default; policy schemas come from the policy registry so that
 * `portcullis schema` shows them to editors too.
 */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox'
import type { PolicyDefinition } from '../pipeline/define-policy.js'
import { EventsConfig } from '../observability/security-events/events-schema.js'
import { LifecycleConfig } from './lifecycle-schema.js'
import { VersioningConfig } from './versioning-schema.js'
import { Portal } from '../portal/portal-schema.js'

/** `stores`: the data store (consumers, API keys, audit log) and the counter store (rate limits). */
const Stores = Type.Object(
  {
    data: Type.String({
      default: 'sqlite:./portcullis.db',
      pattern: '^(sqlite:.+|postgres(ql)?://.+)$',
      'x-message': 'must be sqlite:PATH (relative to the config file, or :memory:) or postgres://…',
      description: 'Durable store of consumers, API keys and the admin audit log: embedded SQLite or PostgreSQL (shared by several nodes).',
    }),
    counters: Type.String({
      default: 'memory',
      pattern: '^(memory|rediss?://.+|redis-cluster://[^,]+:[0-9]+(,[^,]+:[0-9]+)*)$',
      'x-message': 'must be memory, redis://HOST:PORT (rediss:// for TLS) or redis-cluster://HOST:PORT,HOST:PORT',
      description: 'Rate-limit counters: `memory` (this process only), Redis, or a Redis Cluster (seed nodes), shared by every node.',
    }),
    countersTimeoutMs: Type.Integer({ minimum: 1, maximum: 10000, default: 50, description: 'A counter-store answer slower than this counts as a failure (the policy’s `onFailure` decides).' }),
  },
  { additionalProperties: false, default: {} },
)

const Port = Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port; 0 picks a free one.' })
const FilePath = Type.String({ minLength: 1, description: 'A file path, relative to the config file.' })
const HttpUrl = Type.String({
  format: 'uri',
  pattern: '^https?://[^/?#]+(/[^?#]*)?$',
  'x-message': 'must be a URL (http:// or https://, no query or fragment)',
  description: 'An http:// or https:// URL; a path is a prefix for every forwarded request.',
})

const HttpListener = Type.Object(
  {
    port: Port,
    host: Type.String({ default: '0.0.0.0', description: 'Address to bind.' }),
  },
  { additionalProperties: false, description: 'Plain HTTP/1.1 listener. `http: 8080` is short for `{ port: 8080 }`.' },
)

const Certificate = Type.Object(
  {
    cert: FilePath,
    key: FilePath,
    passphrase: Type.Optional(Type.String({ description: 'Key passphrase; use ${env:NAME} or ${file:PATH}.' })),
    serverNames: Type.Optional(
      Type.Array(Type.String(), { description: 'SNI names this certificate serves (`*.example.com` allowed); the first certificate is the default.' }),
    ),
  },
  { additionalProperties: false },
)

const HttpsListener = Type.Object(
  {
    port: Port,
    host: Type.String({ default: '0.0.0.0', description: 'Address to bind.' }),
    certificates: Type.Array(Certificate, { minItems: 1, description: 'Certificates by SNI; `cert`/`key` at this level are short for one.' }),
    minVersion: Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')], { default: 'TLSv1.2', description: 'Lowest TLS version accepted.' }),
    ciphers: Type.Optional(Type.String({ description: 'OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are fixed).' })),
    http2: Type.Boolean({ default: true, description: 'Offer HTTP/2 by ALPN; HTTP/1.1 is always served.' }),
    clientCertificate: Type.Optional(
      Type.Object(
        {
          ca: FilePath,
          mode: Type.Union([Type.Literal('required'), Type.Literal('optional')], {
            default: 'required',
            description: '`required` refuses the handshake without a valid certificate; `optional` passes unverified clients with no identity.',
          }),
        },
        { additionalProperties: false, description: 'mTLS: verify client certificates against this CA bundle.' },
      ),
    ),
  },
  { additionalProperties: false },
)

const Admin = Type.Object(
  {
    listen: Type.String({
      default: '127.0.0.1:9090',
      pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]]+):\\d{1,5}$',
      'x-message': 'must be host:port, e.g. 127.0.0.1:9090',
      description: 'Address of the admin listener.',
    }),
    allowRemote: Type.Boolean({ default: false, description: 'Permit a non-loopback admin address (off: the admin API stays on loopback).' }),
    auth: Type.Object(
      {
        tokenHash: Type.String({
          pattern: '^[0-9a-f]{64}$',
          'x-message': 'must be the hex SHA-256 of the admin token (64 lower-case hex digits)',
          description: 'SHA-256 (hex) of the bearer token admin requests must present.',
        }),
      },
      { additionalProperties: false },
    ),
    publicProbes: Type.Boolean({ default: true, description: 'Serve /healthz and /readyz without the token, for load balancers.' }),
    dashboard: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve the dashboard under /dashboard/ on the admin listener.' }),
        sessionTtlSec: Type.Integer({ minimum: 60, maximum: 7 * 86400, default: 8 * 3600, description: 'How long a dashboard session lasts after log-in, in seconds (it is not extended by use).' }),
        maxSessions: Type.Integer({ minimum: 1, maximum: 100000, default: 1000, description: 'Sessions kept at once; past it, the oldest session ends.' }),
        maxStreams: Type.Integer({ minimum: 1, maximum: 1000, default: 20, description: 'Live-update streams (Server-Sent Events) open at once.' }),
        streamIntervalMs: Type.Integer({ minimum: 250, maximum: 60000, default: 2000, description: 'How often a live stream polls the event store and sends overview figures.' }),
        origin: Type.Optional(
          Type.String({
            pattern: '^https?://[^/?#]+$',
            'x-message': 'must be an origin: http(s)://host[:port], no path',
            description: 'The origin users reach the dashboard at when it is not an IP address or localhost (a reverse proxy): its host is accepted in `Host` and it is the only `Origin` accepted on changes.',
          }),
        ),
        oidc: Type.Optional(
          Type.Object(
            {
              issuer: Type.String({ pattern: '^https?://[^?#]+$', 'x-message': 'must be the issuer URL', description: 'The OpenID provider’s issuer; its metadata is read from `/.well-known/openid-configuration`.' }),
              clientId: Type.String({ minLength: 1, description: 'The dashboard’s client id at the provider.' }),
              clientSecret: Type.String({ minLength: 1, description: 'The client secret: give it as `${env:NAME}` or `${file:PATH}`.' }),
              redirectUri: Type.Optional(
                Type.String({ pattern: '^https?://[^?#]+/dashboard/oidc/callback$', 'x-message': 'must end in /dashboard/oidc/callback', description: 'The redirect URI registered at the provider; default: this request’s origin + /dashboard/oidc/callback.' }),
              ),
              scopes: Type.Array(Type.String({ pattern: '^[^\\s]+$' }), { default: ['openid'], description: 'Scopes asked for; `openid` is always added.' }),
              allowedSubjects: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'ID-token subjects (`sub`) allowed in.' })),
              requiredClaim: Type.Optional(
                Type.Object(
                  { name: Type.String({ minLength: 1 }), value: Type.String({ description: 'The claim must equal this, or be an array containing it.' }) },
                  { additionalProperties: false, description: 'An ID-token claim every allowed user has (e.g. `{ name: groups, value: gateway-admins }`).' },
                ),
              ),
              timeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 5000, description: 'Timeout of each call to the provider.' }),
            },
            { additionalProperties: false, description: 'Log-in with an OpenID provider (authorization code, PKCE, state and nonce); `allowedSubjects` or `requiredClaim` says who may enter.' },
          ),
        ),
      },
      { additionalProperties: false, default: {}, description: 'The security dashboard: log-in with the admin token or OIDC, sessions in cookies, CSRF-checked changes.' },
    ),
  },
  { additionalProperties: false, description: 'Admin listener: /metrics, /healthz, /readyz, the management API and the dashboard.' },
)

const Upstream = Type.Object(
  {
    url: Type.Optional(HttpUrl),
    targets: Type.Optional(Type.Array(HttpUrl, { minItems: 1, description: 'Several upstream servers (instead of `url`), balanced and health-checked.' })),
    balance: Type.Union([Type.Literal('round-robin'), Type.Literal('least-pending')], {
      default: 'round-robin',
      description: 'How a target is chosen among the healthy ones.',
    }),
    connectTimeoutMs: Type.Integer({ minimum: 1, default: 2000, description: 'TCP/TLS connect timeout; past it 504.' }),
    headersTimeoutMs: Type.Integer({ minimum: 1, default: 30000, description: 'Time to the upstream response headers; past it 504.' }),
    bodyTimeoutMs: Type.Integer({ minimum: 1, default: 30000, description: 'Longest silence while the upstream sends its body.' }),
    maxConnections: Type.Integer({ minimum: 1, default: 128, description: 'Connections per target.' }),
    retries: Type.Integer({ minimum: 0, maximum: 5, default: 1, description: 'Retries of idempotent requests on another target, only before any byte reached the client.' }),
    retryOnStatus: Type.Array(Type.Integer({ minimum: 500, maximum: 599 }), {
      default: [502, 503],
      description: 'Upstream statuses that are retried like connection failures.',
    }),
    healthCheck: Type.Object(
      {
        failureThreshold: Type.Integer({ minimum: 1, default: 5, description: 'Consecutive failures that eject a target.' }),
        ejectMs: Type.Integer({ minimum: 1, default: 10000, description: 'How long an ejected target rests before it is tried again.' }),
      },
      { additionalProperties: false, default: {}, description: 'Passive health checks: targets that keep failing are ejected for a while.' },
    ),
    circuitBreaker: Type.Object(
      {
        windowSize: Type.Integer({ minimum: 1, default: 20, description: 'Recent requests the failure rate is computed over.' }),
        failureRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5, description: 'Failure rate that opens the circuit.' }),
        minimumRequests: Type.Integer({ minimum: 1, default: 10, description: 'Requests in the window before the rate counts.' }),
        openMs: Type.Integer({ minimum: 1, default: 10000, description: 'How long the circuit stays open (503) before one trial request.' }),
      },
      { additionalProperties: false, default: {}, description: 'Per-upstream circuit breaker.' },
    ),
  },
  { additionalProperties: false },
)

/** `telemetry`: OpenTelemetry traces exported over OTLP/HTTP (docs/operations.md, Tracing). */
const Telemetry = Type.Object(
  {
    tracing: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'Trace requests. Off, no OpenTelemetry module is loaded and requests pay nothing for it.' }),
        endpoint: Type.String({
          default: 'http://127.0.0.1:4318/v1/traces',
          format: 'uri',
          pattern: '^https?://[^/?#]+(/[^#]*)?$',
          'x-message': 'must be an http:// or https:// URL, e.g. http://127.0.0.1:4318/v1/traces',
          description: 'The collector’s OTLP/HTTP traces URL (spans are sent as JSON).',
        }),
        sampleRatio: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.01,
          description: 'Share of new traces recorded (by trace id). A request whose `traceparent` says sampled is always recorded, one that says not sampled never is.',
        }),
        serviceName: Type.String({ minLength: 1, default: 'portcullis', description: 'The `service.name` of the spans.' }),
        headers: Type.Record(Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }), Type.String(), {
          default: {},
          description: 'Fields sent with every export, e.g. the collector’s credentials: give secret values as `${env:NAME}` or `${file:PATH}`.',
        }),
        maxQueueSize: Type.Integer({ minimum: 1, maximum: 1000000, default: 2048, description: 'Finished spans waiting for export; past it new spans are dropped (a slow collector never holds memory or requests).' }),
        exportIntervalMs: Type.Integer({ minimum: 10, maximum: 600000, default: 5000, description: 'How often queued spans are sent.' }),
        exportTimeoutMs: Type.Integer({ minimum: 100, maximum: 600000, default: 10000, description: 'An export slower than this fails (and is logged); its spans are dropped.' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {}, description: 'OpenTelemetry: request traces.' },
)

const ApiName = Type.String({
  pattern: '^[a-z0-9][a-z0-9._-]*$',
  'x-message': 'must be lower-case letters, digits, `.`, `_` or `-`',
  description: 'The API’s name; entries that share it are its versions, each with its own `version`.',
})

/**
 * Builds the config schema with one optional field per registered policy, and the top-level
 * sections the policies declare (auth's `identity`, rate-limit's `plans`), placed after `stores`.
 */
export function buildConfigSchema(policies: readonly PolicyDefinition[]) {
  const policyProperties: Record<string, TSchema> = {}
  const overrideProperties: Record<string, TSchema> = {}
  for (const policy of policies) {
    policyProperties[policy.name] = Type.Optional(policy.configSchema)
    overrideProperties[policy.name] = Type.Optional(
      Type.Union([policy.configSchema, Type.Literal(false)], { description: `${policy.description} \`false\` turns it off for this route.` }),
    )
  }
  const Policies: TObject = Type.Object(policyProperties, { additionalProperties: false, default: {}, description: 'Policies for every route of the API.' })
  const RoutePolicies: TObject = Type.Object(overrideProperties, {
    additionalProperties: false,
    description: 'Per-route policy settings; each replaces the API-level setting of the same policy.',
  })

  const Api = Type.Object(
    {
      name: ApiName,
      version: Type.Optional(Type.String({ minLength: 1, description: 'Version label, e.g. v2; what a request names with `versioning`.' })),
      lifecycle: LifecycleConfig,
      versioning: Type.Optional(VersioningConfig),
      hosts: Type.Array(Type.String({ pattern: '^(\\*\\.)?[a-zA-Z0-9.-]+(:\\d+)?$' }), {
        default: [],
        description: 'Host names this API answers (`*.example.com` allowed); empty means any host.',
      }),
      basePath: Type.String({ pattern: '^/', default: '/', description: 'Path prefix of the API.' }),
      stripBasePath: Type.Boolean({ default: true, description: 'Remove the base path before forwarding.' }),
      openapi: Type.Optional(Type.String({ minLength: 1, description: 'OpenAPI document whose paths become the routes.' })),
      openapiRemoteRefs: Type.Array(Type.String({ pattern: '^https?://' }), {
        default: [],
        description:
          'URL prefixes (e.g. `https://schemas.example.com/v1/`) under which the OpenAPI document’s remote `$ref`s may be fetched, when the config loads; any other remote ref refuses the config.',
      }),
      upstream: Upstream,
      policies: Policies,
      routes: Type.Record(
        Type.String({ pattern: '^([A-Za-z_][A-Za-z0-9_.-]*|[A-Z]+ /.*)$' }),
        RoutePolicies,
        {
          default: {},
          description:
            'Routes by operationId or `METHOD /path/{param}`. With neither `openapi` nor routes, the API proxies every path under its base path.',
        },
      ),
    },
    { additionalProperties: false },
  )

  const core = {
    $schema: Type.Optional(Type.String()),
    listen: Type.Object(
      { http: Type.Optional(HttpListener), https: Type.Optional(HttpsListener) },
      { additionalProperties: false, description: 'Client-facing listeners; at least one.' },
    ),
    admin: Type.Optional(Admin),
    workers: Type.Integer({ minimum: 1, maximum: 64, default: 1, description: 'Worker processes sharing the listeners.' }),
    trustedProxies: Type.Array(Type.String(), {
      default: [],
      description: 'CIDRs of proxies in front of the gateway whose X-Forwarded-*/Forwarded headers are believed.',
    }),
    server: Type.Object(
      {
        headersTimeoutMs: Type.Integer({ minimum: 1, default: 10000, description: 'Time for a client to send its request headers; past it 408.' }),
        requestTimeoutMs: Type.Integer({ minimum: 1, default: 60000, description: 'Time for a client to send its whole request; past it 408.' }),
        keepAliveTimeoutMs: Type.Integer({ minimum: 1, default: 5000, description: 'Idle keep-alive connections are closed after this.' }),
        maxHeaderBytes: Type.Integer({ minimum: 1024, maximum: 65536, default: 16384, description: 'Hard cap on request header size; larger gets 431.' }),
        maxBufferedBodyBytes: Type.Integer({ minimum: 0, default: 1048576, description: 'Largest body buffered for a policy when no request-limits applies.' }),
        maxBufferedResponseBytes: Type.Integer({ minimum: 1024, default: 10485760, description: 'Largest upstream response body buffered for a policy (masking, response validation); past it 502.' }),
        maxBufferedBytesTotal: Type.Integer({
          minimum: 65536,
          default: 134217728,
          description: 'All request and response bodies buffered at once in one process, until each response is sent; a body that would pass it gets 503 (GW_ERR_GATEWAY_OVERLOADED).',
        }),
        maxPipelinedRequests: Type.Integer({
          minimum: 0,
          default: 16,
          description: 'HTTP/1 requests one connection may queue behind the one being answered (each is answered in turn); the next gets 503 and the connection is closed.',
        }),
        sendTimeoutMs: Type.Integer({ minimum: 1, default: 30000, description: 'Time a response may wait for the client to read any of it; past it the connection is closed.' }),
        maxConcurrentStreams: Type.Integer({ minimum: 1, maximum: 65535, default: 128, description: 'HTTP/2 streams one connection may have open at once (the SETTINGS the gateway announces).' }),
        shutdownTimeoutMs: Type.Integer({ minimum: 0, default: 10000, description: 'On SIGTERM, how long in-flight requests may finish.' }),
        encodedSlashes: Type.Union([Type.Literal('forward'), Type.Literal('reject')], {
          default: 'forward',
          description:
            'A path segment holding an encoded `/` or `\\` (`%2F`, `%5C`: GitLab project ids, Azure resource ids, OPA data paths) is routed as one decoded segment and `forward`ed unchanged; `reject` answers 400 instead (after the policies), for upstreams that decode them before routing. A dot segment hidden behind one (`a%2F..%2Fb`) is refused either way.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
        access: Type.Boolean({ default: true, description: 'Write one access-log line per request.' }),
        destination: Type.String({ default: 'stdout', description: '`stdout` or a file path.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    telemetry: Telemetry,
    stores: Stores,
    events: EventsConfig,
    portal: Type.Optional(Portal),
    watch: Type.Boolean({ default: true, description: 'Reload when the config file or a file it names changes (SIGHUP always reloads).' }),
    apis: Type.Array(Api, { minItems: 1 }),
  }
  const { watch, apis, ...leading } = core
  return Type.Object({ ...leading, ...policySections(policies, Object.keys(core)), watch, apis }, { additionalProperties: false })
}

/** The sections the policies declare, by name; a name the core or another policy already uses is a programming error. */
function policySections(policies: readonly PolicyDefinition[], taken: readonly string[]): Record<string, TSchema> {
  const sections: Record<string, TSchema> = {}
  const owners = new Map(taken.map((name) => [name, 'the gateway']))
  for (const policy of policies) {
    for (const [name, section] of Object.entries(policy.sections)) {
      const owner = owners.get(name)
      if (owner !== undefined) throw new Error(`policy ${policy.name} declares the config section ${name}, which ${owner} already has`)
      owners.set(name, `policy ${policy.name}`)
      sections[name] = section.schema
    }
  }
  return sections
}

/** A loaded config: the core's sections, and by name those the policies declare (e.g. auth's `identity`, rate-limit's `plans`). */
export type GatewayConfig = Static<ReturnType<typeof buildConfigSchema>> & { readonly [section: string]: unknown }
