/**
 * The identity provider side of the auth benchmark, in its own process (pinned beside the load
 * generator so its CPU is not counted as the gateway's): serves a JWKS from a file and an RFC 7662
 * introspection endpoint that calls every token active for an hour.
 * Usage: identity-server.ts PORT JWKS_FILE
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'

const [port = '0', jwksFile = ''] = process.argv.slice(2)
const jwks = readFileSync(jwksFile)

createServer((req, res) => {
  if (req.url === '/jwks') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' })
    res.end(jwks)
    return
  }
  if (req.url === '/introspect' && req.method === 'POST') {
    req.resume()
    req.once('end', () => {
      const body = JSON.stringify({ active: true, sub: 'bench', client_id: 'bench', scope: 'orders:read', exp: Math.floor(Date.now() / 1000) + 3600 })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(body)
    })
    return
  }
  res.writeHead(404)
  res.end()
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'))

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0))
