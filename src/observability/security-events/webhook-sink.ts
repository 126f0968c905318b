/**
 * The webhook sink: each batch POSTed as JSON (`{"events": […]}`), or as one Slack-compatible
 * message (`{"text": …}`) with `format: slack`, signed with HMAC-SHA256 over the exact body bytes
 * (`X-Portcullis-Signature: sha256=<hex>`) so the receiver can tell it came from the gateway.
 */
import { createHmac } from 'node:crypto'
import { postWithRetries, type PostOptions } from './post-with-retries.js'
import type { SecurityEvent } from './security-event.js'
import type { EventSink } from './sink-queue.js'

export interface WebhookSinkOptions extends PostOptions {
  readonly url: string
  readonly secret: string
  readonly format: 'json' | 'slack'
  /** Events below this severity are not sent (a channel of people wants fewer). */
  readonly minSeverity: number
}

export const SIGNATURE_HEADER = 'x-portcullis-signature'

/** `sha256=<hex HMAC-SHA256 of body>` */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

const SLACK_MAX_LINES = 20

/** One line per event, most severe first, at most SLACK_MAX_LINES. */
export function slackText(batch: readonly SecurityEvent[]): string {
  const sorted = [...batch].sort((a, b) => b.event.severity - a.event.severity)
  const lines = sorted.slice(0, SLACK_MAX_LINES).map((e) => {
    const where = [e.portcullis.api, e.http?.request.method, e.url?.path].filter((p) => p !== undefined).join(' ')
    const who = [e.user?.id, e.source?.ip].filter((p) => p !== undefined).join(' from ')
    const why = [e.event.code, e.event.reason].filter((p) => p !== undefined).join(': ')
    return `[sev ${e.event.severity}] ${e.event.action}${where === '' ? '' : ` — ${where}`}${who === '' ? '' : ` (${who})`}${why === '' ? '' : ` — ${why}`}`
  })
  if (sorted.length > SLACK_MAX_LINES) lines.push(`…and ${sorted.length - SLACK_MAX_LINES} more`)
  return `Portcullis security events (${batch.length}):\n${lines.join('\n')}`
}

export function createWebhookSink(options: WebhookSinkOptions): EventSink {
  return {
    name: 'webhook',
    async send(batch, signal) {
      const chosen = batch.filter((e) => e.event.severity >= options.minSeverity)
      if (chosen.length === 0) return
      const body = JSON.stringify(options.format === 'slack' ? { text: slackText(chosen) } : { events: chosen })
      const headers = { 'content-type': 'application/json', 'user-agent': 'portcullis-events', [SIGNATURE_HEADER]: signBody(options.secret, body) }
      await postWithRetries(options.url, headers, body, options, signal)
    },
  }
}
