import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Finding } from './findings.js'
import { scoreOf } from './score.js'

const finding = (ruleId: string, severity: Finding['severity']): Finding => ({ ruleId, severity, owasp: 'API4:2023', message: '', location: { target: 'x', pointer: '' } })

test('score: 100 when clean, falls with severity, grows with the log of a rule’s count and is capped per rule', () => {
  assert.equal(scoreOf([]), 100)
  assert.equal(scoreOf([finding('a', 'info')]), 100)
  assert.equal(scoreOf([finding('a', 'high')]), 94)
  assert.equal(scoreOf([finding('a', 'critical')]), 78)
  assert.equal(scoreOf([finding('a', 'high'), finding('a', 'high')]), 91)
  const many = Array.from({ length: 1000 }, () => finding('a', 'high'))
  assert.equal(scoreOf(many), scoreOf(many.slice(0, 16)), 'one rule costs at most three times its weight')
  assert.ok(scoreOf([finding('a', 'high'), finding('b', 'high')]) < scoreOf([finding('a', 'high'), finding('a', 'high')]))
  assert.ok(scoreOf(Array.from({ length: 40 }, (_, i) => finding(String(i), 'critical'))) >= 0)
})
