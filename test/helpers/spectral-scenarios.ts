/**
 * The test scenarios the npm package `@stoplight/spectral-owasp-ruleset` ships in `__tests__`:
 * each file calls `testRule(ruleName, [{ name, document, errors }])`. The files are TypeScript;
 * their imports are dropped, they are transpiled and run in a fresh context with a `testRule`
 * that records the scenarios instead of running Spectral.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { runInNewContext } from 'node:vm'
import ts from 'typescript'

export const SPECTRAL_TESTS_DIR = resolve(import.meta.dirname, '../../node_modules/@stoplight/spectral-owasp-ruleset/__tests__')

/** Spectral's DiagnosticSeverity. */
export const DIAGNOSTIC_SEVERITY = { Error: 0, Warning: 1, Information: 2, Hint: 3 } as const

export interface SpectralScenario {
  readonly file: string
  readonly rule: string
  readonly name: string
  readonly document: unknown
  readonly errors: readonly { readonly path?: readonly string[]; readonly severity?: number; readonly message?: string }[]
}

export function loadSpectralScenarios(dir = SPECTRAL_TESTS_DIR): SpectralScenario[] {
  const scenarios: SpectralScenario[] = []
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.test.ts')).sort()) {
    const source = readFileSync(join(dir, file), 'utf8').replace(/^import[^;]*;\s*$/gm, '')
    const { outputText } = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None } })
    const testRule = (rule: string, tests: readonly Omit<SpectralScenario, 'file' | 'rule'>[]) => {
      for (const test of tests) scenarios.push({ file, rule, ...test })
    }
    runInNewContext(outputText, { testRule, DiagnosticSeverity: DIAGNOSTIC_SEVERITY }, { filename: file, timeout: 5000 })
  }
  return scenarios
}
