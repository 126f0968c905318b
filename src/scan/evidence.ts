/**
 * Evidence for a scan finding: the request and response shortened, credentials of the
 * identities replaced (by `***` in excerpts, by an environment variable in the `curl` command),
 * sensitive values in bodies masked by the shared detectors.
 */
import type { Evidence } from '../audit/findings.js'
import { ALL_DETECTORS, DETECTORS, maskDetected } from '../sensitive/detectors.js'
import type { Identity } from './identities.js'
import type { Exchange } from './scan-client.js'

const EXCERPT = 600
const MASKED_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-api-key'])
const BODY_DETECTORS = ALL_DETECTORS.filter((name) => name !== 'email' && name !== 'phone').map((name) => DETECTORS[name])

function shorten(text: string): string {
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}… (${String(text.length)} characters)` : text
}

function maskSecrets(text: string, identities: readonly Identity[], replacement: (identity: Identity) => string): string {
  let out = text
  for (const identity of identities) for (const secret of identity.secrets) if (secret.length >= 4) out = out.replaceAll(secret, replacement(identity))
  return maskDetected(out, BODY_DETECTORS, (detector, match) => detector.partial(match))
}

const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`

export function evidenceOf(exchange: Exchange, identities: readonly Identity[]): Evidence {
  const { request } = exchange
  const requestHeaders = Object.entries(request.headers ?? {}).map(([name, value]) => `${name}: ${MASKED_HEADERS.has(name.toLowerCase()) ? '***' : value}`)
  const requestText = [`${request.method} ${request.url}`, ...requestHeaders, ...(request.body === undefined ? [] : ['', request.body])].join('\n')
  const responseHeaders = Object.entries(exchange.headers)
    .filter(([name]) => !['date', 'keep-alive', 'connection'].includes(name))
    .map(([name, value]) => `${name}: ${MASKED_HEADERS.has(name) ? '***' : value}`)
  const responseText = [`${exchange.status === 0 ? 'no response' : `HTTP ${String(exchange.status)}`} (${String(Math.round(exchange.ms))} ms)`, ...responseHeaders, '', exchange.body].join('\n')
  const envName = (identity: Identity) => `$PORTCULLIS_IDENTITY_${identity.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
  const curl = [
    `curl -i -X ${request.method} ${shellQuote(request.url)}`,
    ...Object.entries(request.headers ?? {}).map(([name, value]) => `-H "${`${name}: ${maskSecrets(value, identities, envName)}`.replaceAll('"', '\\"')}"`),
    ...(request.body === undefined ? [] : [`--data-raw ${shellQuote(request.body)}`]),
  ].join(' ')
  return { request: shorten(maskSecrets(requestText, identities, () => '***')), response: shorten(maskSecrets(responseText, identities, () => '***')), curl: maskSecrets(curl, identities, envName) }
}
