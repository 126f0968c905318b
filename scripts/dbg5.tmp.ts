import { loadRuleSet, ruleFilesIn } from '../src/waf/rule-set.js'
import { WafTransaction } from '../src/waf/engine.js'
const dir = '/work/shared/crs/v4.28.0'
const rs = loadRuleSet([{ file: dir + '/crs-setup.conf.example' }, { text: `SecAction "id:9000900,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=1,setvar:tx.detection_paranoia_level=1,setvar:'tx.allowed_methods=GET HEAD POST PUT PATCH DELETE OPTIONS'"`, name: 's' }, ...ruleFilesIn(dir + '/rules').map((file) => ({ file }))])
const byRule = new Map<string, number>(); let calls = 0
for (const steps of rs.phases.values()) for (const s of steps) if (s.kind === 'rule') for (let r: any = s.rule; r; r = r.chained) { const op = r.operator; if (!op) continue; const orig = op.match.bind(op); const id = s.rule.id; (op as any).match = (v: string, c: any) => { calls++; byRule.set(`${id} ${op.name} ${r.transformKeys.at(-1) ?? ''}`, (byRule.get(`${id} ${op.name} ${r.transformKeys.at(-1) ?? ''}`) ?? 0) + 1); return orig(v, c) } }
const headers: [string, string][] = [['Host', 'api.example.com'], ['User-Agent', 'wrk'], ['Accept', 'application/json'], ['Connection', 'keep-alive']]
const tx = new WafTransaction(rs, { method: 'GET', uri: '/api/items/42', protocol: 'HTTP/1.1', headers, remoteAddress: '127.0.0.1' }); tx.processRequestHeaders(); tx.processRequestBody(null)
console.log('calls', calls, 'rules', byRule.size)
const byChain = new Map<string, number>(); for (const [k, n] of byRule) { const chain = k.split(' ').slice(1).join(' '); byChain.set(chain, (byChain.get(chain) ?? 0) + n) }
console.log([...byChain].sort((a, b) => b[1] - a[1]).slice(0, 15))
