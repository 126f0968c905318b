import { loadRuleSet, ruleFilesIn } from '../src/waf/rule-set.js'
import { WafTransaction } from '../src/waf/engine.js'
const dir = '/work/shared/crs/v4.28.0'
const rs = loadRuleSet([{ file: dir + '/crs-setup.conf.example' }, { text: `SecAction "id:9000900,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=1,setvar:tx.detection_paranoia_level=1,setvar:'tx.allowed_methods=GET HEAD POST PUT PATCH DELETE OPTIONS'"`, name: 's' }, ...ruleFilesIn(dir + '/rules').map((file) => ({ file }))])
const headers: [string, string][] = [['Host', 'api.example.com'], ['User-Agent', 'wrk'], ['Accept', 'application/json'], ['Connection', 'keep-alive']]
const body = Buffer.from(JSON.stringify({ customer: 'c-123', items: Array.from({ length: 8 }, (_, i) => ({ sku: `SKU-${1000 + i}`, qty: i + 1, price: 19.99, note: 'gift wrap please' })), shipping: { street: '1 Main Street', city: 'Lyon', postcode: '69001', country: 'FR' }, notes: 'leave at the door' }))
function run(post: boolean) {
  const tx = new WafTransaction(rs, { method: post ? 'POST' : 'GET', uri: post ? '/api/orders' : '/api/items/42?expand=owner', protocol: 'HTTP/1.1', headers: post ? [...headers, ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]] : headers, remoteAddress: '127.0.0.1' })
  tx.processRequestHeaders(); tx.processRequestBody(post ? body : null)
  return tx
}
for (const post of (process.argv[2] === "post" ? [true] : process.argv[2] === "get" ? [false] : [false, true])) {
  for (let i = 0; i < 2000; i++) run(post)
  const n = Number(process.env.N ?? 5000); const t = performance.now()
  for (let i = 0; i < n; i++) run(post)
  console.log(post ? 'POST 1KB' : 'GET', ((performance.now() - t) * 1000 / n).toFixed(1), 'µs per transaction', run(post).matched.filter(m => m.logged && !/^90|^901|^949|01[34]$/.test(String(m.id))).map(m=>m.id))
}
