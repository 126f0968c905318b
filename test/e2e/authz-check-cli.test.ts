/**
 * `portcullis authz check` against golden outputs: the CLI process run on the fixtures in
 * test/fixtures/authz (the shop API of the authz end-to-end tests). Each case's stdout, stderr
 * and exit code must equal its file in test/fixtures/authz/golden; `UPDATE_GOLDEN=1` rewrites them.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'

const BIN = join(import.meta.dirname, '../../bin/portcullis.js')
const FIXTURES = join(import.meta.dirname, '../fixtures/authz')
const GOLDEN = join(FIXTURES, 'golden')

const CASES: Record<string, string[]> = {
  'deny-admin-operation': ['--request', 'DELETE /orders/42', '--principal', 'alice', '--roles', 'user', '--scopes', 'orders:read'],
  'allow-own-objects': ['--request', 'GET /users/alice/orders', '--principal', 'alice', '--scopes', 'orders:read'],
  'deny-other-users-objects': ['--request', 'GET /users/bob/orders?page=2', '--principal', 'alice', '--scopes', 'orders:read'],
  'allow-admin': ['--request', 'DELETE /orders/42', '--principal', 'root', '--roles', 'admin', '--scopes', 'orders:read'],
  'deny-body-owner': ['--request', 'POST /orders', '--principal', 'alice', '--scopes', 'orders:read,orders:write', '--body', '{"ownerId":"bob"}'],
  'allow-body-owner': ['--request', 'POST /orders', '--principal', 'alice', '--scopes', 'orders:read,orders:write', '--body', '{"ownerId":"alice","item":"tea"}'],
  'deny-unreadable-body': ['--request', 'POST /orders', '--principal', 'alice', '--scopes', 'orders:write', '--body', 'ownerId: alice', '--content-type', 'text/plain'],
  'deny-forbid-wins': ['--request', 'GET /stats', '--principal', 'root', '--roles', 'admin', '--scopes', 'orders:read', '--header', 'X-Blocked: yes'],
  'deny-scheme-and-scope': ['--request', 'GET /orders/1', '--principal', 'carol', '--auth-method', 'apiKey', '--roles', 'clerk'],
  'allow-public-anonymous': ['--request', 'GET /health'],
  'deny-anonymous': ['--request', 'GET /orders/1'],
  'deny-undeclared': ['--request', 'GET /legacy', '--principal', 'root', '--roles', 'admin'],
  'not-routed-method': ['--request', 'PUT /orders/1', '--principal', 'alice'],
  'json-output': ['--request', 'GET /users/bob/orders', '--principal', 'alice', '--scopes', 'orders:read', '--json'],
  'bad-request-flag': ['--request', 'orders/42'],
  'bad-claims-flag': ['--request', 'GET /orders/1', '--principal', 'alice', '--claims', '{"sub":'],
}

function run(args: string[]): string {
  const result = spawnSync(process.execPath, [BIN, 'authz', 'check', ...args], { cwd: FIXTURES, encoding: 'utf8', timeout: 30000 })
  return `${result.stdout}${result.stderr === '' ? '' : `--- stderr\n${result.stderr}`}--- exit ${String(result.status)}\n`
}

function assertGolden(name: string, actual: string): void {
  const file = join(GOLDEN, `${name}.txt`)
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true })
    writeFileSync(file, actual)
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${name}: output differs from ${file}`)
}

describe('portcullis authz check', () => {
  for (const [name, args] of Object.entries(CASES)) {
    test(name, () => {
      assertGolden(name, run(['-c', 'gateway.yaml', ...args]))
    })
  }

  test('a policy file that does not validate refuses the config, with Cedar’s message', () => {
    assertGolden('broken-policies', run(['-c', 'broken.yaml', '--request', 'GET /stats']))
  })
})
