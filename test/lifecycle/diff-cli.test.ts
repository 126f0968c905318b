/** `portcullis diff` end to end: golden text output, every format, --fail-on and exit codes, usage errors. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'

const BIN = join(import.meta.dirname, '../../bin/portcullis.js')
const FIXTURES = join(import.meta.dirname, '../fixtures/diff')
const scratch = mkdtempSync(join(tmpdir(), 'portcullis-diff-'))
after(() => {
  rmSync(scratch, { recursive: true, force: true })
})

/** Runs in the fixtures folder, so reports name files as `category/old.yaml`. */
function diff(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, 'diff', ...args], { cwd: FIXTURES, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('text: one line per change with both places under it, a summary; exit 0 below the fail level', () => {
  const run = diff('servers/old.yaml', 'servers/new.yaml')
  assert.equal(run.code, 0, run.stderr)
  assert.equal(
    run.stdout,
    [
      'servers/old.yaml (1.0.0) → servers/new.yaml (1.1.0)',
      '  warning  api-server-removed   server https://eu.api.example.com/v1 removed',
      '           old servers/old.yaml:7:5 /servers/1/url  new servers/new.yaml:5:1 /servers',
      '  info     api-version-changed  info.version changed from 1.0.0 to 1.1.0',
      '           old servers/old.yaml:4:3 /info/version  new servers/new.yaml:4:3 /info/version',
      '  info     api-server-added     server https://us.api.example.com/v1 added',
      '           old servers/old.yaml:5:1 /servers  new servers/new.yaml:7:5 /servers/1/url',
      '1 possibly breaking, 2 compatible',
      '',
    ].join('\n'),
  )
})

test('identical documents: no changes, exit 0', () => {
  const run = diff('schemas/old.yaml', 'schemas/old.yaml', '--fail-on', 'warning')
  assert.equal(run.code, 0)
  assert.match(run.stdout, /\nno changes\n$/)
})

test('--fail-on: error (default) fails on breaking changes, warning also on possibly breaking ones, never never', () => {
  assert.equal(diff('paths/old.yaml', 'paths/new.yaml').code, 1)
  assert.equal(diff('paths/old.yaml', 'paths/new.yaml', '--fail-on', 'never').code, 0)
  assert.equal(diff('servers/old.yaml', 'servers/new.yaml', '--fail-on', 'error').code, 0)
  assert.equal(diff('servers/old.yaml', 'servers/new.yaml', '--fail-on', 'warning').code, 1)
})

test('JSON: both sides, counts by level, each change with its places', () => {
  const run = diff('security/old.yaml', 'security/new.yaml', '--format', 'json')
  assert.equal(run.code, 1)
  const report = JSON.parse(run.stdout) as { old: { format: string; version: string }; summary: { changes: number; byLevel: Record<string, number> }; changes: { id: string; level: string; operation?: string; old?: { line: number }; new?: { line: number } }[] }
  assert.deepEqual(report.old, { file: 'security/old.yaml', format: 'oas3.0', version: '1.0.0' })
  assert.equal(report.summary.changes, report.changes.length)
  assert.equal(report.summary.byLevel.error, report.changes.filter((change) => change.level === 'error').length)
  const added = report.changes.find((change) => change.id === 'api-security-added')
  assert.equal(added?.operation, 'GET /public')
  assert.equal(added.old?.line, 10)
  assert.equal(added.new?.line, 10)
})

test('Markdown: a changelog by level, then by operation, the whole API first', () => {
  const run = diff('paths/old.yaml', 'paths/new.yaml', '--format', 'markdown', '--fail-on', 'never')
  assert.equal(run.code, 0)
  const headings = run.stdout.split('\n').filter((line) => line.startsWith('#'))
  assert.deepEqual(headings, [
    '# API changelog',
    '## Breaking changes',
    '### `/legacy`',
    '### `DELETE /reports`',
    '### `POST /users`',
    '## Possibly breaking changes',
    '### `GET /users`',
    '### `GET /users/{userId}`',
    '### `PUT /reports`',
    '## Compatible changes',
    '### Whole API',
    '### `/orders`',
    '### `/users/{userId}`',
    '### `GET /reports`',
    '### `GET /users`',
    '### `PATCH /users`',
    '### `POST /reports`',
  ])
  assert.match(run.stdout, /^- operation removed without being deprecated first — `api-removed-without-deprecation` \(old line 13, new line 6\)$/m)
})

test('SARIF 2.1.0: a rule per check found, a result per change in the new file with the old one related', () => {
  const output = join(scratch, 'diff.sarif')
  const run = diff('responses/old.yaml', 'responses/new.yaml', '--format', 'sarif', '-o', output)
  assert.equal(run.code, 1)
  assert.equal(run.stdout, '')
  const sarif = JSON.parse(readFileSync(output, 'utf8')) as {
    version: string
    $schema: string
    runs: { tool: { driver: { name: string; rules: { id: string; shortDescription: { text: string } }[] } }; results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[]; relatedLocations?: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[]
  }
  assert.equal(sarif.version, '2.1.0')
  assert.match(sarif.$schema, /sarif-2\.1\.0/)
  const [log] = sarif.runs
  assert.ok(log)
  assert.equal(log.results.length, 29)
  for (const result of log.results) {
    assert.equal(log.tool.driver.rules[result.ruleIndex]?.id, result.ruleId)
    assert.ok(['error', 'warning', 'note'].includes(result.level))
    assert.ok(result.message.text.length > 0)
    const location = result.locations[0]?.physicalLocation
    assert.match(location?.artifactLocation.uri ?? '', /^responses\/(new|old)\.yaml$/)
    assert.ok((location?.region.startLine ?? 0) > 0 && (location?.region.startColumn ?? 0) > 0)
    if (result.relatedLocations) assert.equal(result.relatedLocations[0]?.physicalLocation.artifactLocation.uri, 'responses/old.yaml')
  }
  assert.deepEqual(new Set(log.tool.driver.rules.map((rule) => rule.id)), new Set(log.results.map((result) => result.ruleId)))
})

/** Checks that `xml` is well formed: one root, every element closed in order, attributes quoted. */
function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '')
  const stack: string[] = []
  let roots = 0
  for (const [tag, closing, name, attributes, selfClosing] of body.matchAll(/<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g)) {
    assert.ok(attributes !== undefined && tag.length > 0)
    if (closing) assert.equal(stack.pop(), name, `unexpected </${name ?? ''}>`)
    else if (!selfClosing) {
      if (stack.length === 0) roots++
      stack.push(name ?? '')
    } else if (stack.length === 0) roots++
  }
  assert.deepEqual(stack, [])
  assert.equal(roots, 1)
  assert.doesNotMatch(body.replace(/<[^>]*>/g, ''), /[<>]|&(?!#\d+;|amp;|lt;|gt;|quot;|apos;)/)
}

test('JUnit: well-formed XML, a test case per check, failed at or above --fail-on', () => {
  const run = diff('request-body/old.yaml', 'request-body/new.yaml', '--format', 'junit', '--fail-on', 'warning')
  assert.equal(run.code, 1)
  assertWellFormedXml(run.stdout)
  const [, tests, failures] = /<testsuites name="portcullis diff" tests="(\d+)" failures="(\d+)"/.exec(run.stdout) ?? []
  assert.equal(Number(tests), 17)
  assert.equal(Number(failures), 10)
  assert.match(run.stdout, /<testcase classname="request-body\/old\.yaml → request-body\/new\.yaml" name="request-body-removed">\n {6}<failure type="warning"/)
  const clean = diff('lifecycle/old.yaml', 'lifecycle/old.yaml', '--format', 'junit')
  assertWellFormedXml(clean.stdout)
  assert.match(clean.stdout, /<testcase [^>]*name="no-changes"\/>/)
})

test('usage errors and unreadable documents: exit 2 saying what is wrong and where', () => {
  const broken = join(scratch, 'broken.yaml')
  writeFileSync(broken, 'openapi: 3.0.0\ninfo: {title: x, version: "1"}\npaths:\n  /a: [\n')
  const notOpenApi = join(scratch, 'other.json')
  writeFileSync(notOpenApi, '{"openapi": "2.5"}')
  const cases: [string[], RegExp][] = [
    [[broken, 'paths/new.yaml'], /^error: .*broken\.yaml:5:1: invalid YAML/],
    [['paths/old.yaml', notOpenApi], /^error: .*other\.json: not an OpenAPI 3\.0\/3\.1 or Swagger 2\.0 document \(found openapi: "2\.5"\)/],
    [['paths/old.yaml', 'missing.yaml'], /^error: missing\.yaml: no such file/],
    [['paths/old.yaml', 'paths'], /^error: paths: is a directory/],
    [['paths/old.yaml', 'paths/new.yaml', '--format', 'pdf'], /^error: --format: must be one of text, json, markdown, sarif, junit \(got "pdf"\)/],
    [['paths/old.yaml', 'paths/new.yaml', '--fail-on', 'info'], /^error: --fail-on: must be one of error, warning, never \(got "info"\)/],
    [['paths/old.yaml'], /missing required argument 'new'/],
  ]
  for (const [args, message] of cases) {
    const run = diff(...args)
    assert.equal(run.code, 2, args.join(' '))
    assert.match(run.stderr, message)
    assert.equal(run.stdout, '')
  }
})
