/**
 * sqlmap (Debian package) against the gateway in front of sqlmap's vulnerable server, through
 * bench/sqlmap.ts: injectable without the WAF; not injectable with CRS at paranoia 1 or with the
 * built-in profile, plainly and with the tamper scripts randomcase, space2comment, between and
 * charencode. Loopback only, each sqlmap run bounded.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { CRS_DIR, skipWithoutSqlmap } from '../helpers/third-party.js'

test('sqlmap finds the injection without the WAF and not with it, tamper scripts included', { skip: skipWithoutSqlmap }, () => {
  const root = join(import.meta.dirname, '../..')
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/sqlmap.ts'), '--crs', CRS_DIR, '--timeout', '300'], { cwd: root, encoding: 'utf8', timeout: 20 * 60_000 })
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`)
  assert.match(run.stdout, /none +\(none\) +INJECTABLE/)
  for (const setup of ['crs', 'builtin']) {
    for (const tamper of ['(none)', 'randomcase', 'space2comment', 'between', 'charencode']) {
      assert.match(run.stdout, new RegExp(`${setup} +${tamper.replace(/[()]/g, '\\$&')} +not injectable`), `${setup} with ${tamper}`)
    }
  }
})
