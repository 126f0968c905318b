// Detections (alerts) with their evidence, and the bans in force, each of which can be lifted.
import { call, nextPath } from '../lib/api.js'
import { duration, field, fill, h, section, severity, table, time } from '../lib/dom.js'
import { eventDetail } from './event-detail.js'

const PAGE = 50

export async function detectionsPage(main, { subscribe }) {
  const alerts = h('div', { id: 'alerts' })
  const bans = h('div', { id: 'bans' })
  const lifts = h('div', { id: 'ban-lifts' })
  const detail = h('div')
  const message = h('p', { className: 'notice hidden', role: 'status', id: 'ban-message' })
  fill(
    main,
    h('h1', {}, 'Detections and bans'),
    message,
    section('Detections and alerts', alerts), detail,
    section('Bans in force', bans),
    section('Bans lifted (audit log)', lifts),
  )

  const show = (doc) => fill(detail, eventDetail(doc, () => fill(detail)))

  async function loadAlerts(path = `events?kind=alert&limit=${PAGE}`) {
    const page = await call('GET', path)
    const next = nextPath(page.next)
    fill(
      alerts,
      table(
        [
          { label: 'Time', value: (e) => time(e['@timestamp']), className: 'nowrap' },
          { label: 'Sev.', value: (e) => severity(field(e, 'event.severity')) },
          { label: 'Detection', value: (e) => field(e, 'event.action') ?? '' },
          { label: 'Source', value: (e) => field(e, 'source.ip') ?? '' },
          { label: 'Principal', value: (e) => field(e, 'user.id') ?? '' },
          { label: 'Message', value: (e) => e.message ?? '', className: 'message' },
        ],
        page.events,
        { empty: 'No detection or alert yet.', onRow: show, className: 'data clickable' },
      ),
      next === null ? null : h('div', { className: 'pager' }, h('button', { type: 'button', className: 'secondary', onclick: () => void loadAlerts(next) }, 'Older alerts')),
    )
  }

  async function loadBans() {
    const { bans: list } = await call('GET', 'rate-limits/bans?limit=1000')
    fill(
      bans,
      table(
        [
          { label: 'Subject', value: (b) => h('code', {}, b.subject) },
          { label: 'Imposed by', value: (b) => (b.subject.startsWith('{detection}:') ? 'detection' : 'rate limit') },
          { label: 'Remaining', value: (b) => duration(b.remainingMs) },
          { label: 'Until', value: (b) => time(b.until), className: 'nowrap' },
          { label: '', value: (b) => h('button', { type: 'button', className: 'danger', dataset: { subject: b.subject }, onclick: () => void lift(b.subject) }, 'Lift') },
        ],
        list,
        { empty: 'No ban in force.' },
      ),
    )
  }

  async function loadLifts() {
    const { entries } = await call('GET', 'audit?limit=200')
    fill(
      lifts,
      table(
        [
          { label: 'Time', value: (a) => time(a.at), className: 'nowrap' },
          { label: 'Subject', value: (a) => h('code', {}, a.target) },
          { label: 'By', value: (a) => a.actor },
          { label: 'From', value: (a) => a.source },
        ],
        entries.filter((a) => a.action === 'ratelimit.ban.lift'),
        { empty: 'No ban lifted recently.' },
      ),
    )
  }

  async function lift(subject) {
    if (!confirm(`Lift the ban on ${subject}?`)) return
    try {
      await call('DELETE', `rate-limits/bans/${encodeURIComponent(subject)}`)
      message.textContent = `The ban on ${subject} was lifted.`
      message.className = 'notice info'
    } catch (error) {
      message.textContent = `The ban on ${subject} could not be lifted: ${error.problem?.code ?? error.message}`
      message.className = 'notice error'
    }
    await Promise.all([loadBans(), loadLifts()])
  }

  await Promise.all([loadAlerts(), loadBans(), loadLifts()])
  return subscribe((kind, data) => {
    if (kind === 'security-event' && (field(data, 'event.kind') === 'alert' || String(field(data, 'event.action')).includes('ban'))) void Promise.all([loadAlerts(), loadBans()])
  })
}
