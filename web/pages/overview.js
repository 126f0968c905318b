// Overview: traffic and denials since start, events of the last hour, live rates and a live feed.
import { call } from '../lib/api.js'
import { lineChart } from '../lib/charts.js'
import { field, fill, h, number, percent, section, severity, stat, table, time } from '../lib/dom.js'

/** Live samples kept for the rate chart (one per stream tick). */
const MAX_POINTS = 300
const FEED_SIZE = 15

export async function overviewPage(main, { subscribe }) {
  const first = await call('GET', 'overview')
  const stats = h('div', { className: 'stats', id: 'overview-stats' })
  const rateChart = h('div', { className: 'chart', id: 'rate-chart' })
  const timelineChart = h('div', { className: 'chart', id: 'timeline-chart' })
  const tables = h('div', { className: 'grid' })
  const feed = h('ul', { className: 'feed', id: 'live-feed' }, h('li', { className: 'empty' }, 'Waiting for events…'))
  fill(
    main,
    h('h1', {}, 'Overview'),
    stats,
    h('div', { className: 'grid two' }, section('Requests and denials per second (live)', rateChart), section('Security events in the last hour', timelineChart)),
    section('Live security events', feed),
    tables,
  )

  const samples = [[], [], []]
  let previous = null
  const rates = lineChart(rateChart, '', ['requests/s', 'denials/s'], samples, { height: 180 })
  let timeline = null

  const render = (o) => {
    fill(
      stats,
      stat('Requests', number(o.requests.total), 'since start'),
      stat('Server errors (5xx)', percent(o.requests.serverErrorRatio), `${number(o.requests.byStatusClass['5xx'] ?? 0)} responses`),
      stat('Denials', number(o.denials.total), 'since start'),
      stat('Security events', number(o.events?.total ?? 0), 'last hour'),
      stat('Alerts', number(o.events?.alerts ?? 0), 'last hour'),
    )
    const points = o.events?.timeline.points ?? []
    const data = [points.map((p) => p.key / 1000), points.map((p) => p.count)]
    if (timeline === null) timeline = lineChart(timelineChart, '', ['events'], data, { height: 180, bars: true })
    else timeline.update(data)
    fill(
      tables,
      section(
        'Denials by reason',
        table(
          [
            { label: 'Policy', value: (d) => d.policy },
            { label: 'Code', value: (d) => h('code', {}, d.code) },
            { label: 'Count', value: (d) => number(d.count), className: 'num' },
          ],
          o.denials.byReason,
          { empty: 'No request was denied.' },
        ),
      ),
      section(
        'Top rules',
        table(
          [
            { label: 'Source', value: (r) => r.source },
            { label: 'Rule', value: (r) => r.rule },
            { label: 'Count', value: (r) => number(r.count), className: 'num' },
          ],
          o.topRules,
          { empty: 'No WAF or authorization rule decided yet.' },
        ),
      ),
      section('Top consumers (events, last hour)', countTable('Consumer', o.events?.topConsumers ?? [])),
      section('Top client addresses (events, last hour)', countTable('Address', o.events?.topSources ?? [])),
      section('Events by action (last hour)', countTable('Action', o.events?.byAction ?? [])),
      section(
        'Requests by status class',
        table(
          [
            { label: 'Class', value: (r) => r[0] },
            { label: 'Count', value: (r) => number(r[1]), className: 'num' },
          ],
          Object.entries(o.requests.byStatusClass).sort(),
        ),
      ),
      section(
        'Upstream errors',
        table(
          [
            { label: 'API', value: (u) => u.api },
            { label: 'Kind', value: (u) => u.kind },
            { label: 'Count', value: (u) => number(u.count), className: 'num' },
          ],
          o.upstreamErrors,
          { empty: 'No upstream error.' },
        ),
      ),
    )
  }

  const sample = (o) => {
    const now = Date.parse(o.generatedAt) / 1000
    if (previous !== null && now > previous.at) {
      const dt = now - previous.at
      samples[0].push(now)
      samples[1].push(Math.max(0, (o.requests.total - previous.requests) / dt))
      samples[2].push(Math.max(0, (o.denials.total - previous.denials) / dt))
      for (const column of samples) if (column.length > MAX_POINTS) column.shift()
      rates.update(samples)
    }
    previous = { at: now, requests: o.requests.total, denials: o.denials.total }
  }

  render(first)
  sample(first)
  let feedEmpty = true
  const unsubscribe = subscribe((kind, data) => {
    if (kind === 'overview') {
      render(data)
      sample(data)
      return
    }
    if (feedEmpty) feed.replaceChildren()
    feedEmpty = false
    feed.prepend(
      h(
        'li',
        { className: 'feed-item' },
        severity(field(data, 'event.severity')),
        ' ',
        h('span', { className: 'when' }, time(data['@timestamp'])),
        ' ',
        h('strong', {}, field(data, 'event.action') ?? ''),
        ' ',
        h('span', {}, data.message ?? ''),
      ),
    )
    while (feed.children.length > FEED_SIZE) feed.lastElementChild.remove()
  })
  return () => {
    unsubscribe()
    rates.destroy()
    timeline?.destroy()
  }
}

function countTable(label, counts) {
  return table(
    [
      { label, value: (c) => String(c.key) },
      { label: 'Events', value: (c) => number(c.count), className: 'num' },
    ],
    counts,
  )
}
