/**
 * Clients that pipeline requests and never read the responses (issue 21): the gateway must stay
 * available while they do and after they leave, bound what it holds for them, and finish every
 * exchange they started (upstream released, access line written, in-flight gauge back to zero).
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { stringify } from 'yaml'
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

async function bufferedBytes(gw: TestGateway): Promise<number> {
  const metric = await gw.gateway.metrics.registry.getSingleMetricAsString('portcullis_buffered_body_bytes')
  return Number(/portcullis_buffered_body_bytes (\d+)/.exec(metric)?.[1] ?? NaN)
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
    // Each request has an access line, but those past the pipeline limit beyond the first few per
    // connection, which are counted in one line when the connection closes.
    const lines = gw.logLines()
    const attackLines = lines.filter((l) => l.kind === 'access' && l.method === 'GET')
    const summarised = lines.filter((l) => typeof l.requests === 'number').reduce((sum, l) => sum + (l.requests as number), 0)
    assert.ok(attackLines.length + summarised >= 4 * 80, `every pipelined request is accounted (${attackLines.length} lines + ${summarised} counted)`)
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

describe('requests that never complete, and floods of pipelined requests', () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream(bigOrSmall())
    gw = await startTestGateway({
      ...baseConfig(upstream.url, { server: { headersTimeoutMs: 500, requestTimeoutMs: 1000 } }),
      apis: [{ name: 'one', basePath: '/', upstream: { url: upstream.url, maxConnections: 1 } }],
    })
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('a body that never ends gets 408 and frees its upstream connection', async () => {
    const port = Number(new URL(gw.url).port)
    const slow = connect(port, '127.0.0.1', () => slow.write('POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc'))
    slow.on('error', () => undefined)
    let answer = ''
    slow.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')))
    await eventually(() => answer.startsWith('HTTP/1.1 408'), 5000, 'the 408')
    slow.destroy()
    // The only upstream connection is free again: a normal request with a body is served.
    const res = await fetch(`${gw.url}/small`, { method: 'POST', body: 'hello', signal: AbortSignal.timeout(5000) })
    assert.equal(res.status, 200)
    await res.arrayBuffer()
  })

  test('a flood of pipelined requests in one write is cut off: bounded access lines, one summary', async () => {
    const port = Number(new URL(gw.url).port)
    const flood = Buffer.from('GET /small HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(15_000))
    const socket = connect(port, '127.0.0.1', () => socket.end(flood))
    socket.on('error', () => undefined)
    socket.resume()
    await new Promise<void>((resolve) => socket.once('close', () => resolve()))
    await eventually(async () => (await inFlight(gw)) === 0, 5000, 'every exchange to be finished')
    const lines = gw.logLines()
    const access = lines.filter((l) => l.kind === 'access' && l.method === 'GET')
    assert.ok(access.length <= 100, `${access.length} access lines for 15,000 requests`)
    const summary = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('pipelined requests past server.maxPipelinedRequests'))
    assert.ok(summary !== undefined && (summary.requests as number) > 0, 'the requests not logged one by one are counted in one line')
    assert.equal(await probe(`${gw.url}/small`), 200)
  })
})

describe('the process-wide budget of buffered bytes', () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream(bigOrSmall())
    gw = await startTestGateway({
      ...baseConfig(upstream.url, { server: { maxBufferedResponseBytes: 48 * 1024 * 1024, maxBufferedBytesTotal: 40 * 1024 * 1024 } }),
      apis: [{ name: 'masked', basePath: '/', upstream: { url: upstream.url }, policies: { masking: { fields: [{ name: 'password', strategy: 'redact' }], maxBodyBytes: 48 * 1024 * 1024, oversize: 'pass' } } }],
    })
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('a body that would pass it gets 503 GW_ERR_GATEWAY_OVERLOADED; the bytes come back when the holder finishes', async () => {
    const port = Number(new URL(gw.url).port)
    // A client that reads nothing keeps its 32 MB response (buffered for masking) reserved.
    const [holder] = (await pipelineWithoutReading(port, 1, 1, '/huge')) as [Socket]
    try {
      await eventually(() => upstream.requests.some((r) => r.url.startsWith('/huge')), 5000, 'the first request to reach the upstream')
      await new Promise((r) => setTimeout(r, 300))
      const refused = await fetch(`${gw.url}/huge?second`, { signal: AbortSignal.timeout(5000) })
      const body = (await refused.json()) as { code: string }
      assert.equal(refused.status, 503)
      assert.equal(body.code, 'GW_ERR_GATEWAY_OVERLOADED')
      assert.equal(refused.headers.get('retry-after'), '1')
      assert.ok((await bufferedBytes(gw)) >= HUGE.length, 'the held response counts in the gauge')
    } finally {
      holder.destroy()
    }
    await eventually(async () => (await inFlight(gw)) === 0, 5000, 'the holder to be finished')
    assert.equal(await bufferedBytes(gw), 0)
    const again = await fetch(`${gw.url}/huge?third`, { signal: AbortSignal.timeout(10_000) })
    assert.equal(again.status, 200)
    assert.equal((await again.arrayBuffer()).byteLength, HUGE.length)
  })
})

/** Resident memory of a process, from /proc (Linux), in bytes. */
function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024
}

describe('hostile clients: pipelining without reading (buffered responses), in a gateway process of its own', () => {
  const BIG_JSON = Buffer.from(JSON.stringify({ id: 1, note: 'n'.repeat(900 * 1024) }))
  let upstream: TestUpstream
  let child: ChildProcess | null = null
  let dir = ''
  let url = ''

  before(async () => {
    upstream = await startUpstream((req, res) => {
      const body = req.url?.startsWith('/big') === true ? BIG_JSON : Buffer.from('{"ok":true}')
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
      res.end(body)
    })
    dir = mkdtempSync(join(tmpdir(), 'portcullis-hostile-'))
    const config = {
      ...baseConfig(upstream.url, { server: { sendTimeoutMs: 2000 } }),
      log: { level: 'info', access: false, destination: join(dir, 'gateway.log') },
      apis: [{ name: 'masked', basePath: '/', upstream: { url: upstream.url }, policies: { masking: { fields: [{ name: 'password', strategy: 'redact' }] } } }],
    }
    const file = join(dir, 'gateway.yaml')
    writeFileSync(file, stringify(config))
    child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/portcullis.js'), 'start', '-c', file], { stdio: ['ignore', 'pipe', 'inherit'] })
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    // The log goes to a file; the port is read from the started line there.
    await eventually(() => /"gateway started"/.test(safeRead(join(dir, 'gateway.log')) + output), 30_000, 'the gateway process to start')
    const started = (safeRead(join(dir, 'gateway.log')) + output).split('\n').find((l) => l.includes('"gateway started"')) as string
    url = `http://${(JSON.parse(started) as { addresses: { http: string } }).addresses.http}`
  })
  after(async () => {
    if (child !== null && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
    await upstream?.close()
    if (dir !== '') rmSync(dir, { recursive: true, force: true })
  })

  test('RSS stays within 2x of idle during and after the attack, and normal requests are served', async (t) => {
    const pid = child?.pid as number
    for (let i = 0; i < 40; i++) assert.equal(await probe(`${url}/big`), 200)
    await new Promise((r) => setTimeout(r, 500))
    const idle = residentBytes(pid)
    const attackers = await pipelineWithoutReading(Number(new URL(url).port), 100, 40, '/big')
    let peak = idle
    const probes: number[] = []
    for (let i = 0; i < 16; i++) {
      await new Promise((r) => setTimeout(r, 250))
      peak = Math.max(peak, residentBytes(pid))
      if (i % 4 === 0) probes.push(await probe(`${url}/small`, 5000))
    }
    for (const socket of attackers) socket.destroy()
    await new Promise((r) => setTimeout(r, 1000))
    const afterwards = residentBytes(pid)
    for (let i = 0; i < 5; i++) probes.push(await probe(`${url}/small`))
    assert.deepEqual(probes, probes.map(() => 200), 'normal requests are served during and after the attack')
    const mb = (n: number) => `${Math.round(n / 1048576)} MB`
    t.diagnostic(`RSS idle ${mb(idle)}, peak ${mb(peak)}, after ${mb(afterwards)}`)
    assert.ok(peak <= 2 * idle, `peak RSS ${mb(peak)} within 2x idle ${mb(idle)}`)
    assert.ok(afterwards <= 2 * idle, `RSS after the attack ${mb(afterwards)} within 2x idle ${mb(idle)}`)
  })
})

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
