/**
 * The top-level `detection` section: windows, learning, and each detector's thresholds, severity
 * and automatic response (docs/detection.md). The `detection` policy enables it per API.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'

const Severity = (value: number) => Type.Integer({ minimum: 1, maximum: 10, default: value, description: 'ECS `event.severity` of the alert: 1 informational … 10 critical.' })

/** What a detection does: `log` writes a log line; `alert` also emits a security event (kind `alert`); `throttle` and `ban` also act on the subject on every node. */
const ClientResponse = (value: 'log' | 'alert' | 'throttle' | 'ban') =>
  Type.Union([Type.Literal('log'), Type.Literal('alert'), Type.Literal('throttle'), Type.Literal('ban')], { default: value, description: 'log, alert, throttle (the subject is held to `throttleRps` for `forSec`) or ban (refused for `forSec`).' })
/** Detections whose subject is not a client (a user name, an API, an operation) can only be logged or alerted. */
const ReportResponse = (value: 'log' | 'alert') => Type.Union([Type.Literal('log'), Type.Literal('alert')], { default: value, description: 'log, or alert (a security event of kind `alert`).' })

const detector = <P extends Record<string, TSchema>>(properties: P, description: string) =>
  Type.Object({ enabled: Type.Boolean({ default: true }), ...properties }, { additionalProperties: false, default: {}, description })

const ForSec = (value: number) => Type.Integer({ minimum: 1, maximum: 604800, default: value, description: 'How long a ban or throttle lasts, seconds.' })

export const DetectionConfig = Type.Object(
  {
    windowSec: Type.Integer({ minimum: 10, maximum: 3600, default: 60, description: 'The trailing window every count is taken over, seconds.' }),
    bucketSec: Type.Integer({ minimum: 1, maximum: 600, default: 10, description: 'Granularity of the windows (the window slides by this much).' }),
    flushMs: Type.Integer({ minimum: 50, maximum: 60000, default: 1000, description: 'How often a node adds what it saw to the (shared) windows and evaluates them.' }),
    learningSec: Type.Integer({ minimum: 0, maximum: 2592000, default: 600, description: 'A subject’s first seconds only teach its baseline (scraping, error spikes); no alert relies on a baseline before.' }),
    ipv6Prefix: Type.Integer({ minimum: 32, maximum: 128, default: 64, description: 'IPv6 clients are counted by this prefix (one subscriber holds a /64).' }),
    reuseIpv4Prefix: Type.Integer({ minimum: 8, maximum: 32, default: 24, description: 'Networks a credential is seen from are IPv4 prefixes of this length (and IPv6 /48).' }),
    alertCooldownSec: Type.Integer({ minimum: 1, maximum: 86400, default: 300, description: 'One alert per detector and subject within this time, across every node.' }),
    throttleRps: Type.Number({ exclusiveMinimum: 0, maximum: 10000, default: 1, description: 'Requests per second a throttled subject is allowed.' }),
    trustedNetworks: Type.Array(Type.String(), { default: [], description: 'Addresses or CIDR ranges never throttled or banned (monitoring, partners); still counted and alerted on.' }),
    exemptConsumers: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      maxItems: 10000,
      description: 'Consumers (principal ids) expected to read many objects, move much data or run from many networks (partners, batch jobs): BOLA enumeration, scraping and credential reuse do not count their requests.',
    }),
    maxKeysPerFlush: Type.Integer({ minimum: 100, maximum: 1000000, default: 5000, description: 'Bound on distinct counters one flush carries; what exceeds it is dropped and counted.' }),
    maxBans: Type.Integer({ minimum: 10, maximum: 1000000, default: 10000, description: 'Bound on the bans and throttles a node holds (synced from the store).' }),
    banSyncMs: Type.Integer({ minimum: 100, maximum: 60000, default: 1000, description: 'How often a node reads the shared bans (others’ bans and lifts reach it within this).' }),
    detectors: Type.Object(
      {
        credentialStuffing: detector(
          {
            failuresPerSource: Type.Integer({ minimum: 1, default: 20, description: 'Failed log-ins (or refused credentials) from one address within the window.' }),
            slowFailuresPerSource: Type.Integer({ minimum: 1, default: 250, description: 'Failed log-ins from one address within `slowWindowSec`: a run kept under the per-window threshold (low and slow).' }),
            slowWindowSec: Type.Integer({ minimum: 60, maximum: 86400, default: 3600, description: 'The long window of `slowFailuresPerSource`.' }),
            response: ClientResponse('ban'),
            forSec: ForSec(900),
            severity: Severity(8),
          },
          'Brute force and credential stuffing from one source: failed log-ins at the gateway (refused credentials) or at the API’s log-in operations (401/403).',
        ),
        distributedCredentialStuffing: detector(
          {
            sourcesPerUser: Type.Integer({ minimum: 2, default: 10, description: 'Distinct sources one user name failed to log in from within the window.' }),
            usersPerApi: Type.Integer({ minimum: 2, default: 30, description: 'Distinct user names that failed to log in to one API within the window.' }),
            response: ReportResponse('alert'),
            severity: Severity(8),
          },
          'Credential stuffing spread over many sources: one user name from many addresses, or many user names failing at once.',
        ),
        bolaEnumeration: detector(
          {
            distinctObjects: Type.Integer({ minimum: 2, default: 100, description: 'Distinct object ids one principal (or address) reads through one operation within the window.' }),
            refusedObjects: Type.Integer({ minimum: 1, default: 30, description: '403 and 404 answers on object routes to one principal (or address) within the window.' }),
            response: ClientResponse('alert'),
            forSec: ForSec(900),
            severity: Severity(8),
          },
          'Broken object-level authorization probing: walking object ids, sequential or not.',
        ),
        scraping: detector(
          {
            minBytes: Type.Integer({ minimum: 1, default: 20971520, description: 'Response bytes within the window below which nothing is reported, whatever the baseline.' }),
            baselineFactor: Type.Number({ minimum: 1, default: 10, description: 'Response bytes within the window this many times the principal’s usual window.' }),
            response: ClientResponse('alert'),
            forSec: ForSec(600),
            severity: Severity(6),
          },
          'Scraping and exfiltration: response volume far above the principal’s (or address’s) baseline.',
        ),
        tokenReuse: detector(
          {
            networks: Type.Integer({ minimum: 2, default: 10, description: 'Distinct networks one credential is used from within the window (clients on serverless platforms and autoscaled fleets change networks often: list them in `exemptConsumers`).' }),
            response: ClientResponse('alert'),
            forSec: ForSec(900),
            severity: Severity(7),
          },
          'A token or API key used from many networks at once (stolen and shared).',
        ),
        staleCredentials: detector(
          {
            attempts: Type.Integer({ minimum: 1, default: 10, description: 'Expired or revoked credentials presented from one address within the window.' }),
            response: ClientResponse('alert'),
            forSec: ForSec(900),
            severity: Severity(5),
          },
          'A revoked or expired credential still being tried.',
        ),
        scanner: detector(
          {
            hits: Type.Integer({ minimum: 1, default: 20, description: 'WAF blocks, validation failures and refused paths, plus distinct unknown path shapes probed, from one address within the window (one unknown path called again and again is a client’s mistake, not a scan).' }),
            response: ClientResponse('ban'),
            forSec: ForSec(600),
            severity: Severity(7),
          },
          'A scanner at work: bursts of WAF hits, validation failures and probes of unknown paths.',
        ),
        errorSpike: detector(
          {
            minRequests: Type.Integer({ minimum: 1, default: 20, description: 'Requests to the operation within the window before a rate counts.' }),
            errorRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5, description: 'Share of 5xx answers within the window.' }),
            baselineFactor: Type.Number({ minimum: 1, default: 3, description: 'The rate must also be this many times the operation’s usual rate (after learning).' }),
            response: ReportResponse('alert'),
            severity: Severity(5),
          },
          'Error-rate spikes per operation (an upstream failing).',
        ),
        shadowApi: detector(
          {
            minRequests: Type.Integer({ minimum: 1, default: 3, description: 'Requests to one undeclared path shape within the window.' }),
            response: ReportResponse('alert'),
            severity: Severity(4),
          },
          'Traffic to paths the API’s document does not declare.',
        ),
        zombieApi: detector({ response: ReportResponse('alert'), severity: Severity(5) }, 'Traffic to operations marked deprecated or past their `x-sunset` date.'),
        orphanApi: detector(
          {
            afterSec: Type.Integer({ minimum: 60, maximum: 31536000, default: 86400, description: 'A declared operation with no traffic on any node for this long.' }),
            response: ReportResponse('log'),
            severity: Severity(2),
          },
          'Declared operations nobody calls.',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {}, description: 'Detection of abnormal traffic with automatic responses (the `detection` policy turns it on per API).' },
)

export type DetectionConfig = Static<typeof DetectionConfig>
export type DetectorName = keyof DetectionConfig['detectors']
export type DetectionResponse = 'log' | 'alert' | 'throttle' | 'ban'
