/** `portcullis posture -c CONFIG` end to end: each rule on a config written to trip it, a clean config, TLS ciphers, settings, load errors. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { createPki } from '../helpers/certificates.js'

const BIN = join(import.meta.dirname, '../../bin/portcullis.js')
const FIXTURES = join(import.meta.dirname, '../fixtures/posture')
const scratch = mkdtempSync(join(tmpdir(), 'portcullis-posture-'))
after(() => {
  rmSync(scratch, { recursive: true, force: true })
})

function posture(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, 'posture', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

interface Finding {
  ruleId: string
  severity: string
  location: { pointer: string; line: number }
}

function findings(stdout: string): Finding[] {
  return (JSON.parse(stdout) as { targets: { findings: Finding[] }[] }).targets[0]?.findings ?? []
}

const where = (list: readonly Finding[]) => list.map((finding) => `${finding.ruleId} ${finding.location.pointer} ${String(finding.location.line)}`).sort()

test('the insecure config: every planted weakness, at its line in the config, exit 1', () => {
  const run = posture('-c', join(FIXTURES, 'insecure.yaml'), '--format', 'json')
  assert.equal(run.code, 1, run.stderr)
  assert.deepEqual(where(findings(run.stdout)), [
    'admin-remote /admin/listen 5',
    'api-without-rate-limit /apis/0/policies 15',
    'api-without-rate-limit /apis/1/policies 23',
    'cors-insecure-origin /apis/0/policies/cors/origins 17',
    'cors-wildcard-origin /apis/0/policies/cors/origins 17',
    'deprecated-without-sunset /apis/0/openapi 13',
    'login-without-rate-limit /apis/0/routes/login 20',
    'no-request-validation /apis/0/policies 15',
    'no-security-headers /apis/0/policies 15',
    'no-security-headers /apis/1/policies 23',
    'no-waf /apis/1/policies 23',
    'plain-http-listener /listen/http 3',
    'public-route /apis/0/routes/login 20',
    'public-route /apis/0/routes/status 21',
    'route-without-authentication /apis/0/routes/legacy 22',
    'route-without-authentication /apis/1 23',
    'route-without-authorization /apis/0 11',
    'sensitive-responses-unchecked /apis/0/policies 15',
    'trusted-proxies-too-broad /trustedProxies/0 9',
    'waf-report-only /apis/0/policies/waf/mode 18',
  ])
})

test('the secure config: only the routes its document declares public (info), exit 0, score 100', () => {
  const run = posture('-c', join(FIXTURES, 'secure.yaml'))
  assert.equal(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /score 100\/100/)
  assert.deepEqual(
    where(findings(posture('-c', join(FIXTURES, 'secure.yaml'), '--format', 'json').stdout)).map((line) => line.split(' ')[0]),
    ['public-route', 'public-route'],
  )
})

test('TLS: weak suites named from the cipher list, exclusions (!, -) ignored', () => {
  const pki = createPki()
  const server = pki.issue('server', { cn: 'localhost', san: ['DNS:localhost'] })
  const config = join(scratch, 'tls.yaml')
  writeFileSync(
    config,
    `listen:\n  http: { port: 8080, host: 0.0.0.0 }\n  https:\n    port: 8443\n    cert: ${server.cert}\n    key: ${server.key}\n    ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:DES-CBC3-SHA:RC4-SHA:!aNULL:-MD5'\napis:\n  - name: a\n    basePath: /a\n    upstream: http://127.0.0.1:3000\n`,
  )
  const list = findings(posture('-c', config, '--format', 'json').stdout)
  assert.deepEqual(where(list.filter((finding) => finding.ruleId === 'weak-tls-ciphers')), ['weak-tls-ciphers /listen/https/ciphers 7'])
  assert.ok(!list.some((finding) => finding.ruleId === 'plain-http-listener'), 'HTTPS is there')
  const text = posture('-c', config).stdout
  assert.match(text, /Weak suites enabled: DES-CBC3-SHA, RC4-SHA\./)
  rmSync(pki.dir, { recursive: true, force: true })
})

test('settings switch rules off and change severities; a config that does not load is exit 2 with its problems', () => {
  const settings = join(scratch, 'posture-rules.yaml')
  writeFileSync(settings, 'rules:\n  plain-http-listener: off\n  admin-remote: critical\nfailSeverity: critical\n')
  const run = posture('-c', join(FIXTURES, 'insecure.yaml'), '--rules', settings, '--format', 'json')
  assert.equal(run.code, 1)
  const list = findings(run.stdout)
  assert.ok(!list.some((finding) => finding.ruleId === 'plain-http-listener'))
  assert.equal(list.find((finding) => finding.ruleId === 'admin-remote')?.severity, 'critical')
  assert.equal(posture('-c', join(FIXTURES, 'insecure.yaml'), '--fail-severity', 'critical').code, 0)
  writeFileSync(settings, 'rules:\n  plain-http-listeners: off\n')
  assert.match(posture('-c', join(FIXTURES, 'insecure.yaml'), '--rules', settings).stderr, /rules\.plain-http-listeners: unknown rule \(did you mean plain-http-listener\?\)/)
  const broken = join(scratch, 'broken.yaml')
  writeFileSync(broken, 'listen: { http: 8080 }\napis:\n  - name: a\n    basePath: /a\n    upstream: not-a-url\n')
  const bad = posture('-c', broken)
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /apis\[0\]\.upstream\.url: must be a URL/)
})
