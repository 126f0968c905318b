/**
 * Short forms users write, expanded before validation so the schema has one shape:
 * `http: 8080` or `http: 127.0.0.1:8080` (a string, e.g. from `${env:…}`), `https: { cert, key,
 * clientCa }`, `upstream: URL` (for `{ url }`).
 */

type Node = Record<string, unknown>

function isObject(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function applyShorthands(config: unknown): unknown {
  if (!isObject(config)) return config
  const listen = config.listen
  if (isObject(listen)) {
    if (typeof listen.http === 'number') listen.http = { port: listen.http }
    else if (typeof listen.http === 'string') listen.http = hostPort(listen.http)
    const https = listen.https
    if (isObject(https)) {
      if ('cert' in https || 'key' in https) {
        const { cert, key, passphrase, ...rest } = https
        listen.https = https === null ? https : { ...rest, certificates: [{ cert, key, ...(passphrase === undefined ? {} : { passphrase }) }] }
      }
      const current = listen.https as Node
      if ('clientCa' in current) {
        const { clientCa, ...rest } = current
        listen.https = { ...rest, clientCertificate: { ca: clientCa } }
      }
    }
  }
  if (Array.isArray(config.apis)) {
    for (const api of config.apis) {
      if (!isObject(api)) continue
      if (typeof api.upstream === 'string') api.upstream = { url: api.upstream }
    }
  }
  return config
}

/** `8080`, `127.0.0.1:8080` or `[::1]:8080` as a listener; anything else is left for the schema to refuse. */
function hostPort(text: string): unknown {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(text.trim())
  if (match === null) return text
  const host = match[1]?.replace(/^\[|\]$/g, '')
  return host === undefined ? { port: Number(match[2]) } : { host, port: Number(match[2]) }
}
