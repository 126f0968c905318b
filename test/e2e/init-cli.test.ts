/**
 * `portcullis init --openapi` against golden outputs: the config it writes for a fixture document
 * (test/fixtures/init) and the notes it prints; the written config must load. `UPDATE_GOLDEN=1`
 * rewrites the golden files.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

const BIN = join(import.meta.dirname, '../../bin/portcullis.js')
const FIXTURES = join(import.meta.dirname, '../fixtures/init')

function golden(name: string, actual: string): void {
  const file = join(FIXTURES, name)
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual)
  assert.equal(actual, readFileSync(file, 'utf8'), `differs from ${file}`)
}

test('init writes a loadable config from an OpenAPI document and names what it left undecided', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-init-'))
  try {
    copyFileSync(join(FIXTURES, 'store.yaml'), join(dir, 'store.yaml'))
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'init', ...args], { cwd: dir, encoding: 'utf8', timeout: 30000 })
    const first = run('--openapi', 'store.yaml')
    assert.equal(first.status, 0, first.stderr)
    golden('store.stdout.txt', first.stdout)
    golden('store.gateway.yaml', readFileSync(join(dir, 'gateway.yaml'), 'utf8'))
    const again = run('--openapi', 'store.yaml')
    assert.deepEqual([again.status, again.stderr], [2, 'error: gateway.yaml exists; pass --force to replace it\n'])
    assert.equal(run('--openapi', 'store.yaml', '--force').status, 0)
    const missing = run('--openapi', 'nope.yaml', '-o', 'other.yaml')
    assert.equal(missing.status, 2)
    assert.match(missing.stderr, /^error: cannot read nope\.yaml: ENOENT/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
