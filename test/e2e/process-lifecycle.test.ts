/**
 * The gateway process's life cycle through the real CLI (`bin/portcullis.js`): a listener that
 * cannot bind fails the start with exit 2 and names the listener and address (one process and
 * `workers: N`), `validate` refuses an admin listener on a data port, and a stop writes every
 * access line even when the stop signal comes twice (as GNU `timeout` and supervisors send it to
 * the whole process group), as does a crash.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { after, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request } from 'undici'
import { stringify } from 'yaml'
import { startGateway } from '../../src/gateway.js'
import { ConfigError } from '../../src/errors.js'
import { createPki } from '../helpers/certificates.js'
import { eventually } from '../helpers/gateway.js'
import { startUpstream, unusedPort } from '../helpers/upstream.js'

const ROOT = join(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/portcullis.js')
const TOKEN_HASH = createHash('sha256').update('lifecycle-token').digest('hex')
/** Long enough for a gateway with workers to start and fail; a start that hangs fails the test here. */
const EXIT_WAIT_MS = 30_000

/** Every process a test started, so `after` can kill what a failed assertion left running. */
const children = new Set<ChildProcess>()
const holders = new Set<Server>()
const dirs = new Set<string>()

after(async () => {
  for (const child of children) killGroup(child, 'SIGKILL')
  await Promise.all([...holders].map((server) => new Promise((resolve) => server.close(resolve))))
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Signals the child's whole process group (the child leads it: spawned detached). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // Already gone.
  }
}

interface CliRun {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Exit code (or signal), or 'running' if it did not exit within `ms`. */
  exit(ms?: number): Promise<number | NodeJS.Signals | 'running'>
}

/** `portcullis ARGS` in its own process group, so a test can signal it (and its workers) as a supervisor would. */
function cli(args: string[]): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exit: async (ms = EXIT_WAIT_MS) => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), ms)))
      const result = await Promise.race([exited, timeout])
      clearTimeout(timer)
      return result
    },
  }
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-lifecycle-'))
  dirs.add(dir)
  return dir
}

function writeConfig(dir: string, config: object): string {
  const file = join(dir, 'gateway.yaml')
  writeFileSync(file, stringify(config))
  return file
}

/** A port on 127.0.0.1 held by a server of the test's own. */
async function takenPort(): Promise<number> {
  const server = createServer()
  holders.add(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** Nothing is listening on the port any more: a server of the test's own can bind it. */
async function canBind(port: number): Promise<boolean> {
  const server = createServer()
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => resolve(true))
  })
  if (bound) await new Promise((resolve) => server.close(resolve))
  return bound
}

/** The JSON lines of a log file so far. */
function readLog(file: string): Record<string, unknown>[] {
  return (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

const listenFailure = (file: string, path: string, port: number) =>
  `${file}: 1 problem(s) [GW_ERR_LISTEN_FAILED]\n  ${path}: cannot listen on 127.0.0.1:${port}: EADDRINUSE (address already in use)\n`

describe('start: a listener that cannot bind fails the start', () => {
  test('data port taken: exit 2 naming listen.http, even with a Redis counter store that would keep the process alive', async () => {
    const port = await takenPort()
    const file = writeConfig(tempDir(), {
      listen: { http: { port, host: '127.0.0.1' } },
      stores: { counters: 'redis://127.0.0.1:6379' },
      watch: false,
      apis: [{ name: 'a', upstream: { url: 'http://127.0.0.1:9' }, policies: { 'rate-limit': { limits: [{ rate: '10/s' }] } } }],
    })
    const run = cli(['start', '-c', file])
    assert.equal(await run.exit(), 2, `stderr: ${run.stderr()}`)
    assert.equal(run.stderr(), listenFailure(file, 'listen.http', port))
  })

  test('admin port taken: exit 2 naming admin.listen; the data listener already bound is closed', async () => {
    const port = await takenPort()
    const dataPort = await unusedPort()
    const file = writeConfig(tempDir(), {
      listen: { http: { port: dataPort, host: '127.0.0.1' } },
      admin: { listen: `127.0.0.1:${port}`, auth: { tokenHash: TOKEN_HASH } },
      watch: false,
      apis: [{ name: 'a', upstream: { url: 'http://127.0.0.1:9' } }],
    })
    const run = cli(['start', '-c', file])
    assert.equal(await run.exit(), 2, `stderr: ${run.stderr()}`)
    assert.equal(run.stderr(), listenFailure(file, 'admin.listen', port))
    assert.equal(run.stdout().includes('"gateway started"'), false, 'never reported as started')

    // The same in this process, where no exit can hide a listener left open.
    const failed = await startGateway({ configFile: file }).then(
      () => assert.fail('started although the admin port is taken'),
      (error: unknown) => error,
    )
    assert.ok(failed instanceof ConfigError)
    assert.equal(failed.code, 'GW_ERR_LISTEN_FAILED')
    assert.deepEqual(
      failed.problems.map((p) => p.path),
      ['admin.listen'],
    )
    assert.equal(await canBind(dataPort), true, 'the data listener bound before the failure was closed')
  })

  test('workers: 2 with the data port taken: exit 2 naming listen.http, no restarts', async () => {
    const port = await takenPort()
    const file = writeConfig(tempDir(), {
      listen: { http: { port, host: '127.0.0.1' } },
      admin: { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } },
      stores: { counters: 'redis://127.0.0.1:6379' },
      workers: 2,
      watch: false,
      apis: [{ name: 'a', upstream: { url: 'http://127.0.0.1:9' } }],
    })
    const run = cli(['start', '-c', file])
    assert.equal(await run.exit(), 2, `stderr: ${run.stderr()}\nstdout: ${run.stdout()}`)
    assert.equal(run.stderr(), listenFailure(file, 'listen.http', port))
    assert.equal(run.stdout().includes('starting a replacement'), false, 'a worker that cannot start is not restarted')
  })

  test('workers: 2 with the admin port taken: exit 2 naming admin.listen', async () => {
    const port = await takenPort()
    const file = writeConfig(tempDir(), {
      listen: { http: { port: 0, host: '127.0.0.1' } },
      admin: { listen: `127.0.0.1:${port}`, auth: { tokenHash: TOKEN_HASH } },
      stores: { counters: 'redis://127.0.0.1:6379' },
      workers: 2,
      watch: false,
      apis: [{ name: 'a', upstream: { url: 'http://127.0.0.1:9' } }],
    })
    const run = cli(['start', '-c', file])
    assert.equal(await run.exit(), 2, `stderr: ${run.stderr()}\nstdout: ${run.stdout()}`)
    assert.equal(run.stderr(), listenFailure(file, 'admin.listen', port))
  })
})

describe('validate: the admin listener needs a port of its own', () => {
  const validate = (config: object) => {
    const file = writeConfig(tempDir(), { watch: false, apis: [{ name: 'a', upstream: { url: 'http://127.0.0.1:9' } }], ...config })
    const result = spawnSync(process.execPath, [BIN, 'validate', '-c', file], { encoding: 'utf8', timeout: 30000 })
    return { file, code: result.status, stderr: result.stderr }
  }
  const admin = (listen: string) => ({ listen, auth: { tokenHash: TOKEN_HASH } })

  test('the same port as listen.http on an overlapping address is refused with the path', () => {
    for (const [httpHost, adminListen] of [
      ['127.0.0.1', '127.0.0.1:8080'],
      ['0.0.0.0', '127.0.0.1:8080'],
      ['::', '[::1]:8080'],
      ['127.0.0.1', 'localhost:8080'],
    ] as const) {
      const result = validate({ listen: { http: { port: 8080, host: httpHost } }, admin: admin(adminListen) })
      assert.equal(result.code, 2, `${httpHost} / ${adminListen}`)
      assert.equal(
        result.stderr,
        `${result.file}: 1 problem(s) [GW_ERR_CONFIG_INVALID]\n  admin.listen: must not use the port of listen.http (${adminListen} overlaps ${httpHost.includes(':') ? `[${httpHost}]` : httpHost}:8080); the admin API needs a listener of its own\n`,
      )
    }
  })

  test('the same port as listen.https is refused; so is one port for listen.http and listen.https', () => {
    const pki = createPki()
    dirs.add(pki.dir)
    const tls = pki.issue('server', { cn: 'localhost', san: ['DNS:localhost'] })
    const result = validate({
      listen: { http: { port: 0, host: '127.0.0.1' }, https: { port: 8443, ...tls } },
      admin: admin('127.0.0.1:8443'),
    })
    assert.equal(result.code, 2)
    assert.equal(
      result.stderr,
      `${result.file}: 1 problem(s) [GW_ERR_CONFIG_INVALID]\n  admin.listen: must not use the port of listen.https (127.0.0.1:8443 overlaps 0.0.0.0:8443); the admin API needs a listener of its own\n`,
    )
    const both = validate({ listen: { http: { port: 8443, host: '127.0.0.1' }, https: { port: 8443, ...tls } } })
    assert.equal(both.code, 2)
    assert.equal(
      both.stderr,
      `${both.file}: 1 problem(s) [GW_ERR_CONFIG_INVALID]\n  listen.https.port: must not be the port of listen.http (0.0.0.0:8443 overlaps 127.0.0.1:8443)\n`,
    )
  })

  test('port 0 (any free port), other ports and other loopback addresses stay allowed', () => {
    for (const [listen, adminListen] of [
      [{ http: { port: 0, host: '127.0.0.1' } }, '127.0.0.1:0'],
      [{ http: { port: 8080, host: '127.0.0.1' } }, '127.0.0.1:9090'],
      [{ http: { port: 8080, host: '127.0.0.1' } }, '127.0.0.2:8080'],
      [{ http: { port: 8080, host: '127.0.0.1' } }, '[::1]:8080'],
    ] as const) {
      const result = validate({ listen, admin: admin(adminListen) })
      assert.equal(result.code, 0, `${JSON.stringify(listen)} / ${adminListen}: ${result.stderr}`)
    }
  })
})

describe('stop: every answered request has its access line, whatever signals come', () => {
  /** Requests per round; a quarter wait on a slow upstream so some are in flight at the signals. */
  const REQUESTS = 200
  const CLIENTS = 20

  async function stopTwiceUnderLoad(workers: number, round: number, signals: readonly [NodeJS.Signals, NodeJS.Signals]): Promise<void> {
    const upstream = await startUpstream((req, res) => {
      const delay = Number(/\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0)
      setTimeout(() => res.end('ok'), delay)
    })
    const dir = tempDir()
    const logFile = join(dir, 'gateway.log')
    const file = writeConfig(dir, {
      listen: { http: { port: 0, host: '127.0.0.1' } },
      log: { level: 'info', destination: logFile },
      workers,
      ...(workers > 1 ? { stores: { counters: 'redis://127.0.0.1:6379' }, admin: { listen: '127.0.0.1:0', auth: { tokenHash: TOKEN_HASH } } } : {}),
      watch: false,
      apis: [{ name: 'a', upstream: { url: upstream.url } }],
    })
    const logLines = () => readLog(logFile)
    const run = cli(['start', '-c', file])
    const agent = new Agent({ connections: CLIENTS })
    try {
      // With workers, each logs its own start; the primary's line (with `workers`) comes when all have.
      const isStarted = (l: Record<string, unknown>) => l.msg === 'gateway started' && (workers === 1 || l.workers === workers)
      await eventually(() => logLines().some(isStarted), 30000, 'gateway start')
      const started = logLines().find(isStarted) as { addresses: { http: string } }
      const origin = `http://${started.addresses.http}`
      const answered: string[] = []
      let next = 0
      // Each client sends its share one after another, so requests keep arriving while the gateway stops.
      const client = async () => {
        while (next < REQUESTS) {
          const id = `r${round}-${next++}`
          const delay = next % 4 === 0 ? 300 : next % 7
          try {
            const res = await request(`${origin}/x/${delay}`, { dispatcher: agent, headers: { 'x-request-id': id } })
            await res.body.dump()
            if (res.headers['x-request-id'] === id) answered.push(id)
          } catch {
            // Refused or cut once the gateway stopped accepting: the client got no answer.
          }
        }
      }
      const load = Promise.all(Array.from({ length: CLIENTS }, client))
      await eventually(() => answered.length >= REQUESTS / 3, 20000, 'a third of the requests answered')
      killGroup(run.child, signals[0])
      await sleep(5)
      killGroup(run.child, signals[1])
      await load
      const exit = await run.exit()
      const logged = new Set(logLines().filter((l) => l.kind === 'access').map((l) => l.requestId))
      const missing = answered.filter((id) => !logged.has(id))
      assert.ok(answered.length > REQUESTS / 3)
      assert.deepEqual(missing, [], `${missing.length} of ${answered.length} answered requests have no access line (workers: ${workers}, ${signals.join(' + ')})`)
      assert.equal(exit, 0, `exit; stderr: ${run.stderr()}`)
    } finally {
      killGroup(run.child, 'SIGKILL')
      await agent.close()
      await upstream.close()
    }
  }

  test('one process: SIGTERM twice, and SIGTERM then SIGINT, to the process group (3 rounds)', async () => {
    const rounds: (readonly [NodeJS.Signals, NodeJS.Signals])[] = [
      ['SIGTERM', 'SIGTERM'],
      ['SIGTERM', 'SIGINT'],
      ['SIGTERM', 'SIGTERM'],
    ]
    for (const [round, signals] of rounds.entries()) await stopTwiceUnderLoad(1, round, signals)
  })

  test('workers: 2: SIGTERM twice to the primary and the workers (2 rounds)', async () => {
    for (const round of [0, 1]) await stopTwiceUnderLoad(2, round, ['SIGTERM', 'SIGTERM'])
  })
})

describe('a crash still writes the buffered access lines', () => {
  // The gateway process as `start` runs it, plus a way to make it crash: SIGUSR2 throws (or
  // rejects) from a handler no code catches.
  const CRASHING_GATEWAY = `
    import { register } from 'tsx/esm/api'
    register()
    const { runGatewayProcess } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/main.ts')).href)})
    process.on('SIGUSR2', () => {
      if (process.env.CRASH === 'rejection') void Promise.reject(new Error('an unhandled rejection'))
      else throw new Error('an uncaught exception')
    })
    await runGatewayProcess(process.argv[1])
  `

  for (const [crash, what] of [['exception', 'an uncaught exception'], ['rejection', 'an unhandled rejection']] as const) {
    test(`${what}: exit 1 with an access line for every answered request`, async () => {
      const upstream = await startUpstream()
      const dir = tempDir()
      const logFile = join(dir, 'gateway.log')
      const file = writeConfig(dir, {
        listen: { http: { port: 0, host: '127.0.0.1' } },
        log: { level: 'info', destination: logFile },
        watch: false,
        apis: [{ name: 'a', upstream: { url: upstream.url } }],
      })
      const child = spawn(process.execPath, ['--input-type=module', '-e', CRASHING_GATEWAY, file], {
        cwd: ROOT,
        env: { ...process.env, CRASH: crash },
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      })
      children.add(child)
      let stderr = ''
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      try {
        await eventually(() => readLog(logFile).some((l) => l.msg === 'gateway started'), 20000, 'gateway start')
        const started = readLog(logFile).find((l) => l.msg === 'gateway started') as { addresses: { http: string } }
        const answered: string[] = []
        for (let i = 0; i < 50; i++) {
          const res = await request(`http://${started.addresses.http}/x`, { headers: { 'x-request-id': `crash-${i}` } })
          await res.body.dump()
          answered.push(`crash-${i}`)
        }
        child.kill('SIGUSR2')
        assert.equal(await exited, 1, stderr)
        const logged = new Set(readLog(logFile).filter((l) => l.kind === 'access').map((l) => l.requestId))
        assert.deepEqual(
          answered.filter((id) => !logged.has(id)),
          [],
        )
      } finally {
        killGroup(child, 'SIGKILL')
        await upstream.close()
      }
    })
  }
})
