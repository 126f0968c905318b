/** The event envelope, the webhook's signature and Slack text, the OTLP/JSON encoding, and a sink's bounded queue. */
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, test } from 'node:test'
import { logsUrl, otlpLogsBody } from './otlp-sink.js'
import { buildSecurityEvent, classOfAction, classOfAdminChange, createObserver, EVENT_CLASS_BY_CODE, eventPath, traceIdOf, type SecurityEvent } from './security-event.js'
import { SinkQueue, type EventSink } from './sink-queue.js'
import { signBody, slackText } from './webhook-sink.js'

const observer = createObserver('9.9.9')

function sample(action = 'waf-blocked', severity?: number): SecurityEvent {
  const base = action === 'waf-blocked' ? (EVENT_CLASS_BY_CODE.GW_ERR_WAF_BLOCKED as NonNullable<(typeof EVENT_CLASS_BY_CODE)['GW_ERR_WAF_BLOCKED']>) : classOfAction(action)
  return buildSecurityEvent(
    {
      class: severity === undefined ? base : { ...base, severity },
      code: 'GW_ERR_WAF_BLOCKED',
      message: 'waf-blocked: GET /x',
      source: { ip: '203.0.113.7' },
      url: { path: '/x' },
      http: { request: { id: 'r1', method: 'GET' }, response: { status_code: 403 } },
      rule: { id: ['942100', '949110'] },
      trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      portcullis: { policy: 'waf', api: 'shop', details: { matches: [{ id: 942100 }] } },
    },
    observer,
    Date.UTC(2026, 11, 7, 11, 0, 0, 5),
  )
}

describe('security events', () => {
  test('the envelope: ECS version, time, id, dataset; classes by code, action and admin change', () => {
    const event = sample()
    assert.equal(event['@timestamp'], '2026-12-07T11:00:00.005Z')
    assert.match(event.event.id, /^[0-9a-f-]{36}$/)
    assert.deepEqual([event.event.kind, event.event.action, event.event.outcome, event.event.dataset, event.event.code], ['alert', 'waf-blocked', 'failure', 'portcullis.security', 'GW_ERR_WAF_BLOCKED'])
    assert.equal(event.observer.version, '9.9.9')
    assert.equal(EVENT_CLASS_BY_CODE.GW_ERR_UPSTREAM_TIMEOUT, undefined, 'operations make no event')
    assert.deepEqual(classOfAction('something-new').outcome, 'unknown')
    assert.deepEqual(classOfAdminChange('key.revoke', 'success'), { kind: 'event', category: ['iam', 'configuration'], type: ['change', 'admin'], action: 'admin-key-revoke', outcome: 'success', severity: 4 })
    assert.deepEqual(classOfAdminChange('ratelimit.ban.lift', 'success').category, ['configuration'])
    assert.deepEqual(classOfAdminChange('consumer.create', 'success').type, ['creation', 'admin'])
  })

  test('paths are bounded and masked; trace ids come from a valid traceparent only', () => {
    assert.equal(eventPath('/users/ann@example.com/cards/4111111111111111'), '/users/[email]/cards/[pan]')
    assert.equal(eventPath(`/${'a'.repeat(3000)}`).length, 1025)
    assert.equal(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), '4bf92f3577b34da6a3ce929d0e0e4736')
    assert.equal(traceIdOf('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), null)
    assert.equal(traceIdOf(['a', 'b']), null)
    assert.equal(traceIdOf('garbage'), null)
  })

  test('webhook: HMAC-SHA256 over the body; Slack text, most severe first and bounded', () => {
    assert.equal(signBody('k', '{"a":1}'), `sha256=${createHmac('sha256', 'k').update('{"a":1}').digest('hex')}`)
    const text = slackText([sample('sensitive-data-masked', 2), ...Array.from({ length: 25 }, () => sample())])
    const lines = text.split('\n')
    assert.equal(lines[0], 'Portcullis security events (26):')
    assert.equal(lines[1], '[sev 7] waf-blocked — shop GET /x (203.0.113.7) — GW_ERR_WAF_BLOCKED')
    assert.equal(lines.length, 22)
    assert.equal(lines.at(-1), '…and 6 more')
  })

  test('OTLP/JSON: one log record per event, dotted ECS attributes, string nanoseconds, hex trace id', () => {
    const body = otlpLogsBody([sample()], 'portcullis', '9.9.9', 1_000) as { resourceLogs: { resource: unknown; scopeLogs: { scope: unknown; logRecords: Record<string, unknown>[] }[] }[] }
    const [record] = body.resourceLogs[0]!.scopeLogs[0]!.logRecords
    assert.deepEqual(body.resourceLogs[0]!.scopeLogs[0]!.scope, { name: 'portcullis.security', version: '9.9.9' })
    assert.equal(record!.timeUnixNano, '1796641200005000000')
    assert.equal(record!.observedTimeUnixNano, '1000000000')
    assert.deepEqual([record!.severityNumber, record!.severityText], [17, 'ERROR'])
    assert.deepEqual(record!.body, { stringValue: 'waf-blocked: GET /x' })
    assert.equal(record!.traceId, '4bf92f3577b34da6a3ce929d0e0e4736')
    const attributes = new Map((record!.attributes as { key: string; value: unknown }[]).map((a) => [a.key, a.value]))
    assert.deepEqual(attributes.get('event.action'), { stringValue: 'waf-blocked' })
    assert.deepEqual(attributes.get('event.severity'), { intValue: '7' })
    assert.deepEqual(attributes.get('http.response.status_code'), { intValue: '403' })
    assert.deepEqual(attributes.get('rule.id'), { arrayValue: { values: [{ stringValue: '942100' }, { stringValue: '949110' }] } })
    assert.deepEqual(attributes.get('portcullis.details'), { kvlistValue: { values: [{ key: 'matches', value: { arrayValue: { values: [{ kvlistValue: { values: [{ key: 'id', value: { intValue: '942100' } }] } }] } } }] } })
    assert.equal(attributes.has('@timestamp'), false)
    assert.equal(logsUrl('http://c:4318/'), 'http://c:4318/v1/logs')
    assert.equal(logsUrl('http://c:4318/v1/logs'), 'http://c:4318/v1/logs')
  })

  test('a sink queue: bounded, batched, one batch in flight, failures and leftovers counted, drained within a deadline', async () => {
    const sent: number[] = []
    let release: (() => void) | null = null
    let failNext = false
    const sink: EventSink = {
      name: 'test',
      send(batch) {
        sent.push(batch.length)
        if (failNext) {
          failNext = false
          return Promise.reject(new Error('down'))
        }
        return new Promise<void>((resolve) => (release = resolve))
      },
    }
    const dropped: Record<string, number> = {}
    const failures: unknown[] = []
    const queue = new SinkQueue(sink, {
      maxQueued: 5,
      batchSize: 2,
      flushIntervalMs: 60_000,
      onDropped: (_sink, reason, count) => (dropped[reason] = (dropped[reason] ?? 0) + count),
      onFailure: (_sink, error) => failures.push(error),
    })
    for (let i = 0; i < 2; i++) queue.push(sample())
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(sent, [2], 'a full batch leaves at once')
    for (let i = 0; i < 8; i++) queue.push(sample())
    assert.deepEqual([queue.queued, dropped.queue_full], [5, 3], 'one batch in flight; the queue holds 5; the rest are dropped')
    failNext = true
    ;(release as unknown as () => void)()
    await new Promise((resolve) => setTimeout(resolve, 10))
    assert.deepEqual(sent, [2, 2, 2], 'the next batches follow; the failed one is counted')
    assert.equal(dropped.failed, 2)
    assert.equal(failures.length, 1)
    await queue.drain(Date.now() + 20)
    assert.equal(dropped.shutdown, 1, 'what the deadline left is counted')
    assert.equal(queue.queued, 0)
  })
})
