import { loadRuleSet, ruleFilesIn } from '../src/waf/rule-set.js'
import { WafTransaction } from '../src/waf/engine.js'
const dir = '/work/shared/crs/v4.28.0'
const rs = loadRuleSet([{ file: dir + '/crs-setup.conf.example' }, { text: `SecAction "id:9000900,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=1,setvar:tx.detection_paranoia_level=1,setvar:'tx.allowed_methods=GET HEAD POST PUT PATCH DELETE OPTIONS'"`, name: 's' }, ...ruleFilesIn(dir + '/rules').map((file) => ({ file }))])
const calls = new Map<string, { n: number; t: number; name: string }>()
for (const steps of rs.phases.values()) for (const s of steps) if (s.kind === 'rule') {
  for (let r: any = s.rule; r; r = r.chained) {
    const op = r.operator; if (!op) continue
    const orig = op.match.bind(op); const key = `${s.rule.id}`
    ;(op as any).match = (v: string, c: any) => { const t = performance.now(); const x = orig(v, c); const e = calls.get(key) ?? { n: 0, t: 0, name: op.name }; e.n++; e.t += performance.now() - t; calls.set(key, e); return x }
  }
}
const headers: [string, string][] = [['Host', 'api.example.com'], ['User-Agent', 'wrk'], ['Accept', 'application/json'], ['Connection', 'keep-alive']]
for (let i = 0; i < 1000; i++) { const tx = new WafTransaction(rs, { method: 'GET', uri: '/api/items/42?expand=owner', protocol: 'HTTP/1.1', headers, remoteAddress: '127.0.0.1' }); tx.processRequestHeaders(); tx.processRequestBody(null) }
calls.clear()
const t0 = performance.now()
for (let i = 0; i < 1000; i++) { const tx = new WafTransaction(rs, { method: 'GET', uri: '/api/items/42?expand=owner', protocol: 'HTTP/1.1', headers, remoteAddress: '127.0.0.1' }); tx.processRequestHeaders(); tx.processRequestBody(null) }
const total = performance.now() - t0
const all = [...calls.values()]
console.log('per tx: µs', (total).toFixed(0), 'op calls', all.reduce((a, b) => a + b.n, 0) / 1000, 'op µs', (all.reduce((a, b) => a + b.t, 0)).toFixed(0), 'rules with ops', calls.size)
console.log([...calls].sort((a, b) => b[1].t - a[1].t).slice(0, 12).map(([k, v]) => `${k} ${v.name} n=${v.n / 1000} ${(v.t).toFixed(0)}µs`).join('\n'))
