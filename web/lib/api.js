// Calls to the dashboard's JSON API: same origin, the session cookie, the CSRF token on changes.

let csrfToken = null

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.title ?? `HTTP ${status}`)
    this.status = status
    this.problem = problem
  }
}

/** Who is signed in, and the CSRF token for changes (`GET /dashboard/api/session`). */
export async function loadSession() {
  const session = await call('GET', 'session')
  csrfToken = session.csrfToken
  return session
}

/** `path` relative to /dashboard/api/ (e.g. `events?kind=alert`); JSON in and out. */
export async function call(method, path, body) {
  const headers = { accept: 'application/json' }
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken ?? ''
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`/dashboard/api/${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) })
  if (res.status === 401) {
    location.assign('/dashboard/login?notice=expired')
    throw new ApiError(401, null)
  }
  if (res.status === 204) return null
  const type = res.headers.get('content-type') ?? ''
  const data = type.includes('json') ? await res.json() : null
  if (!res.ok) throw new ApiError(res.status, data)
  return data
}

/** The admin API's `next` link (`/events?…`) as a path for `call`. */
export function nextPath(next) {
  return next === null || next === undefined ? null : next.replace(/^\//, '')
}

export async function logout() {
  await fetch('/dashboard/logout', { method: 'POST', headers: { 'x-csrf-token': csrfToken ?? '' }, credentials: 'same-origin' })
  location.assign('/dashboard/login?notice=signed-out')
}
