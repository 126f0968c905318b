/**
 * The demo upstream: a tiny in-memory orders API (see openapi.yaml). It is deliberately plain —
 * the gateway in front of it is what adds the security.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Order {
  id: string
  ownerId: string
  item: string
  quantity: number
}

export function createOrdersServer(): Server {
  const orders = new Map<string, Order>([
    ['1', { id: '1', ownerId: 'alice', item: 'keyboard', quantity: 1 }],
    ['2', { id: '2', ownerId: 'bob', item: 'monitor', quantity: 2 }],
  ])
  let nextId = 3

  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const match = /^\/orders(?:\/([^/]+))?$/.exec(path)
    if (match === null) return send(res, 404, { error: 'not found' })
    const id = match[1]
    if (id === undefined) {
      if (req.method === 'GET') return send(res, 200, [...orders.values()])
      if (req.method === 'POST') {
        readJson(req).then(
          (body) => {
            const { item, quantity } = (body ?? {}) as Partial<Order>
            if (typeof item !== 'string' || typeof quantity !== 'number') return send(res, 400, { error: 'item and quantity are required' })
            const order: Order = { id: String(nextId++), ownerId: String(req.headers['x-owner-id'] ?? 'anonymous'), item, quantity }
            orders.set(order.id, order)
            send(res, 201, order)
          },
          () => send(res, 400, { error: 'invalid JSON' }),
        )
        return
      }
      return send(res, 405, { error: 'method not allowed' })
    }
    const order = orders.get(id)
    if (req.method === 'GET') return order === undefined ? send(res, 404, { error: 'no such order' }) : send(res, 200, order)
    if (req.method === 'DELETE') {
      if (!orders.delete(id)) return send(res, 404, { error: 'no such order' })
      res.writeHead(204).end()
      return
    }
    send(res, 405, { error: 'method not allowed' })
  })
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > 65536) req.destroy(new Error('body too large'))
      else chunks.push(chunk)
    })
    req.on('end', () => {
      try {
        resolve(chunks.length === 0 ? null : JSON.parse(Buffer.concat(chunks).toString('utf8')))
      } catch (error) {
        reject(error instanceof Error ? error : new Error('invalid JSON'))
      }
    })
    req.on('error', reject)
  })
}

/** Starts the demo upstream on 127.0.0.1. */
export async function startOrdersServer(port: number): Promise<{ server: Server; port: number }> {
  const server = createOrdersServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return { server, port: (server.address() as AddressInfo).port }
}
