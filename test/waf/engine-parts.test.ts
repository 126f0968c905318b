/**
 * The engine's parts on their own: the native detectors (true positives and the look-alikes they
 * must leave alone), transformations as the reference engines define them, Aho–Corasick, the
 * SecLang readers, and inputs that make backtracking engines slow.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AhoCorasick } from '../../src/waf/aho-corasick.js'
import { charactersIn } from '../../src/waf/character-set.js'
import { seededRandom } from '../helpers/seeded-random.js'
import { Collection } from '../../src/waf/collections.js'
import { detectSqlInjection } from '../../src/waf/detectors/sqli.js'
import { detectXss } from '../../src/waf/detectors/xss.js'
import { buildExclusions, WafTransaction, type ArgumentInspection } from '../../src/waf/engine.js'
import { KnownMisses, MAX_VALUE_LENGTH } from '../../src/waf/known-misses.js'
import { loadRuleSet } from '../../src/waf/rule-set.js'
import { readDirectives } from '../../src/waf/seclang/directives.js'
import { parseActions, parseOperator, parseVariables } from '../../src/waf/seclang/rule-parts.js'
import { TRANSFORMATIONS } from '../../src/waf/transformations.js'
import { RegexSelector } from '../../src/waf/rules.js'
import RE2 from 're2'
import { DEFAULT_PROFILE } from '../../src/policies/waf/default-profile.js'

describe('native detectors', () => {
  test('SQL injection: attacks found, prose and data left alone', () => {
    for (const attack of ["1' OR '1'='1", "' or 1=1--", '1 OR 1=1', "admin'--", "1; DROP TABLE users", '1 UNION SELECT username, password FROM users', "') or ('a'='a", '1 AND SLEEP(5)', "' UNION ALL SELECT NULL,NULL--", '-1 union/**/select 1,2', "x' AND extractvalue(1,concat(0x7e,version()))--"]) {
      assert.ok(detectSqlInjection(attack) !== null, attack)
    }
    for (const benign of ["O'Reilly", 'rock and roll', 'select the best option', 'hello world', '2010-01-01', 'ann@example.com', "it's fine", '1-2', 'Union Square', 'order by date', 'A&B Ltd.', '{"a":1}']) {
      assert.equal(detectSqlInjection(benign), null, benign)
    }
  })

  test('XSS: script-running markup found, text with angle brackets left alone', () => {
    for (const attack of ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<svg/onload=alert(1)>', '<a href="javascript:alert(1)">x</a>', '" onmouseover="alert(1)', 'javascript:alert(1)', '<iframe src=//evil>', '<div style="width: expression(alert(1))">']) {
      assert.ok(detectXss(attack), attack)
    }
    for (const benign of ['a < b and c > d', '<3 you', 'I <b>love</b> it', 'x => x + 1', 'one "quote" here', 'see https://example.com/?a=1&b=2', 'onion=3']) assert.equal(detectXss(benign), false, benign)
  })
})

describe('collections', () => {
  test('keys are found in any case, in arrival order, whether the index was built before or after the writes', () => {
    const early = new Collection()
    early.add('Id', '1')
    assert.deepEqual(early.get('ID').map((e) => e.value), ['1'])
    early.add('id', '2')
    const late = new Collection()
    late.add('Id', '1')
    late.add('id', '2')
    for (const collection of [early, late]) {
      assert.deepEqual(collection.getLower('id').map((e) => e.value), ['1', '2'])
      assert.equal(collection.first('iD'), '1')
    }
    late.set('ID', '3')
    assert.deepEqual(late.all().map((e) => [e.key, e.value]), [['ID', '3']])
  })

  test('a copy shares nothing it can change: writes to it leave the template as it was', () => {
    const template = new Collection()
    template.add('score', '0')
    template.add('methods', 'GET')
    template.add('multi', 'a')
    const copy = new Collection()
    copy.copyFrom(template)
    copy.set('score', '5')
    copy.add('multi', 'b')
    copy.add('new', 'x')
    copy.remove('methods')
    assert.deepEqual(template.all().map((e) => `${e.key}=${e.value}`), ['score=0', 'methods=GET', 'multi=a'])
    assert.deepEqual(template.get('multi').map((e) => e.value), ['a'])
    assert.equal(template.first('score'), '0')
    assert.deepEqual(copy.all().map((e) => `${e.key}=${e.value}`), ['score=5', 'multi=a', 'multi=b', 'new=x'])
    assert.deepEqual(copy.get('multi').map((e) => e.value), ['a', 'b'])
    assert.throws(() => copy.copyFrom(template), /empty collection/)
  })

  test('a copy tells which keys were written since it was made', () => {
    const template = new Collection()
    template.add('score', '0')
    template.add('Level', '1')
    template.canonicalizeKeys()
    const copy = new Collection()
    copy.copyFrom(template)
    assert.equal(copy.unchangedSinceCopy(['score', 'level', 'absent']), true)
    assert.equal(copy.first('LEVEL'), '1')
    copy.set('score', '5')
    copy.add('new', 'x')
    assert.equal(copy.unchangedSinceCopy(['level', 'absent']), true)
    for (const key of ['score', 'new']) assert.equal(copy.unchangedSinceCopy([key]), false, key)
    copy.remove('level')
    assert.equal(copy.unchangedSinceCopy(['level']), false)
    assert.equal(template.unchangedSinceCopy(['level']), false, 'not a copy')
  })
})

describe('matches', () => {
  test('the notable ones are those of rules that log or would interrupt, in order', () => {
    const ruleSet = loadRuleSet([
      {
        name: 'rules.conf',
        text: `SecRuleEngine DetectionOnly
SecAction "id:1,phase:1,pass,nolog,setvar:tx.score=0"
SecRule ARGS "@contains attack" "id:2,phase:2,pass,log,msg:'attack',setvar:tx.score=+5"
SecRule TX:SCORE "@ge 5" "id:3,phase:2,deny,nolog"
SecAction "id:4,phase:2,pass,nolog"`,
      },
    ])
    const transaction = new WafTransaction(ruleSet, { method: 'GET', uri: '/?q=attack', protocol: 'HTTP/1.1', headers: [], remoteAddress: '127.0.0.1' })
    transaction.processRequestHeaders()
    transaction.processRequestBody(null)
    assert.equal(transaction.interruption, null)
    assert.deepEqual(transaction.matchedIds(), [1, 2, 3, 4])
    assert.deepEqual(transaction.notable.map((m) => m.id), [2, 3])
  })
})

describe('JSON bodies', () => {
  const json = (body: string, rules: string, maxArguments?: number) => {
    const ruleSet = loadRuleSet([{ name: 'rules.conf', text: `SecRuleEngine DetectionOnly\n${rules}` }])
    const transaction = new WafTransaction(ruleSet, { method: 'POST', uri: '/x', protocol: 'HTTP/1.1', headers: [['content-type', 'application/vnd.api+json']], remoteAddress: '127.0.0.1' }, maxArguments === undefined ? {} : { maxArguments })
    transaction.processRequestHeaders()
    transaction.processRequestBody(Buffer.from(body))
    return transaction.matchedIds()
  }

  test('a property whose value is an array or an empty container is an argument name; its elements are not counted twice', () => {
    const body = JSON.stringify({ $where: ['this.a', 'x'], '<script>': [1], none: [], empty: {}, obj: { b: 1 } })
    const rules = [
      'SecRule ARGS_NAMES "@streq json.$where" "id:1,phase:2,pass,log"',
      'SecRule ARGS_NAMES "@rx ^json\\.<script>$" "id:2,phase:2,pass,log"',
      'SecRule ARGS:json.$where "@streq 2" "id:3,phase:2,pass,log"',
      'SecRule ARGS_NAMES "@streq json.none" "id:4,phase:2,pass,log"',
      'SecRule ARGS_NAMES "@streq json.empty" "id:5,phase:2,pass,log"',
      // A non-empty object's key is carried by its members' names, as in every reference engine.
      'SecRule ARGS_NAMES "@streq json.obj" "id:6,phase:2,pass,log"',
      'SecRule &ARGS:json.$where.0 "@eq 1" "id:7,phase:2,pass,log"',
      // Four values (this.a, x, 1, b), two empty containers, two non-empty arrays.
      'SecRule &ARGS "@eq 8" "id:8,phase:2,pass,log"',
      'SecRule &ARGS_NAMES "@eq 8" "id:9,phase:2,pass,log"',
    ].join('\n')
    assert.deepEqual(json(body, rules), [1, 2, 3, 4, 5, 7, 8, 9])
  })

  test('a top-level array is the argument json; values and arrays count apart towards maxArguments', () => {
    assert.deepEqual(json('[{"op":"add"},{"op":"remove"}]', 'SecRule ARGS:json "@streq 2" "id:1,phase:2,pass,log"\nSecRule ARGS:json.1.op "@streq remove" "id:2,phase:2,pass,log"'), [1, 2])
    const error = 'SecRule REQBODY_ERROR "@eq 1" "id:1,phase:2,pass,log"'
    assert.deepEqual(json('{"a":[1],"b":[2],"c":[3]}', error, 3), [])
    assert.deepEqual(json('{"a":[1],"b":[2],"c":[3,4]}', error, 3), [1])
    assert.deepEqual(json('{"a":[[[[1]]]]}', error, 3), [1])
  })
})

describe('transformations', () => {
  const t = (name: string, input: string) => (TRANSFORMATIONS.get(name) as (s: string) => string)(input)
  test('decoders keep what they cannot decode', () => {
    assert.equal(t('urldecodeuni', 'a%20b+c%zz%u0041%uFF1C'), 'a b c%zzA<')
    assert.equal(t('htmlentitydecode', '&lt;a&#x3e;&#62;&quot;&bogus;'), '<a>>"&bogus;')
    assert.equal(t('jsdecode', '\\x3cscript\\u003e\\101\\n'), '<script>A\n')
    assert.equal(t('cssdecode', '\\6a avascript\\3a'), 'javascript:')
    assert.equal(t('base64decode', 'PHNjcmlwdD4=!!'), '<script>')
    assert.equal(t('hexdecode', '3c7363'), '<sc')
  })
  test('normalisers', () => {
    assert.equal(t('normalizepath', '/a/./b/../../c//d/'), '/c/d/')
    assert.equal(t('normalizepathwin', 'a\\..\\..\\b'), '../b')
    assert.equal(t('cmdline', "C^at  /etc/pass'wd ; ls"), 'cat/etc/passwd ls')
    assert.equal(t('compresswhitespace', 'a \t\n b'), 'a b')
    assert.equal(t('replacecomments', 'a/*x*/b/*open'), 'a b ')
    assert.equal(t('utf8tounicode', Buffer.from('é<', 'utf8').toString('latin1')), '%u00e9<')
    assert.equal(t('length', 'abcd'), '4')
  })
})

test('Aho–Corasick finds any phrase in one pass, case-insensitively', () => {
  const automaton = new AhoCorasick(['he', 'she', 'hers', 'HIS'])
  assert.equal(automaton.find('ushers'), 'she')
  assert.equal(automaton.find('this'), 'his')
  assert.equal(automaton.find('nothing here'), 'he')
  assert.equal(automaton.find('xyz'), null)
  // Failure links deep in a phrase, characters past latin1 (read outside the root's table), and a
  // phrase of many states against a long input that starts none.
  const many = new AhoCorasick(['abcd', 'bce', 'cef', '\u212a\u0100x', 'x'.repeat(50)])
  assert.equal(many.find('zabcef'), 'bce')
  assert.equal(many.find('ab-cef'), 'cef')
  assert.equal(many.find('\u0100\u212a\u0100x'), '\u212a\u0100x')
  assert.equal(many.find('\u212a\u0100y'), null)
  assert.equal(many.find(`${'x'.repeat(49)}y${'x'.repeat(50)}`), 'x'.repeat(50))
  assert.equal(many.find('a'.repeat(100_000)), null)
})

test('Aho–Corasick as a DFA and as a trie with failure links find the same phrase a direct search finds', () => {
  // Earliest end first; of the phrases ending there, the longest. ASCII letters fold to lower case.
  const expected = (phrases: readonly string[], input: string): string | null => {
    const lower = input.replace(/[A-Z]+/g, (upper) => upper.toLowerCase())
    const folded = phrases.map((p) => p.replace(/[A-Z]+/g, (upper) => upper.toLowerCase()))
    for (let end = 1; end <= lower.length; end++) {
      const ending = folded.filter((p) => p !== '' && p.length <= end && lower.startsWith(p, end - p.length))
      if (ending.length > 0) return ending.reduce((a, b) => (b.length > a.length ? b : a))
    }
    return null
  }
  const random = seededRandom(7)
  // A small alphabet, so phrases overlap and partial matches need their failure links.
  const alphabet = ['a', 'b', 'c', 'A', '\u212a', '/']
  const word = (min: number, max: number): string => Array.from({ length: min + random(max - min + 1) }, () => alphabet[random(alphabet.length)]).join('')
  for (let round = 0; round < 300; round++) {
    const phrases = Array.from({ length: 1 + random(5) }, () => word(2, 5))
    const dfa = new AhoCorasick(phrases)
    const trie = new AhoCorasick(phrases, 0)
    for (let k = 0; k < 5; k++) {
      const input = word(0, 30)
      const want = expected(phrases, input)
      assert.equal(dfa.find(input), want, `DFA: ${JSON.stringify(phrases)} in ${JSON.stringify(input)}`)
      assert.equal(trie.find(input), want, `trie: ${JSON.stringify(phrases)} in ${JSON.stringify(input)}`)
    }
  }
})

test('a phrase list is passed over only for values lacking a character of every phrase', () => {
  const automaton = new AhoCorasick(['eval(', 'SYSTEM', '\u212aey', 'ab'])
  const mayOccur = (value: string) => automaton.mayOccurIn(charactersIn(value))
  assert.equal(mayOccur('a'.repeat(10_000)), false)
  assert.equal(mayOccur('aBBA'), true)
  assert.equal(mayOccur('lave sys'), false)
  assert.equal(mayOccur('(LAVE'), true)
  // Characters at or above 256 are outside the sets: such a value is always searched; a phrase
  // holding one cannot occur in a value without.
  assert.equal(mayOccur('\u212aey'), true)
  assert.equal(mayOccur('key'), false)

  // Lists whose phrases need hundreds of character sets (CRS's lfi-os-files.data needs 257) are checked too.
  const letters = Array.from({ length: 26 }, (_, i) => String.fromCharCode(0x61 + i))
  const pairs = letters.flatMap((x, i) => letters.slice(i + 1).map((y) => `${x}${y}`))
  const manySets = new AhoCorasick(pairs)
  assert.equal(manySets.mayOccurIn(charactersIn('a'.repeat(10_000) + '!')), false, `${pairs.length} two-letter phrases in a run of one letter`)
  assert.equal(manySets.mayOccurIn(charactersIn('a'.repeat(10_000) + 'z')), true)

  const random = seededRandom(5)
  const alphabet = ['a', 'b', 'c', 'A', 'C', '(', '\u0100']
  const word = (min: number, max: number): string => Array.from({ length: min + random(max - min + 1) }, () => alphabet[random(alphabet.length)]).join('')
  let passedOver = 0
  for (let round = 0; round < 300; round++) {
    const phrases = Array.from({ length: 1 + random(6) }, () => word(1, 4))
    const list = new AhoCorasick(phrases)
    for (let k = 0; k < 5; k++) {
      const input = word(0, 12)
      if (list.mayOccurIn(charactersIn(input))) continue
      passedOver++
      assert.equal(list.find(input), null, `${JSON.stringify(phrases)} in ${JSON.stringify(input)}`)
    }
  }
  assert.ok(passedOver > 100, `passed over ${passedOver}`)
})

test('@pm on a long value finds a phrase at its end, and passes over one without its characters', () => {
  const ruleSet = loadRuleSet([{ text: 'SecRuleEngine On\nSecRule ARGS "@pm evil <script" "id:1,phase:2,pass,log,t:none,t:lowercase"', name: 'rules.conf' }])
  const matched = (value: string) => {
    const transaction = new WafTransaction(ruleSet, { method: 'POST', uri: '/x', protocol: 'HTTP/1.1', headers: [['content-type', 'application/x-www-form-urlencoded']], remoteAddress: '127.0.0.1' })
    transaction.processRequestHeaders()
    transaction.processRequestBody(Buffer.from(`q=${encodeURIComponent(value)}`))
    return transaction.matchedIds()
  }
  assert.deepEqual(matched(`${'a'.repeat(50_000)}EVIL`), [1])
  assert.deepEqual(matched(`${'a'.repeat(50_000)}<SCRIPT`), [1])
  assert.deepEqual(matched(`${'a'.repeat(50_000)}<scrip`), [])
  assert.deepEqual(matched('a'.repeat(50_000)), [])
})

describe('misses known from earlier transactions', () => {
  const ruleSet = loadRuleSet([
    {
      name: 'rules.conf',
      text: `SecRuleEngine On
SecRule REQUEST_HEADERS:X-Probe "@rx (?i)attack" "id:1,phase:1,pass,log,t:none,t:urlDecodeUni"
SecRule REQUEST_HEADERS:X-Probe "@streq attack" "id:2,phase:1,pass,log"
SecRule REQUEST_HEADERS:X-Probe "!@pm safe" "id:3,phase:1,pass,log"`,
    },
  ])
  const rule = (id: number) => ruleSet.rules.get(id) as NonNullable<ReturnType<typeof ruleSet.rules.get>>
  const run = (probe: string, knownMisses = true) => {
    const transaction = new WafTransaction(ruleSet, { method: 'GET', uri: '/', protocol: 'HTTP/1.1', headers: [['X-Probe', probe]], remoteAddress: '127.0.0.1' }, { knownMisses })
    transaction.processRequestHeaders()
    return transaction.matchedIds()
  }
  const knownMiss = (probe: string, id: number) => KnownMisses.has(ruleSet.knownMisses.of(probe) ?? [], rule(id).missSlot)

  test('a pure operator’s miss is remembered by value and passed over; a match is never remembered', () => {
    assert.equal(rule(2).missSlot, -1, '@streq costs less than a lookup')
    assert.deepEqual(run('plain, checked by a reference run', false), [3])
    assert.equal(knownMiss('plain, checked by a reference run', 1), false)
    // Remembered from a value's second sighting on.
    assert.deepEqual(run('plain safe'), [])
    assert.equal(knownMiss('plain safe', 1), false)
    assert.deepEqual(run('plain safe'), [])
    assert.equal(knownMiss('plain safe', 1), true)
    // A negated operator misses when the phrase is there.
    assert.equal(knownMiss('plain safe', 3), true)
    assert.deepEqual(run('plain safe'), [])
    assert.deepEqual(run('%61ttack'), [1, 3])
    assert.equal(knownMiss('%61ttack', 1), false)
    assert.deepEqual(run('%61ttack'), [1, 3])
  })

  test('bounded: values seen twice, in two generations, the older dropped when the newer fills; long values are not kept', () => {
    const misses = new KnownMisses(70, 2)
    assert.equal(misses.of('a'), null)
    const a = misses.of('a') as number[]
    KnownMisses.add(a, 65)
    assert.equal(KnownMisses.has(misses.of('a') ?? [], 65), true)
    assert.equal(KnownMisses.has(a, 64), false)
    const twice = (value: string) => [misses.of(value), misses.of(value)]
    twice('b')
    twice('c')
    // 'a' is in the older generation; reading it moves it to the newer.
    assert.equal(KnownMisses.has(misses.of('a') ?? [], 65), true)
    twice('d')
    twice('e')
    twice('f')
    // Dropped with its generation: seen before, it starts again with no miss known.
    assert.equal(KnownMisses.has(misses.of('a') ?? [], 65), false)
    assert.equal(misses.size, 4)
    const long = 'x'.repeat(MAX_VALUE_LENGTH + 1)
    assert.deepEqual(twice(long), [null, null])
  })
})

describe('rules passed over a group at a time (miss-groups.ts)', () => {
  // 1 and 2 read the same entries (one group); 3 reads ARGS without `b` (another); 10 removes ARGS:q
  // from 2 when the path asks, as CRS's 941010 removes REQUEST_FILENAME from its XSS rules.
  const rules = `SecRuleEngine On
SecRule REQUEST_URI "@rx ^/quiet" "id:10,phase:1,pass,nolog,ctl:ruleRemoveTargetById=2;ARGS:q"
SecRule REQUEST_HEADERS:X-Note|ARGS "@rx (?i)evil" "id:2,phase:2,deny,status:403,log,t:none,t:lowercase"
SecRule ARGS|REQUEST_HEADERS:X-Note "@rx (?i)attack" "id:1,phase:2,deny,status:403,log,t:none,t:urlDecodeUni"
SecRule ARGS|!ARGS:b "@rx (?i)worse" "id:3,phase:2,deny,status:403,log,t:none"`
  const ruleSet = loadRuleSet([{ name: 'rules.conf', text: rules }])
  const reference = loadRuleSet([{ name: 'rules.conf', text: rules }])
  const run = (set: typeof ruleSet, uri: string, note: string, knownMisses = true) => {
    const transaction = new WafTransaction(set, { method: 'GET', uri, protocol: 'HTTP/1.1', headers: [['X-Note', note]], remoteAddress: '127.0.0.1' }, { knownMisses })
    transaction.processRequestHeaders()
    transaction.processRequestBody(null)
    return transaction
  }
  /** The transaction, after checking it matches what the same rules match with nothing remembered. */
  const checked = (uri: string, note = 'hello') => {
    const fast = run(ruleSet, uri, note)
    const plain = run(reference, uri, note, false)
    assert.deepEqual(fast.matchedIds(), plain.matchedIds(), `${uri} ${note}`)
    assert.deepEqual(fast.interruption, plain.interruption, `${uri} ${note}`)
    return fast
  }
  const rule = (id: number) => ruleSet.rules.get(id) as NonNullable<ReturnType<typeof ruleSet.rules.get>>

  test('rules reading the same entries share a group; other exclusions make another', () => {
    assert.notEqual(rule(1).missGroup, -1)
    assert.equal(rule(1).missGroup, rule(2).missGroup, 'the same targets in another order')
    assert.notEqual(rule(3).missGroup, rule(1).missGroup)
    assert.equal(ruleSet.missGroups.reads.length, 3, 'REQUEST_URI, ARGS with the header, ARGS without b')
  })

  test('a rule is passed over once every entry it reads is known to miss, and never where one is new or matches', () => {
    assert.equal(checked('/?a=plain&b=calm').passedOver, 0, 'first sighting: nothing known')
    checked('/?a=plain&b=calm')
    const third = checked('/?a=plain&b=calm')
    assert.equal(third.passedOver, 4, 'every rule known to miss on every entry it reads')
    // A new value among known ones: its group is not passed over, and the attack in it is found.
    assert.equal(checked('/?a=plain&b=%61ttack').interruption?.ruleId, 1)
    assert.equal(checked('/?a=plain&b=%61ttack').interruption?.ruleId, 1, 'a match is never remembered')
    // `b` is excluded from rule 3: its value is not in rule 3's group.
    checked('/?a=plain&b=worse')
    assert.equal(checked('/?a=plain&b=worse').interruption, null)
    assert.equal(checked('/?a=worse&b=calm').interruption?.ruleId, 3)
    // The same value in a header the rules also read.
    assert.equal(checked('/?a=plain&b=calm', 'EVIL').interruption?.ruleId, 2)
    assert.equal(checked('/?a=plain&b=calm', 'EVIL').interruption?.ruleId, 2)
  })

  test('a rule that lost a target to a removal is judged on what it still reads', () => {
    // On /quiet, rule 2 does not read q: an evil q passes there, however often it comes.
    for (let i = 0; i < 3; i++) assert.equal(checked('/quiet?q=evil&a=plain').interruption, null)
    assert.equal(checked('/quiet?q=evil&a=plain').passedOver, 3, 'rules 1 and 3, and 2 on what it still reads')
    // Elsewhere it does: q was never judged by rule 2, so nothing says it misses.
    assert.equal(checked('/loud?q=evil&a=plain').interruption?.ruleId, 2)
    assert.equal(checked('/quiet?q=evil&a=evil').interruption?.ruleId, 2)
    // Rule 1 reads q wherever rule 2 does not: what rule 2 is known to miss on says nothing of it.
    for (let i = 0; i < 3; i++) assert.equal(checked('/quiet?q=%61ttack&a=plain').interruption?.ruleId, 1)
  })
})

test('single-valued variables are shared by transactions with the same value; their misses are still learnt from the second sighting', () => {
  const ruleSet = loadRuleSet([{ name: 'rules.conf', text: 'SecRuleEngine On\nSecRule REQUEST_FILENAME "@rx (?i)/admin" "id:1,phase:1,deny,status:403,t:none,t:urlDecodeUni"' }])
  const run = (uri: string) => {
    const transaction = new WafTransaction(ruleSet, { method: 'GET', uri, protocol: 'HTTP/1.1', headers: [], remoteAddress: '127.0.0.1' })
    transaction.processRequestHeaders()
    return transaction
  }
  const [a, b] = [run('/shared/path?x=1'), run('/shared/path?x=2')]
  assert.equal(a.variables.get('REQUEST_FILENAME'), b.variables.get('REQUEST_FILENAME'), 'one collection for one path')
  assert.notEqual(a.variables.get('REQUEST_LINE'), b.variables.get('REQUEST_LINE'))
  assert.notEqual(a.variables.get('UNIQUE_ID'), b.variables.get('UNIQUE_ID'))
  // A new path: checked on its first two sightings, then known to miss.
  assert.deepEqual([run('/fresh/path').passedOver, run('/fresh/path').passedOver, run('/fresh/path').passedOver], [0, 0, 1])
  // Never a match: the same attack is refused every time, its shared entry holding no miss.
  for (let i = 0; i < 3; i++) assert.equal(run('/%61dmin').interruption?.ruleId, 1)
})

test('each rule set shares its own single-valued entries: misses numbered for one never pass a rule of another', () => {
  // Slot 0 is rule 1 in the first rule set and rule 2 (the attack rule) in the second.
  const first = loadRuleSet([{ name: 'a.conf', text: 'SecRuleEngine On\nSecRule REQUEST_BASENAME "@rx zzz" "id:1,phase:1,pass,nolog"' }])
  const second = loadRuleSet([{ name: 'b.conf', text: 'SecRuleEngine On\nSecRule REQUEST_BASENAME "@rx attack" "id:2,phase:1,deny,status:403"' }])
  const run = (ruleSet: typeof first, uri: string) => {
    const transaction = new WafTransaction(ruleSet, { method: 'GET', uri, protocol: 'HTTP/1.1', headers: [], remoteAddress: '127.0.0.1' })
    transaction.processRequestHeaders()
    return transaction
  }
  for (let i = 0; i < 3; i++) run(first, '/x/attack')
  assert.equal(run(second, '/y/attack').interruption?.ruleId, 2)
  assert.notEqual(run(first, '/x/attack').variables.get('REQUEST_BASENAME'), run(second, '/y/attack').variables.get('REQUEST_BASENAME'))
})

describe('rules passed over a group at a time: what a review found', () => {
  /** Runs `requests` (uri, headers) through `rules` and through the same rules with nothing remembered; every outcome must agree. */
  const agree = (rules: string, requests: readonly (readonly [string, [string, string][]])[], exclusionSpec?: Parameters<typeof buildExclusions>[1]) => {
    const fast = loadRuleSet([{ name: 'rules.conf', text: rules }])
    const reference = loadRuleSet([{ name: 'rules.conf', text: rules }])
    const run = (set: typeof fast, uri: string, headers: [string, string][], knownMisses: boolean) => {
      const exclusions = exclusionSpec === undefined ? undefined : buildExclusions(set, exclusionSpec)
      const transaction = new WafTransaction(set, { method: 'GET', uri, protocol: 'HTTP/1.1', headers, remoteAddress: '127.0.0.1' }, { knownMisses, ...(exclusions === undefined ? {} : { exclusions }) })
      transaction.processRequestHeaders()
      transaction.processRequestBody(null)
      return transaction
    }
    for (const [uri, headers] of requests) {
      const a = run(fast, uri, headers, true)
      const b = run(reference, uri, headers, false)
      assert.deepEqual(a.matchedIds(), b.matchedIds(), `${uri} ${JSON.stringify(headers)}`)
      assert.deepEqual(a.interruption, b.interruption, `${uri} ${JSON.stringify(headers)}`)
    }
    return fast
  }

  test('REQBODY_PROCESSOR, which a ctl sets within phase 1, is in no group', () => {
    const rules = `SecRuleEngine On
SecRule REQBODY_PROCESSOR "@rx ^JSON$" "id:1,phase:1,pass,nolog"
SecRule REQUEST_HEADERS:X-Go "@rx yes" "id:2,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQBODY_PROCESSOR "@rx ^JSON$" "id:3,phase:1,deny,status:403"`
    agree(rules, [['/', []], ['/', []], ['/', []], ['/', [['X-Go', 'yes']]]])
  })

  test('group keys do not collide on selectors holding the separators', () => {
    agree(`SecRuleEngine On
SecRule ARGS:/x!ARGS:ka/|!ARGS:b "@rx zzz" "id:1,phase:2,pass,nolog"
SecRule ARGS:/x/|!ARGS:a|!ARGS:b "@rx evil" "id:2,phase:2,deny,status:403"`, [['/?x=evil', []]])
    agree(`SecRuleEngine On
SecRule REQUEST_URI "@rx ^/" "id:10,phase:1,pass,nolog,ctl:ruleRemoveTargetById=1;ARGS:/a/|ARGS:b,ctl:ruleRemoveTargetById=2;ARGS:/a|!ARGS:kb/"
SecRule ARGS "@rx zzz" "id:1,phase:2,pass,nolog"
SecRule ARGS "@rx evil" "id:2,phase:2,deny,status:403"`, [['/?a=zzz&b=evil', []], ['/?a=zzz&b=evil', []], ['/?a=zzz&b=evil', []]])
  })

  test('removal lists are kept by what they remove: a list joined afresh per request takes no new slot', () => {
    const rules = `SecRuleEngine On
SecRule REQUEST_URI "@rx ^/" "id:10,phase:1,pass,nolog,ctl:ruleRemoveTargetById=2;ARGS:q"
SecRule ARGS "@rx evil" "id:1,phase:2,deny,status:403"
SecRule ARGS "@rx worse" "id:2,phase:2,deny,status:403"`
    // Rule 2 loses targets to a configured exclusion and to the ctl: a new joined list on every request.
    const requests = Array.from({ length: 20 }, (_, i): [string, [string, string][]] => [`/?a=fine${i % 3}&q=worse`, []])
    const ruleSet = agree(rules, requests, { ids: [], tags: [], targets: [{ rule: 2, target: 'ARGS:z' }] })
    assert.notEqual(ruleSet.missGroups.view([], false), null, 'slots left for other lists')
  })
})

describe('rules passed over a group at a time, with the schema-aware inspection', () => {
  // 21 and 22 read the same entries; 22 is high-confidence, so it alone reads free text.
  const rules = `SecRuleEngine On
SecRule ARGS "@rx (?i)attack" "id:21,phase:2,deny,status:403,log,t:none"
SecRule ARGS "@rx (?i)attack" "id:22,phase:2,deny,status:403,log,t:none,tag:'confidence/high'"`
  const ruleSet = loadRuleSet([{ name: 'rules.conf', text: rules }])
  const reference = loadRuleSet([{ name: 'rules.conf', text: rules }])
  // As the document would declare them: `id` an integer (no rule reads it), `comment` free text.
  const inspection: ArgumentInspection = {
    levelOf: (_collection, key) => (key === 'id' ? 'skip' : key === 'comment' ? 'high' : 'all'),
    isHighConfidence: (rule) => rule.tags.includes('confidence/high'),
  }
  const run = (set: typeof ruleSet, uri: string, knownMisses = true) => {
    const transaction = new WafTransaction(set, { method: 'GET', uri, protocol: 'HTTP/1.1', headers: [], remoteAddress: '127.0.0.1' }, { knownMisses, inspection })
    transaction.processRequestHeaders()
    transaction.processRequestBody(null)
    return transaction
  }
  const checked = (uri: string) => {
    const fast = run(ruleSet, uri)
    const plain = run(reference, uri, false)
    assert.deepEqual(fast.matchedIds(), plain.matchedIds(), uri)
    assert.deepEqual(fast.interruption, plain.interruption, uri)
    return fast
  }

  test('values no rule reads are left out; free text counts for the high-confidence rule alone', () => {
    // `id` is read by no rule: both rules read nothing from the first request on.
    assert.equal(checked('/?id=attack').passedOver, 2)
    // Free text known to miss is passed over by both; new free text is read by the high-confidence rule.
    for (let i = 0; i < 2; i++) checked('/?id=1&comment=calm')
    assert.equal(checked('/?id=1&comment=calm').passedOver, 2)
    assert.equal(checked('/?id=1&comment=an%20attack').interruption?.ruleId, 22)
    for (let i = 0; i < 3; i++) assert.equal(checked('/?id=1&comment=an%20attack').interruption?.ruleId, 22)
    // Rule 21 misses on every value it reads; rule 22 still reads the comment.
    assert.equal(checked('/?id=1&name=calm&comment=an%20attack').interruption?.ruleId, 22)
    assert.equal(checked('/?id=1&name=an%20attack&comment=calm').interruption?.ruleId, 21)
  })
})

test('SecLang readers: continuations, quotes, selectors, actions', () => {
  const [directive] = readDirectives('SecRule ARGS|!ARGS:foo|&TX:x|REQUEST_COOKIES:/^_ga/ \\\n  "@rx a\\"b" \\\n  "id:1,msg:\'a, b\',t:none"', 'x.conf')
  assert.deepEqual(directive?.args, ['ARGS|!ARGS:foo|&TX:x|REQUEST_COOKIES:/^_ga/', '@rx a"b', "id:1,msg:'a, b',t:none"])
  assert.deepEqual(parseVariables(directive?.args[0] ?? '').map((v) => [v.collection, v.exclude, v.count, v.selector]), [
    ['ARGS', false, false, null],
    ['ARGS', true, false, { kind: 'key', key: 'foo' }],
    ['TX', false, true, { kind: 'key', key: 'x' }],
    ['REQUEST_COOKIES', false, false, { kind: 'regex', pattern: '^_ga' }],
  ])
  assert.deepEqual(parseOperator('!@within GET POST'), { name: 'within', negated: true, argument: 'GET POST' })
  assert.deepEqual(parseOperator('^abc$'), { name: 'rx', negated: false, argument: '^abc$' })
  assert.deepEqual(parseActions("id:1,msg:'a, b',t:none,block"), [
    { name: 'id', value: '1' },
    { name: 'msg', value: 'a, b' },
    { name: 't', value: 'none' },
    { name: 'block', value: null },
  ])
  assert.throws(() => loadRuleSet([{ text: 'SecRule ARGS "@nosuch x" "id:1"', name: 'bad.conf' }]), /bad\.conf:1: unsupported operator @nosuch/)
  assert.throws(() => loadRuleSet([{ text: 'SecFrobnicate On', name: 'bad.conf' }]), /bad\.conf:1: unsupported directive SecFrobnicate/)
})

describe('target removals', () => {
  // Rule 10 and 11 look for "attack" in every argument; each way of removing ARGS:q from them
  // must leave ARGS:r inspected and ARGS:q not.
  const rules = (removal: string) =>
    loadRuleSet([
      {
        name: 'rules.conf',
        text: `SecRuleEngine On
SecAction "id:1,phase:1,pass,nolog,setvar:tx.param=q"
${removal}
SecRule ARGS "@contains attack" "id:10,phase:2,pass,log,tag:'group-a',msg:'attack in %{MATCHED_VAR_NAME}'"
SecRule ARGS "@contains attack" "id:11,phase:2,pass,log,tag:'group-b',msg:'attack in %{MATCHED_VAR_NAME}'"`,
      },
    ])
  const inspected = (ruleSet: ReturnType<typeof loadRuleSet>, uri: string, exclusions?: Parameters<typeof buildExclusions>[1]) => {
    const transaction = new WafTransaction(ruleSet, { method: 'GET', uri, protocol: 'HTTP/1.1', headers: [['Host', 'x']], remoteAddress: '127.0.0.1' }, exclusions === undefined ? {} : { exclusions: buildExclusions(ruleSet, exclusions) })
    transaction.processRequestHeaders()
    transaction.processRequestBody(null)
    return transaction.notable.map((m) => `${m.id} ${m.variable}`)
  }

  test('by id and by tag, written out or built from macros, and by a route: only the named rules lose the target', () => {
    const cases: [string, string[]][] = [
      ['SecAction "id:2,phase:1,pass,nolog,ctl:ruleRemoveTargetById=10;ARGS:q"', ['11 ARGS:q']],
      ['SecAction "id:2,phase:1,pass,nolog,ctl:ruleRemoveTargetByTag=group-b;ARGS:q"', ['10 ARGS:q']],
      ['SecAction "id:2,phase:1,pass,nolog,ctl:ruleRemoveTargetById=11;ARGS:%{tx.param}"', ['10 ARGS:q']],
      ['SecAction "id:2,phase:1,pass,nolog,ctl:ruleRemoveTargetByTag=group-a;ARGS:%{tx.param}"', ['11 ARGS:q']],
      ['', ['10 ARGS:q', '11 ARGS:q']],
    ]
    for (const [removal, expected] of cases) {
      const ruleSet = rules(removal)
      assert.deepEqual(inspected(ruleSet, '/?q=attack'), expected, removal)
      // The other argument is still read by both rules.
      assert.deepEqual(inspected(ruleSet, '/?r=attack'), ['10 ARGS:r', '11 ARGS:r'], removal)
    }
    const ruleSet = rules('')
    assert.deepEqual(inspected(ruleSet, '/?q=attack', { ids: [], tags: [], targets: [{ rule: 11, target: 'ARGS:q' }] }), ['10 ARGS:q'])
  })

  test('every match is recorded with its rule, phase and variable, bookkeeping ones included', () => {
    const ruleSet = rules('')
    const transaction = new WafTransaction(ruleSet, { method: 'GET', uri: '/?q=attack', protocol: 'HTTP/1.1', headers: [['Host', 'x']], remoteAddress: '127.0.0.1' })
    transaction.processRequestHeaders()
    transaction.processRequestBody(null)
    assert.deepEqual(
      transaction.matched.map((m) => [m.id, m.phase, m.variable, m.value, m.msg, m.logged]),
      [
        [1, 1, '', '', null, false],
        [10, 2, 'ARGS:q', 'attack', 'attack in ARGS:q', true],
        [11, 2, 'ARGS:q', 'attack', 'attack in ARGS:q', true],
      ],
    )
  })
})

test('regex selectors that reject keys by their first character agree with the regex alone', () => {
  const random = seededRandom(920450)
  const characters = ['h', 'H', 'e', '_', '1', 'x', '\u212a', 'k', 'K', '-', 'é', '']
  for (const pattern of ['^header_name_', '^h', '^_x', '^1', '^k', '^ka|^x', '^h?e', '^x*', 'header', '^H{0,1}e']) {
    const selector = new RegexSelector(pattern)
    const plain = new RE2(pattern, 'i')
    for (let round = 0; round < 300; round++) {
      const key = Array.from({ length: random(5) }, () => characters[random(characters.length)]).join('') + (random(2) === 0 ? 'eader_name_x' : '')
      assert.equal(selector.test(key), plain.test(key), `${pattern} on ${JSON.stringify(key)}`)
    }
  }
})

test('`block` takes the phase default: pass in anomaly mode, deny in a traditional setup', () => {
  const request = { method: 'GET', uri: '/?q=attack', protocol: 'HTTP/1.1', headers: [['Host', 'x']] as [string, string][], remoteAddress: '127.0.0.1' }
  for (const [defaults, interrupted] of [['SecDefaultAction "phase:2,log,pass"', false], ['SecDefaultAction "phase:2,log,deny,status:403"', true]] as const) {
    const ruleSet = loadRuleSet([{ text: `${defaults}\nSecRule ARGS "@contains attack" "id:1,phase:2,block,t:none"`, name: 'rules.conf' }])
    const transaction = new WafTransaction(ruleSet, request)
    transaction.processRequestHeaders()
    transaction.processRequestBody(null)
    assert.deepEqual(transaction.matchedIds(), [1])
    assert.equal(transaction.interruption !== null, interrupted, defaults)
  }
})

// Growth, not a time budget, is asserted: 8 times the input costs about 8 times the work when
// linear, 64 times when quadratic (a quoted-word rewrite once took 7 s on 100 KB of letters).
test('inputs that make backtracking engines slow are read by the built-in profile in linear time', () => {
  const ruleSet = loadRuleSet([{ text: 'SecRuleEngine DetectionOnly', name: 'mode' }, { text: DEFAULT_PROFILE, name: 'profile' }])
  const units = ['<', '[]', "'", '${', 'a', '/*', "a'", '\\a', '$(a', '{a,', ';a', 'http://', '<a ', 'é’']
  const cpuMs = (input: string): number => {
    let best = Infinity
    for (let i = 0; i < 3; i++) {
      const transaction = new WafTransaction(ruleSet, { method: 'POST', uri: '/x', protocol: 'HTTP/1.1', headers: [['content-type', 'application/x-www-form-urlencoded']], remoteAddress: '127.0.0.1' })
      transaction.processRequestHeaders()
      const body = Buffer.from(`q=${encodeURIComponent(input)}`)
      const start = process.cpuUsage()
      transaction.processRequestBody(body)
      const used = process.cpuUsage(start)
      best = Math.min(best, (used.user + used.system) / 1000)
      // Values are kept as bytes, one character each (ModSecurity's reading).
      assert.ok(transaction.variables.get('ARGS_POST')?.first('q') === Buffer.from(input).toString('latin1'), 'the whole input was read')
    }
    return best
  }
  for (const unit of units) {
    const smallMs = Math.max(cpuMs(unit.repeat(Math.ceil(12_800 / unit.length))), 0.5)
    const largeMs = cpuMs(unit.repeat(Math.ceil(102_400 / unit.length)))
    assert.ok(largeMs < smallMs * 24, `${JSON.stringify(unit)}: 12.5 KB took ${smallMs.toFixed(1)} ms, 100 KB ${largeMs.toFixed(1)} ms`)
  }
})
