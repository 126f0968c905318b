import assert from 'node:assert/strict'
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { BufferedSink } from './buffered-sink.js'

test('writes every line in order across buffers, asynchronously and on flushSync', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'portcullis-sink-')), 'out.log')
  const fd = openSync(file, 'a')
  const sink = new BufferedSink(fd, { bufferBytes: 1024, flushIntervalMs: 20 })
  const lines = Array.from({ length: 500 }, (_, i) => `{"n":${i},"text":"line ${i} é ${'x'.repeat(i % 50)}"}\n`)
  for (const line of lines.slice(0, 250)) sink.write(line)
  await new Promise((r) => setTimeout(r, 100))
  for (const line of lines.slice(250)) sink.write(line)
  sink.write(`${'y'.repeat(5000)}\n`)
  await new Promise((r) => setTimeout(r, 100))
  sink.flushSync()
  closeSync(fd)
  const written = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')
  assert.equal(written.length, 501)
  assert.deepEqual(written.slice(0, 500), lines.map((l) => l.trimEnd()))
  assert.equal(written[500], 'y'.repeat(5000))
  assert.equal(sink.dropped, 0)
})

test('drops (and counts) lines past the bound instead of growing without limit', () => {
  const fd = openSync('/dev/null', 'a')
  const sink = new BufferedSink(fd, { bufferBytes: 1024, maxBufferedBytes: 4096, flushIntervalMs: 10_000 })
  // No flush can run inside this synchronous loop, so the queue only grows.
  for (let i = 0; i < 1000; i++) sink.write(`${'z'.repeat(100)}\n`)
  assert.ok(sink.dropped > 0)
  sink.flushSync()
  closeSync(fd)
})
