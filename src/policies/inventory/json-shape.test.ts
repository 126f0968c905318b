import assert from 'node:assert/strict'
import { test } from 'node:test'
import { schemaOf, ShapeRecorder } from './json-shape.js'

const LIMITS = { maxDepth: 8, maxProperties: 64, maxNodes: 256 }

test('shapes keep types, names and formats, merged across samples; never a value', () => {
  const recorder = new ShapeRecorder(LIMITS)
  recorder.observe({ id: 1, name: 'Ada', email: 'ada@example.org', at: '2026-12-07T10:00:00Z', tags: ['x'], note: null })
  recorder.observe({ id: 2.5, name: 'Grace', email: 'grace@example.org', at: '2026-12-07T11:00:00Z', tags: [], note: 'n' })
  recorder.observe({ id: 3, name: 'Linus', email: 'not an address', at: '2026-12-07T12:00:00Z' })
  const schema = schemaOf(recorder.root)
  assert.deepEqual(schema, {
    type: 'object',
    properties: {
      at: { type: 'string', format: 'date-time' },
      email: { type: 'string' },
      id: { type: 'number' },
      name: { type: 'string' },
      note: { type: ['null', 'string'] },
      tags: { type: 'array', items: { type: 'string' } },
    },
    required: ['at', 'email', 'id', 'name'],
  })
  for (const value of ['Ada', 'Grace', 'Linus', 'ada@example.org', 'not an address']) assert.ok(!JSON.stringify(schema).includes(value))
})

test('keys that are values (ids, e-mail addresses) become additionalProperties, not names', () => {
  const recorder = new ShapeRecorder(LIMITS)
  recorder.observe({ users: { '8f14e45f-ceea-467f-a0e6-1fe2d4f2e2c1': { role: 'admin' }, 'ann@example.org': { role: 'user' }, '42': { role: 'user' } } })
  assert.deepEqual(schemaOf(recorder.root).properties?.users, {
    type: 'object',
    additionalProperties: { type: 'object', properties: { role: { type: 'string' } }, required: ['role'] },
  })
})

test('depth, width and node bounds hold and are marked truncated', () => {
  const recorder = new ShapeRecorder({ maxDepth: 3, maxProperties: 4, maxNodes: 20 })
  let deep: unknown = 'leaf'
  for (let i = 0; i < 50; i++) deep = { [`level${String(i % 7 === 0 ? 1 : 2)}`]: deep }
  recorder.observe(deep)
  recorder.observe(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`field${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`, i])))
  const text = JSON.stringify(schemaOf(recorder.root))
  assert.ok(text.includes('"x-portcullis-truncated":true'))
  assert.ok((text.match(/"type"/g) ?? []).length <= 20)
})

test('e-mail values are told as the plain pattern told them', () => {
  const plain = /^[^@\s]+@[^@\s]+\.[^@\s]+$/
  const formatOf = (value: string) => {
    const recorder = new ShapeRecorder(LIMITS)
    recorder.observe({ v: value })
    return schemaOf(recorder.root).properties?.v?.format
  }
  let n = 0
  for (const a of ['', 'a', '.', '@', ' ', 'a.', '.a', 'a b']) {
    for (const b of ['', 'a', '.', 'a.b', '..', 'a.', '.a', 'a..b', ' ', 'a.b ', '@', '\n']) {
      const value = `${a}@${b}`
      assert.equal(formatOf(value) === 'email', plain.test(value), value)
      n++
    }
  }
  assert.equal(n, 96)
})

// Growth, not a time budget: values are read up to 320 characters; 8 times the value costs about 8
// times the work when linear, 64 times when quadratic (a domain of dots then a space was rescanned
// from every dot).
test('string values are read in linear time: 320 characters cost far less than 64 times 40', () => {
  const cpuMs = (value: string): number => {
    const document = { values: Array.from({ length: 200 }, () => value) }
    let best = Infinity
    for (let i = 0; i < 7; i++) {
      const recorder = new ShapeRecorder({ maxDepth: 8, maxProperties: 64, maxNodes: 4096 })
      const start = process.cpuUsage()
      for (const item of document.values) recorder.observe({ v: item })
      const used = process.cpuUsage(start)
      best = Math.min(best, (used.user + used.system) / 1000)
    }
    return best
  }
  for (const [prefix, unit, suffix] of [['a@', '.', ' '], ['a@', 'a.', '@'], ['a@', '.', '\n']] as const) {
    const smallMs = Math.max(cpuMs(prefix + unit.repeat(40 / unit.length - 3) + suffix), 0.05)
    const largeMs = cpuMs(prefix + unit.repeat(320 / unit.length - 3) + suffix)
    assert.ok(largeMs < smallMs * 24, `${JSON.stringify(prefix + unit + suffix)}: 40 characters took ${smallMs.toFixed(2)} ms, 320 ${largeMs.toFixed(2)} ms`)
  }
})
