/**
 * The portal's own static files: its style sheet, the search script (which reads the index the
 * builder writes to `assets/search-index.js`), and the script that starts the bundled reference
 * renderer. No inline script or style anywhere, so the pages run under `script-src 'self'`.
 */

export const PORTAL_CSS = `:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--accent:#0b5cad;--warn-bg:#fff4e5;--warn:#8a4b00;--bad:#b42318}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:#fff}
a{color:var(--accent)}code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f5f7;padding:0 .25rem;border-radius:3px}
header.top{display:flex;align-items:center;gap:2rem;padding:.6rem 2rem;border-bottom:1px solid var(--line);background:#f6f8fa;position:sticky;top:0;z-index:2}
header.top .home{font-weight:600;text-decoration:none;color:var(--fg)}
.search{position:relative;flex:1;max-width:32rem}.search input{width:100%;padding:.35rem .6rem;border:1px solid var(--line);border-radius:6px;font:inherit}
.results{position:absolute;left:0;right:0;top:2.3rem;margin:0;padding:0;list-style:none;background:#fff;border:1px solid var(--line);border-radius:6px;box-shadow:0 4px 12px rgba(0,0,0,.1);max-height:60vh;overflow:auto}
.results li a{display:block;padding:.4rem .6rem;text-decoration:none;color:var(--fg)}.results li a:hover,.results li a:focus{background:#eef4fb}
.results .none{padding:.4rem .6rem;color:var(--muted)}
main{max-width:72rem;margin:0 auto;padding:1.5rem 2rem 4rem}h1{font-size:1.6rem;margin:.2rem 0 .6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid var(--line);padding-bottom:.3rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}.muted{color:var(--muted)}
.method{display:inline-block;min-width:4.2rem;text-align:center;font:600 12px ui-monospace,monospace;color:#fff;border-radius:4px;padding:.1rem .4rem;background:#57606a}
.method.get{background:#1a7f37}.method.post{background:#0b5cad}.method.put{background:#9a6700}.method.patch{background:#8250df}.method.delete{background:#b42318}
.banner{border-left:4px solid var(--warn);background:var(--warn-bg);color:var(--warn);padding:.6rem 1rem;margin:1rem 0;border-radius:0 6px 6px 0}
.banner.retired{border-color:var(--bad);color:var(--bad);background:#fdecea}.banner.draft{border-color:var(--accent);color:var(--fg);background:#eef4fb}
.badge{display:inline-block;font-size:12px;font-weight:600;border-radius:10px;padding:0 .5rem}.badge.deprecated{color:var(--warn);background:var(--warn-bg)}.badge.retired{color:var(--bad);background:#fdecea}.badge.draft{color:var(--accent);background:#eef4fb}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}th{font-weight:600;background:#f6f8fa}
dl.facts{display:grid;grid-template-columns:14rem 1fr;gap:.3rem 1rem;margin:.4rem 0 1rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
ul.schema{list-style:none;padding-left:1.1rem;margin:.2rem 0;border-left:1px solid var(--line)}ul.schema>li{margin:.15rem 0}.req{color:var(--bad);font-size:12px}
.tag{display:inline-block;font-size:12px;border:1px solid var(--line);border-radius:10px;padding:0 .5rem;margin-right:.3rem;color:var(--muted)}
.level-error{color:var(--bad);font-weight:600}.level-warning{color:var(--warn);font-weight:600}.level-info{color:var(--muted)}
nav.links a{margin-right:1rem}
`

/** The reference page's own styles: the portal's header only; the renderer styles the rest. */
export const REFERENCE_CSS = `body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
header.top{padding:.6rem 2rem;border-bottom:1px solid #d1d9e0;background:#f6f8fa}header.top .home{font-weight:600;text-decoration:none;color:#1f2328}
#app{min-height:100vh}
`

export const PORTAL_JS = `'use strict'
;(function () {
  var input = document.getElementById('search')
  var list = document.getElementById('search-results')
  var entries = window.PORTCULLIS_SEARCH || []
  if (!input || !list) return
  var root = input.getAttribute('data-root') || ''
  function matches(query) {
    var words = query.toLowerCase().split(/\\s+/).filter(Boolean)
    if (words.length === 0) return []
    return entries.filter(function (e) {
      return words.every(function (w) { return e.text.indexOf(w) !== -1 })
    }).slice(0, 20)
  }
  function show() {
    var found = matches(input.value)
    list.textContent = ''
    if (input.value.trim() === '') { list.hidden = true; return }
    if (found.length === 0) {
      var none = document.createElement('li')
      none.className = 'none'
      none.textContent = 'No operation matches'
      list.appendChild(none)
    }
    found.forEach(function (e) {
      var li = document.createElement('li')
      var a = document.createElement('a')
      a.href = root + e.url
      var method = document.createElement('span')
      method.className = 'method ' + e.method.toLowerCase()
      method.textContent = e.method
      a.appendChild(method)
      a.appendChild(document.createTextNode(' ' + e.path + ' — ' + e.title + ' (' + e.api + ')'))
      li.appendChild(a)
      list.appendChild(li)
    })
    list.hidden = false
  }
  input.addEventListener('input', show)
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter') {
      var first = list.querySelector('a')
      if (first) window.location.href = first.href
    } else if (event.key === 'Escape') {
      input.value = ''
      show()
    }
  })
})()
`

/** Starts Scalar's standalone bundle on the page's `#app`, with the document the page names, offline. */
export const REFERENCE_JS = `'use strict'
;(function () {
  var app = document.getElementById('app')
  if (!app || !window.Scalar) return
  window.Scalar.createApiReference('#app', {
    url: app.getAttribute('data-url'),
    withDefaultFonts: false,
    hideClientButton: true,
    showDeveloperTools: 'never',
    telemetry: false,
    // Offline: no proxy, and none of the features that call Scalar's services (agent, MCP, registry).
    proxyUrl: '',
    agent: { disabled: true },
    mcp: { disabled: true },
  })
})()
`

/** A portcullis, so browsers find an icon without asking for /favicon.ico. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b5cad"/><path d="M3 3h10M3 6h10M3 9h10M5 3v10M8 3v10M11 3v10" stroke="#fff" stroke-width="1.2"/></svg>
`
