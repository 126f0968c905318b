/**
 * `scanTarget` against the deliberately vulnerable notes API (test/fixtures/scan): every flaw
 * listed in VULNERABILITIES.md is reported, at its operation, with evidence whose secrets are
 * masked; against the fixed API, nothing at all (a false positive fails the test).
 */
import assert from 'node:assert/strict'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { readSpecSource } from '../../src/audit/spec-source.js'
import { parseIdentity } from '../../src/scan/identities.js'
import { scanTarget } from '../../src/scan/scanner.js'
import { createPki } from '../helpers/certificates.js'
import { startNotesApi, type NotesApi } from '../fixtures/scan/notes-api.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/scan')
const SPEC = join(FIXTURES, 'notes-api.yaml')

function listedVulnerabilities(): string[] {
  const table = readFileSync(join(FIXTURES, 'VULNERABILITIES.md'), 'utf8')
  return [...table.matchAll(/^\| `([a-z-]+)` \| `?([^`|]+?)`? \|/gm)].map((match) => `${match[1] ?? ''} ${match[2] ?? ''}`).sort()
}

async function scan(api: NotesApi, ca?: string) {
  return scanTarget({
    ...(ca === undefined ? {} : { ca }),
    source: readSpecSource(SPEC, readFileSync(SPEC, 'utf8')),
    target: new URL(`${api.url}/api/v1`),
    identities: [parseIdentity(`alice=${api.tokens.alice}`), parseIdentity(`bob=Authorization: Bearer ${api.tokens.bob}`)],
    budget: 3000,
    rate: 0,
    timeoutMs: 10_000,
    allowDestructive: true,
  })
}

test('the vulnerable notes API: every listed vulnerability is reported, with masked evidence', async () => {
  const api = await startNotesApi({ fixed: false })
  try {
    const result = await scan(api)
    assert.equal(result.stoppedBy, undefined)
    const found = [...new Set(result.report.findings.map((finding) => `${finding.ruleId} ${finding.location.pointer || '-'}`))].sort()
    const listed = listedVulnerabilities()
    assert.ok(listed.length >= 30, `only ${String(listed.length)} rows read from VULNERABILITIES.md`)
    assert.deepEqual(found, listed)
    for (const finding of result.report.findings) {
      assert.ok(finding.evidence !== undefined, `${finding.ruleId} has evidence`)
      for (const token of Object.values(api.tokens)) {
        assert.ok(!JSON.stringify(finding.evidence).includes(token), `${finding.ruleId}: no identity token in the evidence`)
      }
    }
    const bola = result.report.findings.find((finding) => finding.ruleId === 'bola')
    assert.match(bola?.evidence?.curl ?? '', /^curl -i -X GET 'http:\/\/127\.0\.0\.1:\d+\/api\/v1\/notes\/[0-9a-f-]{36}' -H "Authorization: Bearer \$PORTCULLIS_IDENTITY_BOB"/)
    // The document marks User.role readOnly: it is sent as such and found stored.
    assert.match(result.report.findings.find((finding) => finding.ruleId === 'mass-assignment')?.message ?? '', /role \(read-only\).*isAdmin/)
    // The three SQL injections, each proven its own way.
    const sql = (pointer: string) => result.report.findings.find((finding) => finding.ruleId === 'sql-injection' && finding.location.pointer === pointer)?.message ?? ''
    assert.match(sql('/paths/~1notes~1search/get'), /^SQL error after a quote/)
    assert.match(sql('/paths/~1notes~1count/get'), /^Boolean SQL conditions/)
    assert.match(sql('/paths/~1events/get'), /^A SQL sleep .* delayed the answer by \d+ ms, twice/)
    const traversal = result.report.findings.find((finding) => finding.ruleId === 'path-traversal')
    assert.match(traversal?.evidence?.response ?? '', /root:[^:]*:0:0:/)
    for (const finding of result.report.findings) {
      if (finding.location.pointer === '') assert.equal(finding.location.line, undefined, `${finding.ruleId}: a deployment finding has no line`)
      else assert.ok((finding.location.line ?? 0) > 1, `${finding.ruleId}: an operation finding carries its line in the document`)
    }
  } finally {
    await api.close()
  }
})

test('the fixed notes API, over HTTPS: no finding at all', async () => {
  const pki = createPki()
  const api = await startNotesApi({ fixed: true, tls: pki.issue('notes', { cn: '127.0.0.1', san: ['IP:127.0.0.1'] }) })
  try {
    assert.match(api.url, /^https:/)
    const result = await scan(api, pki.read(pki.caCert).toString())
    assert.equal(result.stoppedBy, undefined)
    assert.deepEqual(result.report.findings.map((finding) => `${finding.ruleId} ${finding.location.pointer}: ${finding.message}`), [])
    assert.ok(result.requests > 200, `the scan sent ${String(result.requests)} requests`)
  } finally {
    await api.close()
    rmSync(pki.dir, { recursive: true, force: true })
  }
})

test('the budget bounds the scan: it stops, says where, and keeps what it found', async () => {
  const api = await startNotesApi({ fixed: false })
  try {
    const result = await scanTarget({ ...scanOptions(api), budget: 40 })
    assert.equal(result.requests, 40)
    assert.match(result.stoppedBy ?? '', /the request budget \(40\) is spent during /)
    assert.ok(result.report.findings.length > 0)
  } finally {
    await api.close()
  }
})

function scanOptions(api: NotesApi) {
  return {
    source: readSpecSource(SPEC, readFileSync(SPEC, 'utf8')),
    target: new URL(`${api.url}/api/v1`),
    identities: [parseIdentity(`alice=${api.tokens.alice}`), parseIdentity(`bob=${api.tokens.bob}`)],
    budget: 3000,
    rate: 0,
    timeoutMs: 10_000,
    allowDestructive: false,
  }
}
