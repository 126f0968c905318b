// Consumers: who they are, their keys, their rate-limit usage on a route, and their recent denials.
import { call } from '../lib/api.js'
import { field, fill, h, number, paged, section, severity, table, time } from '../lib/dom.js'

const PAGE = 50

export async function consumersPage(main) {
  const { consumers } = await call('GET', 'consumers')
  const detail = h('div', { id: 'consumer-detail' })
  fill(
    main,
    h('h1', {}, 'Consumers'),
    h(
      'div',
      {},
      section(
        'Consumers',
        paged(consumers, PAGE, (rows) =>
          table(
            [
              { label: 'Id', value: (c) => h('code', {}, c.id) },
              { label: 'Name', value: (c) => c.name },
              { label: 'Plan', value: (c) => c.plan ?? '–' },
              { label: 'Roles', value: (c) => c.roles.join(', ') },
            ],
            rows,
            { empty: 'No consumer in the data store.', onRow: (c) => void open(c), className: 'data clickable' },
          ),
        ),
      ),
      detail,
    ),
  )

  async function open(consumer) {
    const [{ keys }, { events }] = await Promise.all([call('GET', `consumers/${encodeURIComponent(consumer.id)}/keys`), call('GET', `events?consumer=${encodeURIComponent(consumer.id)}&limit=20`)])
    const usage = h('div', { id: 'consumer-usage' })
    const api = h('input', { name: 'api', placeholder: 'orders', required: true, maxlength: 200 })
    const route = h('input', { name: 'route', placeholder: 'GET /orders/{id}', required: true, maxlength: 500 })
    const form = h(
      'form',
      {
        className: 'filters',
        onsubmit: (e) => {
          e.preventDefault()
          const params = new URLSearchParams({ api: api.value.trim(), route: route.value.trim(), consumer: consumer.id })
          if (consumer.plan !== null) params.set('plan', consumer.plan)
          call('GET', `rate-limits/usage?${params}`).then(
            (u) =>
              fill(
                usage,
                table(
                  [
                    { label: 'Limit', value: (l) => l.name },
                    { label: 'Subject', value: (l) => h('code', {}, l.subject ?? '') },
                    { label: 'Limit', value: (l) => number(l.limit), className: 'num' },
                    { label: 'Remaining', value: (l) => number(l.remaining), className: 'num' },
                  ],
                  u.limits,
                  { empty: 'No rate limit applies to this route.' },
                ),
              ),
            (error) => fill(usage, h('p', { className: 'notice error' }, error.problem?.detail ?? error.message)),
          )
        },
      },
      h('label', {}, 'API', api),
      h('label', {}, 'Route', route),
      h('button', { type: 'submit' }, 'Show usage'),
    )
    fill(
      detail,
      h(
        'aside',
        { className: 'card detail' },
        h('div', { className: 'detail-head' }, h('h2', {}, `${consumer.name} (${consumer.id})`), h('button', { type: 'button', className: 'secondary', onclick: () => fill(detail) }, 'Close')),
        h('dl', {}, [
          [h('dt', {}, 'Plan'), h('dd', {}, consumer.plan ?? '–')],
          [h('dt', {}, 'Scopes'), h('dd', {}, consumer.scopes.join(' ') || '–')],
          [h('dt', {}, 'Created'), h('dd', {}, time(consumer.createdAt))],
        ]),
        h('h3', {}, 'API keys'),
        table(
          [
            { label: 'Id', value: (k) => h('code', {}, k.id) },
            { label: 'Label', value: (k) => k.label ?? '' },
            { label: 'State', value: (k) => (k.revokedAt !== null ? 'revoked' : k.expiresAt !== null && Date.parse(k.expiresAt) < Date.now() ? 'expired' : 'active') },
            { label: 'Expires', value: (k) => time(k.expiresAt) },
          ],
          keys,
          { empty: 'No key.' },
        ),
        h('h3', {}, 'Usage and limits'),
        form,
        usage,
        h('h3', {}, 'Recent denials and events'),
        h(
          'div',
          { id: 'consumer-events' },
          table(
            [
              { label: 'Time', value: (e) => time(e['@timestamp']), className: 'nowrap' },
              { label: 'Sev.', value: (e) => severity(field(e, 'event.severity')) },
              { label: 'Action', value: (e) => field(e, 'event.action') ?? '' },
              { label: 'Path', value: (e) => field(e, 'url.path') ?? '' },
            ],
            events,
            { empty: 'No recent event for this consumer.' },
          ),
        ),
      ),
    )
  }
}
