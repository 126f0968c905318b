/**
 * `portcullis scan` end to end: the command against the vulnerable notes API (identities from
 * the environment, JSON report, exit 1, progress on stderr), against sqlmap's own vulnerable
 * server (Debian package sqlmap) for SQL injection, and its usage errors (exit 2).
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { freePort } from '../../bench/harness.js'
import { startNotesApi } from '../fixtures/scan/notes-api.js'
import { startShelfApi } from '../fixtures/scan/shelf-api.js'

const BIN = join(import.meta.dirname, '../../bin/portcullis.js')
const FIXTURES = join(import.meta.dirname, '../fixtures/scan')
const VULNSERVER = '/usr/share/sqlmap/extra/vulnserver/vulnserver.py'

/** Runs the CLI without blocking this process's event loop (the target may live in it). */
function scan(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'scan', ...args], { env: { ...process.env, NO_COLOR: '1', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

interface Report {
  targets: { findings: { ruleId: string; location: { pointer: string }; evidence?: { curl: string; response: string } }[] }[]
}

test('scan: the vulnerable notes API through the command line, identities from the environment', async () => {
  const api = await startNotesApi({ fixed: false })
  try {
    const run = await scan(['--spec', join(FIXTURES, 'notes-api.yaml'), '--target', `${api.url}/api/v1`, '--identity', 'alice=env:ALICE_TOKEN', '--identity', 'bob=env:BOB_TOKEN', '--rate', '0', '--format', 'json'], {
      ALICE_TOKEN: api.tokens.alice,
      BOB_TOKEN: api.tokens.bob,
    })
    assert.equal(run.code, 1, run.stderr)
    assert.match(run.stderr, /^scan: unauthenticated-access \(0 requests so far\)$/m)
    assert.match(run.stderr, /^scan: \d+ requests in [\d.]+ s$/m)
    const findings = (JSON.parse(run.stdout) as Report).targets[0]?.findings ?? []
    assert.ok(findings.some((finding) => finding.ruleId === 'bola'))
    assert.ok(!findings.some((finding) => finding.ruleId === 'bola' && finding.location.pointer.endsWith('/delete')), 'no DELETE without --destructive')
    assert.ok(!run.stdout.includes(api.tokens.alice) && !run.stderr.includes(api.tokens.alice), 'the token is never printed')
  } finally {
    await api.close()
  }
})

test('scan: SQL injection in sqlmap’s vulnerable server (Debian sqlmap, extra/vulnserver)', async () => {
  assert.ok(existsSync(VULNSERVER), `sqlmap's vulnerable server is expected at ${VULNSERVER} (Debian package sqlmap; .ci/run installs it)`)
  const port = await freePort()
  const server: ChildProcess = spawn('python3', [VULNSERVER, '127.0.0.1', String(port)], { stdio: 'ignore' })
  try {
    let up = false
    for (let i = 0; i < 100 && !up; i++) {
      up = await fetch(`http://127.0.0.1:${String(port)}/?id=1`).then((response) => response.ok).catch(() => false)
      if (!up) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.ok(up, 'vulnserver did not start')
    const run = await scan(['--spec', join(FIXTURES, 'vulnserver.yaml'), '--target', `http://127.0.0.1:${String(port)}/`, '--rate', '0', '--format', 'json'])
    assert.equal(run.code, 1, run.stderr)
    const injection = (JSON.parse(run.stdout) as Report).targets[0]?.findings.find((finding) => finding.ruleId === 'sql-injection')
    assert.equal(injection?.location.pointer, '/paths/~1/get')
    assert.match(injection.evidence?.response ?? '', /OperationalError|unrecognized token|syntax error/)
    assert.match(injection.evidence?.curl ?? '', /^curl -i -X GET 'http:\/\/127\.0\.0\.1:\d+\/\?id=/)
  } finally {
    server.kill()
  }
})

test('scan: identities by --login (password from the environment), --admin, --exclude; a refused log-in and a taken canary port exit 2', async () => {
  const api = await startShelfApi({ fixed: false })
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  try {
    const spec = join(FIXTURES, 'shelf-api.json')
    const target = `${api.url}/api`
    const logins = ['--login', `alice=alice:env:ALICE_PASSWORD`, '--login', `bob=bob:${api.users.bob.password}`, '--login', `root=root:${api.users.root.password}`, '--admin', 'root']
    const env = { ALICE_PASSWORD: api.users.alice.password }
    const run = await scan(['--spec', spec, '--target', target, ...logins, '--exclude', 'GET /covers/{fileName}', '--exclude', 'signUp', '--rate', '0', '--format', 'json'], env)
    assert.equal(run.code, 1, run.stderr)
    const found = new Set(((JSON.parse(run.stdout) as Report).targets[0]?.findings ?? []).map((finding) => `${finding.ruleId} ${finding.location.pointer}`))
    assert.ok(found.has('bola /paths/~1books~1{title}/get') && found.has('bfla /paths/~1admin~1audit-log/get'), [...found].join('\n'))
    assert.ok(!found.has('path-traversal /paths/~1covers~1{fileName}/get'), 'an excluded operation is never called')
    assert.ok(![...found].some((finding) => finding.endsWith('/paths/~1users/post')), 'nor one excluded by operationId')
    assert.ok(!run.stdout.includes(api.users.alice.password) && !run.stderr.includes(api.users.alice.password), 'the password is never printed')

    const refused = await scan(['--spec', spec, '--target', target, '--login', 'alice=alice:not-her-password'])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /^error: --login alice: POST \/login answered 401$/m)
    const port = (busy.address() as AddressInfo).port
    const taken = await scan(['--spec', spec, '--target', target, '--login', `alice=alice:${api.users.alice.password}`, '--canary-port', String(port)])
    assert.equal(taken.code, 2)
    assert.match(taken.stderr, new RegExp(`^error: --canary-port ${String(port)}: cannot listen on 127\\.0\\.0\\.1 \\(EADDRINUSE\\)$`, 'm'))
    const unknownAdmin = await scan(['--spec', spec, '--target', target, '--login', `alice=alice:x`, '--admin', 'carol'])
    assert.match(unknownAdmin.stderr, /^error: --admin carol: no --identity or --login has that name \(alice\)$/m)
  } finally {
    busy.close()
    await api.close()
  }
})

test('scan: usage errors say what is wrong and exit 2', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'scan', ...args], { encoding: 'utf8', timeout: 60_000 })
  const spec = join(FIXTURES, 'notes-api.yaml')
  assert.match(run('--spec', spec, '--target', 'ftp://x').stderr, /--target: must be an http:\/\/ or https:\/\/ URL/)
  assert.match(run('--spec', spec, '--target', 'http://127.0.0.1:1/', '--budget', 'lots').stderr, /--budget: must be a whole number above 0/)
  assert.match(run('--spec', spec, '--target', 'http://127.0.0.1:1/', '--identity', 'alice=env:PORTCULLIS_UNSET_VARIABLE').stderr, /--identity alice: the environment variable PORTCULLIS_UNSET_VARIABLE is not set/)
  assert.match(run('--spec', spec, '--target', 'http://127.0.0.1:1/', '--login', 'alice').stderr, /--login: expected NAME=USERNAME:PASSWORD or NAME=USERNAME:env:VARIABLE/)
  assert.match(run('--spec', spec, '--target', 'http://127.0.0.1:1/', '--login', 'alice=alice:env:PORTCULLIS_UNSET_VARIABLE').stderr, /--login alice: the environment variable PORTCULLIS_UNSET_VARIABLE is not set/)
  assert.match(run('--spec', spec, '--target', 'http://127.0.0.1:1/', '--canary-port', '70000').stderr, /--canary-port: must be a port number, 1 to 65535/)
  const missing = run('--spec', join(FIXTURES, 'nope.yaml'), '--target', 'http://127.0.0.1:1/')
  assert.equal(missing.status, 2)
  assert.match(missing.stderr, /--spec .*nope\.yaml: no such file/)
})
