import assert from 'node:assert/strict'
import { test } from 'node:test'
import { errorSummary, LogThrottle } from './log-throttle.js'

test('the first occurrence is said at once, the rest once per interval with their count', () => {
  const throttle = new LogThrottle(10_000)
  assert.equal(throttle.occurred(0), 1)
  for (let at = 1; at < 10_000; at += 1000) assert.equal(throttle.occurred(at), 0)
  assert.equal(throttle.occurred(10_000), 11, 'ten kept quiet and this one')
  assert.equal(throttle.occurred(10_001), 0)
})

test('recovery closes the episode with what was not said yet, at most once per interval', () => {
  const throttle = new LogThrottle(10_000)
  assert.equal(throttle.settled(0), null, 'nothing happened')
  assert.equal(throttle.occurred(0), 1)
  assert.equal(throttle.occurred(5), 0)
  assert.equal(throttle.settled(6), null, 'within the interval of the last line')
  assert.equal(throttle.settled(10_000), 1)
  assert.equal(throttle.settled(20_000), null, 'said once')
  assert.equal(throttle.occurred(20_001), 1, 'a new episode is said at once')
  assert.equal(throttle.settled(30_001), 0, 'ended, nothing left unsaid')
})

test('an error is summed up by its message and code, never its stack', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })
  assert.deepEqual(errorSummary(refused), { message: 'connect ECONNREFUSED 127.0.0.1:6379', code: 'ECONNREFUSED' })
  assert.deepEqual(errorSummary(new AggregateError([new Error('a'), new Error('b')])), { message: 'a; b' })
  assert.deepEqual(errorSummary('plain'), { message: 'plain' })
})
