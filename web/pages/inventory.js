// API inventory: declared operations and what traffic showed (shadow, zombie, orphan), with counts.
import { call } from '../lib/api.js'
import { fill, h, number, paged, section, stat, table, time } from '../lib/dom.js'

const PAGE = 50
const CLASSES = ['active', 'shadow', 'zombie', 'orphan']

export async function inventoryPage(main) {
  const snapshot = await call('GET', 'inventory')
  const choice = h('select', { id: 'inventory-class' }, h('option', { value: '' }, 'every operation'), CLASSES.map((c) => h('option', { value: c }, c)))
  const body = h('div', { id: 'inventory-apis' })
  fill(main, h('h1', {}, 'API inventory'), h('p', { className: 'muted' }, `Learned since ${time(snapshot.since)}.`), h('label', { className: 'inline' }, 'Show ', choice), body)

  const draw = () => {
    if (snapshot.apis.length === 0) return fill(body, h('p', { className: 'empty' }, 'No API uses the inventory policy.'))
    fill(
      body,
      snapshot.apis.map((api) => {
        const operations = api.operations.filter((o) => choice.value === '' || o.classification === choice.value).sort((a, b) => b.count - a.count)
        return section(
          `${api.name} (${api.basePath})`,
          h('div', { className: 'stats small' }, CLASSES.map((c) => stat(c, number(api.summary[c] ?? 0)))),
          paged(operations, PAGE, (rows) =>
            table(
              [
                { label: 'Method', value: (o) => h('code', {}, o.method) },
                { label: 'Path', value: (o) => h('code', {}, o.template) },
                { label: 'Class', value: (o) => h('span', { className: `badge cls-${o.classification}` }, o.classification) },
                { label: 'Declared', value: (o) => (o.declared ? 'yes' : 'no') },
                { label: 'Requests', value: (o) => number(o.count), className: 'num' },
                { label: 'Statuses', value: (o) => Object.entries(o.statuses).map(([s, n]) => `${s}×${n}`).join(' ') },
                { label: 'Last seen', value: (o) => time(o.lastSeen), className: 'nowrap' },
              ],
              rows,
              { empty: 'No operation in this class.', rowClass: (o) => `cls-${o.classification}` },
            ),
          ),
        )
      }),
    )
  }
  choice.addEventListener('change', draw)
  draw()
}
