/**
 * The engine's shortcuts change no outcome. The literal prefilter in front of RE2: the literals
 * read from a pattern are ones every match contains, and the scanner finds them whatever the case.
 * Over the whole CRS regression suite, the engine with its shortcuts (the prefilter, the copied
 * outcome of CRS's TX-only initialization and the outcomes known from it, the misses remembered
 * from earlier requests) matches exactly the rules, in the same order and with the same
 * variables, that it matches running every rule with RE2 alone.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import RE2 from 're2'
import { loadCrsForRegression } from '../../src/waf/conformance/crs-suite.js'
import { readFtwTests, runFtwStage } from '../../src/waf/conformance/ftw.js'
import { crsSettings } from '../../src/policies/waf/index.js'
import { buildExclusions, WafTransaction } from '../../src/waf/engine.js'
import { LiteralScanner } from '../../src/waf/literal-scanner.js'
import { loadRuleSet, ruleFilesIn } from '../../src/waf/rule-set.js'
import { requiredCharacters, requiredLiterals } from '../../src/waf/required-literals.js'
import { charactersIn, holdsAny } from '../../src/waf/character-set.js'
import { readDirectives } from '../../src/waf/seclang/directives.js'
import { parseOperator } from '../../src/waf/seclang/rule-parts.js'
import type { Rule } from '../../src/waf/rules.js'
import { seededRandom } from '../helpers/seeded-random.js'
import { CRS_DIR, skipWithoutCrsRegression } from '../helpers/third-party.js'

const CRS = CRS_DIR

describe('required literals of a pattern', () => {
  test('literals every match must contain, lower-cased, the redundant ones dropped', () => {
    assert.deepEqual(requiredLiterals('(?i)union\\s+select'), ['select'])
    assert.deepEqual(requiredLiterals('(?:^|[/;\\x5c])\\.{2,3}[/;\\x5c]'), ['..'])
    assert.deepEqual(requiredLiterals('<script|javascript:')?.sort(), ['<script', 'javascript:'])
    assert.deepEqual(requiredLiterals('a(?:b|c)?d')?.sort(), ['abd', 'acd', 'ad'])
    assert.deepEqual(requiredLiterals('\\Qa.b\\E'), ['a.b'])
    assert.deepEqual(requiredLiterals('x{2}y'), ['xxy'])
  })

  test('an unknown character between literals splits them: the longer side is required, never both joined', () => {
    assert.deepEqual(requiredLiterals('ab.cde'), ['cde'])
    assert.deepEqual(requiredLiterals('ssh2(?:.(?:exec|shell))?://'), ['ssh2'])
    assert.deepEqual(requiredLiterals('2(?:1474|.2250)'), ['1474', '2250'])
  })

  test('patterns a match of which may hold no literal at all are unfiltered', () => {
    for (const pattern of ['^.*$', '\\d+', 'a*', '[^a]', '(?:abc)?', 'abc|\\w', '[a-z]{3}', '', '^$', '\\W{4,}', '[[:alpha:]]x?']) assert.equal(requiredLiterals(pattern), null, pattern)
  })

  test('non-ASCII characters are not literals; what the parser does not know leaves the pattern unfiltered', () => {
    assert.deepEqual(requiredLiterals('\\xe9t\\xe9ss'), ['ss'])
    assert.equal(requiredLiterals('\\xe9'), null)
    assert.equal(requiredLiterals('(?<!a)b'), null)
    assert.equal(requiredLiterals('a\\'), null)
  })
})

describe('required characters of a pattern (long values)', () => {
  const held = (pattern: string): string => {
    const need = requiredCharacters(pattern)
    if (need === null) return 'none'
    let out = ''
    for (let c = 0; c < 128; c++) if (((need[c >>> 5] as number) >>> (c & 31)) & 1) out += String.fromCharCode(c)
    return out
  }

  test('characters every match holds one of: the narrowest of a sequence, the union of alternatives, letters folded', () => {
    assert.equal(held('(?i)union\\s+select'), 'u')
    assert.equal(held('(?i)\\s+OR\\s'), 'o')
    assert.equal(held('x?\\s'), '\t\n\f\r ')
    assert.equal(held('<script|javascript:'), '<j')
    assert.equal(held('[\\"\'`;=]{2,}'), '"\';=`')
    assert.equal(held('a[0-9]+B'), 'a')
    assert.equal(held('\\d+x|y'), 'xy')
    assert.equal(held('[\\s\\x0b]*\\('), '(')
  })

  test('none where a match may hold any character, or one past ASCII', () => {
    for (const pattern of ['^.*$', 'a*', '[^a]', '(?:abc)?|x', '\\W', '[[:alpha:]]', '\\xe9', '[a\\xe9]', '\\pL', '', '(?<!a)b']) assert.equal(held(pattern), 'none', pattern)
  })

  test('every CRS pattern a value matches finds one of its required characters in it', { skip: skipWithoutCrsRegression }, (t) => {
    // The regression suite's payloads, as sent and decoded: what those patterns are written to match.
    const values = new Set<string>()
    const add = (text: string | undefined) => {
      if (text === undefined || text === '') return
      values.add(text)
      try {
        values.add(decodeURIComponent(text.replace(/\+/g, ' ')))
      } catch {
        // Not percent-encoded text: kept as sent.
      }
    }
    for (const ftw of readFtwTests(join(CRS, 'regression-tests'))) {
      for (const { input } of ftw.stages) {
        add(input.uri)
        add(input.data)
        for (const value of Object.values(input.headers ?? {})) add(String(value))
      }
    }
    const patterns = new Set<string>()
    for (const file of ruleFilesIn(join(CRS, 'rules'))) {
      for (const directive of readDirectives(readFileSync(file, 'utf8'), file)) {
        if (directive.name.toLowerCase() !== 'secrule') continue
        const operator = parseOperator(directive.args[1] ?? '')
        if (operator.name === 'rx') patterns.add(operator.argument)
      }
    }
    let checked = 0
    let matches = 0
    for (const pattern of patterns) {
      const need = requiredCharacters(pattern)
      if (need === null) continue
      checked++
      const regex = new RE2(pattern, 's')
      for (const value of values) {
        const present = charactersIn(value)
        if (present === null || !regex.test(Buffer.from(value, 'utf8'))) continue
        matches++
        assert.ok(holdsAny(present, need), `${pattern} matches ${JSON.stringify(value.slice(0, 200))} but none of ${held(pattern)} is in it`)
      }
    }
    assert.ok(checked > 250 && matches > 10_000, `${checked} patterns, ${matches} matches`)
    t.diagnostic(`${checked} patterns with required characters, ${values.size} values, ${matches} matches checked`)
  })
})

describe('literal scanner', () => {
  const scanner = new LiteralScanner([['key'], ['abc', 'x'], ['sel', '..']])
  const found = (value: string) => [0, 1, 2].filter((set) => LiteralScanner.has(scanner.scan(value), set))

  test('reports each set one of whose literals occurs, ASCII case ignored, overlaps included', () => {
    assert.deepEqual(found('KEY'), [0])
    assert.deepEqual(found('zzabzabcz'), [1])
    assert.deepEqual(found('sElect ../x'), [1, 2])
    assert.deepEqual(found('nothing here'), [])
    assert.deepEqual(found('é.é.'), [])
  })

  test('the two non-ASCII letters RE2 folds to ASCII (Kelvin sign, long s) count as k and s', () => {
    assert.equal(new RE2('(?i)key', 's').test(Buffer.from('\u212aey')), true)
    assert.deepEqual(found('\u212aey'), [0])
    assert.deepEqual(found('\u017fel'), [2])
  })

  test('finds the sets a direct search finds, scan after scan of one scanner', () => {
    const random = seededRandom(11)
    // A small alphabet with runs, so literals overlap, states repeat and partial matches fail over.
    const alphabet = ['a', 'b', 'c', 'A', 'B', '/', '\u212a', 'k', 'aaaa']
    const word = (min: number, max: number): string => Array.from({ length: min + random(max - min + 1) }, () => alphabet[random(alphabet.length)]).join('')
    const fold = (text: string): string => text.replace(/[A-Z\u212a]/g, (c) => (c === '\u212a' ? 'k' : c.toLowerCase()))
    for (let round = 0; round < 200; round++) {
      const sets = Array.from({ length: 1 + random(40) }, () => Array.from({ length: 1 + random(3) }, () => fold(word(1, 4))))
      const many = new LiteralScanner(sets)
      for (let k = 0; k < 10; k++) {
        const value = word(0, 40)
        const want = sets.flatMap((set, index) => (set.some((literal) => fold(value).includes(literal)) ? [index] : []))
        const found = many.scan(value)
        assert.deepEqual(sets.flatMap((_, index) => (LiteralScanner.has(found, index) ? [index] : [])), want, `${JSON.stringify(sets)} in ${JSON.stringify(value)}`)
      }
    }
  })

  test('refuses literals it could not match', () => {
    assert.throws(() => new LiteralScanner([['Upper']]), /not lower-case ASCII/)
    assert.throws(() => new LiteralScanner([['é']]), /not lower-case ASCII/)
    assert.throws(() => new LiteralScanner([['']]), /not lower-case ASCII/)
  })
})

describe('long values', () => {
  // From 1,024 characters a transformation's output is remembered, and a lower-cased value takes
  // the literals found in the value it was made from (the scan ignores ASCII case).
  const ruleSet = loadRuleSet([
    {
      name: 'rules.conf',
      text: `SecRule ARGS "@rx union\\s+select" "id:1,phase:2,pass,log,t:none,t:lowercase"
SecRule ARGS "@rx UNION\\s+SELECT" "id:2,phase:2,pass,log,t:none"
SecRule ARGS "@rx [a-z]\\s+from\\s" "id:3,phase:2,pass,log,t:none,t:lowercase"`,
    },
  ])
  const matched = (value: string) => {
    const body = Buffer.from(`q=${encodeURIComponent(value)}`)
    const transaction = new WafTransaction(ruleSet, { method: 'POST', uri: '/', protocol: 'HTTP/1.1', headers: [['Content-Type', 'application/x-www-form-urlencoded']], remoteAddress: '127.0.0.1' }, { knownMisses: false })
    transaction.processRequestHeaders()
    transaction.processRequestBody(body)
    return transaction.matchedIds()
  }
  const padding = 'Lorem ipsum dolor sit amet. '.repeat(80)

  test('a lower-cased long value is matched as a short one is', () => {
    for (const pad of ['', padding]) {
      assert.deepEqual(matched(`${pad}UNION SELECT password FROM users`), [1, 2, 3], `${pad.length} characters of padding`)
      assert.deepEqual(matched(`${pad}Union Select name From t`), [1, 3])
      assert.deepEqual(matched(`${pad}union_select`), [])
    }
  })
})

describe('the copied initialization', () => {
  const rules = (extra: string) =>
    loadRuleSet([
      {
        name: 'rules.conf',
        text: `SecAction "id:1,phase:1,pass,nolog,setvar:tx.a=1"
SecRule &TX:b "@eq 0" "id:2,phase:1,pass,nolog,setvar:tx.b=%{tx.a}"
SecRule TX:a "@eq 1" "id:3,phase:1,pass,nolog,setvar:tx.c=1"
SecRule REQUEST_HEADERS:x "@rx ." "id:4,phase:1,pass,nolog,setvar:tx.d=1"
SecAction "id:5,phase:1,pass,nolog,setvar:tx.e=1"
${extra}`,
      },
    ])

  test('covers the leading rules that read and write only TX, up to the first that reads the request', () => {
    assert.equal(WafTransaction.prologueRules(rules('')), 3)
    assert.equal(WafTransaction.prologueRules(rules('SecRuleUpdateTargetById 3 REQUEST_HEADERS')), 2)
    assert.equal(WafTransaction.prologueRules(rules('SecRuleUpdateTargetById 2 !REQUEST_HEADERS:y')), 1)
  })

  test('a transaction starts from what those rules leave, and runs them itself when a route excludes one', () => {
    const ruleSet = rules('')
    for (const exclusions of [undefined, buildExclusions(ruleSet, { ids: [2], tags: [], targets: [] })]) {
      const transaction = new WafTransaction(ruleSet, { method: 'GET', uri: '/', protocol: 'HTTP/1.1', headers: [['X', 'y']], remoteAddress: '127.0.0.1' }, exclusions === undefined ? {} : { exclusions })
      transaction.processRequestHeaders()
      const tx = transaction.variables.get('TX')
      assert.deepEqual(transaction.matchedIds(), exclusions === undefined ? [1, 2, 3, 4, 5] : [1, 3, 4, 5])
      assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((key) => tx?.first(key) ?? null), exclusions === undefined ? ['1', '1', '1', '1', '1'] : ['1', null, '1', '1', '1'])
    }
  })
})

describe('the outcomes known from the initialization', () => {
  const ruleSet = loadRuleSet([
    {
      name: 'rules.conf',
      text: `SecAction "id:1,phase:1,pass,nolog,setvar:tx.level=1"
SecRule REQUEST_HEADERS:X-Level "@rx ^(\\d+)$" "id:2,phase:1,pass,nolog,capture,setvar:tx.level=%{tx.1}"
SecRule TX:LEVEL "@ge 2" "id:3,phase:1,deny,status:403,msg:'level %{tx.level}'"
SecRule TX:LEVEL "@lt 2" "id:4,phase:2,pass,log,msg:'low'"
SecRule MATCHED_VAR "@streq 1" "id:6,phase:2,pass,nolog"
SecRule TX:LEVEL "@lt 2" "id:5,phase:2,pass,nolog,setvar:tx.low=1"`,
    },
  ])
  const run = (headers: [string, string][], prologue: boolean) => {
    const transaction = new WafTransaction(ruleSet, { method: 'GET', uri: '/', protocol: 'HTTP/1.1', headers, remoteAddress: '127.0.0.1' }, { prologue })
    transaction.processRequestHeaders()
    transaction.processRequestBody(null)
    return transaction
  }

  test('stand in for the rules that read TX keys no rule of the request wrote, with the same matches', () => {
    // 3 (a miss) and 4 (a match without side effects); 5 has a setvar and 6 reads MATCHED_VAR: always evaluated.
    assert.equal(WafTransaction.knownOutcomes(ruleSet), 2)
    const known = run([], true)
    assert.deepEqual(known.matched, run([], false).matched)
    assert.deepEqual(known.matchedIds(), [1, 4, 6, 5])
    const low = known.matched.find((m) => m.id === 4)
    assert.deepEqual([low?.variable, low?.value], ['TX:level', '1'])
  })

  test('are not used once a rule of the request wrote a key they read', () => {
    for (const level of ['1', '5']) {
      const written = run([['X-Level', level]], true)
      assert.deepEqual(written.matched, run([['X-Level', level]], false).matched)
      assert.deepEqual(written.interruption?.ruleId ?? null, level === '5' ? 3 : null)
      if (level === '5') assert.equal(written.matched.at(-1)?.msg, 'level 5')
    }
  })
})

describe('the shortcuts over the CRS regression suite', () => {
  test('every request matches exactly the rules it matches with RE2 alone and every rule run', { skip: skipWithoutCrsRegression }, (t) => {
    const filtered = loadCrsForRegression(CRS)
    const unfiltered = loadCrsForRegression(CRS)
    let withLiterals = 0
    for (const steps of unfiltered.phases.values()) {
      for (const step of steps) {
        if (step.kind !== 'rule') continue
        for (let rule: Rule | null = step.rule; rule !== null; rule = rule.chained) {
          if (rule.operator?.required === undefined) continue
          rule.operator.required.slot = -1
          withLiterals++
        }
      }
    }
    assert.ok(withLiterals > 250, `${withLiterals} @rx rules have required literals`)
    const tests = readFtwTests(join(CRS, 'regression-tests'))
    assert.ok(tests.length > 2000)
    let stages = 0
    for (const ftw of tests) {
      for (const stage of ftw.stages) {
        const plain = runFtwStage(unfiltered, stage, { prologue: false, knownMisses: false })
        const fast = runFtwStage(filtered, stage)
        assert.deepEqual(fast.matchedIds(), plain.matchedIds(), ftw.name)
        assert.equal(fast.interruption?.ruleId, plain.interruption?.ruleId, ftw.name)
        stages++
      }
    }
    t.diagnostic(`${stages} stages compared, ${withLiterals} rules filtered`)
  })

  for (const paranoia of [1, 4]) test(`with the gateway’s settings (paranoia ${paranoia}, blocking), starting after the copied initialization changes no match`, { skip: skipWithoutCrsRegression }, (t) => {
    const settings = crsSettings({ paranoia, anomalyThreshold: 5, allowedMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], allowedContentTypes: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/xml'] })
    const ruleSet = loadRuleSet([{ file: join(CRS, 'crs-setup.conf.example') }, { text: settings, name: 'settings' }, ...ruleFilesIn(join(CRS, 'rules')).map((file) => ({ file }))])
    const prologue = WafTransaction.prologueRules(ruleSet)
    assert.ok(prologue >= 20, `the initialization copied covers ${prologue} rules`)
    const known = WafTransaction.knownOutcomes(ruleSet)
    assert.ok(known >= 100, `${known} rules have an outcome known from it`)
    let stages = 0
    let blocked = 0
    for (const ftw of readFtwTests(join(CRS, 'regression-tests'))) {
      for (const stage of ftw.stages) {
        const plain = runFtwStage(ruleSet, stage, { prologue: false, knownMisses: false, mode: 'On' })
        const fast = runFtwStage(ruleSet, stage, { mode: 'On' })
        // Whole matches: the variable and value each reports (MATCHED_VAR of a known outcome), messages expanded.
        assert.deepEqual(fast.matched, plain.matched, ftw.name)
        assert.deepEqual(fast.interruption, plain.interruption, ftw.name)
        if (plain.interruption !== null) blocked++
        stages++
      }
    }
    assert.ok(blocked > 1000, `${blocked} stages blocked`)
    // The suite repeats values (Host, User-Agent, paths): the fast runs pass over misses known from earlier stages.
    assert.ok(ruleSet.knownMisses.size > 100, `${ruleSet.knownMisses.size} values with known misses`)
    t.diagnostic(`${stages} stages compared (${blocked} blocked), ${prologue} rules copied in, ${known} outcomes known, ${ruleSet.knownMisses.size} values with known misses`)
  })
})
