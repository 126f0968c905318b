/**
 * `scanTarget` against a VAmPI-shaped API (test/fixtures/scan/vampi-style, written from a
 * description of that public training API): failures answered `200 {"status": "fail"}`, tokens
 * under `auth_token`, a state-resetting `GET /createdb`, e-mail and password changes that always
 * apply to the caller whatever the path says, real credentials as the document's examples. The
 * scan must find the vulnerable mode's flaws, report only what remains in the fixed mode, and
 * leave the given accounts as they were: passwords, e-mail addresses, no reset, no burst of log-ins
 * with the example credentials.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { readSpecSource } from '../../src/audit/spec-source.js'
import { scanTarget } from '../../src/scan/scanner.js'

const FIXTURE = join(import.meta.dirname, '../fixtures/scan/vampi-style')
const SPEC = join(FIXTURE, 'openapi.yaml')

interface Stats {
  stats: { resets: number; logins: Record<string, number>; failedLogins: Record<string, number> }
  users: { username: string; password: string; email: string; admin: boolean }[]
}

async function withServer(vulnerable: boolean, run: (url: string) => Promise<void>): Promise<Stats> {
  const child = spawn(process.execPath, [join(FIXTURE, 'server.mjs')], { env: { ...process.env, VULN: vulnerable ? '1' : '0', TTL: '60' }, stdio: ['pipe', 'pipe', 'inherit'] })
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the VAmPI-style server did not start in 10 s')), 10_000)
      child.stdout.once('data', (chunk: Buffer) => {
        clearTimeout(timer)
        resolve(/http:\/\/[\d.:]+/.exec(chunk.toString())?.[0] ?? '')
      })
    })
    await run(url)
    return (await (await fetch(`${url}/__stats`)).json()) as Stats
  } finally {
    child.kill()
  }
}

const scan = (url: string) =>
  scanTarget({
    source: readSpecSource(SPEC, readFileSync(SPEC, 'utf8')),
    target: new URL(url),
    identities: [],
    logins: [
      { name: 'alice', username: 'alice', password: 'Alice-pw-2024' },
      { name: 'bob', username: 'bob', password: 'Bob-pw-2024' },
      { name: 'root', username: 'admin', password: 'pass1', admin: true },
    ],
    budget: 3000,
    rate: 0,
    timeoutMs: 10_000,
    allowDestructive: false,
  })

const REMAINING = ['jwt-weak-secret /paths/~1me/get', 'debug-endpoint-exposed /paths/~1users~1v1~1_debug/get', 'no-rate-limit /paths/~1users~1v1~1login/post', 'no-rate-limit /paths/~1/get', 'security-headers -', 'plain-http -']
const FIXED = [
  'user-enumeration /paths/~1users~1v1~1login/post',
  'redos /paths/~1users~1v1~1{username}~1email/put',
  'bola /paths/~1books~1v1~1{book_title}/get',
  'account-takeover /paths/~1users~1v1~1{username}~1password/put',
  'mass-assignment /paths/~1users~1v1~1register/post',
]

function assertUntouched(after: Stats): void {
  assert.equal(after.stats.resets, 0, 'GET /createdb was never called')
  const user = (name: string) => after.users.find((candidate) => candidate.username === name)
  assert.deepEqual([user('alice')?.password, user('alice')?.email], ['Alice-pw-2024', 'alice@corp.example'], "alice's password and e-mail are as they were")
  assert.deepEqual([user('bob')?.password, user('bob')?.email], ['Bob-pw-2024', 'bob@corp.example'], "bob's too")
  assert.ok((after.stats.failedLogins.alice ?? 0) === 0 && (after.stats.failedLogins.bob ?? 0) <= 4, `wrong passwords: ${JSON.stringify(after.stats.failedLogins)}`)
  assert.equal((after.stats.logins.name1 ?? 0) + (after.stats.failedLogins.name1 ?? 0), 0, "the document's example account was never logged into")
}

for (const vulnerable of [true, false]) {
  test(`the VAmPI-style API, ${vulnerable ? 'vulnerable: every flaw' : 'fixed: only what remains'}, and the given accounts untouched`, { timeout: 180_000 }, async () => {
    let found: string[] = []
    const after = await withServer(vulnerable, async (url) => {
      const result = await scan(url)
      assert.equal(result.stoppedBy, undefined)
      found = result.report.findings.map((finding) => `${finding.ruleId} ${finding.location.pointer || '-'}`).sort()
    })
    assert.deepEqual(found, [...REMAINING, ...(vulnerable ? FIXED : [])].sort())
    assertUntouched(after)
  })
}
