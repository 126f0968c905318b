/**
 * A policy that owns a top-level section and a shared service plugs in without the core knowing
 * it: the section is validated, the service is built once per runtime (not per API or route),
 * started, asked whether it is ready, told of data-store changes, kept across reloads that leave
 * its section alone, replaced and closed when the section changes, and closed at stop; `create`
 * gets the service and what else it declared, nothing more.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Type } from '@sinclair/typebox'
import { request } from 'undici'
import { definePolicy } from '../../src/pipeline/define-policy.js'
import { builtinPolicies } from '../../src/policies/index.js'
import { baseConfig, startTestGateway } from '../helpers/gateway.js'
import { startUpstream } from '../helpers/upstream.js'

describe('a policy with its own section and shared service', () => {
  test('the runtime drives the service generically and create gets only what was declared', async () => {
    const events: string[] = []
    let ready = false
    let built = 0
    const greeting = definePolicy({
      name: 'greeting',
      priority: 100,
      description: 'test: sets x-greeting from its own top-level section, through a shared service',
      configSchema: Type.Object({ suffix: Type.String({ default: '' }) }),
      sections: { greetings: { schema: Type.Object({ text: Type.String({ default: 'hello', description: 'The greeting.' }) }, { additionalProperties: false, default: {} }) } },
      service: ({ greetings }) => {
        const id = ++built
        events.push(`built ${id} ${greetings.text}`)
        return {
          text: greetings.text,
          id,
          start: () => events.push(`start ${id}`),
          isReady: () => ready,
          onDataStoreChange: (keyId?: string) => events.push(`store ${id} ${keyId ?? '*'}`),
          close: () => events.push(`close ${id}`),
        }
      },
      needsDataStore: () => false,
      create(config, deps) {
        events.push(`create ${deps.api} counters:${'counters' in deps} dataStore:${deps.dataStore === null ? 'null' : 'open'}`)
        return {
          onRequest(ctx) {
            ctx.upstreamHeaders.set('x-greeting', `${deps.service.text}${config.suffix}#${deps.service.id}`)
          },
        }
      },
    })
    const upstream = await startUpstream()
    const config = (text: string, suffix: string) => ({
      ...baseConfig(upstream.url),
      greetings: { text },
      apis: [
        { name: 'a', basePath: '/a', upstream: { url: upstream.url }, policies: { greeting: { suffix } } },
        { name: 'b', basePath: '/b', upstream: { url: upstream.url }, policies: { greeting: {} } },
      ],
    })
    const greetingOf = async (path: string) => {
      const res = await request(`${gw.url}${path}`)
      const body = (await res.body.json()) as { headers: Record<string, string> }
      return body.headers['x-greeting']
    }
    const gw = await startTestGateway(config('hello', '!'), { policies: [...builtinPolicies, greeting] })
    try {
      assert.deepEqual(events, ['built 1 hello', 'create a counters:false dataStore:null', 'create b counters:false dataStore:null', 'start 1'])
      assert.equal(gw.gateway.isReady(), false, 'not ready while the service is not')
      ready = true
      assert.equal(gw.gateway.isReady(), true)
      assert.deepEqual([await greetingOf('/a/x'), await greetingOf('/b/x')], ['hello!#1', 'hello#1'])

      gw.gateway.forgetStoreLookups('key-1')
      gw.gateway.forgetStoreLookups()
      assert.deepEqual(events.slice(4), ['store 1 key-1', 'store 1 *'])

      // The section unchanged: the service is kept; only the changed API is compiled again.
      events.length = 0
      gw.writeConfig(config('hello', '?'))
      assert.equal((await gw.gateway.reload()).ok, true)
      assert.deepEqual(events, ['create a counters:false dataStore:null'])
      assert.equal(await greetingOf('/a/x'), 'hello?#1')

      // The section changed: a new service, started before it serves; the old one closed once retired.
      events.length = 0
      gw.writeConfig(config('hi', '?'))
      assert.equal((await gw.gateway.reload()).ok, true)
      assert.deepEqual(events, ['built 2 hi', 'create a counters:false dataStore:null', 'create b counters:false dataStore:null', 'start 2', 'close 1'])
      assert.deepEqual([await greetingOf('/a/x'), await greetingOf('/b/x')], ['hi?#2', 'hi#2'])

      // A refused section never reaches the service.
      events.length = 0
      gw.writeConfig({ ...config('hi', '?'), greetings: { text: 1 } })
      const refused = await gw.gateway.reload()
      assert.equal(refused.ok, false)
      assert.deepEqual(refused.problems.map((p) => p.path), ['greetings.text'])
      assert.deepEqual(events, [])
    } finally {
      events.length = 0
      await gw.stop()
      await upstream.close()
    }
    assert.deepEqual(events, ['close 2'])
  })
})
