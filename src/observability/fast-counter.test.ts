import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Registry } from 'prom-client'
import { FastCounter } from './fast-counter.js'

test('a fast counter adds per combination of label values and shows them at scrape time', async () => {
  const registry = new Registry()
  const decisions = new FastCounter({ name: 'decisions_total', help: 'decisions', labelNames: ['api', 'decision', 'rule'], registers: [registry] })
  for (let i = 0; i < 3; i++) decisions.inc('orders', 'allow', 'requirements')
  decisions.inc('orders', 'deny', 'requirements')
  decisions.inc('billing', 'allow', 'requirements')
  // Values that would collide if joined naively stay apart.
  decisions.inc('a\u0000b', 'c', 'd')
  decisions.inc('a', 'b\u0000c', 'd')
  const text = await registry.metrics()
  assert.match(text, /decisions_total\{api="orders",decision="allow",rule="requirements"\} 3/)
  assert.match(text, /decisions_total\{api="orders",decision="deny",rule="requirements"\} 1/)
  assert.match(text, /decisions_total\{api="billing",decision="allow",rule="requirements"\} 1/)
  assert.equal((text.match(/^decisions_total\{/gm) ?? []).length, 5)
  const outcomes = new FastCounter({ name: 'outcomes_total', help: 'outcomes', labelNames: ['api', 'method', 'outcome', 'reason'], registers: [registry] })
  outcomes.inc('orders', 'apiKey', 'accepted', '')
  outcomes.inc('orders', 'apiKey', 'accepted', '')
  assert.match(await registry.metrics(), /outcomes_total\{api="orders",method="apiKey",outcome="accepted",reason=""\} 2/)
  assert.throws(() => new FastCounter({ name: 'wide_total', help: 'too wide', labelNames: ['a', 'b', 'c', 'd', 'e'], registers: [registry] }), /one to four labels/)
})
