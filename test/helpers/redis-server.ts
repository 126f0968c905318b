/**
 * A redis-server of the test's own on a free port (Debian's redis-server binary), so a test can
 * kill it and start it again without touching the shared Redis at 6379.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { unusedPort } from './upstream.js'

export interface TestRedis {
  readonly url: string
  readonly port: number
  /** Kills the server (SIGKILL: nothing is saved) and waits for it to exit. */
  kill(): Promise<void>
  /** Starts it again on the same port, empty. */
  start(): Promise<void>
}

function answersPing(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host)
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await unusedPort()
  let child: ChildProcess | null = null
  const start = async () => {
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    child = server
    const failed = new Promise<never>((_, reject) => server.once('error', (error) => reject(new Error(`cannot start redis-server (is Debian's redis-server installed?): ${error.message}`))))
    const deadline = Date.now() + 10_000
    for (;;) {
      if (await Promise.race([answersPing(port), failed])) return
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 10 s`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill() {
      const server = child
      if (server === null || server.exitCode !== null) return
      await new Promise<void>((resolve) => {
        server.once('exit', () => resolve())
        server.kill('SIGKILL')
      })
      child = null
    },
    start,
  }
}

/** Fails with a clear message when the Redis the tests share is not answering. */
export async function requireRedis(url: string): Promise<void> {
  const { hostname, port } = new URL(url)
  if (!(await answersPing(Number(port || 6379), hostname, 2000))) throw new Error(`these tests need Redis at ${url} (.ci/run starts it when it is down)`)
}
