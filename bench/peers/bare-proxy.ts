/**
 * The floor: the least a Node.js proxy can do — node:http in, undici `pool.stream()` out,
 * straight into the client response. No routing, no header hygiene, no logs.
 * Usage: bare-proxy.ts PORT UPSTREAM_URL
 */
import { createServer } from 'node:http'
import { Pool, type Dispatcher } from 'undici'

const [port = '0', upstream = 'http://127.0.0.1:8000'] = process.argv.slice(2)
const pool = new Pool(upstream, { connections: 128 })

createServer((req, res) => {
  const headers = { ...req.headers }
  delete headers.connection
  delete headers['keep-alive']
  pool
    .stream({ path: req.url ?? '/', method: req.method as Dispatcher.HttpMethod, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req, opaque: res }, ({ statusCode, headers: h, opaque }) => {
      const out = opaque
      out.writeHead(statusCode, h as Record<string, string>)
      return out
    })
    .catch(() => {
      if (!res.headersSent) res.writeHead(502)
      res.end()
    })
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'))

// Exit cleanly on signals so --cpu-prof can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0))
