import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { builtinPolicies } from '../policies/index.js'
import { gatewayErrorsFor, POLICY_ERROR_CODES } from './gateway-errors.js'

const POLICIES_DIR = join(import.meta.dirname, '..', 'policies')

/**
 * The codes a policy's sources answer with (`respond.problem('…'`, `GatewayError('…'`, and codes
 * held as `code: '…'` to answer with later); a body limit adds the 413 the chain sends for it.
 * authz's check-offline.ts is the CLI's routing check, not an answer of the policy.
 */
function codesInSources(policy: string): Set<string> {
  const codes = new Set<string>()
  for (const file of readdirSync(join(POLICIES_DIR, policy))) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file === 'check-offline.ts') continue
    const text = readFileSync(join(POLICIES_DIR, policy, file), 'utf8')
    for (const match of text.matchAll(/(?:respond\.problem\(|GatewayError\(|code: )'(GW_ERR_[A-Z_]+)'/g)) codes.add(match[1] as string)
    if (/requestBodyLimit:/.test(text)) codes.add('GW_ERR_REQUEST_BODY_TOO_LARGE')
  }
  return codes
}

test('the portal’s table of codes per policy matches what each policy’s sources answer with', () => {
  assert.deepEqual(Object.keys(POLICY_ERROR_CODES).sort(), builtinPolicies.map((p) => p.name).sort(), 'every built-in policy has an entry')
  for (const policy of builtinPolicies) {
    const sent = codesInSources(policy.name)
    const listed = new Set<string>(POLICY_ERROR_CODES[policy.name])
    for (const code of sent) assert.ok(listed.has(code), `${policy.name} sends ${code}, which the portal does not list`)
    for (const code of listed) assert.ok(sent.has(code), `${policy.name} is listed with ${code}, which it never sends`)
  }
})

test('gatewayErrorsFor: the core codes always, each policy’s codes and GW_ERR_POLICY_FAILED with it, sorted by status', () => {
  const bare = gatewayErrorsFor([])
  assert.ok(bare.some((e) => e.code === 'GW_ERR_UPSTREAM_TIMEOUT' && e.sources.includes('gateway')))
  assert.ok(!bare.some((e) => e.code === 'GW_ERR_AUTH_REQUIRED' || e.code === 'GW_ERR_POLICY_FAILED'))
  const withAuth = gatewayErrorsFor(['auth', 'authz'])
  assert.deepEqual(withAuth.find((e) => e.code === 'GW_ERR_AUTH_REQUIRED')?.sources, ['auth', 'authz'])
  assert.deepEqual(withAuth.find((e) => e.code === 'GW_ERR_POLICY_FAILED')?.sources, ['auth', 'authz'])
  const statuses = withAuth.map((e) => e.status)
  assert.deepEqual(statuses, [...statuses].sort((a, b) => a - b))
})
