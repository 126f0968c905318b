/** docs/audit.md, posture.md and scan.md list every rule with its category and severity (and Spectral equivalent): kept in sync by this test. */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { INVALID_IGNORE } from '../../src/audit/auditor.js'
import { AUDIT_RULES } from '../../src/audit/rules/index.js'
import { SPECTRAL_EQUIVALENTS } from '../../src/audit/spectral-equivalents.js'
import { POSTURE_RULES } from '../../src/posture/rules.js'
import { SCAN_CHECKS } from '../../src/scan/checks/index.js'
import type { RuleMetadata } from '../../src/audit/rule.js'

test('docs/audit.md has one row per rule, with its category, severity and Spectral equivalents', () => {
  const docs = readFileSync(join(import.meta.dirname, '../../docs/audit.md'), 'utf8')
  const rows = new Map([...docs.matchAll(/^\| `([a-z0-9-]+)` \| (API\d+:2023) \| (\w+) \| .* \| (.*) \|$/gm)].map((match) => [match[1], { owasp: match[2], severity: match[3], spectral: match[4] }]))
  const rules = [...AUDIT_RULES, INVALID_IGNORE]
  assert.deepEqual([...rows.keys()].sort(), rules.map((rule) => rule.id).sort())
  for (const rule of rules) {
    const row = rows.get(rule.id)
    assert.equal(row?.owasp, rule.owasp, rule.id)
    assert.equal(row.severity, rule.severity, rule.id)
    const equivalents = Object.entries(SPECTRAL_EQUIVALENTS).filter(([, ours]) => ours === rule.id).map(([spectral]) => spectral.replace('owasp:', ''))
    assert.equal(row.spectral, equivalents.length === 0 ? '—' : equivalents.join(', '), rule.id)
  }
  assert.equal(new Set(rules.map((rule) => rule.id)).size, rules.length, 'rule ids are unique')
})

for (const [file, rules] of [['posture.md', POSTURE_RULES], ['scan.md', SCAN_CHECKS]] as const satisfies readonly (readonly [string, readonly RuleMetadata[]])[]) {
  test(`docs/${file} has one row per rule, with its category and severity`, () => {
    const docs = readFileSync(join(import.meta.dirname, '../../docs', file), 'utf8')
    const rows = new Map([...docs.matchAll(/^\| `([a-z0-9-]+)` \| (API\d+:2023) \| (\w+) \| .* \|$/gm)].map((match) => [match[1], `${match[2] ?? ''} ${match[3] ?? ''}`]))
    assert.deepEqual([...rows.keys()].sort(), rules.map((rule) => rule.id).sort())
    for (const rule of rules) assert.equal(rows.get(rule.id), `${rule.owasp} ${rule.severity}`, rule.id)
  })
}
