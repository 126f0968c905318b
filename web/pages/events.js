// Security events: filters and text search over the event store, newest first, in pages of 50.
import { call, nextPath } from '../lib/api.js'
import { field, fill, h, severity, table, time } from '../lib/dom.js'
import { eventDetail } from './event-detail.js'

const PAGE = 50
const FILTERS = [
  ['q', 'Search text'],
  ['action', 'Action'],
  ['code', 'Code'],
  ['ip', 'Client address'],
  ['consumer', 'Consumer'],
  ['api', 'API'],
]

export const EVENT_COLUMNS = [
  { label: 'Time', value: (e) => time(e['@timestamp']), className: 'nowrap' },
  { label: 'Sev.', value: (e) => severity(field(e, 'event.severity')) },
  { label: 'Action', value: (e) => field(e, 'event.action') ?? '' },
  { label: 'Code', value: (e) => h('code', {}, field(e, 'event.code') ?? '') },
  { label: 'Source', value: (e) => field(e, 'source.ip') ?? '' },
  { label: 'Principal', value: (e) => field(e, 'user.id') ?? '' },
  { label: 'API', value: (e) => field(e, 'portcullis.api') ?? '' },
  { label: 'Message', value: (e) => e.message ?? '', className: 'message' },
]

export async function eventsPage(main, { subscribe }) {
  const inputs = Object.fromEntries(FILTERS.map(([name]) => [name, h('input', { name, id: `filter-${name}`, maxlength: 256 })]))
  const kind = h('select', { name: 'kind', id: 'filter-kind' }, h('option', { value: '' }, 'any'), h('option', { value: 'event' }, 'event'), h('option', { value: 'alert' }, 'alert'))
  const minSeverity = h('select', { name: 'minSeverity', id: 'filter-severity' }, h('option', { value: '' }, 'any'), [3, 5, 7, 9].map((n) => h('option', { value: String(n) }, `≥ ${n}`)))
  const results = h('div', { id: 'event-results' })
  const detail = h('div')
  const fresh = h('button', { type: 'button', className: 'secondary hidden', id: 'fresh-events', onclick: () => void search() }, '')
  let freshCount = 0
  const form = h(
    'form',
    { className: 'filters', id: 'event-filters', onsubmit: (e) => (e.preventDefault(), void search()) },
    FILTERS.map(([name, label]) => h('label', {}, label, inputs[name])),
    h('label', {}, 'Kind', kind),
    h('label', {}, 'Severity', minSeverity),
    h('button', { type: 'submit' }, 'Search'),
  )
  fill(main, h('h1', {}, 'Security events'), form, fresh, results, detail)

  const show = (doc) => fill(detail, eventDetail(doc, () => fill(detail)))

  async function search(path) {
    freshCount = 0
    fresh.classList.add('hidden')
    if (path === undefined) {
      const params = new URLSearchParams({ limit: String(PAGE) })
      for (const [name] of FILTERS) if (inputs[name].value.trim() !== '') params.set(name, inputs[name].value.trim())
      if (kind.value !== '') params.set('kind', kind.value)
      if (minSeverity.value !== '') params.set('minSeverity', minSeverity.value)
      path = `events?${params}`
    }
    const page = await call('GET', path)
    const next = nextPath(page.next)
    fill(
      results,
      table(EVENT_COLUMNS, page.events, { empty: 'No event matches.', onRow: show, className: 'data clickable' }),
      next === null ? null : h('div', { className: 'pager' }, h('button', { type: 'button', className: 'secondary', onclick: () => void search(next) }, 'Older events')),
    )
  }

  await search()
  return subscribe((kind) => {
    if (kind !== 'security-event') return
    freshCount++
    fresh.textContent = `${freshCount} new event${freshCount === 1 ? '' : 's'}: show`
    fresh.classList.remove('hidden')
  })
}
