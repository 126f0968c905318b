import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { stringify } from 'yaml'
import { ConfigError } from '../errors.js'
import { builtinPolicies } from '../policies/index.js'
import { apiIdentities, versioningOf } from './api-versions.js'
import { createConfigLoader } from './load-config.js'

const dir = mkdtempSync(join(tmpdir(), 'portcullis-versions-'))
const loader = createConfigLoader(builtinPolicies)
let files = 0

function load(apis: object[]) {
  const file = join(dir, `gateway-${files++}.yaml`)
  writeFileSync(file, stringify({ listen: { http: 8080 }, apis }))
  return loader.load(file)
}

function problemsOf(apis: object[]): string[] {
  try {
    load(apis)
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error))
    return error.problems.map((p) => `${p.path}: ${p.message}`)
  }
  assert.fail('expected a ConfigError')
}

const upstream = 'http://127.0.0.1:3000'
const byHeader = { by: 'header', default: '1' }
const version = (label: string, extra: object = {}) => ({ name: 'orders', version: label, basePath: '/orders', upstream, versioning: byHeader, ...extra })

describe('versions of one API', () => {
  test('versions at one path told apart by a header: accepted; each knows its place, and goes by name@version', () => {
    const { config } = load([version('1'), version('2'), version('3', { lifecycle: { state: 'draft' } }), { name: 'billing', basePath: '/billing', upstream }])
    assert.deepEqual(apiIdentities(config.apis), ['orders@1', 'orders@2', 'orders@3', 'billing'])
    assert.deepEqual(versioningOf(config.apis, 0), { spec: { kind: 'header', header: 'X-API-Version' }, label: '1', isDefault: true, defaultLabel: '1', listed: ['1', '2'] })
    assert.equal(versioningOf(config.apis, 1)?.isDefault, false)
    assert.equal(versioningOf(config.apis, 3), null)
  })

  test('versions of one name at different paths need no versioning block', () => {
    const { config } = load([
      { name: 'orders', version: 'v1', basePath: '/orders/v1', upstream },
      { name: 'orders', version: 'v2', basePath: '/orders/v2', upstream },
    ])
    assert.deepEqual(apiIdentities(config.apis), ['orders@v1', 'orders@v2'])
  })

  test('a shared path without a selector, two labels alike, a selector that differs, other hosts: each refused where it is written', () => {
    assert.deepEqual(problemsOf([version('1', { versioning: undefined }), version('2', { versioning: undefined })]), [
      'apis[1].basePath: apis[0] (orders 1) already serves /orders on host *: versions at the same path need a `versioning` block (the same on each) to tell them apart',
    ])
    assert.deepEqual(problemsOf([version('v2'), version('V2')]), [
      'apis[1].version: duplicates the version of apis[0] (orders v2) (labels are compared without regard to case)',
      'apis[0].versioning.default: names no version at /orders (its versions: v2, V2)',
    ])
    assert.deepEqual(problemsOf([version('1'), version('2', { versioning: { by: 'media-type', default: '1' } })]), [
      'apis[1].versioning: must be the same as apis[0].versioning: the versions at /orders share one selector and default',
    ])
    assert.deepEqual(problemsOf([version('1'), version('2', { versioning: { by: 'header', default: '2' } })]), [
      'apis[1].versioning: must be the same as apis[0].versioning: the versions at /orders share one selector and default',
    ])
    assert.deepEqual(problemsOf([version('1', { hosts: ['a.example'] }), version('2', { hosts: ['a.example', 'b.example'] })]), [
      'apis[1].hosts: must be the same as apis[0].hosts: versions told apart by versioning share their hosts and base path',
      'apis[1].versioning.default: names no version at /orders (its versions: 2)',
    ])
    assert.deepEqual(problemsOf([version('1'), { name: 'billing', basePath: '/orders', upstream }]), ['apis[1].basePath: another API already serves /orders on host * (apis[0] (orders 1))'])
  })

  test('the default names a version at the path and not a draft; labels can be named; the block’s fields fit its kind', () => {
    assert.deepEqual(problemsOf([version('1', { versioning: { by: 'header', default: '9' } })]), ['apis[0].versioning.default: names no version at /orders (its versions: 1)'])
    assert.deepEqual(problemsOf([version('1', { lifecycle: { state: 'draft' } }), version('2')]), [
      'apis[0].versioning.default: names a draft version (apis[0] (orders 1)), which is served only to its preview consumers',
    ])
    assert.deepEqual(problemsOf([version('two words')]), [
      'apis[0].version: must be letters, digits, `.`, `_` or `-` (starting with a letter or digit) to be named in a header or media type',
      'apis[0].versioning.default: names no version at /orders (its versions: two words)',
    ])
    assert.deepEqual(problemsOf([{ name: 'orders', basePath: '/orders', upstream, versioning: { by: 'header' } }]), ['apis[0].version: is required with versioning: it is the label requests name'])
    assert.deepEqual(problemsOf([version('1', { versioning: { by: 'header', parameter: 'v', default: '1' } })]), ['apis[0].versioning.parameter: applies only with by: media-type'])
    assert.deepEqual(problemsOf([version('1', { versioning: { by: 'media-type', header: 'X-V', default: '1' } })]), ['apis[0].versioning.header: applies only with by: header'])
    assert.deepEqual(problemsOf([version('1', { versioning: { by: 'media-type', vendorType: 'application/vnd.example+json' } })]), [
      'apis[0].versioning.vendorType: must be a lower-case media type holding {version} once, e.g. application/vnd.example.v{version}+json',
    ])
  })
})
