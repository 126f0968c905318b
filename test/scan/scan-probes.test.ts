/**
 * The probes `redos`, `user-enumeration` and `debug-endpoint-exposed` alone, through `scanTarget`:
 * against the shelf API they report its rows of SHELF-VULNERABILITIES.md (vulnerable: all three;
 * fixed: those that remain), against the notes API nothing in either mode. Each check keeps to
 * its request bound and never touches identity A's account.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { readSpecSource } from '../../src/audit/spec-source.js'
import { parseIdentity } from '../../src/scan/identities.js'
import { scanTarget } from '../../src/scan/scanner.js'
import { startNotesApi } from '../fixtures/scan/notes-api.js'
import { startShelfApi, type ShelfApi } from '../fixtures/scan/shelf-api.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/scan')
const PROBES = new Set(['redos', 'user-enumeration', 'debug-endpoint-exposed'])
const TIMEOUT_MS = 60_000
/** Three log-ins, then the checks' bounds: ReDoS 60, user enumeration 6 (one operation), debug endpoints 20. */
const MAX_REQUESTS = 3 + 60 + 6 + 20

function source(file: string) {
  const path = join(FIXTURES, file)
  return readSpecSource(path, readFileSync(path, 'utf8'))
}

const common = { budget: 1000, rate: 0, timeoutMs: 10_000, only: PROBES } as const

function findingsOf(result: Awaited<ReturnType<typeof scanTarget>>): string[] {
  return [...new Set(result.report.findings.map((finding) => `${finding.ruleId} ${finding.location.pointer || '-'}`))].sort()
}

/** alice and bob are ordinary users, root the administrator: all three log in. */
function scanShelf(api: ShelfApi) {
  const logins = Object.entries(api.users).map(([name, user]) => ({ name, ...user, admin: name === 'root' }))
  return scanTarget({ ...common, source: source('shelf-api.json'), target: new URL(`${api.url}/api`), identities: [], logins, allowDestructive: false })
}

const SHELF_ROWS = {
  redos: 'redos /paths/~1users~1{username}~1email/put',
  debug: 'debug-endpoint-exposed /paths/~1users~1_debug/get',
  enumeration: 'user-enumeration /paths/~1login/post',
}

for (const fixed of [false, true]) {
  test(`shelf API (${fixed ? 'fixed' : 'vulnerable'}): the probes report ${fixed ? 'the rows that remain' : 'their rows'}`, { timeout: TIMEOUT_MS }, async () => {
    const api = await startShelfApi({ fixed })
    try {
      const result = await scanShelf(api)
      assert.equal(result.stoppedBy, undefined)
      assert.deepEqual(findingsOf(result), (fixed ? [SHELF_ROWS.redos, SHELF_ROWS.debug] : Object.values(SHELF_ROWS)).sort())
      assert.ok(result.requests <= MAX_REQUESTS, `${String(result.requests)} requests`)
      const stats = api.stats()
      assert.equal(stats.resets, 0)
      // A logs in once, and again at most once after a 401 (the first refusal it meets); no wrong password reaches it.
      assert.ok((stats.logins.alice ?? 0) <= 2, `alice logged in ${String(stats.logins.alice ?? 0)} times`)
      const debug = result.report.findings.find((finding) => finding.ruleId === 'debug-endpoint-exposed')
      assert.match(debug?.message ?? '', /password \(3 values\)/)
      for (const user of Object.values(api.users)) {
        assert.ok(!JSON.stringify(result.report.findings).includes(user.password), 'no password in messages or evidence')
      }
      assert.match(result.report.findings.find((finding) => finding.ruleId === 'redos')?.message ?? '', /took \d+ ms, and \d+ ms again .* first took \d+ ms/)
    } finally {
      await api.close()
    }
  })
}

for (const fixed of [false, true]) {
  test(`notes API (${fixed ? 'fixed' : 'vulnerable'}): the probes report nothing`, { timeout: TIMEOUT_MS }, async () => {
    const api = await startNotesApi({ fixed })
    try {
      const result = await scanTarget({
        ...common,
        source: source('notes-api.yaml'),
        target: new URL(`${api.url}/api/v1`),
        identities: [parseIdentity(`alice=${api.tokens.alice}`), parseIdentity(`bob=${api.tokens.bob}`)],
        // Log-in credentials too (the fixture's), so that user enumeration has an existing user name to try.
        logins: [
          { name: 'alice', username: 'alice', password: 'alice-password' },
          { name: 'bob', username: 'bob', password: 'bob-password' },
        ],
        allowDestructive: false,
      })
      assert.equal(result.stoppedBy, undefined)
      assert.deepEqual(findingsOf(result), [])
      assert.ok(result.requests <= MAX_REQUESTS, `${String(result.requests)} requests`)
    } finally {
      await api.close()
    }
  })
}
