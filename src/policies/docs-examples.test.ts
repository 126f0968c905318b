/**
 * The policy examples in the docs are configs users copy: every ```yaml block of docs/*.md and
 * README.md that configures policies (an API's `policies`, its route overrides, or the whole
 * `apis` list) must pass the config loader — schema and cross-field checks — as written.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { parse } from 'yaml'
import { createConfigLoader } from '../config/load-config.js'
import { ConfigError } from '../errors.js'
import { builtinPolicies } from './index.js'

const ROOT = join(import.meta.dirname, '../..')
const SOURCES = [...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`), 'README.md']
const POLICY_NAMES = new Set(builtinPolicies.map((policy) => policy.name))
/** What the examples' `${env:…}` references stand for: long enough for any secret, valid hex for hashes. */
const PLACEHOLDER = 'a'.repeat(64)
/** Examples show policies, not identity providers: every method the `auth` examples may name is configured. */
const IDENTITY = {
  jwt: { issuer: 'https://id.example', audiences: ['docs'] },
  introspection: { endpoint: 'https://id.example/introspect', clientId: 'gateway', clientSecret: PLACEHOLDER },
}

interface Example {
  where: string
  policies: Record<string, unknown>
}

function yamlBlocks(source: string): { line: number; text: string }[] {
  const text = readFileSync(join(ROOT, source), 'utf8')
  return [...text.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => ({ line: text.slice(0, match.index).split('\n').length, text: match[1] ?? '' }))
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The policy sets of one block: an API's `policies`, each route override, each API of `apis`. */
function examplesIn(where: string, block: unknown): Example[] {
  if (!isRecord(block)) return []
  const apis = Array.isArray(block.apis) ? block.apis.filter(isRecord) : [block]
  const out: Example[] = []
  apis.forEach((api, index) => {
    const at = Array.isArray(block.apis) ? `${where} apis[${index}]` : where
    if (isRecord(api.policies)) out.push({ where: `${at} policies`, policies: api.policies })
    if (isRecord(api.routes)) {
      for (const [route, overrides] of Object.entries(api.routes)) {
        // A route override of `false` turns a policy off: nothing to validate.
        if (isRecord(overrides)) out.push({ where: `${at} routes.${route}`, policies: Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== false)) })
      }
    }
  })
  return out.filter((example) => Object.keys(example.policies).some((name) => POLICY_NAMES.has(name)))
}

const examples = SOURCES.flatMap((source) =>
  yamlBlocks(source).flatMap(({ line, text }) => {
    const where = `${source}:${line}`
    return examplesIn(where, parse(text.replaceAll(/\$\{(env|file):[^}]*\}/g, PLACEHOLDER)) as unknown)
  }),
)

const dir = mkdtempSync(join(tmpdir(), 'portcullis-docs-examples-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('every policy example in the docs passes the config loader as written', () => {
  assert.ok(examples.length > 0, 'the docs have policy examples')
  const loader = createConfigLoader(builtinPolicies, {})
  const failures: string[] = []
  examples.forEach((example, index) => {
    const config = { listen: { http: 8080 }, identity: IDENTITY, apis: [{ name: 'docs', upstream: { url: 'http://127.0.0.1:3000' }, policies: example.policies }] }
    const file = join(dir, `example-${index}.json`)
    writeFileSync(file, JSON.stringify(config))
    try {
      loader.load(file)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      for (const problem of error.problems) failures.push(`${example.where}: ${problem.path.replace('apis[0].policies.', '')}: ${problem.message}`)
    }
  })
  assert.deepEqual(failures, [])
})

test('the masking example shows detectors as { detector, strategy } objects', () => {
  const detect = examples.map((example) => example.policies.masking).find((masking) => isRecord(masking) && Array.isArray(masking.detect))
  assert.ok(isRecord(detect) && Array.isArray(detect.detect) && detect.detect.length > 0, 'docs/policies.md has a masking example with `detect`')
  for (const entry of detect.detect as unknown[]) assert.ok(isRecord(entry) && typeof entry.detector === 'string' && typeof entry.strategy === 'string', JSON.stringify(entry))
})
