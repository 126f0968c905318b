/**
 * `scanTarget` against the deliberately vulnerable shelf API (test/fixtures/scan/shelf-api.ts),
 * with identities given as login credentials: against the vulnerable API every row of
 * SHELF-VULNERABILITIES.md is reported and nothing else; against the fixed one exactly the rows
 * marked `remains`. Neither scan may reset the API or burst logins with the example credentials.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { readSpecSource } from '../../src/audit/spec-source.js'
import { scanTarget } from '../../src/scan/scanner.js'
import { startShelfApi, type ShelfApi } from '../fixtures/scan/shelf-api.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/scan')
const SPEC = join(FIXTURES, 'shelf-api.json')
const SCAN_TIMEOUT_MS = 300_000

/** `check pointer` for every row of the table, and whether the fixed API keeps the flaw. */
function listedVulnerabilities(): { finding: string; remains: boolean }[] {
  const table = readFileSync(join(FIXTURES, 'SHELF-VULNERABILITIES.md'), 'utf8')
  return [...table.matchAll(/^\| `([a-z-]+)` \| `?([^`|]+?)`? \|.*\| (fixed|remains) \|$/gm)].map((match) => ({ finding: `${match[1] ?? ''} ${match[2] ?? ''}`, remains: match[3] === 'remains' }))
}

async function scan(api: ShelfApi, rate = 0) {
  return scanTarget({
    source: readSpecSource(SPEC, readFileSync(SPEC, 'utf8')),
    target: new URL(`${api.url}/api`),
    identities: [],
    logins: [
      { name: 'alice', ...api.users.alice },
      { name: 'bob', ...api.users.bob },
      { name: 'root', ...api.users.root, admin: true },
    ],
    budget: 4000,
    rate,
    timeoutMs: 10_000,
    allowDestructive: false,
  })
}

/** What a scan found, as the table writes it; and the API was neither reset nor logged into in a burst. */
function assertScanOf(api: ShelfApi, result: Awaited<ReturnType<typeof scan>>, expected: readonly string[], minimumLogins = 1): void {
  assert.equal(result.stoppedBy, undefined)
  const found = [...new Set(result.report.findings.map((finding) => `${finding.ruleId} ${finding.location.pointer || '-'}`))].sort()
  assert.deepEqual(found, [...expected].sort())
  const stats = api.stats()
  assert.equal(stats.resets, 0, 'GET /setup/reset and POST /maintenance/purge were never called')
  const logins = stats.logins.alice ?? 0
  assert.ok(logins >= minimumLogins && logins < 12, `alice logged in ${String(logins)} times in ${result.seconds.toFixed(1)} s`)
  const passwords = Object.values(api.users).map((user) => user.password)
  for (const finding of result.report.findings) {
    assert.ok(finding.evidence !== undefined, `${finding.ruleId} has evidence`)
    for (const password of passwords) assert.ok(!finding.evidence.curl.includes(password), `${finding.ruleId}: no identity's password in the curl command`)
  }
}

test('the vulnerable shelf API, tokens expiring every 4 s: every listed vulnerability is reported, nothing else', { timeout: SCAN_TIMEOUT_MS }, async () => {
  const api = await startShelfApi({ fixed: false, tokenTtlSeconds: 4 })
  try {
    const listed = listedVulnerabilities()
    assert.equal(listed.length, 15, 'rows read from SHELF-VULNERABILITIES.md')
    // 100 requests a second: the scan outlives the tokens, so it must log in again (at least twice more).
    const result = await scan(api, 100)
    assert.ok(result.seconds > 6, `the scan took ${result.seconds.toFixed(1)} s`)
    assertScanOf(api, result, listed.map((row) => row.finding), 3)
  } finally {
    await api.close()
  }
})

test('the fixed shelf API: exactly the vulnerabilities the table says remain', { timeout: SCAN_TIMEOUT_MS }, async () => {
  const api = await startShelfApi({ fixed: true })
  try {
    const result = await scan(api)
    assertScanOf(api, result, listedVulnerabilities().filter((row) => row.remains).map((row) => row.finding))
    assert.ok(result.requests > 100, `the scan sent ${String(result.requests)} requests`)
  } finally {
    await api.close()
  }
})
