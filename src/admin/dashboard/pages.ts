/**
 * The headers every dashboard response carries, and the two pages rendered on the server (the
 * log-in form and the hand-over after an OIDC log-in). Neither has a script or a style of its
 * own, and the only variable text is chosen from fixed messages. Each names an empty icon, so
 * the browser does not ask the admin API for /favicon.ico (a refused admin call, an event).
 */
import type { ServerResponse } from 'node:http'

/** No inline script or style, nothing from elsewhere, no framing, forms only to the dashboard. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY)
  res.setHeader('x-content-type-options', 'nosniff')
  res.setHeader('referrer-policy', 'no-referrer')
  res.setHeader('x-frame-options', 'DENY')
  res.setHeader('cross-origin-opener-policy', 'same-origin')
  res.setHeader('cross-origin-resource-policy', 'same-origin')
  res.setHeader('cache-control', 'no-store')
}

export type LoginNotice = 'failed' | 'oidc-failed' | 'signed-out' | 'expired' | null

const NOTICES: Record<Exclude<LoginNotice, null>, { text: string; kind: 'error' | 'info' }> = {
  failed: { text: 'That token is not the admin token.', kind: 'error' },
  'oidc-failed': { text: 'The sign-in with your identity provider did not succeed.', kind: 'error' },
  'signed-out': { text: 'You are signed out.', kind: 'info' },
  expired: { text: 'Your session ended. Sign in again.', kind: 'info' },
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) })
  res.end(html)
}

export function loginPage(options: { oidc: boolean; notice: LoginNotice }): string {
  const notice = options.notice === null ? '' : `<p class="notice ${NOTICES[options.notice].kind}" role="alert">${NOTICES[options.notice].text}</p>`
  const oidc = options.oidc ? '<p class="or">or</p><a class="button secondary" id="oidc" href="/dashboard/login/oidc">Sign in with OIDC</a>' : ''
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Portcullis</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/app.css">
</head>
<body class="login">
<main class="login-box">
<h1><span class="brand">Portcullis</span> security dashboard</h1>
${notice}
<form method="post" action="/dashboard/login" autocomplete="off">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" required maxlength="4096" autofocus>
<button type="submit">Sign in</button>
</form>
${oidc}
</main>
</body>
</html>
`
}

/**
 * After the provider's redirect the session cookie (SameSite=Strict) would not be sent on a
 * redirect continuing that cross-site navigation, so this page hands over with a same-site one.
 */
export function signedInPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url=/dashboard/">
<title>Signed in · Portcullis</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/app.css">
</head>
<body class="login"><main class="login-box"><p>Signed in. <a href="/dashboard/">Continue to the dashboard</a>.</p></main></body>
</html>
`
}
