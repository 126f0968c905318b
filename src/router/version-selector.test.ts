import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { versionsNamedInAccept } from './accept-versions.js'
import { createVersionSelector, NO_VERSION, UNKNOWN_VERSION } from './version-selector.js'

describe('versions named in Accept', () => {
  const byParameter = (accept: string) => versionsNamedInAccept(accept, 'version', null)
  const vendor = { prefix: 'application/vnd.example.v', suffix: '+json' }

  test('a media-type parameter, in weight order, ties in the order sent; q=0 names nothing', () => {
    assert.deepEqual(byParameter('application/json; version=2'), ['2'])
    assert.deepEqual(byParameter('application/json;version=1;q=0.5, application/json; version=2, text/plain'), ['2', '1'])
    assert.deepEqual(byParameter('application/json; version=1, application/xml; version=3'), ['1', '3'])
    assert.deepEqual(byParameter('application/json; version=2; q=0, application/json'), [])
    assert.deepEqual(byParameter('application/json; Version="2"'), ['2'], 'parameter names are case-insensitive; values may be quoted')
    assert.deepEqual(byParameter('application/json; profile="a,b"; version=4, */*'), ['4'], 'a comma inside a quoted string does not split ranges')
    assert.deepEqual(byParameter('*/*'), [])
    assert.deepEqual(byParameter(''), [])
  })

  test('malformed ranges name nothing, the others still count', () => {
    assert.deepEqual(byParameter('application/json; version=1; q=2, application/json; version=2'), ['2'])
    assert.deepEqual(byParameter('application/json; version, application/json; version=5'), ['5'])
    assert.deepEqual(byParameter('application/json; version="7, application/json; version=5'), ['5'], 'an unclosed quote spoils its range only')
    assert.deepEqual(byParameter('json; version=3'), [])
  })

  test('a vendor media type holds the label', () => {
    assert.deepEqual(versionsNamedInAccept('application/vnd.example.v2+json', null, vendor), ['2'])
    assert.deepEqual(versionsNamedInAccept('Application/VND.example.V3+JSON;q=0.9, application/vnd.example.v4+json', null, vendor), ['4', '3'])
    assert.deepEqual(versionsNamedInAccept('application/vnd.example.v+json, application/json', null, vendor), [])
  })
})

describe('version selectors', () => {
  const versions = new Map([
    ['1', 'one'],
    ['v2', 'two'],
  ])

  test('a header: its value, compared without case; none, an empty value, a list and an unknown one', () => {
    const selector = createVersionSelector({ kind: 'header', header: 'Api-Version' })
    assert.equal(selector.vary, 'Api-Version')
    assert.equal(selector.choose({ 'api-version': ' V2 ' }, versions), 'two')
    assert.equal(selector.choose({}, versions), NO_VERSION)
    assert.equal(selector.choose({ 'api-version': '' }, versions), NO_VERSION)
    assert.equal(selector.choose({ 'api-version': '1, v2' }, versions), UNKNOWN_VERSION)
    assert.equal(selector.choose({ 'api-version': '3' }, versions), UNKNOWN_VERSION)
    assert.equal(selector.example('1'), 'Api-Version: 1')
  })

  test('Accept: the most preferred version the API has; named but unknown; not named', () => {
    const selector = createVersionSelector({ kind: 'media-type', parameter: 'version' })
    assert.equal(selector.vary, 'Accept')
    assert.equal(selector.choose({ accept: 'application/json; version=9, application/json; version=1; q=0.8' }, versions), 'one')
    assert.equal(selector.choose({ accept: 'application/json; version=9' }, versions), UNKNOWN_VERSION)
    assert.equal(selector.choose({ accept: 'application/json' }, versions), NO_VERSION)
    assert.equal(selector.choose({}, versions), NO_VERSION)
  })

  test('refusals: unknown for a header, not acceptable for Accept, required when none is named; the versions listed and the field to vary by', () => {
    const header = createVersionSelector({ kind: 'header', header: 'X-API-Version' })
    assert.deepEqual(header.refusal('unknown', ['1', 'v2']), { code: 'GW_ERR_API_VERSION_UNKNOWN', detail: 'the X-API-Version header names no version of this API', versions: ['1', 'v2'], vary: 'X-API-Version' })
    const required = header.refusal('required', ['1'])
    assert.equal(required.code, 'GW_ERR_API_VERSION_REQUIRED')
    assert.match(required.detail, /X-API-Version: 1/)
    const vendor = createVersionSelector({ kind: 'vendor', vendorType: 'application/vnd.example.v{version}+json' })
    assert.deepEqual([vendor.refusal('unknown', []).code, vendor.refusal('unknown', []).vary], ['GW_ERR_API_VERSION_NOT_ACCEPTABLE', 'Accept'])
    assert.equal(vendor.example('2'), 'Accept: application/vnd.example.v2+json')
  })
})
