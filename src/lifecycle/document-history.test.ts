import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { DocumentHistory } from './document-history.js'

const document = (paths: string[]) => `openapi: 3.0.3
info: { title: orders, version: '1.0.0' }
paths:
${paths.map((p) => `  ${p}:\n    get:\n      responses: { '200': { description: ok } }`).join('\n')}
`

test('versions that share a name keep a document each: a change to one is reported for that version only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-history-'))
  const one = join(dir, 'one.yaml')
  const two = join(dir, 'two.yaml')
  writeFileSync(one, document(['/a', '/b']))
  writeFileSync(two, document(['/a', '/b', '/c']))
  const apis = [
    { name: 'orders', version: '1', openapi: one },
    { name: 'orders', version: '2', openapi: two },
  ]
  const history = new DocumentHistory()
  history.remember(apis)
  writeFileSync(two, document(['/a', '/b']))
  const { changes } = history.changes(apis)
  assert.deepEqual(
    changes.map((c) => [c.api, c.index, c.breaking.some((b) => JSON.stringify(b).includes('/c'))]),
    [['orders 2', 1, true]],
  )
})
