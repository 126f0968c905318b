import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ERROR_CODES, OPERATOR_ERROR_CODES } from './errors.js'

const docs = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')

test('docs/errors.md lists every code with its status, and no code that does not exist', () => {
  for (const [code, { status, title }] of Object.entries(ERROR_CODES)) {
    assert.ok(docs.includes(`| \`${code}\` | ${status} | ${title} |`), `${code} is documented with status ${status}`)
  }
  for (const code of Object.keys(OPERATOR_ERROR_CODES)) assert.ok(docs.includes(`| \`${code}\` |`), `${code} is documented`)
  const documented = [...docs.matchAll(/\| `(GW_ERR_\w+)` \|/g)].map((m) => m[1])
  const known = new Set([...Object.keys(ERROR_CODES), ...Object.keys(OPERATOR_ERROR_CODES)])
  for (const code of documented) assert.ok(known.has(code as string), `${code} in the docs exists in src/errors.ts`)
})

test('codes follow GW_ERR_<AREA>_<WHAT> and client codes map to error statuses', () => {
  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^GW_ERR_[A-Z]+(_[A-Z]+)*$/)
    assert.ok(status >= 400 && status <= 599, code)
  }
})
