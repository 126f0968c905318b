/**
 * The CRS regression tests the in-process engine run overrides (test/fixtures/waf/crs-overrides.yaml)
 * are malformed requests Apache refuses by itself. Each is sent as raw bytes to a real gateway
 * running the CRS (paranoia 4, as the suite runs), which must refuse it too: 400 from Node's parser
 * or the gateway's core, 505 from the core for an HTTP version it does not speak (HTTP/0.9), or
 * 403 from the WAF — never pass it upstream.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { load as loadYaml } from 'js-yaml'
import { readFileSync } from 'node:fs'
import { readFtwTests, stageBytes } from '../../src/waf/conformance/ftw.js'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { rawRequest } from '../helpers/raw-http.js'
import { CRS_DIR, skipWithoutCrsRegression } from '../helpers/third-party.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const OVERRIDES = join(import.meta.dirname, '../fixtures/waf/crs-overrides.yaml')

let upstream: TestUpstream
let gw: TestGateway

before(async () => {
  if (skipWithoutCrsRegression !== false) return
  upstream = await startUpstream()
  const config = baseConfig(upstream.url)
  config.apis = [{ name: 'crs', basePath: '/', upstream: { url: upstream.url }, policies: { waf: { ruleSet: CRS_DIR, paranoia: 4 } } }]
  gw = await startTestGateway(config)
})
after(async () => {
  await gw?.stop()
  await upstream?.close()
})

test('every overridden CRS regression test is refused by the gateway end to end (400, 403 or 505)', { skip: skipWithoutCrsRegression }, async () => {
  const names = new Set((loadYaml(readFileSync(OVERRIDES, 'utf8')) as { test: string }[]).map((o) => o.test))
  const tests = readFtwTests(join(CRS_DIR, 'regression-tests')).filter((t) => names.has(t.name))
  assert.equal(tests.length, names.size, 'every override names a test of the suite')
  const port = Number(new URL(gw.url).port)
  for (const ftw of tests) {
    for (const stage of ftw.stages) {
      upstream.requests.length = 0
      const response = await rawRequest(port, [stageBytes(stage.input)])
      assert.ok([400, 403, 505].includes(response.status), `${ftw.name}: answered ${response.status}`)
      assert.equal(upstream.requests.length, 0, `${ftw.name} reached the upstream`)
    }
  }
})
