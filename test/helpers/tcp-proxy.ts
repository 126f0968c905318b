/**
 * A TCP forwarder on 127.0.0.1 in front of a real service, which a test can cut (every
 * connection reset, new ones refused), hang (a blackhole: connections stay open, new ones are
 * accepted, nothing is forwarded or answered) and restore: a network outage without mocking the
 * service.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'

export interface TcpProxy {
  readonly port: number
  /** Resets every connection and refuses new ones. */
  cut(): Promise<void>
  /** Stops forwarding without closing anything: open and new connections get no answer. */
  hang(): Promise<void>
  /** Forwards again; connections held by `hang()` are reset (as a long blackhole ends them). */
  restore(): Promise<void>
  close(): Promise<void>
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  const pairs = new Set<readonly [Socket, Socket]>()
  let server: Server | null = null
  let hanging = false
  let port = 0
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
  }
  const blackhole = (client: Socket, upstream: Socket | null) => {
    client.unpipe()
    client.pause()
    upstream?.unpipe()
    upstream?.pause()
  }
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer((client) => {
        track(client)
        if (hanging) {
          blackhole(client, null)
          return
        }
        const upstream = connect(targetPort, targetHost)
        track(upstream)
        const pair = [client, upstream] as const
        pairs.add(pair)
        client.pipe(upstream).pipe(client)
        client.once('close', () => {
          pairs.delete(pair)
          upstream.destroy()
        })
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
      hanging = false
      for (const socket of sockets) reset(socket)
      if (current === null) resolve()
      else current.close(() => resolve())
    })
  const hang = () => {
    hanging = true
    for (const [client, upstream] of pairs) blackhole(client, upstream)
    return server === null ? listen() : Promise.resolve()
  }
  const restore = () => {
    if (!hanging) return server === null ? listen() : Promise.resolve()
    hanging = false
    for (const socket of sockets) reset(socket)
    return Promise.resolve()
  }
  await listen()
  return { port, cut: stop, hang, restore, close: stop }
}

/** An outage resets connections; one already closing normally (after a QUIT) is just destroyed (resetting it could spin). */
function reset(socket: Socket): void {
  if (socket.writableEnded || socket.destroyed) socket.destroy()
  else socket.resetAndDestroy()
}
