import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ServerClock } from './server-clock.js'

test('the bound is the tightest answer of the recent windows: one late answer does not loosen it', () => {
  const clock = new ServerClock()
  assert.equal(clock.lowerBound('', 0), null)
  // Redis runs 1000 ms ahead; answers are read 0.2 ms after they ran, one 40 ms late.
  clock.observe('', 1000 + 1000, 1000.2)
  for (let t = 1001; t < 12_000; t += 100) clock.observe('', t + 1000, t + 0.5)
  clock.observe('', 12_000 + 1000, 12_040)
  assert.ok(Math.abs((clock.lowerBound('', 12_040) as number) - 999.8) < 1e-9, 'the tight answer of the last window still holds')
  for (let t = 12_100; t < 23_000; t += 100) clock.observe('', t + 1000, t + 0.5)
  assert.ok(Math.abs((clock.lowerBound('', 23_000) as number) - 999.5) < 1e-9, 'past two windows the older tight answer has aged out')
})

test('a clock stepped back on the server is followed within two windows', () => {
  const clock = new ServerClock()
  for (let t = 0; t < 5000; t += 100) clock.observe('a', t + 5000, t + 1)
  assert.equal(clock.lowerBound('a', 5000), 4999)
  for (let t = 5000; t < 30_000; t += 100) clock.observe('a', t + 3000, t + 1)
  assert.equal(clock.lowerBound('a', 30_000), 2999)
  assert.equal(clock.lowerBound('a', 30_000 + 21_000), null, 'no answer in two windows: learnt again')
  assert.equal(clock.lowerBound('b', 30_000), null, 'shards are apart')
  clock.forget()
  assert.equal(clock.lowerBound('a', 30_000), null)
})
