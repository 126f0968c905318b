/** `portcullis audit` end to end: exit codes, every report format, the config file and ignores in the document. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'

const BIN = join(import.meta.dirname, '../../bin/portcullis.js')
const FIXTURES = join(import.meta.dirname, '../fixtures/audit')
const SECURE = join(FIXTURES, 'secure.yaml')
const INSECURE = join(FIXTURES, 'insecure.yaml')
const SWAGGER = join(FIXTURES, 'swagger2.json')
const scratch = mkdtempSync(join(tmpdir(), 'portcullis-audit-'))
after(() => {
  rmSync(scratch, { recursive: true, force: true })
})

function audit(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, 'audit', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

interface JsonReport {
  summary: { findings: number; bySeverity: Record<string, number> }
  targets: { target: string; score?: number; error?: string; ignored: number; findings: { ruleId: string; severity: string; owasp: string; location: { pointer: string; line: number; column: number } }[] }[]
}

const json = (stdout: string) => JSON.parse(stdout) as JsonReport

test('a clean document: exit 0, no findings, score 100', () => {
  const run = audit(SECURE)
  assert.equal(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /secure\.yaml {2}score 100\/100\n {2}no findings/)
})

test('the insecure fixture: every planted problem is found at its line, exit 1', () => {
  const run = audit(INSECURE, '--format', 'json')
  assert.equal(run.code, 1, run.stderr)
  const [target] = json(run.stdout).targets
  assert.ok(target)
  const at = (ruleId: string) => target.findings.filter((finding) => finding.ruleId === ruleId).map((finding) => `${String(finding.location.line)} ${finding.location.pointer}`)
  assert.deepEqual(at('numeric-id-parameter'), ['36 /paths/~1accounts~1{account_id}/get/parameters/0/schema'])
  assert.deepEqual(at('credentials-in-url'), ['37 /paths/~1accounts~1{account_id}/get/parameters/1/name'])
  assert.deepEqual(at('url-parameter'), ['40 /paths/~1accounts~1{account_id}/get/parameters/2/name'])
  assert.deepEqual(at('write-without-security'), ['19 /paths/~1accounts/post/security'])
  assert.deepEqual(at('admin-operation-without-scopes'), ['54 /paths/~1admin~1users/delete/security'])
  assert.deepEqual(at('undefined-security-scheme'), ['56 /paths/~1admin~1users/delete/security/1/missingScheme'])
  assert.deepEqual(at('oauth-implicit-flow'), ['80 /components/securitySchemes/oauth/flows/implicit'])
  assert.deepEqual(at('oauth-password-flow'), ['83 /components/securitySchemes/oauth/flows/password'])
  assert.deepEqual(at('api-key-in-url'), ['75 /components/securitySchemes/apiKeyQuery/in'])
  assert.deepEqual(at('api-key-in-cookie'), ['76 /components/securitySchemes/apiKeyCookie/in'])
  assert.deepEqual(at('http-basic-auth'), ['74 /components/securitySchemes/basic/scheme'])
  assert.deepEqual(at('plain-http-server'), ['6 /servers/0/url'])
  assert.deepEqual(at('request-body-open-object'), ['87 /components/schemas/NewAccount'])
  assert.deepEqual(at('sensitive-field-in-response'), ['95 /components/schemas/Account/properties/password'])
  assert.deepEqual(at('secret-in-example'), ['100 /components/schemas/Account/properties/apiToken/example'])
  assert.deepEqual(at('deprecated-without-sunset'), ['53 /paths/~1admin~1users/delete/deprecated'])
  assert.deepEqual(at('unbounded-list-response'), ['15 /paths/~1accounts/get/responses/200/content/application~1json/schema', '69 /paths/~1internal~1reports/get/responses/200/content/application~1json/schema'])
  assert.deepEqual(at('missing-403-response'), ['43 /paths/~1accounts~1{account_id}/get/responses', '57 /paths/~1admin~1users/delete/responses'])
  // The ignore with a reason silences its rule there; the one without a reason is itself a finding and is not honoured.
  assert.equal(target.ignored, 1)
  assert.deepEqual(at('read-without-security'), ['9 /paths/~1accounts/get'])
  assert.deepEqual(at('invalid-ignore'), ['63 /paths/~1internal~1reports/get/x-portcullis-ignore/array-without-max-items'])
  assert.ok(at('array-without-max-items').some((where) => where.includes('/paths/~1internal~1reports/get/')))
  assert.ok(target.score !== undefined && target.score < 30, String(target.score))
  for (const finding of target.findings) assert.match(finding.owasp, /^API\d+:2023$/)
})

test('Swagger 2.0 is audited in place: locations point into the JSON file as written', () => {
  const run = audit(SWAGGER, '--format', 'json')
  assert.equal(run.code, 1)
  const findings = json(run.stdout).targets[0]?.findings ?? []
  const where = new Map(findings.map((finding) => [finding.ruleId + (finding.location.pointer.endsWith('example') ? ':example' : ''), `${String(finding.location.line)}:${String(finding.location.column)} ${finding.location.pointer}`]))
  assert.equal(where.get('plain-http-server'), '5:15 /schemes/0')
  assert.equal(where.get('http-basic-auth'), '7:24 /securityDefinitions/basic/type')
  assert.equal(where.get('oauth-implicit-flow'), '8:14 /securityDefinitions/oauth')
  assert.equal(where.get('numeric-id-parameter'), '14:84 /paths/~1users~1{userId}/get/parameters/0/type')
  assert.equal(where.get('sensitive-field-in-response:example'), '16:171 /paths/~1users~1{userId}/get/responses/200/schema/properties/ssn/example')
})

test('--fail-severity decides exit 1: nothing critical in the insecure fixture', () => {
  assert.equal(audit(INSECURE, '--fail-severity', 'critical').code, 0)
  assert.equal(audit(SWAGGER, '--fail-severity', 'low').code, 1)
})

test('the config file switches rules off, changes severities and sets failSeverity; mistakes are named', () => {
  const config = join(scratch, 'audit.yaml')
  writeFileSync(config, 'rules:\n  plain-http-server: off\n  http-basic-auth: critical\nfailSeverity: critical\n')
  const run = audit(SWAGGER, '--config', config, '--format', 'json')
  assert.equal(run.code, 1, 'http-basic-auth is critical now, and critical fails')
  const findings = json(run.stdout).targets[0]?.findings ?? []
  assert.ok(!findings.some((finding) => finding.ruleId === 'plain-http-server'))
  assert.equal(findings.find((finding) => finding.ruleId === 'http-basic-auth')?.severity, 'critical')
  writeFileSync(config, 'rules:\n  plain-http-servers: off\n  http-basic-auth: severe\nfailSeverty: low\n')
  const bad = audit(SWAGGER, '--config', config)
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /rules\.plain-http-servers: unknown rule \(did you mean plain-http-server\?\)/)
  assert.match(bad.stderr, /rules\.http-basic-auth: must be one of off, critical, high, medium, low, info/)
  assert.match(bad.stderr, /failSeverty: unknown key \(did you mean failSeverity\?\)/)
})

test('unreadable documents: exit 2 with file, line and column; the readable ones are still reported', () => {
  const broken = join(scratch, 'broken.yaml')
  writeFileSync(broken, 'openapi: 3.0.0\ninfo: {title: x, version: "1"}\npaths:\n  /a: [\n')
  const notOpenApi = join(scratch, 'other.json')
  writeFileSync(notOpenApi, '{"openapi": "2.5"}')
  const run = audit(broken, notOpenApi, join(scratch, 'missing.yaml'), SECURE)
  assert.equal(run.code, 2)
  assert.match(run.stderr, /broken\.yaml: 5:1: invalid YAML/)
  assert.match(run.stderr, /other\.json: not an OpenAPI 3\.0\/3\.1 or Swagger 2\.0 document \(found openapi: "2\.5"\)/)
  assert.match(run.stderr, /missing\.yaml: no such file/)
  assert.match(run.stdout, /secure\.yaml {2}score 100\/100/)
  assert.equal(audit(SECURE, '--format', 'pdf').code, 2)
  assert.match(audit(SECURE, '--fail-severity', 'severe').stderr, /--fail-severity: must be one of critical, high, medium, low, info/)
})

test('SARIF 2.1.0: rules with security-severity, one result per finding with its region', () => {
  const run = audit(INSECURE, SECURE, '--format', 'sarif')
  const sarif = JSON.parse(run.stdout) as {
    version: string
    runs: { tool: { driver: { rules: { id: string; properties: Record<string, unknown> }[] } }; results: { ruleId: string; ruleIndex: number; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[]
  }
  assert.equal(sarif.version, '2.1.0')
  const [runLog] = sarif.runs
  assert.ok(runLog)
  const expected = json(audit(INSECURE, '--format', 'json').stdout).summary.findings
  assert.equal(runLog.results.length, expected)
  for (const result of runLog.results) {
    assert.equal(runLog.tool.driver.rules[result.ruleIndex]?.id, result.ruleId)
    assert.ok(['error', 'warning', 'note'].includes(result.level))
    assert.match(result.locations[0]?.physicalLocation.artifactLocation.uri ?? '', /insecure\.yaml$/)
    assert.ok((result.locations[0]?.physicalLocation.region.startLine ?? 0) > 0)
  }
  assert.equal(runLog.tool.driver.rules.find((rule) => rule.id === 'numeric-id-parameter')?.properties['security-severity'], '8.0')
})

test('JUnit XML: one test case per rule per document, failures for rules with findings', () => {
  const run = audit(SWAGGER, SECURE, '--format', 'junit')
  const suites = [...run.stdout.matchAll(/<testsuite name="([^"]+)" tests="(\d+)" failures="(\d+)"/g)]
  assert.equal(suites.length, 2)
  assert.match(suites[0]?.[1] ?? '', /swagger2\.json$/)
  // plain-http-server, http-basic-auth, oauth-implicit-flow, numeric-id-parameter, sensitive-field-in-response
  assert.equal(suites[0]?.[3], '5')
  assert.equal(suites[1]?.[3], '0')
  assert.equal(run.stdout.match(/<testcase /g)?.length, 2 * Number(suites[0]?.[2]))
})

test('HTML: one self-contained page with charts by severity and category, text escaped', () => {
  const output = join(scratch, 'report.html')
  const hostile = join(scratch, 'hostile.yaml')
  writeFileSync(hostile, 'openapi: 3.0.0\ninfo: {title: x, version: "1"}\npaths:\n  "/<script>alert(1)</script>":\n    post:\n      responses: {"201": {description: ok}}\n')
  const run = audit(INSECURE, hostile, '--format', 'html', '--output', output)
  assert.equal(run.code, 1)
  assert.equal(run.stdout, '')
  const html = readFileSync(output, 'utf8')
  assert.match(html, /^<!doctype html>/)
  assert.match(html, /<figcaption>Findings by severity<\/figcaption><svg/)
  assert.match(html, /Findings by OWASP API Security Top 10 \(2023\) category/)
  assert.match(html, /API2:2023 Broken Authentication/)
  assert.ok(!html.includes('<script>'), 'the path template is escaped')
  assert.match(html, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/)
  assert.ok(!/(src|href)="https?:/.test(html), 'no external resources')
})
