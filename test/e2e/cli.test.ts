import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { request } from 'undici'
import { stringify } from 'yaml'
import { formatTable } from '../../src/cli/formatters/management.js'
import { baseConfig, eventually, startTestGateway } from '../helpers/gateway.js'
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

test('workers: N — a key revoked through the primary’s admin API is refused by every worker at once', async () => {
  const upstream = await startUpstream()
  const token = 'cluster-admin-token'
  const config = tempConfig({
    listen: { http: { port: 0, host: '127.0.0.1' } },
    admin: { listen: '127.0.0.1:0', auth: { tokenHash: createHash('sha256').update(token).digest('hex') } },
    workers: 2,
    watch: false,
    // Cached for a minute: only the primary's message can make the workers forget sooner.
    identity: { apiKeys: { cacheSec: 60 } },
    apis: [{ name: 'a', upstream: { url: upstream.url }, policies: { auth: { methods: ['apiKey'] } } }],
  })
  const gateway = new GatewayProcess(config.file)
  try {
    const { http, admin } = await gateway.started()
    const manage = async (method: string, path: string, body?: object) => {
      const res = await request(`${admin}${path}`, {
        method: method as 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> }
    }
    assert.equal((await manage('POST', '/consumers', { id: 'acme', name: 'Acme' })).status, 201)
    const issued = await manage('POST', '/consumers/acme/keys', {})
    const key = issued.body.key as string
    const id = (issued.body.record as { id: string }).id
    const statuses = () => Promise.all(Array.from({ length: 10 }, async () => (await request(`${http}/x`, { reset: true, headers: { 'x-api-key': key } })).statusCode))
    const access = () => gateway.lines.filter((l) => l.kind === 'access' && l.status === 200)
    // Access lines arrive a little after the responses (workers buffer them): wait for each batch's.
    let sent = 0
    for (let batch = 0; batch < 10 && new Set(access().map((l) => l.pid)).size < 2; batch++) {
      assert.deepEqual(new Set(await statuses()), new Set([200]))
      sent += 10
      await eventually(() => access().length >= sent, 20000, 'an access line per request')
    }
    assert.equal(new Set(access().map((l) => l.pid)).size, 2, 'both workers have the key cached')
    assert.equal((await manage('POST', `/keys/${id}/revoke`)).status, 200)
    await eventually(async () => (await statuses()).every((s) => s === 401), 3000, 'every worker to refuse the revoked key')
    assert.equal(await gateway.stop('SIGTERM'), 0)
  } finally {
    await gateway.stop('SIGKILL')
    await upstream.close()
    rmSync(config.dir, { recursive: true, force: true })
  }
})

describe('portcullis consumers, keys and audit', () => {
  const { username } = userInfo()
  const TIME = '0000-00-00T00:00:00.000Z'
  const ID = '############'
  const KEY = `pcl_${ID}_${'*'.repeat(43)}`

  test('manage consumers and keys in the gateway’s store; the running gateway honours them', async () => {
    const upstream = await startUpstream()
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-store-'))
    const gw = await startTestGateway({
      ...baseConfig(upstream.url),
      stores: { data: `sqlite:${join(dir, 'data.db')}` },
      identity: { apiKeys: { cacheSec: 1 } },
      apis: [{ name: 'orders', upstream: { url: upstream.url }, policies: { auth: { methods: ['apiKey'] } } }],
    })
    // What changes from run to run becomes a placeholder of the same length, so columns stay aligned.
    const keyIds: string[] = []
    const normalize = (text: string) => {
      let out = text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, TIME).replace(/"expiresAt":\d+/g, '"expiresAt":"<ms>"')
      for (const key of out.match(/pcl_[a-z2-7]{12}_[A-Za-z0-9_-]{43}/g) ?? []) keyIds.push(key.slice(4, 16))
      out = out.replace(/pcl_[a-z2-7]{12}_[A-Za-z0-9_-]{43}/g, KEY)
      for (const id of keyIds) out = out.replaceAll(id, ID)
      return out
    }
    const cli = (...args: string[]) => {
      const result = run([...args, '-c', gw.configFile])
      return { code: result.code, stdout: normalize(result.stdout), stderr: normalize(result.stderr) }
    }
    const status = async (key: string) => (await fetch(`${gw.url}/orders`, { headers: { 'x-api-key': key } })).status
    try {
      assert.deepEqual(cli('consumers', 'create', 'acme', '--name', 'Acme Corp', '--roles', 'buyer', '--scopes', 'orders:read, orders:write', '--plan', 'gold', '--metadata', '{"region":"eu"}'), {
        code: 0,
        stdout: [
          'created consumer acme',
          'id        acme',
          'name      Acme Corp',
          'plan      gold',
          'roles     buyer',
          'scopes    orders:read,orders:write',
          'metadata  {"region":"eu"}',
          `created   ${TIME}`,
          `updated   ${TIME}`,
          '',
        ].join('\n'),
        stderr: '',
      })
      assert.deepEqual(cli('consumers', 'create', 'bad id', '--scopes', 'a,b c', '--metadata', '[1'), { code: 2, stdout: '', stderr: 'error: --metadata: must be valid JSON\n' })
      assert.deepEqual(cli('consumers', 'create', 'bad id', '--scopes', 'a,b c'), {
        code: 2,
        stdout: '',
        stderr: ['error: <id>: must be 1-128 letters, digits or ._:@- and start with a letter or digit', 'error: --scopes[1]: must be a non-empty string without spaces', ''].join('\n'),
      })
      assert.deepEqual(cli('consumers', 'create', 'acme'), { code: 2, stdout: '', stderr: 'error: consumer acme already exists\n' })
      assert.deepEqual(cli('keys', 'create', '--consumer', 'nobody'), { code: 2, stdout: '', stderr: 'error: no consumer nobody\n' })

      // stdout is a pipe here, as in `keys create … > key.txt`: it gets the key alone, the record goes to stderr.
      const record = [`id            ${ID}`, 'consumer      acme', 'state         active', 'label         ci', 'scopes        -', 'plan          -', `created       ${TIME}`, `expires       ${TIME}`, 'revoked       -', 'rotated from  -', '']
      assert.deepEqual(cli('keys', 'create', '--consumer', 'acme', '--label', 'ci', '--expires-in', '30d'), {
        code: 0,
        stdout: `${KEY}\n`,
        stderr: ['The key is shown only now; store it in a secret manager. The gateway keeps only its hash.', ...record].join('\n'),
      })
      const [listed] = (JSON.parse(run(['keys', 'list', '--json', '-c', gw.configFile]).stdout) as { keys: { expiresAt: string }[] }).keys
      assert.ok(listed !== undefined && Math.abs(Date.parse(listed.expiresAt) - (Date.now() + 30 * 86400_000)) < 60_000, 'expires in 30 days')

      // The key appears only in the create output: take it from there to call the gateway.
      const quiet = run(['keys', 'create', '--consumer', 'acme', '--quiet', '-c', gw.configFile])
      const issued = quiet.stdout.trimEnd()
      assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, `${issued}\n`, ''], '--quiet: the key alone, nothing on stderr')
      assert.match(issued, /^pcl_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/)
      keyIds.push(issued.slice(4, 16))
      assert.equal(await status(issued), 200)
      assert.deepEqual(cli('keys', 'list', '--consumer', 'acme'), {
        code: 0,
        stdout: [
          'ID            CONSUMER  STATE   LABEL  EXPIRES                   SCOPES',
          `${ID}  acme      active  ci     ${TIME}  -`,
          `${ID}  acme      active  -      -                         -`,
          '',
        ].join('\n'),
        stderr: '',
      })
      const issuedId = issued.slice(4, 16)
      assert.deepEqual(cli('keys', 'revoke', issuedId), {
        code: 0,
        stdout: [
          `revoked API key ${ID} of acme`,
          'Every gateway node that reaches the data store refuses it within 1 s (identity.apiKeys.cacheSec; nodes also poll the store for revocations that often), and keeps refusing it if it loses the store afterwards.',
          'A node cut off from the store before then keeps accepting keys it has seen valid for up to identity.apiKeys.staleIfErrorSec, but never a key it has seen revoked.',
          '',
        ].join('\n'),
        stderr: '',
      })
      await eventually(async () => (await status(issued)) === 401, 5000, 'the revoked key to be refused')
      assert.deepEqual(cli('keys', 'revoke', issuedId), { code: 2, stdout: '', stderr: `error: API key ${ID} is already revoked\n` })
      assert.deepEqual(cli('keys', 'rotate', issuedId, '--overlap', 'soon'), { code: 2, stdout: '', stderr: 'error: --overlap: must be a duration such as 3600, 90s, 15m, 24h or 30d\n' })

      const actor = [`cli:${username}`, `cli@${hostname()}`]
      assert.deepEqual(cli('audit-log', '--limit', '3'), {
        code: 0,
        stdout: formatTable(
          ['ID', 'AT', 'ACTOR', 'SOURCE', 'ACTION', 'TARGET', 'DETAILS'],
          [
            ['4', TIME, ...actor, 'key.revoke', ID, '{"consumer":"acme"}'],
            ['3', TIME, ...actor, 'key.create', ID, '{"consumer":"acme","label":null,"scopes":[],"plan":null,"expiresAt":null}'],
            ['2', TIME, ...actor, 'key.create', ID, '{"consumer":"acme","label":"ci","scopes":[],"plan":null,"expiresAt":"<ms>"}'],
          ],
        ),
        stderr: '',
      })
      assert.deepEqual(cli('keys', 'create', '--consumer', 'acme', '--quiet', '--json'), { code: 2, stdout: '', stderr: "error: option '-q, --quiet' cannot be used with option '--json'\n" })
      const rotated = cli('keys', 'rotate', keyIds[0] as string)
      assert.deepEqual([rotated.code, rotated.stdout], [0, `${KEY}\n`], 'rotate too: the new key alone on a pipe')
      assert.match(rotated.stderr, new RegExp(`\\nold key ${ID} works until ${TIME}\\n$`))
      // On a terminal (a pseudo-terminal from script(1)), stdout shows the key and its record.
      const shell = (args: string[]) => args.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ')
      const tty = spawnSync('script', ['-q', '-e', '-c', shell([process.execPath, BIN, 'keys', 'create', '--consumer', 'acme', '--label', 'tty', '-c', gw.configFile]), '/dev/null'], { encoding: 'utf8', timeout: 30000 })
      assert.equal(tty.status, 0, tty.stderr)
      assert.ok(normalize(tty.stdout.replaceAll('\r\n', '\n')).includes(`${KEY}\nid            ${ID}\nconsumer      acme\nstate         active\nlabel         tty\n`), tty.stdout)
      assert.deepEqual(cli('consumers', 'delete', 'acme'), { code: 0, stdout: 'deleted consumer acme and its API keys\n', stderr: '' })
      assert.deepEqual(cli('consumers', 'list'), { code: 0, stdout: 'no consumers\n', stderr: '' })
    } finally {
      await gw.stop()
      await upstream.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('without a store, or with an unusable one, says what is wrong and exits 2', () => {
    assert.deepEqual(run(['consumers', 'list']), { code: 2, stdout: '', stderr: 'error: give the data store with either -c FILE (its stores.data) or --store URL\n' })
    const unreachable = run(['keys', 'list', '--store', 'postgres://portcullis:s3cret@127.0.0.1:1/none'])
    assert.equal(unreachable.code, 2)
    assert.match(unreachable.stderr, /\[GW_ERR_DATA_STORE_UNAVAILABLE\]\n {2}stores\.data: data store postgres:\/\/portcullis:\*\*\*@127\.0\.0\.1:1\/none: /)
    assert.equal(unreachable.stderr.includes('s3cret'), false, 'the password is never printed')
    const invalid = run(['consumers', 'list', '-c', join(FIXTURES, 'invalid.yaml')])
    assert.equal(invalid.code, 2)
    assert.match(invalid.stderr, /apis\[0\]\.upstream\.url: must be a URL/)
  })
})
