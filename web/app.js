// The dashboard's shell: the session, the page router (#/page), the live stream and sign-out.
import { loadSession, logout } from './lib/api.js'
import { fill, h } from './lib/dom.js'
import { overviewPage } from './pages/overview.js'
import { eventsPage } from './pages/events.js'
import { detectionsPage } from './pages/detections.js'
import { inventoryPage } from './pages/inventory.js'
import { consumersPage } from './pages/consumers.js'

const PAGES = { overview: overviewPage, events: eventsPage, detections: detectionsPage, inventory: inventoryPage, consumers: consumersPage }

/** Listeners of the live stream: the page on screen subscribes, and is unsubscribed when it leaves. */
const live = { listeners: new Set(), last: null, source: null }

export function subscribe(listener) {
  live.listeners.add(listener)
  if (live.last !== null) listener('overview', live.last)
  return () => live.listeners.delete(listener)
}

function connect() {
  const indicator = document.getElementById('live')
  const source = new EventSource('/dashboard/stream')
  live.source = source
  source.addEventListener('open', () => (indicator.className = 'live on'))
  source.addEventListener('error', () => (indicator.className = 'live off'))
  source.addEventListener('overview', (e) => {
    live.last = JSON.parse(e.data)
    for (const listener of live.listeners) listener('overview', live.last)
  })
  source.addEventListener('security-event', (e) => {
    const event = JSON.parse(e.data)
    for (const listener of live.listeners) listener('security-event', event)
  })
  source.addEventListener('end', () => {
    source.close()
    location.assign('/dashboard/login?notice=expired')
  })
}

let leave = null

async function route() {
  const name = (location.hash.match(/^#\/(\w+)/) ?? [])[1] ?? 'overview'
  const page = PAGES[name] ?? overviewPage
  for (const link of document.querySelectorAll('#nav a')) link.classList.toggle('active', link.dataset.page === name)
  leave?.()
  leave = null
  const main = document.getElementById('page')
  fill(main, h('p', { className: 'loading' }, 'Loading…'))
  try {
    leave = (await page(main, { subscribe })) ?? null
  } catch (error) {
    fill(main, h('p', { className: 'notice error', role: 'alert' }, `Could not load this page: ${error.message}`))
  }
  main.dataset.ready = name
}

async function start() {
  const session = await loadSession()
  document.getElementById('actor').textContent = session.actor
  // The stream is closed first: signing out ends it, and its end would send the page to the
  // "session expired" notice before the sign-out's own answer arrived.
  document.getElementById('logout').addEventListener('click', () => {
    live.source?.close()
    void logout()
  })
  window.addEventListener('hashchange', () => void route())
  connect()
  await route()
}

void start()
