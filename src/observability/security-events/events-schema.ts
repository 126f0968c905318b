/** The `events` config section: the security-event queue and its sinks, each optional. */
import { Type, type Static } from '@sinclair/typebox'

const Delivery = {
  timeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 5000, description: 'Time for one POST to be answered.' }),
  maxRetries: Type.Integer({ minimum: 0, maximum: 10, default: 3, description: 'Retries of a batch after a network error, 408, 429 or 5xx; then it is dropped and counted.' }),
  backoffMs: Type.Integer({ minimum: 10, maximum: 60000, default: 500, description: 'Wait before the first retry; doubled for each next one (with jitter).' }),
}

const Webhook = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', 'x-message': 'must be an http:// or https:// URL', description: 'Where batches are POSTed.' }),
    secret: Type.String({
      minLength: 16,
      description: 'HMAC-SHA256 key of the `X-Portcullis-Signature: sha256=<hex>` header over the body; use ${env:NAME} or ${file:PATH}.',
    }),
    format: Type.Union([Type.Literal('json'), Type.Literal('slack')], {
      default: 'json',
      description: '`json`: `{"events": [ECS events]}`; `slack`: `{"text": …}`, one line per event (Slack, Mattermost, Teams incoming webhooks).',
    }),
    minSeverity: Type.Integer({ minimum: 1, maximum: 10, default: 1, description: 'Events below this severity are not sent.' }),
    ...Delivery,
  },
  { additionalProperties: false, description: 'Security events POSTed to a webhook, in batches, signed.' },
)

const Otlp = Type.Object(
  {
    endpoint: Type.String({ pattern: '^https?://', 'x-message': 'must be an http:// or https:// URL', description: 'The collector’s OTLP/HTTP base URL (`http://127.0.0.1:4318`); `/v1/logs` is added.' }),
    headers: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Headers sent with each batch (an API key of the collector: use ${env:NAME}).' }),
    serviceName: Type.String({ default: 'portcullis', description: 'The `service.name` resource attribute.' }),
    ...Delivery,
  },
  { additionalProperties: false, description: 'Security events as OpenTelemetry log records over OTLP/HTTP (JSON encoding).' },
)

const Store = Type.Object(
  {
    maxAgeDays: Type.Number({ exclusiveMinimum: 0, maximum: 3650, default: 30, description: 'Events older than this are pruned.' }),
    maxRows: Type.Integer({ minimum: 1000, default: 1000000, description: 'At most this many events are kept (the oldest go first).' }),
    pruneIntervalSec: Type.Integer({ minimum: 1, maximum: 86400, default: 300, description: 'How often pruning runs.' }),
  },
  { additionalProperties: false, description: 'Security events kept in `stores.data` (SQLite or PostgreSQL) for the dashboard and `GET /events`.' },
)

export const EventsConfig = Type.Object(
  {
    log: Type.Boolean({ default: true, description: 'Write each event to the log as one line (logger name `portcullis.security`).' }),
    webhook: Type.Optional(Webhook),
    otlp: Type.Optional(Otlp),
    store: Type.Optional(Store),
    queueSize: Type.Integer({ minimum: 10, maximum: 1000000, default: 10000, description: 'Events each sink may hold waiting; past it new events are dropped and counted.' }),
    batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Most events sent to a sink at once.' }),
    flushIntervalMs: Type.Integer({ minimum: 10, maximum: 60000, default: 1000, description: 'Longest time an event waits for its batch to fill.' }),
    shutdownFlushMs: Type.Integer({ minimum: 0, maximum: 60000, default: 3000, description: 'On stop, how long sinks may take to send what is queued.' }),
    minSeverity: Type.Integer({ minimum: 1, maximum: 10, default: 1, description: 'Events below this severity are not made at all.' }),
  },
  { additionalProperties: false, default: {}, description: 'Security events (ECS): what each sink receives. docs/security-events.md.' },
)

export type EventsConfig = Static<typeof EventsConfig>
