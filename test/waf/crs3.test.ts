/**
 * What running CRS 3.3 as Debian ships it takes of the engine and the policy: `Include` and
 * `IncludeOptional` with globs, the CRS layouts (`findCrs`) and release detection, the settings
 * in the variables CRS 3 reads, the constructs CRS 3.3 uses that v4 does not (`@geoLookup`,
 * `@rbl`, GEO, persistent collections, DURATION, a macro in `@rx`), unknown variables refused,
 * and — where the package is installed (on demand, test/helpers/third-party.ts) and `perl` is —
 * every `@rx` pattern of CRS 3.3 giving PCRE's answers.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { crsSettings } from '../../src/policies/waf/index.js'
import { crsFiles, findCrs, settingsWithoutEffect } from '../../src/policies/waf/crs-layout.js'
import { buildExclusions, WafTransaction } from '../../src/waf/engine.js'
import { compileOperator, type MatchContext } from '../../src/waf/operators.js'
import { loadRuleSet, ruleFilesIn, type RuleSet } from '../../src/waf/rule-set.js'
import { readDirectives } from '../../src/waf/seclang/directives.js'
import { parseOperator } from '../../src/waf/seclang/rule-parts.js'
import { CRS_DIR, DEBIAN_CRS_DIR, skipWithoutCrsRules, skipWithoutDebianCrs } from '../helpers/third-party.js'

const scratch = mkdtempSync(join(tmpdir(), 'portcullis-crs3-'))
after(() => rmSync(scratch, { recursive: true, force: true }))

/** Writes files under a fresh folder of the scratch directory; returns the folder. */
function folder(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}

function run(ruleSet: RuleSet, uri = '/', headers: [string, string][] = [['host', 'a.example']]): WafTransaction {
  const transaction = new WafTransaction(ruleSet, { method: 'GET', uri, protocol: 'HTTP/1.1', headers, remoteAddress: '192.0.2.1' }, { mode: 'DetectionOnly' })
  transaction.processRequestHeaders()
  transaction.processRequestBody(null)
  return transaction
}

describe('Include and IncludeOptional', () => {
  const dir = folder('include', {
    'main.conf': 'Include rules/*.conf\nIncludeOptional optional/*.conf\nIncludeOptional missing.conf\n',
    'rules/b.conf': 'SecRule ARGS "@contains b" "id:2,phase:2,pass,log"\n',
    'rules/a.conf': 'SecRule ARGS "@contains a" "id:1,phase:2,pass,log"\n',
    'rules/a.data': 'not SecLang\n',
    'rules/c?.conf': 'SecRule ARGS "@contains c" "id:3,phase:2,pass,log"\n',
  })

  test('a glob takes its matches in name order; IncludeOptional takes nothing when nothing is there', () => {
    const ruleSet = loadRuleSet([{ file: join(dir, 'main.conf') }])
    assert.deepEqual([...ruleSet.rules.keys()], [1, 2, 3])
  })

  test('Include of a missing file, a glob matching nothing, or a folder refuses the rule set at its line', () => {
    const refused = (text: string) => () => loadRuleSet([{ text, name: join(dir, 'other.conf') }])
    assert.throws(refused('SecAction "id:1,pass"\nInclude missing.conf'), /other\.conf:2: Include .*missing\.conf: no such file/)
    assert.throws(refused('Include rules/*.none'), /other\.conf:1: Include .*: no file matches/)
    assert.throws(refused('Include rules'), /other\.conf:1: Include .*: a folder/)
    assert.throws(refused('Include r*/a.conf'), /wildcards are read in the file name only/)
    assert.deepEqual([...loadRuleSet([{ text: 'Include rules/[ab].conf', name: join(dir, 'x.conf') }]).rules.keys()], [1, 2])
  })
})

describe('where a CRS is, and which release', () => {
  const setup3 = 'SecAction "id:900990,phase:1,nolog,pass,t:none,setvar:tx.crs_setup_version=334"\n'
  const rules3 = 'SecComponentSignature "OWASP_CRS/3.3.4"\nSecRule TX:paranoia_level "@ge 2" "id:901900,phase:1,pass,log,msg:\'strict\'"\n'
  const etc = folder('etc', { 'crs-setup.conf': setup3, 'REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf': '# nothing\n' })
  const debian = folder('debian', {
    'owasp-crs.load': `Include ${etc}/crs-setup.conf\nIncludeOptional ${etc}/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf\nInclude rules/*.conf\nIncludeOptional ${etc}/RESPONSE-999-*.conf\n`,
    'rules/REQUEST-901-INITIALIZATION.conf': rules3,
    'rules/unix-shell.data': 'ls\n',
  })

  test("Debian's layout: the loader's files, split after the setup; the release from the rules' signature", () => {
    const crs = findCrs(debian)
    assert.deepEqual(crs, {
      major: 3,
      release: '3.3.4',
      setup: [join(etc, 'crs-setup.conf')],
      rules: [join(etc, 'REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf'), join(debian, 'rules/REQUEST-901-INITIALIZATION.conf')],
    })
    assert.deepEqual(findCrs(join(debian, 'owasp-crs.load')), crs, 'the loader file named itself')
    assert.deepEqual(crsFiles(debian), [join(debian, 'owasp-crs.load'), ...crs.setup, ...crs.rules, join(debian, 'rules/unix-shell.data')])
  })

  test('a release directory (crs-setup.conf.example beside rules/)', () => {
    const release = folder('release', { 'crs-setup.conf.example': 'SecAction "id:900990,phase:1,pass,nolog,setvar:tx.crs_setup_version=4280"\n', 'rules/REQUEST-901-INITIALIZATION.conf': 'SecComponentSignature "OWASP_CRS/4.28.0"\n' })
    assert.deepEqual(findCrs(release), { major: 4, release: '4.28.0', setup: [join(release, 'crs-setup.conf.example')], rules: [join(release, 'rules/REQUEST-901-INITIALIZATION.conf')] })
  })

  test('refused: nothing recognisable, a loader with rules in it or without a setup, a setup for another major version', () => {
    assert.throws(() => findCrs(folder('empty', { 'x.txt': '' })), /has neither crs-setup\.conf .* nor owasp-crs\.load/)
    assert.throws(() => findCrs(folder('ruled', { 'owasp-crs.load': 'SecRuleEngine On\n' })), /owasp-crs\.load:1: a CRS loader file holds Include and IncludeOptional lines only/)
    assert.throws(() => findCrs(folder('setupless', { 'owasp-crs.load': 'Include rules/*.conf\n', 'rules/a.conf': rules3 })), /includes no crs-setup\.conf/)
    const mixed = folder('mixed', { 'crs-setup.conf': setup3, 'rules/REQUEST-901-INITIALIZATION.conf': 'SecComponentSignature "OWASP_CRS/4.28.0"\n' })
    assert.throws(() => findCrs(mixed), /is for CRS 3 \(crs_setup_version 334\), the rules are CRS 4\.28\.0/)
    assert.deepEqual(crsFiles(join(scratch, 'nowhere')), [])
  })

  test('the settings name the variables of the major version', () => {
    const settings = { paranoia: 2, anomalyThreshold: 7, allowedMethods: ['GET', 'PUT'], allowedContentTypes: ['application/json'] }
    const [v3, v4] = [crsSettings(settings, 3), crsSettings(settings)]
    assert.match(v3, /setvar:tx\.paranoia_level=2,setvar:tx\.executing_paranoia_level=2,setvar:tx\.inbound_anomaly_score_threshold=7,setvar:'tx\.allowed_methods=GET PUT',setvar:'tx\.allowed_request_content_type=\|application\/json\|'/)
    assert.match(v4, /setvar:tx\.blocking_paranoia_level=2,setvar:tx\.detection_paranoia_level=2,setvar:tx\.inbound_anomaly_score_threshold=7,/)
    const crs = findCrs(debian)
    const ruleSet = loadRuleSet([...crs.setup.map((file) => ({ file })), { text: crsSettings(settings, 3), name: 'settings' }, ...crs.rules.map((file) => ({ file }))], { pcre: true })
    assert.deepEqual(run(ruleSet).notable.map((m) => m.id), [901900])
  })
})

describe('constructs CRS 3.3 uses', () => {
  const context: MatchContext = { expand: (text) => text.replace('%{tx.charsets}', 'utf-8|iso-8859-1'), bytes: (value) => Buffer.from(value, 'utf8'), mayContain: () => true, characters: () => null }

  test('@geoLookup and @rbl load and never match (no GeoIP database, no DNS block-list queries); GEO reads empty', () => {
    for (const name of ['geoLookup', 'rbl']) assert.equal(compileOperator(parseOperator(`@${name} dnsbl.example`), '.').match('203.0.113.9', context, false), null)
    const ruleSet = loadRuleSet([{
      text: `SecRule REMOTE_ADDR "@geoLookup" "id:1,phase:1,pass,log,chain"
  SecRule GEO:COUNTRY_CODE "@rx ." "t:none"
SecRule &GEO "@eq 0" "id:2,phase:1,pass,log"`,
      name: 'geo.conf',
    }])
    assert.deepEqual(run(ruleSet).notable.map((m) => m.id), [2])
  })

  test('persistent collections are not kept: setvar on ip.* does nothing, IP reads empty, macros of it expand to nothing', () => {
    const ruleSet = loadRuleSet([{
      text: `SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{remote_addr},setvar:ip.hits=+1,setvar:'ip.reason=x',expirevar:ip.hits=60,setvar:'tx.seen=[%{ip.hits}]'"
SecRule IP:HITS "@eq 1" "id:2,phase:1,pass,log"
SecRule &IP:HITS "@eq 0" "id:3,phase:1,pass,log"
SecRule TX:SEEN "@streq []" "id:4,phase:1,pass,log"`,
      name: 'ip.conf',
    }])
    assert.deepEqual(run(ruleSet).notable.map((m) => m.id), [3, 4])
    assert.throws(() => loadRuleSet([{ text: 'SecAction "id:1,pass,setvar:env.x=1"', name: 'env.conf' }]), /env\.conf:1: setvar:env\.x: only tx variables can be set/)
  })

  test('DURATION is the microseconds since the transaction began', () => {
    const ruleSet = loadRuleSet([{ text: 'SecRule DURATION "@rx ^[0-9]+$" "id:1,phase:1,pass,log"', name: 'duration.conf' }])
    assert.deepEqual(run(ruleSet).notable.map((m) => m.id), [1])
  })

  test('an @rx pattern with a macro is expanded per transaction (CRS 3.3 920480)', () => {
    const operator = compileOperator(parseOperator('!@rx ^%{tx.charsets}$'), '.')
    assert.notEqual(operator.match('utf-8', context, false), null)
    assert.equal(operator.match('utf-7', context, false), null)
    const ruleSet = loadRuleSet([{
      text: `SecAction "id:1,phase:1,pass,nolog,setvar:'tx.charsets=utf-8|iso-8859-1'"
SecRule REQUEST_HEADERS:X-Charset "!@rx ^%{tx.charsets}$" "id:2,phase:1,pass,log"`,
      name: 'macro.conf',
    }])
    assert.deepEqual(run(ruleSet, '/', [['x-charset', 'utf-8']]).notable.map((m) => m.id), [])
    assert.deepEqual(run(ruleSet, '/', [['x-charset', 'utf-7']]).notable.map((m) => m.id), [2])
  })

  test('a variable the engine does not know refuses the rule set (in rules, target updates and exclusions)', () => {
    assert.throws(() => loadRuleSet([{ text: 'SecRule ARG:q "@rx x" "id:1,phase:2,deny"', name: 'typo.conf' }]), /typo\.conf:1: unsupported variable ARG/)
    assert.throws(() => loadRuleSet([{ text: 'SecRule ARGS "@rx x" "id:1,phase:2,deny"\nSecRuleUpdateTargetById 1 "MULTIPART_STRICT_ERROR"', name: 'update.conf' }]), /update\.conf:2: unsupported variable MULTIPART_STRICT_ERROR/)
    assert.throws(() => loadRuleSet([{ text: 'SecRule ARGS "@rx x" "id:1,phase:2,deny,ctl:ruleRemoveTargetById=2;ARG:q"', name: 'ctl.conf' }]), /ctl\.conf:1: unsupported variable ARG/)
    const ruleSet = loadRuleSet([{ text: 'SecRule ARGS "@rx x" "id:1,phase:2,deny"', name: 'ok.conf' }])
    assert.throws(() => buildExclusions(ruleSet, { ids: [], tags: [], targets: [{ rule: 1, target: 'ARG:q' }] }), /unsupported variable ARG/)
  })

  test('settings that turn on what the gateway cannot do are named', () => {
    const ruleSet = loadRuleSet([{ text: `SecAction "id:900700,phase:1,pass,nolog,setvar:'tx.dos_burst_time_slice=60',setvar:tx.do_reput_block=0,setvar:'tx.high_risk_country_codes='"`, name: 'setup.conf' }])
    assert.deepEqual(settingsWithoutEffect(ruleSet), ['rules 912120-912170 (DoS) count requests per client across requests, which the gateway does not: use the rate-limit policy'])
  })
})

describe("Debian's CRS 3.3 package", { skip: skipWithoutDebianCrs() }, () => {
  test('loads whole; its setup and exclusion files come from /etc/modsecurity/crs', () => {
    const crs = findCrs(DEBIAN_CRS_DIR)
    assert.equal(crs.major, 3)
    assert.match(crs.release, /^3\.3\.\d+$/)
    assert.deepEqual(crs.setup, ['/etc/modsecurity/crs/crs-setup.conf'])
    assert.ok(crs.rules.includes('/etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf'))
    const settings = { paranoia: 1, anomalyThreshold: 5, allowedMethods: ['GET'], allowedContentTypes: ['application/json'] }
    const ruleSet = loadRuleSet([...crs.setup.map((file) => ({ file })), { text: crsSettings(settings, 3), name: 'settings' }, ...crs.rules.map((file) => ({ file }))], { pcre: true })
    assert.ok(ruleSet.rules.size > 600, `${ruleSet.rules.size} rules`)
    assert.deepEqual(settingsWithoutEffect(ruleSet), [])
  })

  const perl = spawnSync('perl', ['-e', '1']).status === 0
  test('every @rx pattern gives PCRE\u2019s answer (Perl\u2019s) on 2,000 values made of its own words', { skip: perl ? false : 'skipped: perl is not installed (Debian: apt-get install perl-base)' }, () => {
    const context: MatchContext = { expand: (text) => text, bytes: (value) => Buffer.from(value, 'utf8'), mayContain: () => true, characters: () => null }
    const dir = join(DEBIAN_CRS_DIR, 'rules')
    let seed = 11
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return (seed >>> 16) % n
    }
    const hex = (text: string) => Buffer.from(text, 'latin1').toString('hex')
    // `$` as ModSecurity compiles patterns (PCRE_DOLLAR_ENDONLY): the end only, not before a final newline.
    const script = String.raw`binmode STDIN; my $p = <STDIN>; chomp $p; $p = pack('H*', $p); $p =~ s/(?<!\\)\$(?=[)|]|\z)/\\z/g; my $re = qr/$p/sa;
      while (my $l = <STDIN>) { chomp $l; print((pack('H*', $l) =~ $re) ? "1\n" : "0\n") }`
    let patterns = 0
    for (const file of ruleFilesIn(dir)) {
      for (const directive of readDirectives(readFileSync(file, 'utf8'), file)) {
        const operator = directive.name === 'SecRule' ? parseOperator(directive.args[1] ?? '') : null
        if (operator?.name !== 'rx' || operator.argument.includes('%{')) continue
        const words = [...new Set(operator.argument.replace(/\\[a-zA-Z]/g, ' ').match(/[A-Za-z0-9_]{2,}/g) ?? [])]
        const pieces = [...words, ...words.map((w) => w.toUpperCase()), ...' \t\v\n\r\f\x85\xa0\xe9\xc9/\\.;:,=<>()[]{}\'"`|&!?*+-_#@$%^~09aZ'.split('')]
        const values = Array.from({ length: 2000 }, () => Array.from({ length: 1 + random(8) }, () => pieces[random(pieces.length)]).join(''))
        const answers = spawnSync('perl', ['-e', script], { input: [operator.argument, ...values].map(hex).join('\n') + '\n', maxBuffer: 1 << 24 }).stdout.toString().trim().split('\n')
        const compiled = compileOperator(operator, dir, true)
        values.forEach((value, i) => {
          assert.equal(compiled.match(value, context, false) !== null, answers[i] === '1', `${file}:${directive.line} ${JSON.stringify(value)}`)
        })
        patterns++
      }
    }
    assert.ok(patterns > 250, `${patterns} patterns`)
  })
})

describe('CRS v4 is still read as written', { skip: skipWithoutCrsRules }, () => {
  test('its release directory is found as before', () => {
    const crs = findCrs(CRS_DIR)
    assert.equal(crs.major, 4)
    assert.deepEqual(crs.setup, [join(CRS_DIR, 'crs-setup.conf.example')])
    assert.deepEqual(crs.rules, ruleFilesIn(join(CRS_DIR, 'rules')))
  })
})
