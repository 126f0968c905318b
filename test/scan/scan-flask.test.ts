/**
 * `scanTarget` against PetVet, a vulnerable Flask API written without reading the scanner
 * (test/fixtures/scan/flask-api, its flaws in VULNERABILITIES.md by class, not by check): every
 * flaw of the vulnerable mode is reported at its operation; in the fixed mode, the flaws that
 * remain and the true findings about the deployment (plain HTTP, Werkzeug's banner), nothing
 * else. The scan logs in as two owners and the administrator, never calls `GET /createdb`, and
 * never logs in with the document's example (jenny's real password) in a burst.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { readSpecSource } from '../../src/audit/spec-source.js'
import { scanTarget } from '../../src/scan/scanner.js'
import { FLASK_API_DOCUMENT, startFlaskApi, type FlaskApi } from '../fixtures/scan/flask-api/start.js'
import { skipWithoutFlask } from '../helpers/third-party.js'

const at = (check: string, method: string, path: string) => `${check} /paths/${path.replaceAll('/', '~1')}/${method}`

/** Flaws that remain in the fixed mode, and findings about the deployment, which is the same in both. */
const REMAINING = [
  at('debug-endpoint-exposed', 'get', '/api/v2/debug/owners'),
  at('redos', 'patch', '/api/v2/owners/{username}'),
  at('no-rate-limit', 'post', '/api/v2/owners/login'),
  // The burst's ordinary read: nothing is rate-limited.
  at('no-rate-limit', 'get', '/api/v2/owners'),
  'plain-http -',
  'security-headers -',
]
const FIXED_IN_FIXED_MODE = [
  at('sql-injection', 'get', '/api/v2/vets/{slug}'),
  at('account-takeover', 'put', '/api/v2/owners/{username}/password'),
  at('account-takeover', 'patch', '/api/v2/owners/{username}'),
  at('mass-assignment', 'post', '/api/v2/owners/register'),
  at('user-enumeration', 'post', '/api/v2/owners/login'),
  at('bola', 'get', '/api/v2/pets/{pet_id}'),
]

async function scan(api: FlaskApi) {
  return scanTarget({
    source: readSpecSource(FLASK_API_DOCUMENT, readFileSync(FLASK_API_DOCUMENT, 'utf8')),
    target: new URL(api.url),
    identities: [],
    logins: [
      { name: 'jenny', ...api.users.jenny },
      { name: 'omar', ...api.users.omar },
      { name: 'admin', ...api.users.admin, admin: true },
    ],
    budget: 3000,
    rate: 0,
    timeoutMs: 10_000,
    allowDestructive: false,
  })
}

async function assertScan(fixed: boolean, expected: readonly string[]): Promise<void> {
  const api = await startFlaskApi({ fixed })
  try {
    const result = await scan(api)
    assert.equal(result.stoppedBy, undefined)
    const found = result.report.findings.map((finding) => `${finding.ruleId} ${finding.location.pointer || '-'}`)
    // The weak key is reported once, at whichever secured read the forgeries were tried on.
    const jwt = found.filter((finding) => finding.startsWith('jwt-weak-secret '))
    assert.equal(jwt.length, 1, found.join('\n'))
    assert.deepEqual(found.filter((finding) => !finding.startsWith('jwt-weak-secret ')).sort(), [...expected].sort())
    const stats = await api.stats()
    assert.equal(stats.resets, 0, 'GET /api/v2/createdb was never called')
    assert.ok((stats.logins.jenny ?? 0) <= 3, `jenny (the document's log-in example) was sent ${String(stats.logins.jenny ?? 0)} log-ins`)
    for (const finding of result.report.findings) {
      for (const user of Object.values(api.users)) assert.ok(!finding.evidence?.curl.includes(user.password), `${finding.ruleId}: no password in the curl command`)
    }
  } finally {
    await api.close()
  }
}

test('PetVet, vulnerable: every flaw reported at its operation, nothing else', { skip: skipWithoutFlask, timeout: 240_000 }, async () => {
  await assertScan(false, [...REMAINING, ...FIXED_IN_FIXED_MODE])
})

test('PetVet, fixed: only what remains', { skip: skipWithoutFlask, timeout: 240_000 }, async () => {
  await assertScan(true, REMAINING)
})
