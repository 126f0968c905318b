import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { request } from 'undici'
import { stringify } from 'yaml'
import { eventually } from '../helpers/gateway.js'
import { startUpstream } from '../helpers/upstream.js'

const BIN = join(import.meta.dirname, '../../bin/portcullis.js')
const FIXTURES = join(import.meta.dirname, '../fixtures/cli')

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** A running `portcullis start`, with its JSON log lines collected from stdout. */
class GatewayProcess {
  readonly child: ChildProcess
  readonly lines: Record<string, unknown>[] = []
  #buffer = ''
  readonly exited: Promise<number | null>

  constructor(configFile: string) {
    this.child = spawn(process.execPath, [BIN, 'start', '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString()
      const parts = this.#buffer.split('\n')
      this.#buffer = parts.pop() ?? ''
      for (const line of parts) {
        if (!line.startsWith('{')) continue
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>)
        } catch {
          this.lines.push({ unparsable: line })
        }
      }
    })
    this.child.stderr?.resume()
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
  }

  async started(): Promise<{ http: string; admin?: string }> {
    await eventually(() => this.lines.some((l) => l.msg === 'gateway started'), 20000, 'gateway start')
    const line = this.lines.find((l) => l.msg === 'gateway started') as { addresses: { http: string } }
    const admin = this.lines.find((l) => l.msg === 'admin listening') as { admin?: string } | undefined
    return { http: `http://${line.addresses.http}`, ...(admin?.admin === undefined ? {} : { admin: `http://${admin.admin}` }) }
  }

  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal)
    return this.exited
  }
}

function tempConfig(config: object): { dir: string; file: string; write(c: object): void } {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'))
  const file = join(dir, 'gateway.yaml')
  const write = (c: object) => writeFileSync(file, stringify(c))
  write(config)
  return { dir, file, write }
}

describe('portcullis CLI', () => {
  test('validate prints every problem with its path and exits 2', () => {
    const result = run(['validate', '-c', join(FIXTURES, 'invalid.yaml')])
    assert.equal(result.code, 2)
    assert.equal(
      result.stderr,
      [
        `${join(FIXTURES, 'invalid.yaml')}: 3 problem(s) [GW_ERR_CONFIG_INVALID]`,
        '  listen.http.hots: unknown key (did you mean "host"?)',
        '  admin.auth.tokenHash: must be the hex SHA-256 of the admin token (64 lower-case hex digits)',
        '  apis[0].upstream.url: must be a URL (http:// or https://, no query or fragment)',
        '',
      ].join('\n'),
    )
  })

  test('validate accepts a valid config and exits 0', () => {
    const result = run(['validate', '-c', join(FIXTURES, 'valid.yaml')])
    assert.equal(result.code, 0)
    assert.equal(result.stdout, `${join(FIXTURES, 'valid.yaml')}: valid (1 API(s), 4 route(s))\n`)
  })

  test('validate reports an unreadable file and exits 2', () => {
    const result = run(['validate', '-c', join(FIXTURES, 'missing.yaml')])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /cannot read .*missing\.yaml: ENOENT/)
  })

  test('schema prints the JSON Schema with every policy', () => {
    const result = run(['schema'])
    assert.equal(result.code, 0)
    const schema = JSON.parse(result.stdout) as { properties: Record<string, unknown>; $schema: string }
    assert.ok(schema.properties.apis && schema.properties.listen)
    for (const policy of ['cors', 'ip-filter', 'request-limits', 'security-headers']) assert.ok(result.stdout.includes(`"${policy}"`), policy)
  })

  test('an unknown command exits 2', () => {
    assert.equal(run(['frobnicate']).code, 2)
  })

  test('start: serves, reloads on SIGHUP, drains in-flight requests on SIGTERM', async () => {
    const upstream = await startUpstream((req, res) => setTimeout(() => res.end(`hello ${req.url}`), req.url === '/slow' ? 600 : 0))
    const base = { listen: { http: { port: 0, host: '127.0.0.1' } }, watch: false, log: { level: 'info' } }
    const config = tempConfig({ ...base, apis: [{ name: 'a', upstream: { url: upstream.url }, routes: { 'GET /slow': {}, 'GET /one': {} } }] })
    const gateway = new GatewayProcess(config.file)
    try {
      const { http } = await gateway.started()
      assert.equal(await (await request(`${http}/one`)).body.text(), 'hello /one')
      config.write({ ...base, apis: [{ name: 'a', upstream: { url: upstream.url }, routes: { 'GET /slow': {}, 'GET /two': {} } }] })
      gateway.child.kill('SIGHUP')
      await eventually(() => gateway.lines.some((l) => l.msg === 'config reloaded'), 10000, 'reload')
      assert.equal((await request(`${http}/one`)).statusCode, 404)
      const slow = request(`${http}/slow`).then(async (r) => ({ status: r.statusCode, body: await r.body.text() }))
      await new Promise((r) => setTimeout(r, 150))
      const code = await gateway.stop('SIGTERM')
      assert.deepEqual(await slow, { status: 200, body: 'hello /slow' })
      assert.equal(code, 0)
      assert.ok(gateway.lines.some((l) => l.msg === 'gateway stopped'))
    } finally {
      await gateway.stop('SIGKILL')
      await upstream.close()
      rmSync(config.dir, { recursive: true, force: true })
    }
  })

  test('start with a bad config exits 2 and says why', () => {
    const result = run(['start', '-c', join(FIXTURES, 'invalid.yaml')])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /apis\[0\]\.upstream\.url: must be a URL/)
  })

  test('workers: N serves from N processes on one port; the primary aggregates metrics', async () => {
    const upstream = await startUpstream()
    const token = 'cluster-token'
    const config = tempConfig({
      listen: { http: { port: 0, host: '127.0.0.1' } },
      admin: { listen: '127.0.0.1:0', auth: { tokenHash: createHash('sha256').update(token).digest('hex') } },
      workers: 2,
      watch: false,
      apis: [{ name: 'a', upstream: { url: upstream.url } }],
    })
    const gateway = new GatewayProcess(config.file)
    try {
      const { http, admin } = await gateway.started()
      assert.ok(admin !== undefined)
      // node:cluster hands each new connection to a free worker; a worker still busy starting can
      // miss a few, so requests go in concurrent batches until both have served (bounded).
      const access = () => gateway.lines.filter((l) => l.kind === 'access')
      let sent = 0
      for (let batch = 0; batch < 10 && new Set(access().map((l) => l.pid)).size < 2; batch++) {
        await Promise.all(Array.from({ length: 10 }, async () => (await request(`${http}/x`, { reset: true })).body.text()))
        sent += 10
        await eventually(() => access().length === sent, 20000, 'an access line per request')
      }
      assert.equal(new Set(access().map((l) => l.pid)).size, 2, 'both workers served')
      assert.equal(gateway.lines.some((l) => 'unparsable' in l), false, 'log lines from several processes never interleave')
      const metrics = await (await request(`${admin}/metrics`, { headers: { authorization: `Bearer ${token}` } })).body.text()
      assert.match(metrics, new RegExp(`portcullis_requests_total\\{api="a",route="\\*",status_class="2xx"\\} ${sent}\\n`))
      assert.equal(await gateway.stop('SIGTERM'), 0)
    } finally {
      await gateway.stop('SIGKILL')
      await upstream.close()
      rmSync(config.dir, { recursive: true, force: true })
    }
  })
})
