import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Value } from '@sinclair/typebox/value'
import { allowedContentTypeList, contentTypeFamilyRules, MEDIA_TYPE_ENTRY } from './content-types.js'
import { WafConfig } from './schema.js'

describe('allowedContentTypes', () => {
  test('the default admits the application/*+json family', () => {
    const config = Value.Default(WafConfig, {}) as { allowedContentTypes: string[] }
    assert.ok(config.allowedContentTypes.includes('application/*+json'))
    assert.ok(config.allowedContentTypes.includes('application/json'))
  })

  test('entries are media types or families, nothing that could leave the SecLang string', () => {
    for (const entry of ['application/json', 'Application/JSON', 'application/*+json', 'application/vnd.api+json', 'text/plain']) assert.ok(MEDIA_TYPE_ENTRY.test(entry), entry)
    for (const entry of ['text/plain; charset=utf-8', "a/b'", 'a|b/c', '*/*', 'application/*', 'application/x+*', '']) assert.equal(MEDIA_TYPE_ENTRY.test(entry), false, entry)
  })

  test('the CRS list holds the exact types, lower-case; families become rules', () => {
    const entries = ['application/json', 'Text/Plain', 'application/*+json', 'application/*+xml', 'application/*+json']
    assert.equal(allowedContentTypeList(entries), '|application/json| |text/plain|')
    const rules = contentTypeFamilyRules(entries).split('\n')
    assert.equal(rules.length, 2)
    assert.match(rules[0] ?? '', /^SecRule REQUEST_HEADERS:Content-Type "@rx \^\(application\/.*\\\+json\)/)
    assert.match(rules[0] ?? '', /id:9000910,phase:1,.*capture,setvar:'tx\.allowed_request_content_type=%\{tx\.allowed_request_content_type\} \|%\{tx\.1\}\|'/)
    assert.match(rules[1] ?? '', /\\\+xml\).*id:9000911,/)
    assert.equal(contentTypeFamilyRules(['application/json']), '')
  })
})
