/**
 * Clients that pipeline requests and never read the responses (issue 21): the gateway must stay
 * available while they do and after they leave, bound what it holds for them, and finish every
 * exchange they started (upstream released, access line written, in-flight gauge back to zero).
 */
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { baseConfig, eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const BIG = Buffer.alloc(900 * 1024, 'x')
/** Larger than what loopback's socket buffers take from a client that reads nothing. */
const HUGE = Buffer.alloc(32 * 1024 * 1024, 'y')

function bigOrSmall(): Parameters<typeof startUpstream>[0] {
  return (req, res) => {
    if (req.url?.startsWith('/huge') === true) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': HUGE.length })
      res.end(HUGE)
    } else if (req.url?.startsWith('/big') === true) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BIG.length })
      res.end(BIG)
    } else {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    }
  }
}

/** Opens `connections` sockets, each writing `depth` pipelined GETs of `path` at once, and never reads. */
async function pipelineWithoutReading(port: number, connections: number, depth: number, path: string): Promise<Socket[]> {
  const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`
  const sockets = await Promise.all(
    Array.from({ length: connections }, (_, i) => {
      return new Promise<Socket>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.pause()
          socket.write(Array.from({ length: depth }, (_, n) => request.replace(path, `${path}?c=${i}&n=${n}`)).join(''))
          resolve(socket)
        })
        socket.on('error', reject)
      })
    }),
  )
  for (const socket of sockets) socket.on('error', () => undefined)
  return sockets
}

async function inFlight(gw: TestGateway): Promise<number> {
  const metric = await gw.gateway.metrics.registry.getSingleMetricAsString('portcullis_requests_in_flight')
  return Number(/portcullis_requests_in_flight (\d+)/.exec(metric)?.[1] ?? NaN)
}

async function probe(url: string, timeoutMs = 3000): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  await res.arrayBuffer()
  return res.status
}

describe('hostile clients: pipelining without reading (streamed responses)', () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream(bigOrSmall())
    gw = await startTestGateway(baseConfig(upstream.url, { server: { sendTimeoutMs: 1500 } }))
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('the upstream stays usable during and after the attack, and every exchange is finished', async () => {
    const port = Number(new URL(gw.url).port)
    const attackers = await pipelineWithoutReading(port, 4, 80, '/big')
    await new Promise((r) => setTimeout(r, 500))
    // During the attack: the attackers hold at most one exchange each, so others are served.
    assert.equal(await probe(`${gw.url}/health`), 200)
    assert.equal(await probe(`${gw.url}/big`), 200)
    for (const socket of attackers) socket.destroy()
    // After: every request the attackers started is finished and the upstream is free.
    await eventually(async () => (await inFlight(gw)) === 0, 10_000, 'the in-flight gauge to return to 0')
    for (let i = 0; i < 5; i++) assert.equal(await probe(`${gw.url}/health`), 200)
    assert.equal(await probe(`${gw.url}/big`), 200)
    const attackLines = gw.logLines().filter((l) => l.kind === 'access' && l.method === 'GET')
    assert.ok(attackLines.length >= 4 * 80, `every pipelined request has an access line (got ${attackLines.length})`)
  })

  test('a client that stops reading is disconnected after sendTimeoutMs', async () => {
    const port = Number(new URL(gw.url).port)
    const [socket] = (await pipelineWithoutReading(port, 1, 3, '/huge')) as [Socket]
    let received = 0
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    try {
      // The gateway gives up on the exchange while the client still reads nothing.
      await eventually(async () => (await inFlight(gw)) > 0, 5000, 'the requests to arrive')
      await eventually(async () => (await inFlight(gw)) === 0, 8000, 'the gateway to give up on a client that does not read')
      socket.on('data', (chunk: Buffer) => (received += chunk.length))
      socket.resume()
      await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the connection was not closed')), 5000))])
    } finally {
      socket.destroy()
    }
    assert.ok(received < 3 * HUGE.length, `the connection ended before every response was sent (${received} bytes)`)
    const cut = gw.logLines().filter((l) => l.kind === 'access' && l.status === 499)
    assert.ok(cut.length >= 1, 'the cut exchange is logged (499)')
    assert.equal(await probe(`${gw.url}/health`), 200)
  })

})
