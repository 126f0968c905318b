/**
 * Turns a finished exchange into its security events, in one place for every policy: the reply's
 * stable code says what kind of decision it was, the deciding policy's note (`ctx.noteSecurity`)
 * adds why and which rule, and a note with an action from a policy that let the request through
 * (masking, a report-only match) is an event of its own. Requests with neither cost one check.
 */
import type { SecurityNote } from '../pipeline/context.js'
import { classOfAction, EVENT_CLASS_BY_CODE, eventPath, traceIdOf, type EventClass, type EventFields } from '../observability/security-events/security-event.js'
import type { SecurityEvents } from '../observability/security-events/security-events.js'
import type { Exchange } from './exchange.js'

export function emitRequestEvents(events: SecurityEvents, exchange: Exchange, status: number): void {
  const { ctx, code } = exchange
  const notes = ctx?.securityNotes ?? null
  const deciding = code === null ? null : (ctx?.decidingPolicy ?? 'gateway')
  if (code !== null) {
    const byCode = EVENT_CLASS_BY_CODE[code]
    if (byCode !== undefined) {
      const note = notes?.get(deciding as string)
      events.emit(requestEvent(exchange, status, note?.action === undefined ? byCode : classOfAction(note.action), deciding as string, note, code))
    }
  }
  if (notes === null) return
  for (const [policy, note] of notes) {
    if (note.action !== undefined && policy !== deciding) events.emit(requestEvent(exchange, status, classOfAction(note.action), policy, note, null))
  }
}

function requestEvent(exchange: Exchange, status: number, eventClass: EventClass, policy: string, note: SecurityNote | undefined, code: string | null): EventFields {
  const { ctx, route } = exchange
  const api = route?.api.name
  const principal = ctx?.state.principal
  const path = eventPath(ctx?.path ?? (exchange.req.url ?? '').split('?', 1)[0] ?? '')
  const method = ctx?.method ?? exchange.req.method ?? ''
  // The gateway's own trace when tracing is on (it continues the client's), else the client's.
  const traceId = exchange.trace?.traceId ?? traceIdOf(exchange.req.headers.traceparent)
  const spanId = exchange.trace?.spanId
  const reason = note?.reason
  const ruleIds = note?.ruleIds
  const rule = ruleIds !== undefined || note?.ruleName !== undefined ? { ...(ruleIds === undefined ? {} : { id: ruleIds.length === 1 ? (ruleIds[0] as string) : ruleIds }), ...(note?.ruleName === undefined ? {} : { name: note.ruleName }) } : undefined
  return {
    class: eventClass,
    message: `${eventClass.action}${code === null ? '' : ` (${code})`}: ${method} ${path}`,
    ...(code === null ? {} : { code }),
    ...(reason === undefined ? {} : { reason }),
    source: { ip: ctx?.client.address ?? exchange.peer },
    ...(principal === undefined ? {} : { user: { id: principal.id, ...(principal.name === null ? {} : { name: principal.name }) } }),
    url: { path },
    http: { request: { id: exchange.requestId, method }, response: { status_code: status } },
    ...(rule === undefined ? {} : { rule }),
    ...(traceId === null ? {} : { trace: { id: traceId } }),
    ...(spanId === undefined ? {} : { span: { id: spanId } }),
    ...(api === undefined ? {} : { labels: { api } }),
    portcullis: {
      policy,
      ...(api === undefined ? {} : { api }),
      ...(route === null ? {} : { route: route.template }),
      ...(note?.details === undefined ? {} : { details: note.details }),
    },
  }
}
