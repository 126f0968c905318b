import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Counter, Registry } from 'prom-client'
import { parsePrometheusText } from './prometheus-text.js'

test('reads back what prom-client writes, escaped label values included', async () => {
  const registry = new Registry()
  const counter = new Counter({ name: 'x_total', help: 'x', labelNames: ['a', 'b'], registers: [registry] })
  counter.labels('plain', 'quote " back \\ slash\nline').inc(3)
  counter.labels('', 'comma,brace}').inc()
  new Counter({ name: 'other_total', help: 'o', registers: [registry] }).inc(7)
  const samples = parsePrometheusText(await registry.metrics(), new Set(['x_total']))
  assert.deepEqual(samples, [
    { name: 'x_total', labels: { a: 'plain', b: 'quote " back \\ slash\nline' }, value: 3 },
    { name: 'x_total', labels: { a: '', b: 'comma,brace}' }, value: 1 },
  ])
  assert.deepEqual(
    parsePrometheusText('# HELP y\nother_total 7\nbroken{a="x" 1\nunlabelled 2 1700000000000\n').map((s) => [s.name, s.value]),
    [
      ['other_total', 7],
      ['unlabelled', 2],
    ],
  )
})
