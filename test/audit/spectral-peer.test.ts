/**
 * Replays every scenario that `@stoplight/spectral-owasp-ruleset` ships in its `__tests__`
 * through the auditor, each Spectral rule mapped to ours (`SPECTRAL_EQUIVALENTS`), and requires
 * agreement on every one. Compared: the set of locations (Spectral reports a missing member at
 * its deepest existing parent, and may report the same place twice, once per `then` clause: we
 * report each place once), or the count where a scenario gives no paths; and severity, by band
 * (Spectral's four levels against our five: error = critical|high|medium, warning =
 * medium|low, information = low|info, hint = info). Messages are ours.
 *
 * One scenario cannot be honoured because it contradicts Spectral itself: it is listed with the
 * reason, and the test runs Spectral (`@stoplight/spectral-core`, installed with the ruleset) on
 * it to show that Spectral's own output is ours.
 */
import assert from 'node:assert/strict'
import spectralCore from '@stoplight/spectral-core'
import spectralOwasp from '@stoplight/spectral-owasp-ruleset'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { auditSpec } from '../../src/audit/auditor.js'
import { toPointer } from '../../src/audit/findings.js'
import type { Severity } from '../../src/audit/rule.js'
import { SPECTRAL_EQUIVALENTS } from '../../src/audit/spectral-equivalents.js'
import { readSpecSource, SpecInputError } from '../../src/audit/spec-source.js'
import { loadSpectralScenarios, SPECTRAL_TESTS_DIR, type SpectralScenario } from '../helpers/spectral-scenarios.js'

const BANDS: Readonly<Record<number, readonly Severity[]>> = { 0: ['critical', 'high', 'medium'], 1: ['medium', 'low'], 2: ['low', 'info'], 3: ['info'] }

const CONTRADICTIONS: readonly { readonly file: string; readonly name: string; readonly reason: string }[] = [
  {
    file: 'owasp-api3-2023-no-additionalProperties.test.ts',
    name: 'valid case: additionalProperties set to false (oas3)',
    reason: 'named a valid case but expects one finding (`errors: [{}]`); Spectral 2.0.1 itself reports none, as we do',
  },
]

async function spectralRun(rule: string, document: unknown): Promise<unknown[]> {
  const spectral = new spectralCore.Spectral()
  spectral.setRuleset({ extends: [[spectralOwasp as never, 'off']], rules: { [rule]: true } })
  const results = await spectral.run(JSON.stringify(document))
  return results.filter((result) => result.code === rule)
}

function disagreement(scenario: SpectralScenario): string | undefined {
  const ours = SPECTRAL_EQUIVALENTS[scenario.rule]
  if (ours === undefined) return `no equivalent for ${scenario.rule}`
  let findings: { pointer: string; severity: Severity }[] = []
  try {
    const source = readSpecSource('scenario.json', JSON.stringify(scenario.document))
    findings = auditSpec(source, { only: new Set([ours]) }).findings.map((finding) => ({ pointer: finding.location.pointer, severity: finding.severity }))
  } catch (error) {
    // Spectral ignores documents of other formats; so must we, by refusing them.
    if (!(error instanceof SpecInputError)) throw error
  }
  for (const expected of scenario.errors) {
    const band = BANDS[expected.severity ?? 0] ?? []
    const mismatched = findings.find((finding) => (expected.path === undefined || finding.pointer === toPointer(expected.path)) && !band.includes(finding.severity))
    if (mismatched) return `severity ${mismatched.severity} at ${mismatched.pointer} is outside Spectral's band ${band.join('|')}`
  }
  if (scenario.errors.every((error) => error.path === undefined)) {
    return findings.length === scenario.errors.length ? undefined : `expected ${String(scenario.errors.length)} findings, got ${String(findings.length)}`
  }
  const want = [...new Set(scenario.errors.map((error) => toPointer(error.path ?? [])))].sort()
  const got = [...new Set(findings.map((finding) => finding.pointer))].sort()
  return JSON.stringify(want) === JSON.stringify(got) ? undefined : `expected at ${JSON.stringify(want)}, got ${JSON.stringify(got)}`
}

test('the auditor agrees with every scenario of the Spectral OWASP ruleset', () => {
  assert.ok(existsSync(SPECTRAL_TESTS_DIR), `the Spectral OWASP ruleset's scenarios are expected at ${SPECTRAL_TESTS_DIR} (a dev dependency: run npm ci)`)
  const scenarios = loadSpectralScenarios()
  assert.ok(scenarios.length >= 100, `only ${String(scenarios.length)} scenarios were read`)
  const failures = scenarios.flatMap((scenario) => {
    if (CONTRADICTIONS.some((known) => known.file === scenario.file && known.name === scenario.name)) return []
    const why = disagreement(scenario)
    return why === undefined ? [] : [`${scenario.file} — ${scenario.name}: ${why}`]
  })
  assert.deepEqual(failures, [])
  // Every scenario with expected findings has been checked against a finding, not just absences.
  assert.ok(scenarios.filter((scenario) => scenario.errors.length > 0).length >= 40)
})

test('every Spectral OWASP rule has an equivalent audit rule', () => {
  const scenarioRules = new Set(loadSpectralScenarios().map((scenario) => scenario.rule))
  for (const rule of scenarioRules) assert.ok(rule in SPECTRAL_EQUIVALENTS, `${rule} has no equivalent`)
  assert.equal(Object.keys(SPECTRAL_EQUIVALENTS).length, 32)
})

test('the scenarios that contradict Spectral: we disagree with the scenario and agree with Spectral', async () => {
  const scenarios = loadSpectralScenarios()
  for (const known of CONTRADICTIONS) {
    const scenario = scenarios.find((candidate) => candidate.file === known.file && candidate.name === known.name)
    assert.ok(scenario, `${known.file} — ${known.name} is no longer in the suite: drop it from the list`)
    assert.notEqual(disagreement(scenario), undefined, `${known.name} now agrees: drop it from the list`)
    const ours = auditSpec(readSpecSource('scenario.json', JSON.stringify(scenario.document)), { only: new Set([SPECTRAL_EQUIVALENTS[scenario.rule] ?? '']) }).findings
    assert.equal((await spectralRun(scenario.rule, scenario.document)).length, ours.length, known.reason)
  }
})
