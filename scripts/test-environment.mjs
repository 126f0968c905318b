// What the tests need around them, set up by the test command itself so that it passes on a fresh
// machine: Debian packages (redis-server, redis-tools, postgresql, openssl, sqlmap) installed when
// running as root, else named; Redis at 127.0.0.1:6379 and PostgreSQL with a `test` database and
// trust auth — the machine's own when they answer (started when installed but down), otherwise
// servers of the run's own, stopped when the tests end. Every step says what it did.
// PORTCULLIS_TEST_POSTGRES / PORTCULLIS_TEST_REDIS name servers to use instead;
// PORTCULLIS_TEST_OWN_SERVICES=1 always starts the run's own PostgreSQL (to try that path).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'

const say = (message) => console.log(`test environment: ${message}`)
const isRoot = process.getuid?.() === 0

function commandExists(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

function postgresBin(name) {
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return null
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a))
  for (const version of versions) if (existsSync(join(base, version, 'bin', name))) return join(base, version, 'bin', name)
  return null
}

const NEEDS = [
  { pkg: 'redis-server', present: () => commandExists('redis-server'), why: 'the rate-limit tests start Redis servers of their own' },
  { pkg: 'redis-tools', present: () => commandExists('redis-cli'), why: 'the Redis Cluster tests build a cluster with redis-cli' },
  { pkg: 'postgresql', present: () => postgresBin('initdb') !== null || commandExists('pg_ctlcluster'), why: 'the data-store and auth tests use PostgreSQL' },
  { pkg: 'openssl', present: () => commandExists('openssl'), why: 'the TLS tests make certificates with it' },
  { pkg: 'sqlmap', present: () => existsSync('/usr/share/sqlmap/extra/vulnserver/vulnserver.py'), why: 'the WAF test attacks the gateway with it' },
  { pkg: 'python3-flask', present: () => spawnSync('/usr/bin/python3', ['-c', 'import flask'], { stdio: 'ignore' }).status === 0, why: 'the scanner is measured on a Flask fixture API (test/fixtures/scan/flask-api)' },
  { pkg: 'chromium', present: () => existsSync(process.env.PORTCULLIS_CHROMIUM ?? '/usr/bin/chromium'), why: 'the dashboard tests drive it with playwright-core (test/e2e/dashboard-browser.test.ts)' },
  { pkg: 'python3-jwt', present: () => spawnSync('/usr/bin/python3', ['-c', 'import jwt'], { stdio: 'ignore' }).status === 0, why: 'the Flask fixture API signs its tokens with PyJWT' },
]

function installMissing() {
  const missing = NEEDS.filter((need) => !need.present())
  if (missing.length === 0) return
  const names = missing.map((need) => need.pkg)
  if (!isRoot || !commandExists('apt-get')) {
    say(`missing Debian packages: ${names.join(' ')} — install them with: sudo apt-get install -y ${names.join(' ')}`)
    for (const need of missing) say(`  ${need.pkg}: ${need.why}; those tests will fail or be skipped saying so`)
    return
  }
  say(`installing ${names.join(' ')} (apt-get, as root)`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', ...names], { stdio: 'inherit', env, timeout: 15 * 60_000 }).status === 0
  if (!install()) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env, timeout: 10 * 60_000 })
    if (!install()) say(`could not install ${names.join(' ')}; the tests that need them will say so`)
  }
}

function answers(port, send = null, expect = null, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => (send === null ? done(true) : socket.write(send)))
    socket.on('data', (data) => done(expect === null || data.toString().startsWith(expect)))
  })
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

async function waitFor(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    if (await check()) return true
    await sleep(200)
  }
  return false
}

async function prepareRedis(stops) {
  if (process.env.PORTCULLIS_TEST_REDIS !== undefined) return say(`Redis: using PORTCULLIS_TEST_REDIS`)
  if (await answers(6379, 'PING\r\n', '+PONG')) return say('Redis: the machine’s own at 127.0.0.1:6379')
  if (!commandExists('redis-server')) return say('Redis: nothing at 127.0.0.1:6379 and no redis-server to start; the Redis tests will fail saying so')
  const child = spawn('redis-server', ['--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  child.on('error', () => undefined)
  if (!(await waitFor(() => answers(6379, 'PING\r\n', '+PONG'), 10_000))) {
    child.kill('SIGKILL')
    return say('Redis: could not start redis-server at 127.0.0.1:6379')
  }
  say('Redis: started one of this run’s own at 127.0.0.1:6379 (stopped after the tests)')
  stops.push(() => child.kill('SIGKILL'))
}

/** Runs `sql` with the project's own `pg` client; resolves with null or the error's message. */
async function queryPostgres(url, sql) {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query(sql)
    return null
  } catch (error) {
    return error.message
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function preparePostgres(env, stops) {
  if (process.env.PORTCULLIS_TEST_POSTGRES !== undefined) return say('PostgreSQL: using PORTCULLIS_TEST_POSTGRES')
  const machine = 'postgres://postgres@127.0.0.1:5432/test'
  if (process.env.PORTCULLIS_TEST_OWN_SERVICES !== '1') {
    if (!(await answers(5432)) && commandExists('pg_ctlcluster') && commandExists('pg_lsclusters')) {
      const clusters = spawnSync('pg_lsclusters', ['-h'], { encoding: 'utf8' }).stdout.trim().split('\n').filter((line) => line !== '')
      for (const line of clusters) {
        const [version, name] = line.split(/\s+/)
        say(`PostgreSQL: starting the machine’s cluster ${version}/${name}`)
        spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, name, 'start'], { stdio: 'inherit', timeout: 60_000 })
      }
      await waitFor(() => answers(5432), 15_000)
    }
    let problem = await queryPostgres(machine, 'SELECT 1')
    if (problem !== null && /database "test" does not exist/.test(problem) && (await queryPostgres('postgres://postgres@127.0.0.1:5432/postgres', 'CREATE DATABASE test')) === null) {
      problem = await queryPostgres(machine, 'SELECT 1')
    }
    if (problem === null) return say('PostgreSQL: the machine’s own at 127.0.0.1:5432 (database test)')
    say(`PostgreSQL: the machine’s own is not usable as postgres@127.0.0.1:5432/test with trust auth (${problem}); starting one of this run’s own`)
  }
  const initdb = postgresBin('initdb')
  const pgCtl = postgresBin('pg_ctl')
  if (initdb === null || pgCtl === null) return say('PostgreSQL: no server binaries (Debian package postgresql); the PostgreSQL tests will fail saying so')
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-test-postgres-'))
  // PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
  const asOwner = (command, args) =>
    isRoot ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', timeout: 120_000 }) : spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 })
  if (isRoot) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()))
  const init = asOwner(initdb, ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync'])
  if (init.status !== 0) return say(`PostgreSQL: initdb failed: ${init.stderr.trim().split('\n').at(-1)}`)
  const port = await freePort()
  const start = asOwner(pgCtl, ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start'])
  if (start.status !== 0) return say(`PostgreSQL: the server did not start: ${start.stderr.trim()}`)
  stops.push(() => {
    asOwner(pgCtl, ['-D', join(dir, 'data'), '-m', 'immediate', 'stop'])
    rmSync(dir, { recursive: true, force: true })
  })
  await queryPostgres(`postgres://postgres@127.0.0.1:${port}/postgres`, 'CREATE DATABASE test')
  env.PORTCULLIS_TEST_POSTGRES = `postgres://postgres@127.0.0.1:${port}/test`
  say(`PostgreSQL: started one of this run’s own at 127.0.0.1:${port} (stopped after the tests)`)
}

/** Sets up what the tests need; returns the environment for the test run and a stop function. */
export async function prepareTestEnvironment() {
  const env = { ...process.env }
  const stops = []
  installMissing()
  await prepareRedis(stops)
  await preparePostgres(env, stops)
  return {
    env,
    stop() {
      for (const stop of stops.reverse()) {
        try {
          stop()
        } catch {
          // A server that is already gone needs no stopping.
        }
      }
    },
  }
}
