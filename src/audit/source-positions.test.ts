import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LineCounter, parseDocument } from 'yaml'
import { jsonPositions, yamlPositions } from './source-positions.js'

test('JSON: members and elements by path, through escapes, empty containers and literals', () => {
  const text = '{\n  "a\\"b": {"x": [1, {"y": "q\\\\"}, []]},\n  "e": {},\n  "n": null, "t": true\n}'
  JSON.parse(text)
  const positions = jsonPositions(text)
  assert.deepEqual(positions.locate([]), { line: 1, column: 1 })
  assert.deepEqual(positions.locate(['a"b']), { line: 2, column: 11 })
  assert.deepEqual(positions.locate(['a"b', 'x', '1', 'y']), { line: 2, column: 27 })
  assert.deepEqual(positions.locate(['a"b', 'x', '2']), { line: 2, column: 35 })
  assert.deepEqual(positions.locate(['e']), { line: 3, column: 8 })
  assert.deepEqual(positions.locate(['t']), { line: 4, column: 19 })
  // Past the document: the deepest existing ancestor.
  assert.deepEqual(positions.locate(['e', 'missing', 'deeper']), { line: 3, column: 8 })
  assert.deepEqual(positions.locate(['a"b', 'x', '9']), positions.locate(['a"b', 'x']))
})

test('YAML: members located by their key, sequence items by their start', () => {
  const text = 'openapi: 3.1.0\npaths:\n  /a:\n    get:\n      parameters:\n        - name: id\n          in: path\n'
  const lines = new LineCounter()
  const positions = yamlPositions(parseDocument(text, { lineCounter: lines }), lines)
  assert.deepEqual(positions.locate(['paths', '/a', 'get']), { line: 4, column: 5 })
  assert.deepEqual(positions.locate(['paths', '/a', 'get', 'parameters', '0']), { line: 6, column: 11 })
  assert.deepEqual(positions.locate(['paths', '/a', 'get', 'parameters', '0', 'in']), { line: 7, column: 11 })
  assert.deepEqual(positions.locate(['paths', '/a', 'get', 'responses']), { line: 4, column: 5 })
})
