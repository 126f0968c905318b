import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { Type } from '@sinclair/typebox'
import { ConfigError } from '../errors.js'
import { definePolicy } from '../pipeline/define-policy.js'
import { builtinPolicies } from '../policies/index.js'
import { createConfigLoader } from './load-config.js'

const dir = mkdtempSync(join(tmpdir(), 'portcullis-config-'))
function write(name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}
function problemsOf(fn: () => unknown): string[] {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error))
    return error.problems.map((p) => `${p.path}: ${p.message}`)
  }
  assert.fail('expected a ConfigError')
}

const minimal = `
listen: { http: 8080 }
apis:
  - name: orders
    basePath: /orders
    upstream: http://127.0.0.1:3000
`

describe('config loading', () => {
  const loader = createConfigLoader(builtinPolicies, { ADMIN_HASH: 'a'.repeat(64), SECRET: 's3cr3t' })

  test('expands shorthands, fills defaults and freezes', () => {
    const { config, routes } = loader.load(write('minimal.yaml', minimal))
    assert.deepEqual(config.listen.http, { port: 8080, host: '0.0.0.0' })
    const api = config.apis[0]!
    assert.equal(api.upstream.url, 'http://127.0.0.1:3000')
    assert.equal(api.upstream.balance, 'round-robin')
    assert.equal(api.upstream.circuitBreaker.openMs, 10000)
    assert.equal(config.server.headersTimeoutMs, 10000)
    assert.equal(config.workers, 1)
    assert.equal(routes[0], null, 'no routes means a catch-all API')
    assert.ok(Object.isFrozen(config) && Object.isFrozen(api.upstream))
    assert.throws(() => {
      ;(config as { workers: number }).workers = 3
    }, TypeError)
  })

  test('the files an OpenAPI document refers to are watched, and an edit to one alone changes its API’s digest', () => {
    const schemas = write('refs-schemas.yaml', 'Item: { type: object, properties: { name: { type: string, maxLength: 3 } } }\n')
    // In YAML with the reference unquoted, and one in JSON style: both are files the document reaches.
    write('refs-more.json', '{ "Tag": { "type": "string" } }')
    write(
      'refs-api.yaml',
      `openapi: 3.1.0
info: { title: t, version: '1' }
paths:
  /items:
    post:
      requestBody: { content: { application/json: { schema: { $ref: refs-schemas.yaml#/Item } } } }
      parameters: [{ name: tag, in: query, schema: { "$ref": "refs-more.json#/Tag" } }]
      responses: { '200': { description: ok } }
`,
    )
    const plain = write('refs-plain.yaml', `openapi: 3.1.0\ninfo: { title: t, version: '1' }\npaths: { /x: { get: { responses: { '200': { description: ok, content: { application/json: { schema: { $ref: '#/components/schemas/X' } } } } } } } }\ncomponents: { schemas: { X: { type: string } } }\n`)
    const file = write('refs.yaml', `${minimal}    openapi: refs-api.yaml\n  - { name: plain, basePath: /plain, upstream: http://127.0.0.1:3000, openapi: refs-plain.yaml }\n`)
    const first = loader.load(file)
    assert.ok(first.files.includes(schemas), 'the referenced file is watched')
    assert.ok(first.files.includes(join(dir, 'refs-more.json')))
    assert.ok(first.files.includes(plain))
    assert.deepEqual(loader.load(file).apiDigests, first.apiDigests)
    write('refs-schemas.yaml', 'Item: { type: object, properties: { name: { type: string, maxLength: 30 } } }\n')
    const changed = loader.load(file)
    assert.notEqual(changed.apiDigests[0], first.apiDigests[0], 'an edit to the referenced file alone rebuilds the API')
    assert.equal(changed.apiDigests[1], first.apiDigests[1])
  })

  test('telemetry.tracing: off by default with its defaults; a ratio past 1 or an endpoint without a scheme is refused', () => {
    assert.deepEqual(loader.load(write('minimal.yaml', minimal)).config.telemetry, {
      tracing: { enabled: false, endpoint: 'http://127.0.0.1:4318/v1/traces', sampleRatio: 0.01, serviceName: 'portcullis', headers: {}, maxQueueSize: 2048, exportIntervalMs: 5000, exportTimeoutMs: 10000 },
    })
    const traced = loader.load(write('traced.yaml', `${minimal}telemetry: { tracing: { enabled: true, sampleRatio: 0.5, headers: { authorization: "\${env:SECRET}" } } }\n`))
    assert.equal(traced.config.telemetry.tracing.sampleRatio, 0.5)
    assert.deepEqual(traced.config.telemetry.tracing.headers, { authorization: 's3cr3t' })
    const problems = problemsOf(() => loader.load(write('bad-tracing.yaml', `${minimal}telemetry: { tracing: { sampleRatio: 2, endpoint: collector:4318 } }\n`)))
    assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), ['telemetry.tracing.endpoint', 'telemetry.tracing.sampleRatio'])
  })

  test('reads JSON as well as YAML', () => {
    const file = write('c.json', JSON.stringify({ listen: { http: 1 }, apis: [{ name: 'a', upstream: { url: 'http://127.0.0.1:1' } }] }))
    assert.equal(loader.load(file).config.apis[0]!.name, 'a')
  })

  test('resolves ${env:…} and ${file:…} references without echoing values', () => {
    write('secret.txt', 'from-file\n')
    const file = write(
      'refs.yaml',
      `${minimal}
admin: { listen: 127.0.0.1:9090, auth: { tokenHash: "\${env:ADMIN_HASH}" } }
`,
    )
    assert.equal(loader.load(file).config.admin?.auth.tokenHash, 'a'.repeat(64))
    const missing = write('missing.yaml', `${minimal}\nadmin: { auth: { tokenHash: "\${env:NOPE}" } }\n`)
    assert.deepEqual(problemsOf(() => loader.load(missing)), ['admin.auth.tokenHash: environment variable NOPE is not set'])
    const badFile = write('badfile.yaml', `${minimal}\nadmin: { auth: { tokenHash: "\${file:nope.txt}" } }\n`)
    assert.deepEqual(problemsOf(() => loader.load(badFile)), ['admin.auth.tokenHash: cannot read nope.txt: ENOENT'])
    const wrongSecret = write('wrong.yaml', `${minimal}\nadmin: { auth: { tokenHash: "\${file:secret.txt}" } }\n`)
    const problems = problemsOf(() => loader.load(wrongSecret))
    assert.equal(problems.join('\n').includes('from-file'), false, 'a secret value is never echoed')
    assert.match(problems[0] ?? '', /^admin\.auth\.tokenHash: must be the hex SHA-256/)
  })

  test('${env:NAME:-default} takes the default when NAME is unset or empty', () => {
    const file = write('defaults.yaml', `${minimal}
stores: { data: "sqlite:\${env:PORTCULLIS_TEST_UNSET_DB:-./fallback.db}" }
`)
    assert.equal(loader.load(file).config.stores.data, 'sqlite:./fallback.db')
    const set = createConfigLoader(builtinPolicies, { ...process.env, PORTCULLIS_TEST_UNSET_DB: '/var/lib/x.db' })
    assert.equal(set.load(file).config.stores.data, 'sqlite:/var/lib/x.db')
  })

  test('reports every problem with its path, unknown keys with a suggestion', () => {
    const file = write(
      'bad.yaml',
      `
listen: { http: 8080 }
wrokers: 2
apis:
  - name: Orders
    upstream: { url: ftp://x, timout: 5 }
    policies:
      corz: {}
      cors: { origins: [https://a.example], maxAgeSeconds: -1 }
      security-headers: { frameOptions: NOPE }
`,
    )
    assert.deepEqual(problemsOf(() => loader.load(file)).sort(), [
      'apis[0].name: must be lower-case letters, digits, `.`, `_` or `-`',
      'apis[0].policies.cors.maxAgeSeconds: must be >= 0',
      'apis[0].policies.corz: unknown key (did you mean "cors"?)',
      'apis[0].policies.security-headers.frameOptions: must be one of: "DENY", "SAMEORIGIN", "off"',
      'apis[0].upstream.timout: unknown key',
      'apis[0].upstream.url: must be a URL (http:// or https://, no query or fragment)',
      'wrokers: unknown key (did you mean "workers"?)',
    ].sort())
  })

  test('a value too short says how long it must be; "must not be empty" only for an empty one', () => {
    const file = write(
      'lengths.yaml',
      `
listen: { http: 8080 }
admin: { auth: { tokenHash: ${'c'.repeat(40)} } }
identity:
  jwt: { issuer: https://id.example, audiences: [orders], algorithms: [HS256], secret: a-short-secret }
apis:
  - name: orders
    openapi: ''
    upstream: http://127.0.0.1:3000
    policies:
      masking: { hashKey: short }
`,
    )
    assert.deepEqual(problemsOf(() => loader.load(file)).sort(), [
      'admin.auth.tokenHash: must be the hex SHA-256 of the admin token (64 lower-case hex digits)',
      'apis[0].openapi: must not be empty',
      'apis[0].policies.masking.hashKey: must be at least 16 characters long',
      'identity.jwt.secret: must be at least 32 characters long',
    ])
  })

  test('cross-field checks: listeners, loopback admin, dashboard OIDC without an allow rule, duplicates, CIDRs, policy checks, routes', () => {
    const file = write(
      'cross.yaml',
      `
listen: {}
admin: { listen: 0.0.0.0:9090, auth: { tokenHash: ${'b'.repeat(64)} }, dashboard: { oidc: { issuer: https://id.example, clientId: dash, clientSecret: s } } }
trustedProxies: [10.0.0.0/8, not-a-cidr]
apis:
  - name: a
    upstream: { url: http://127.0.0.1:1, targets: [http://127.0.0.1:2] }
    policies:
      cors: { origins: ['*'], credentials: true }
      ip-filter: { allow: [10.0.0.0/40] }
    routes:
      getThing: {}
      "GET /x/{id": {}
  - name: a
    upstream: http://127.0.0.1:1
`,
    )
    assert.deepEqual(problemsOf(() => loader.load(file)).sort(), [
      'admin.dashboard.oidc: must name who may sign in: allowedSubjects or requiredClaim (otherwise every account at the provider would be an administrator)',
      'admin.listen: must be a loopback address (127.0.0.1, ::1, localhost) unless admin.allowRemote is true',
      'apis[0].policies.cors.origins: must list origins explicitly when credentials is true (`*` with credentials is refused)',
      'apis[0].policies.ip-filter.allow[0]: must be an IP address or CIDR range',
      'apis[0].routes.getThing: is an operationId but the API has no openapi document',
      'apis[0].routes["GET /x/{id"]: route template has an unbalanced or invalid parameter in "{id"',
      'apis[0].upstream: must have either url or targets (not both)',
      'apis[1].basePath: apis[0] (a) already serves / on host *: versions at the same path need a `versioning` block (the same on each) to tell them apart',
      'apis[1].name: duplicates the name of apis[0] (a): entries that share a name are versions of one API, each with its own `version`',
      'listen: must define http or https (or both)',
      'trustedProxies[1]: must be an IP address or CIDR range',
    ])
  })

  test('derives routes from the OpenAPI document and applies overrides by operationId', () => {
    write(
      'spec.yaml',
      `openapi: 3.0.3
info: { title: t, version: '1' }
paths:
  /orders/{id}:
    get: { operationId: getOrder, responses: { '200': { description: ok } } }
    delete: { operationId: deleteOrder, responses: { '204': { description: ok } } }
`,
    )
    const file = write(
      'spec-config.yaml',
      `${minimal}    openapi: spec.yaml
    routes:
      deleteOrder: { ip-filter: { allow: [127.0.0.1] } }
      "POST /orders": { cors: false }
      getMissing: {}
`,
    )
    assert.deepEqual(problemsOf(() => loader.load(file)), ['apis[0].routes.getMissing: no operation has this operationId in the OpenAPI document'])
    writeFileSync(file, `${minimal}    openapi: spec.yaml\n    routes:\n      deleteOrder: { ip-filter: { allow: [127.0.0.1] } }\n      "POST /orders": { cors: false }\n`)
    const routes = loader.load(file).routes[0]!
    assert.deepEqual(
      routes.map((r) => [r.method, r.template, r.operationId, r.overrides]),
      [
        ['GET', '/orders/{id}', 'getOrder', {}],
        ['DELETE', '/orders/{id}', 'deleteOrder', { 'ip-filter': { allow: ['127.0.0.1'], deny: [], onFailure: 'closed' } }],
        ['POST', '/orders', null, { cors: false }],
      ],
    )
  })

  test('a missing or unparsable file says where', () => {
    assert.match(problemsOf(() => loader.load(join(dir, 'absent.yaml')))[0] ?? '', /cannot read .*absent\.yaml: ENOENT/)
    const broken = write('broken.yaml', 'listen: [\n')
    assert.match(problemsOf(() => loader.load(broken))[0] ?? '', /broken\.yaml: .+/)
  })
})

describe('what a policy declares instead of the core knowing it', () => {
  const houseRules = definePolicy({
    name: 'house-rules',
    priority: 1,
    description: 'A policy that reads a file its config names and owns a top-level section.',
    configSchema: Type.Object({ file: Type.String() }),
    sections: {
      houses: {
        schema: Type.Record(Type.String(), Type.Integer(), { default: {} }),
        check: (houses) => Object.entries(houses).flatMap(([name, floors]) => (floors < 0 ? [{ path: name, message: 'must not be negative' }] : [])),
      },
    },
    files: (config) => [config.file],
    create: () => ({}),
  })
  const loader = createConfigLoader([...builtinPolicies, houseRules], {})
  const config = (houses: string) => `
listen: { http: 8080 }
houses: ${houses}
apis:
  - { name: ruled, basePath: /ruled, upstream: http://127.0.0.1:3000, policies: { house-rules: { file: house-rules.txt } } }
  - { name: free, basePath: /free, upstream: http://127.0.0.1:3000 }
`

  test('the files a setting names are watched, and a changed file changes only its API’s digest', () => {
    const rules = write('house-rules.txt', 'shoes off')
    const file = write('declared.yaml', config('{ tower: 3 }'))
    const first = loader.load(file)
    assert.ok(first.files.includes(rules))
    assert.deepEqual(loader.load(file).apiDigests, first.apiDigests)
    write('house-rules.txt', 'shoes on')
    const changed = loader.load(file)
    assert.notEqual(changed.apiDigests[0], first.apiDigests[0])
    assert.equal(changed.apiDigests[1], first.apiDigests[1])
  })

  test('a declared section is part of the schema and checked with its path', () => {
    write('house-rules.txt', 'shoes off')
    assert.deepEqual(loader.load(write('declared.yaml', config('{ tower: 3 }'))).config.houses, { tower: 3 })
    assert.deepEqual(problemsOf(() => loader.load(write('declared.yaml', config('{ tower: -1 }')))), ['houses.tower: must not be negative'])
    assert.match(problemsOf(() => loader.load(write('declared.yaml', config('{ tower: x }'))))[0] ?? '', /^houses\.tower: /)
  })

  test('a section the core or another policy already has is refused when the loader is built', () => {
    const clash = definePolicy({ name: 'clash', priority: 1, description: 'Claims the apis section.', configSchema: Type.Object({}), sections: { apis: { schema: Type.Object({}) } }, create: () => ({}) })
    assert.throws(() => createConfigLoader([...builtinPolicies, clash]), /clash declares the config section apis, which the gateway already has/)
  })
})
