/** The SSRF canary: an HTTP listener on 127.0.0.1 that remembers which tokens were requested. */
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { Canary } from './scan-check.js'

export interface RunningCanary extends Canary {
  close(): Promise<void>
}

/** The chosen port cannot be listened on (taken, or privileged). */
export class CanaryPortError extends Error {}

export async function startCanary(listenPort = 0): Promise<RunningCanary> {
  const seen = new Set<string>()
  const server: Server = createServer((request, response) => {
    const token = /\/canary\/([a-f0-9]{16})/.exec(request.url ?? '')?.[1]
    if (token !== undefined) seen.add(token)
    response.writeHead(200, { 'content-type': 'text/plain' }).end('portcullis canary\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new CanaryPortError(`--canary-port ${String(listenPort)}: cannot listen on 127.0.0.1 (${error.code ?? error.message})`))
    })
    server.listen(listenPort, '127.0.0.1', resolve)
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url() {
      const token = randomBytes(8).toString('hex')
      return { url: `http://127.0.0.1:${String(port)}/canary/${token}`, token }
    },
    hit: (token) => seen.has(token),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}
