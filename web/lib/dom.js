// Building the page: elements with text set through textContent only, never parsed as HTML.

/** An element with attributes (properties for `className`, `value`…, `on…` for listeners) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value)
    else if (name === 'className' || name === 'value' || name === 'checked' || name === 'disabled' || name === 'selected') el[name] = value
    else if (name === 'dataset') Object.assign(el.dataset, value)
    else el.setAttribute(name, String(value))
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

/** A table of `rows` with `columns` ({ label, value(row) → text or Node, className? }); `empty` when none. */
export function table(columns, rows, options = {}) {
  if (rows.length === 0) return h('p', { className: 'empty' }, options.empty ?? 'Nothing yet.')
  return h(
    'table',
    { className: options.className ?? 'data' },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { className: c.className }, c.label)))),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          { className: options.rowClass?.(row), onclick: options.onRow === undefined ? undefined : () => options.onRow(row), tabindex: options.onRow === undefined ? undefined : 0 },
          columns.map((c) => h('td', { className: c.className }, c.value(row))),
        ),
      ),
    ),
  )
}

/** A section with a heading. */
export function section(title, ...children) {
  return h('section', { className: 'card' }, h('h2', {}, title), ...children)
}

/** Client-side pages over a bounded list: `pageSize` rows at a time with previous/next buttons. */
export function paged(rows, pageSize, render) {
  const holder = h('div')
  let page = 0
  const pages = Math.max(1, Math.ceil(rows.length / pageSize))
  const draw = () => {
    const slice = rows.slice(page * pageSize, (page + 1) * pageSize)
    fill(
      holder,
      render(slice),
      pages > 1
        ? h(
            'div',
            { className: 'pager' },
            h('button', { type: 'button', className: 'secondary', disabled: page === 0, onclick: () => ((page -= 1), draw()) }, 'Previous'),
            h('span', {}, `page ${page + 1} of ${pages} (${rows.length})`),
            h('button', { type: 'button', className: 'secondary', disabled: page >= pages - 1, onclick: () => ((page += 1), draw()) }, 'Next'),
          )
        : null,
    )
  }
  draw()
  return holder
}

export function number(n) {
  return typeof n === 'number' ? n.toLocaleString('en') : '–'
}

export function percent(ratio) {
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 3 : 1)} %`
}

export function time(iso) {
  if (iso === null || iso === undefined) return '–'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 120) return `${s} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  return `${(s / 3600).toFixed(1)} h`
}

/** A severity (1–10) as a labelled badge. */
export function severity(n) {
  const level = n >= 7 ? 'high' : n >= 4 ? 'medium' : 'low'
  return h('span', { className: `badge sev-${level}` }, String(n ?? '–'))
}

/** A small stat tile. */
export function stat(label, value, extra) {
  return h('div', { className: 'stat' }, h('div', { className: 'stat-value' }, value), h('div', { className: 'stat-label' }, label), extra ? h('div', { className: 'stat-extra' }, extra) : null)
}

/** Reads a dotted path (`event.action`) from an ECS document. */
export function field(doc, path) {
  let value = doc
  for (const key of path.split('.')) value = value === null || value === undefined ? undefined : value[key]
  return value
}
