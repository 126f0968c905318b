/**
 * The lower floor: node:http in, undici's `pool.dispatch()` with a minimal handler out, straight
 * into the client response. `pool.stream()` (bare-proxy.ts) is the usual way to proxy with undici;
 * this skips its per-request machinery the way the gateway does, so the gateway is measured
 * against both. No routing, no header hygiene, no logs.
 * Usage: bare-dispatch-proxy.ts PORT UPSTREAM_URL
 */
import { createServer, type ServerResponse } from 'node:http'
import { Pool, type Dispatcher } from 'undici'

const [port = '0', upstream = 'http://127.0.0.1:8000'] = process.argv.slice(2)
const pool = new Pool(upstream, { connections: 128 })

class ResponseHandler implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse
  #resume: (() => void) | null = null

  constructor(res: ServerResponse) {
    this.#res = res
  }

  onConnect(): void {}

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true
    const headers: string[] = []
    for (const field of rawHeaders) headers.push(field.toString('latin1'))
    this.#resume = resume
    this.#res.writeHead(statusCode, headers)
    return true
  }

  onData(chunk: Buffer): boolean {
    if (this.#res.write(chunk)) return true
    if (this.#resume !== null) this.#res.once('drain', this.#resume)
    return false
  }

  onComplete(): void {
    this.#res.end()
  }

  onError(): void {
    if (!this.#res.headersSent) this.#res.writeHead(502)
    this.#res.end()
  }
}

createServer((req, res) => {
  const headers = { ...req.headers }
  delete headers.connection
  delete headers['keep-alive']
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : req
  pool.dispatch({ path: req.url ?? '/', method: req.method as Dispatcher.HttpMethod, headers, body }, new ResponseHandler(res))
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'))

// Exit cleanly on signals so --cpu-prof can write its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0))
