/**
 * The CRS regression suite run once: every test through the engine, counted with and without
 * the overrides, the failures named. Shared by `portcullis waf regression` and the test.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { loadCrsForRegression } from './crs-suite.js'
import { readFtwOverrides, readFtwTests, runFtwTest, type FtwOutcome } from './ftw.js'

export interface SuiteReport {
  readonly rules: number
  readonly loadMs: number
  readonly runMs: number
  readonly tests: number
  readonly passed: number
  /** Failed tests listed in the overrides file, with their reasons. */
  readonly overridden: readonly (FtwOutcome & { readonly reason: string })[]
  /** Failed tests not in the overrides file. */
  readonly failed: readonly FtwOutcome[]
  /** Tests in the overrides file that pass: they should leave it. */
  readonly overriddenButPassing: readonly string[]
}

/** Throws an Error saying what is missing when `crsDir` has no suite. */
export function runCrsSuite(crsDir: string, overridesFile: string | null, only?: string): SuiteReport {
  const suite = join(crsDir, 'regression-tests')
  if (!existsSync(suite)) throw new Error(`no regression tests at ${suite}: give a CRS release directory that holds regression-tests/`)
  const loadStarted = performance.now()
  const ruleSet = loadCrsForRegression(crsDir)
  const loadMs = performance.now() - loadStarted
  const reasons = new Map(overridesFile === null ? [] : readFtwOverrides(overridesFile).map((o) => [o.name, o.reason]))
  const tests = readFtwTests(suite).filter((t) => only === undefined || t.name.startsWith(only))
  const runStarted = performance.now()
  const outcomes = tests.map((test) => runFtwTest(ruleSet, test))
  const runMs = performance.now() - runStarted
  return {
    rules: ruleSet.rules.size,
    loadMs,
    runMs,
    tests: outcomes.length,
    passed: outcomes.filter((o) => o.passed).length,
    overridden: outcomes.filter((o) => !o.passed && reasons.has(o.name)).map((o) => ({ ...o, reason: reasons.get(o.name) ?? '' })),
    failed: outcomes.filter((o) => !o.passed && !reasons.has(o.name)),
    overriddenButPassing: outcomes.filter((o) => o.passed && reasons.has(o.name)).map((o) => o.name),
  }
}
