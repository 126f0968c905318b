/**
 * The `waf` policy with Debian's OWASP CRS package (`apt install modsecurity-crs`: CRS 3.3 in
 * /usr/share/modsecurity-crs, its setup in /etc/modsecurity/crs), named as a user names it —
 * `ruleSet: /usr/share/modsecurity-crs` — through a real gateway in front of a real upstream.
 * Installed on demand when missing (test/helpers/third-party.ts). Attacks of each kind the rules
 * target, in query strings, JSON bodies and headers, are answered 403 with CRS 3.3's rule ids
 * logged; ordinary API traffic in several languages passes; the paranoia level changes what is
 * blocked; the rules whose PCRE patterns run as linear-time equivalents block what they should.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { DEBIAN_CRS_DIR, skipWithoutDebianCrs } from '../helpers/third-party.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

const skip = skipWithoutDebianCrs()
const JSON_TYPE = { 'content-type': 'application/json' }

/** What an API client sends with every request (CRS scores a numeric Host and a missing User-Agent). */
const CLIENT_HEADERS = { host: 'api.example.test', 'user-agent': 'shop-client/2.1 (+https://example.test)', accept: 'application/json' }

type Init = { headers?: Record<string, string>; body?: string }

async function call(gw: TestGateway, method: string, path: string, init: Init = {}) {
  const response = await request(`${gw.url}${path}`, { method: method as 'GET', headers: { ...CLIENT_HEADERS, ...init.headers }, body: init.body })
  const text = await response.body.text()
  const code = response.statusCode === 200 ? null : ((JSON.parse(text) as { code?: string }).code ?? null)
  return { status: response.statusCode, code, requestId: String(response.headers['x-request-id']) }
}

/** The rule ids the WAF logged for a request (its block or report line). */
function loggedRules(gw: TestGateway, requestId: string, message = 'request blocked by the WAF'): number[] {
  const line = gw.logLines().find((l) => l.msg === message && l.requestId === requestId)
  return ((line?.rules ?? []) as { id: number }[]).map((r) => r.id)
}

describe("waf with Debian's OWASP CRS 3.3 package (modsecurity-crs)", { skip }, () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream((req, res) => {
      const php = req.url === '/source'
      const xml = req.url === '/xml'
      const body = php ? '<?php $db_password = "s3cret"; ?>' : xml ? '<?xml version="1.0"?><order id="1"/>' : '{"ok":true}'
      res.writeHead(200, { 'content-type': php ? 'text/html' : xml ? 'application/xml' : 'application/json' }).end(body)
    })
    const config = baseConfig(upstream.url)
    config.apis = [
      { name: 'strict', basePath: '/strict', upstream: { url: upstream.url }, policies: { waf: { ruleSet: DEBIAN_CRS_DIR, paranoia: 2 } } },
      { name: 'leaky', basePath: '/leaky', upstream: { url: upstream.url }, policies: { waf: { ruleSet: DEBIAN_CRS_DIR, inspectResponses: true } } },
      { name: 'shop', basePath: '/', upstream: { url: upstream.url }, policies: { waf: { ruleSet: DEBIAN_CRS_DIR } } },
    ]
    gw = await startTestGateway(config)
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  test('attacks of each kind, in query strings, JSON bodies and headers, are blocked by the rules that target them', async () => {
    const q = encodeURIComponent
    const json = (value: unknown): Init => ({ headers: JSON_TYPE, body: JSON.stringify(value) })
    // [what, method, path, request, CRS 3.3 rules that must be among those logged]
    const attacks: [string, string, string, Init, number[]][] = [
      ['SQLi, query', 'GET', `/orders?id=${q("1' OR '1'='1")}`, {}, [942100]],
      ['SQLi, JSON', 'POST', '/orders', json({ id: '1 UNION SELECT password FROM users' }), [942100, 942190, 942270, 942360]],
      ['SQLi, a vertical tab for a space (PCRE\u2019s \\s)', 'GET', `/orders?id=${q('1 union\vselect password from users')}`, {}, [942190, 942360]],
      ['SQLi, cookie', 'GET', '/orders', { headers: { cookie: `session=${q("1' UNION SELECT password FROM users--")}` } }, [942100]],
      ['XSS, query', 'GET', `/search?q=${q('<script>alert(1)</script>')}`, {}, [941100, 941110, 941160]],
      ['XSS, JSON', 'POST', '/comments', json({ text: '<img src=x onerror=alert(1)>' }), [941100]],
      ['XSS, Referer', 'GET', '/orders', { headers: { referer: 'https://a.example/<script>alert(1)</script>' } }, [941110, 941160]],
      ['path traversal, query', 'GET', '/files?name=..%2f..%2f..%2fetc%2fpasswd', {}, [930100, 930110, 930120]],
      ['path traversal, JSON', 'POST', '/files', json({ path: '../../../etc/shadow' }), [930110, 930120]],
      ['path traversal, header', 'GET', '/files', { headers: { 'x-file': '../../../../etc/passwd' } }, [930100, 930110]],
      ['command injection, query', 'GET', `/ping?host=${q('127.0.0.1; cat /etc/passwd')}`, {}, [932100, 932160]],
      ['command injection, JSON', 'POST', '/ping', json({ host: '$(cat /etc/passwd)' }), [932100, 932130]],
      ['command injection, header (Shellshock)', 'GET', '/', { headers: { 'user-agent': "() { :; }; /bin/bash -c 'cat /etc/passwd'" } }, [932170]],
      ['PHP injection, query', 'GET', `/render?tpl=${q("<?php system($_GET['c']); ?>")}`, {}, [933100]],
      ['PHP injection, JSON', 'POST', '/render', json({ tpl: "<?php system($_GET['c']); ?>" }), [933100]],
      ['remote file inclusion, query', 'GET', `/page?url=${q('http://203.0.113.7/shell.txt?')}`, {}, [931100, 931120]],
      ['remote file inclusion, JSON', 'POST', '/page', json({ url: 'http://203.0.113.7/shell.txt' }), [931100]],
      ['Java, query', 'GET', `/run?expr=${q('java.lang.Runtime.getRuntime().exec("id")')}`, {}, [944100, 944110]],
      ['Java, JSON', 'POST', '/run', json({ type: 'java.lang.ProcessBuilder' }), [944100, 944110]],
      ['scanner, User-Agent', 'GET', '/', { headers: { 'user-agent': 'sqlmap/1.7.2#stable (https://sqlmap.org)' } }, [913100]],
    ]
    for (const [what, method, path, init, rules] of attacks) {
      upstream.requests.length = 0
      const answer = await call(gw, method, path, init)
      assert.deepEqual({ status: answer.status, code: answer.code }, { status: 403, code: 'GW_ERR_WAF_BLOCKED' }, what)
      assert.equal(upstream.requests.length, 0, `${what}: never forwarded`)
      const logged = loggedRules(gw, answer.requestId)
      for (const rule of rules) assert.ok(logged.includes(rule), `${what}: rule ${rule} among ${JSON.stringify(logged)}`)
    }
  })

  test('ordinary API traffic passes: JSON in several languages, query strings, PUT, PATCH and DELETE', async () => {
    const benign: [string, string, Init][] = [
      ['GET', '/search?q=coffee%20beans&page=2&sort=price_asc&lang=fr-FR', {}],
      ['GET', `/search?q=${encodeURIComponent('café crème')}&from=2024-01-01&to=2024-12-31`, {}],
      ['GET', `/customers?name=${encodeURIComponent("O'Reilly")}`, {}],
      ['POST', '/orders', { headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ name: 'José Müller', city: 'Zürich', note: 'Bitte an der Tür abgeben; danke!' }) }],
      ['POST', '/reviews', { headers: JSON_TYPE, body: JSON.stringify({ name: '山田太郎', comment: '素晴らしい商品です。また買います！' }) }],
      ['POST', '/messages', { headers: JSON_TYPE, body: JSON.stringify({ name: 'Алексей', message: 'Привет, как дела? Всё хорошо.' }) }],
      ['POST', '/posts', { headers: JSON_TYPE, body: JSON.stringify({ title: 'مرحبا بالعالم', body: 'هذا نص عادي', tags: ['news', 'deals'] }) }],
      ['POST', '/notes', { headers: JSON_TYPE, body: JSON.stringify({ text: 'Ελληνικά κείμενο, με τόνους.', count: 3, done: false }) }],
      ['PUT', '/orders/42', { headers: JSON_TYPE, body: JSON.stringify({ customer: "Shaquille O'Neal", items: [{ sku: 'A-1', qty: 2 }], note: 'leave at the door; ring twice & wait' }) }],
      ['PATCH', '/orders/42', { headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ status: 'shipped' }) }],
      ['DELETE', '/orders/42', {}],
      ['GET', '/orders', { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'accept-language': 'de-CH,de;q=0.9,en;q=0.8' } }],
    ]
    for (const [method, path, init] of benign) assert.equal((await call(gw, method, path, init)).status, 200, `${method} ${path} ${init.body ?? ''}`)
  })

  test('the paranoia level is the one CRS 3.3 reads: a paranoia-level-2 rule blocks only at paranoia 2', async () => {
    // 942130 (SQL tautology, paranoia level 2) is one of the rules whose PCRE pattern (a backreference) runs as a scanner.
    for (const value of ['x=x', '1 rlike 1']) {
      const path = `/items?filter=${encodeURIComponent(value)}`
      assert.equal((await call(gw, 'GET', path)).status, 200, `${value} at paranoia 1`)
      const strict = await call(gw, 'GET', `/strict${path}`)
      assert.equal(strict.status, 403, `${value} at paranoia 2`)
      assert.ok(loggedRules(gw, strict.requestId).includes(942130), `${value}: 942130`)
    }
    const differs = await call(gw, 'GET', `/strict/items?filter=${encodeURIComponent('x=y')}`)
    assert.equal(differs.status, 200, `no tautology: ${JSON.stringify(loggedRules(gw, differs.requestId))}`)
  })

  test('the rules whose PCRE patterns run as equivalents, and the one whose pattern is a macro, block what they target', async () => {
    const upload = (filename: string): Init => ({
      headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
      body: `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n`,
    })
    const cases: [string, string, Init, number | null][] = [
      ['a quote in an uploaded file name (920120, lookbehind)', '/upload', upload("a'b.txt"), 920120],
      ['an HTML entity in an uploaded file name', '/upload', upload('r&eacute;sum&eacute;.txt'), null],
      ['Accept with charset utf-7 (920600, possessive quantifiers)', '/orders', { headers: { accept: 'text/html; charset=utf-7' } }, 920600],
      ['Accept with charset utf-8', '/orders', { headers: { accept: 'text/html; charset=utf-8, */*' } }, null],
      ['Content-Type with charset utf-7 (920480, pattern from a macro)', '/orders', { headers: { 'content-type': 'application/json; charset=utf-7' }, body: '{}' }, 920480],
    ]
    for (const [what, path, init, rule] of cases) {
      const answer = await call(gw, init.body === undefined ? 'GET' : 'POST', path, init)
      assert.equal(answer.status, rule === null ? 200 : 403, what)
      if (rule !== null) assert.ok(loggedRules(gw, answer.requestId).includes(rule), `${what}: ${rule}`)
    }
  })

  test('responses: PHP source leaking out is blocked (953120, lookahead), an XML declaration is not', async () => {
    const leak = await call(gw, 'GET', '/leaky/source')
    assert.deepEqual({ status: leak.status, code: leak.code }, { status: 403, code: 'GW_ERR_WAF_BLOCKED' })
    assert.ok(loggedRules(gw, leak.requestId, 'response blocked by the WAF').includes(953120))
    assert.equal((await call(gw, 'GET', '/leaky/xml')).status, 200)
  })
})
