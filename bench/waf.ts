/**
 * The WAF's cost, side by side in one run on the same rules and paranoia level: this gateway
 * without the WAF, with the OWASP CRS at paranoia 1, and Apache 2.4 with ModSecurity v2 (Debian
 * `apache2`, `libapache2-mod-security2`) loading the same CRS directory with the same settings,
 * all in front of the same nginx upstream; GET and a 1 KB JSON POST, each repeated as it is and
 * with new values on every request (the engine remembers misses by value), interleaved rounds. Each
 * proxy runs alone on core 0 (Apache as one process, `-X`), nginx and wrk on core 1. Then a set of
 * adversarial inputs known to make backtracking engines slow, timed through our engine in process.
 * Usage: node --import tsx bench/waf.ts [--rounds 3] [--seconds 8] [--warmup 6] [--connections 50] [--only apache] [--crs DIR]
 *        [--adversarial] (the adversarial inputs alone)
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { crsSettings } from '../src/policies/waf/index.js'
import { WafTransaction } from '../src/waf/engine.js'
import { loadRuleSet, ruleFilesIn } from '../src/waf/rule-set.js'
import { formatSummaries, measureInterleaved, parseBenchOptions, selectContenders, startPinned, writeGatewayConfig, startStaticUpstream, type Contender, type Summary } from './harness.js'
import { startApacheModSecurity } from './support/apache-modsecurity.js'

const { args, values } = parseBenchOptions({ adversarial: { type: 'boolean', default: false } })
const CRS = resolve(process.env.CRS_DIR ?? join(import.meta.dirname, '../../shared/crs/v4.28.0'))
const PROXY_CORE = 0
const LOAD_CORE = 1
const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-waf-'))
// Apache drops to its unprivileged user; it must read its config and write its pid here.
chmodSync(dir, 0o777)
const gateway = join(import.meta.dirname, '..', 'bin/portcullis.js')
const settings = { paranoia: 1, anomalyThreshold: 5, allowedMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], allowedContentTypes: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/xml', 'application/xml'] }

const order = { customer: 'c-123', items: Array.from({ length: 8 }, (_, i) => ({ sku: `SKU-${1000 + i}`, qty: i + 1, price: 19.99, note: 'gift wrap please' })), shipping: { street: '1 Main Street', city: 'Lyon', postcode: '69001', country: 'FR' }, notes: 'leave at the door' }
writeFileSync(join(dir, 'post-order.lua'), `wrk.method = "POST"\nwrk.path = "/api/orders"\nwrk.body = ${JSON.stringify(JSON.stringify(order))}\nwrk.headers["Content-Type"] = "application/json"\n`)
// The engine remembers misses by value (src/waf/known-misses.ts), and wrk repeats one request:
// this GET changes its query on every request, so the URI, the request line and the arguments
// are new values each time, as with real clients (headers and path repeat, as they do).
writeFileSync(join(dir, 'new-query.lua'), `local n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(nil, "/api/items/42?page=" .. n .. "&sort=name")\nend\n`)
// The same order with new values in its strings on every request ({n}: the request's number).
const orderTemplate = JSON.stringify({ ...order, customer: 'c-{n}', items: order.items.map((item, i) => ({ ...item, sku: `SKU-{n}-${i}`, note: 'gift wrap please, order {n}' })), notes: 'leave at the door {n}' })
writeFileSync(join(dir, 'new-order.lua'), `local n = 0\nlocal template = ${JSON.stringify(orderTemplate)}\nrequest = function()\n  n = n + 1\n  local body = string.gsub(template, "{n}", tostring(n))\n  return wrk.format("POST", "/api/orders", { ["Content-Type"] = "application/json" }, body)\nend\n`)
writeFileSync(join(dir, 'item.json'), JSON.stringify({ id: 42, name: 'Widget', price: 19.99, tags: ['a', 'b'] }))

// Throughput, side by side (skipped with --adversarial).
async function measureThroughput(): Promise<void> {
  const { port: upstreamPort, process: upstream } = await startStaticUpstream(
    dir,
    LOAD_CORE,
    `location = /api/items/42 { default_type application/json; alias ${dir}/item.json; }
      location = /api/orders { default_type application/json; return 200 '{"id":1}'; }`,
    '/api/items/42',
  )

  function portcullis(name: string, waf: Record<string, unknown> | null, script: string | null): Contender {
    const slug = name.replace(/[^a-z0-9]+/gi, '-')
    return {
      name,
      ...(script === null ? {} : { script: join(dir, script) }),
      start: (port) => {
        const api = { name: 'bench', basePath: '/', upstream: { url: `http://127.0.0.1:${upstreamPort}` }, policies: waf === null ? {} : { waf } }
        return startPinned(slug, PROXY_CORE, gateway, ['start', '-c', writeGatewayConfig(dir, slug, port, api, false)])
      },
    }
  }

  function apache(name: string, script: string | null): Contender {
    const slug = name.replace(/[^a-z0-9]+/gi, '-')
    return {
      name,
      ...(script === null ? {} : { script: join(dir, script) }),
      start: (port) => startApacheModSecurity({ dir, name: slug, port, upstreamPort, crs: CRS, settings, core: PROXY_CORE }),
    }
  }

  const crs = { ruleSet: CRS, ...settings, apiExclusions: false }
  const contenders: Contender[] = [
    portcullis('GET, portcullis, no WAF', null, null),
    portcullis('GET, portcullis, CRS PL1', crs, null),
    apache('GET, apache+modsecurity, CRS PL1', null),
    portcullis('GET new query, portcullis, no WAF', null, 'new-query.lua'),
    portcullis('GET new query, portcullis, CRS PL1', crs, 'new-query.lua'),
    apache('GET new query, apache+modsecurity, CRS PL1', 'new-query.lua'),
    portcullis('POST 1 KB, portcullis, no WAF', null, 'post-order.lua'),
    portcullis('POST 1 KB, portcullis, CRS PL1', crs, 'post-order.lua'),
    apache('POST 1 KB, apache+modsecurity, CRS PL1', 'post-order.lua'),
    portcullis('POST 1 KB new values, portcullis, no WAF', null, 'new-order.lua'),
    portcullis('POST 1 KB new values, portcullis, CRS PL1', crs, 'new-order.lua'),
    apache('POST 1 KB new values, apache+modsecurity, CRS PL1', 'new-order.lua'),
  ]
  const selected = selectContenders(contenders, args.only, (c) => c.name.includes('no WAF'))
  const options = { ...args, path: '/api/items/42', loadCore: LOAD_CORE }
  process.stderr.write(`bench waf: ${options.rounds} rounds × ${selected.length} configs × ${options.seconds}s, proxies on core ${PROXY_CORE}\n`)
  try {
    const summary = await measureInterleaved(selected, options)
    const rps = (name: string) => summary.find((s: Summary) => s.name === name)?.rps ?? Number.NaN
    const getPlain = summary.find((s) => s.name === 'GET, portcullis, no WAF')?.cpuUsPerRequest ?? Number.NaN
    process.stdout.write(`\nmedians of ${options.rounds} interleaved rounds, ${options.seconds}s each\n\n${formatSummaries(summary, [{ label: 'GET plain', cpuUsPerRequest: getPlain }])}\n\n`)
    for (const method of ['GET', 'GET new query', 'POST 1 KB', 'POST 1 KB new values']) {
      const ours = rps(`${method}, portcullis, CRS PL1`)
      process.stdout.write(`${method}: portcullis+CRS / apache+modsecurity+CRS throughput ${(ours / rps(`${method}, apache+modsecurity, CRS PL1`)).toFixed(2)}×; portcullis with / without the WAF ${(ours / rps(`${method}, portcullis, no WAF`)).toFixed(2)}\n`)
    }
  } finally {
    await upstream.stop()
  }
}

if (values.adversarial !== true) await measureThroughput()

// Adversarial inputs through the engine in process: each must take milliseconds, not seconds.
const ruleSets = [1, 4].map((paranoia) => ({ paranoia, ruleSet: loadRuleSet([{ file: join(CRS, 'crs-setup.conf.example') }, { text: crsSettings({ ...settings, paranoia }), name: 'settings' }, ...ruleFilesIn(join(CRS, 'rules')).map((file) => ({ file }))]) }))
const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog,', 'and', 'then']
const adversarial: [string, string, string][] = [
  ['10,000 `<`', 'application/x-www-form-urlencoded', `q=${'%3C'.repeat(10_000)}`],
  ['10,000 quotes', 'application/x-www-form-urlencoded', `q=${"'".repeat(10_000)}`],
  ['JSON nested 200 deep', 'application/json', `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`],
  ['JSON array of 10,000 strings', 'application/json', JSON.stringify(Array.from({ length: 10_000 }, () => 'x'))],
  ['100 KB of `a` then `!`', 'application/x-www-form-urlencoded', `q=${'a'.repeat(100_000)}!`],
  // Not an attack on the engine's worst case but long work for it: every letter, spaces and
  // commas, so few rules are passed over by the characters the value lacks.
  ['100 KB of prose', 'application/x-www-form-urlencoded', `q=${encodeURIComponent(Array.from({ length: 20_000 }, (_, i) => words[(i * 7) % words.length]).join(' ').slice(0, 100_000))}`],
  ['5,000 `/*`', 'application/x-www-form-urlencoded', `q=${encodeURIComponent('/*'.repeat(5_000))}`],
  ['10,000 `${`', 'application/x-www-form-urlencoded', `q=${encodeURIComponent('${'.repeat(10_000))}`],
  ['10,000 `&#`', 'application/x-www-form-urlencoded', `q=${encodeURIComponent('&#'.repeat(10_000))}`],
]
// The first run of an input finds the engine's code not yet optimised for it; a gateway under load
// runs warm: both are shown, the warm figure as the median of 10 runs after 5.
process.stdout.write('\nadversarial inputs, CRS in process (ms for phases 1–2: first run, then warm median and fastest of 10):\n')
for (const { paranoia, ruleSet } of ruleSets) {
  process.stdout.write(`paranoia ${paranoia}\n`)
  for (const [name, type, body] of adversarial) {
    const run = () => {
      // Blocking mode, as the gateway runs it: an unreadable body stops at rule 9000901. No misses
      // remembered from earlier runs: an attacker sends new values.
      const t = new WafTransaction(ruleSet, { method: 'POST', uri: '/api/x', protocol: 'HTTP/1.1', headers: [['Host', 'api.example.com'], ['Content-Type', type]], remoteAddress: '127.0.0.1' }, { mode: 'On', knownMisses: false })
      const t0 = performance.now()
      t.processRequestHeaders()
      t.processRequestBody(Buffer.from(body))
      return performance.now() - t0
    }
    const first = run()
    for (let i = 0; i < 5; i++) run()
    const warm = Array.from({ length: 10 }, run).sort((a, b) => a - b)
    const median = ((warm[4] ?? 0) + (warm[5] ?? 0)) / 2
    process.stdout.write(`  ${name.padEnd(30)} first ${first.toFixed(1).padStart(6)} ms, warm ${median.toFixed(1).padStart(6)} ms, fastest ${(warm[0] ?? 0).toFixed(1).padStart(6)} ms\n`)
  }
}
