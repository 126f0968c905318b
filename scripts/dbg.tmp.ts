import { loadCrsForRegression } from '../src/waf/conformance/crs-suite.js'
import { readFtwTests } from '../src/waf/conformance/ftw.js'
import { WafTransaction } from '../src/waf/engine.js'
const rs = loadCrsForRegression('/work/shared/crs/v4.28.0')
const name = process.argv[2]
const t = readFtwTests('/work/shared/crs/v4.28.0/regression-tests').find(t => t.name === name)!
const input = t.stages[0]!.input
console.log(JSON.stringify(input).slice(0, 600))
const headers = Object.entries(input.headers ?? {}).map(([n, v]) => [n, String(v)] as [string, string])
const body = input.data === undefined ? null : Buffer.from(input.data)
if (body && input.autocomplete_headers !== false && !headers.some(([n]) => n.toLowerCase()==='content-type')) headers.push(['Content-Type','application/x-www-form-urlencoded'])
const tx = new WafTransaction(rs, { method: input.method ?? 'GET', uri: input.uri ?? '/', protocol: input.version ?? 'HTTP/1.1', headers, remoteAddress: '127.0.0.1' })
tx.processRequestHeaders(); tx.processRequestBody(body)
for (const m of tx.matched) if (!/^90|^901|^949|01[34]$/.test(String(m.id))) console.log(m.id, m.variable, JSON.stringify(m.value).slice(0, 200))
console.log(JSON.stringify(t.stages[0]!.output))
