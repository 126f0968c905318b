import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkJsonText } from './json-limits.js'

const limits = { depth: 4, keys: 3, arrayLength: 3, stringLength: 5 }

test('JSON text: duplicate keys, depth, keys, array and string lengths, unsafe integers', () => {
  assert.deepEqual(checkJsonText('{"a":1,"b":[1,2,3],"c":{"d":"short"}}', limits), [])
  assert.deepEqual(checkJsonText('{"a":1,"a":2}', limits), [{ location: 'body.a', message: 'duplicate key' }])
  assert.deepEqual(checkJsonText('{"x":{"a":1,"b":{"c":1,"c":2}}}', limits), [{ location: 'body.x.b.c', message: 'duplicate key' }])
  assert.deepEqual(checkJsonText('[[[[[1]]]]]', limits), [{ location: 'body[0][0][0][0]', message: 'nested deeper than 4 levels' }])
  assert.deepEqual(checkJsonText('{"a":1,"b":2,"c":3,"d":4}', limits), [{ location: 'body', message: 'more than 3 keys' }])
  assert.deepEqual(checkJsonText('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}', limits), [{ location: 'body', message: 'more than 3 keys' }], 'once per object, not once per extra key')
  assert.deepEqual(checkJsonText('{"a":1,"a":2,"a":3}', limits), [{ location: 'body.a', message: 'duplicate key' }], 'a repeated problem is listed once')
  assert.deepEqual(checkJsonText('{"list":[1,2,3,4]}', limits), [{ location: 'body.list', message: 'array longer than 3 items' }])
  assert.deepEqual(checkJsonText('{"s":"toolong"}', limits), [{ location: 'body.s', message: 'string longer than 5 characters' }])
  assert.deepEqual(checkJsonText('{"n":[1,9007199254740993]}', limits), [{ location: 'body.n[1]', message: 'integer outside the safe range (±2^53); send it as a string' }])
  assert.deepEqual(checkJsonText('{"k":"a\\"b","k2":"\\u0041"}', limits), [], 'escapes inside strings')
  assert.deepEqual(checkJsonText('{"x":1e400,"y":-2.5e-3}', limits), [{ location: 'body.x', message: 'number outside the range of a double' }])
  assert.deepEqual(checkJsonText('["ab","cd",{"a":1}]', limits), [])
  assert.deepEqual(checkJsonText('["ab","cd","ef","gh"]', limits), [{ location: 'body', message: 'array longer than 3 items' }])
})
