// One security event in full: its fields and the evidence the gateway kept (always masked).
import { field, h, severity, time } from '../lib/dom.js'

export function eventDetail(doc, onClose) {
  const rows = [
    ['Time', time(doc['@timestamp'])],
    ['Action', field(doc, 'event.action')],
    ['Kind', field(doc, 'event.kind')],
    ['Severity', severity(field(doc, 'event.severity'))],
    ['Outcome', field(doc, 'event.outcome')],
    ['Code', field(doc, 'event.code')],
    ['Reason', field(doc, 'event.reason')],
    ['Source', field(doc, 'source.ip')],
    ['Principal', field(doc, 'user.id')],
    ['API', field(doc, 'portcullis.api')],
    ['Route', field(doc, 'portcullis.route')],
    ['Path', field(doc, 'url.path')],
    ['Policy', field(doc, 'portcullis.policy')],
    ['Rule', [field(doc, 'rule.id')].flat().filter((r) => r !== undefined).join(', ')],
    ['Request id', field(doc, 'http.request.id')],
    ['Event id', field(doc, 'event.id')],
  ].filter(([, v]) => v !== undefined && v !== null && v !== '')
  return h(
    'aside',
    { className: 'card detail', id: 'event-detail' },
    h('div', { className: 'detail-head' }, h('h2', {}, doc.message ?? 'Event'), h('button', { type: 'button', className: 'secondary', onclick: onClose }, 'Close')),
    h('dl', {}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('h3', {}, 'Evidence'),
    h('pre', { className: 'evidence' }, JSON.stringify(field(doc, 'portcullis.details') ?? {}, null, 2)),
    h('details', {}, h('summary', {}, 'Whole event (ECS)'), h('pre', { className: 'evidence' }, JSON.stringify(doc, null, 2))),
  )
}
