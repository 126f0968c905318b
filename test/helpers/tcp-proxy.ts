/**
 * A TCP forwarder on 127.0.0.1 in front of a real service, which a test can cut (every
 * connection reset, new ones refused) and restore: a network outage without mocking the service.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'

export interface TcpProxy {
  readonly port: number
  cut(): Promise<void>
  restore(): Promise<void>
  close(): Promise<void>
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let server: Server | null = null
  let port = 0
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer((client) => {
        const upstream = connect(targetPort, targetHost)
        for (const socket of [client, upstream]) {
          sockets.add(socket)
          socket.once('close', () => sockets.delete(socket))
          socket.on('error', () => undefined)
        }
        client.pipe(upstream).pipe(client)
        client.once('close', () => upstream.destroy())
        upstream.once('close', () => client.destroy())
      })
      next.once('error', reject)
      next.listen(port, '127.0.0.1', () => {
        port = (next.address() as { port: number }).port
        server = next
        resolve()
      })
    })
  const stop = () =>
    new Promise<void>((resolve) => {
      const current = server
      server = null
      for (const socket of sockets) socket.resetAndDestroy()
      if (current === null) resolve()
      else current.close(() => resolve())
    })
  await listen()
  return { port, cut: stop, restore: listen, close: stop }
}
