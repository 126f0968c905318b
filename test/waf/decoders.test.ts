/**
 * The decoders rewritten to copy slices between escapes give exactly what the character-by-character
 * versions gave: those are kept here as the reference, and both run over random strings dense
 * with escapes, partial escapes and characters beyond latin1.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compileOperator, type MatchContext } from '../../src/waf/operators.js'
import { charactersIn } from '../../src/waf/character-set.js'
import { decodeArgument } from '../../src/waf/request-variables.js'
import { TRANSFORMATIONS } from '../../src/waf/transformations.js'
import { seededRandom } from '../helpers/seeded-random.js'

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
const hexValue = (c: number) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57)
const unicodeToByte = (code: number) => (code >= 0xff01 && code <= 0xff5e ? code - 0xfee0 : code & 0xff)

function referenceUrlDecode(input: string, unicode: boolean): string {
  let out = ''
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i)
    if (c === 0x2b) out += ' '
    else if (c === 0x25) {
      if (unicode && (input[i + 1] === 'u' || input[i + 1] === 'U') && [2, 3, 4, 5].every((k) => isHex(input.charCodeAt(i + k)))) {
        const code = parseInt(input.slice(i + 2, i + 6), 16)
        // Code points beyond Latin-1 (but full-width ASCII) stay their UTF-8 bytes: other scripts are not punctuation.
        out += code < 0x100 || (code >= 0xff01 && code <= 0xff5e) ? String.fromCharCode(unicodeToByte(code)) : Buffer.from(String.fromCharCode(code), 'utf8').toString('latin1')
        i += 5
      } else if (isHex(input.charCodeAt(i + 1)) && isHex(input.charCodeAt(i + 2))) {
        out += String.fromCharCode(hexValue(input.charCodeAt(i + 1)) * 16 + hexValue(input.charCodeAt(i + 2)))
        i += 2
      } else out += '%'
    } else out += input.charAt(i)
  }
  return out
}

const NUMERIC_ENTITY = /&#(?:[xX]0*([0-9a-fA-F]{1,8})|0*([0-9]{1,10}));?/y
const NAMED_ENTITIES: Readonly<Record<string, string>> = { quot: '"', amp: '&', lt: '<', gt: '>', nbsp: '\u00a0', apos: "'" }

function referenceHtmlEntityDecode(input: string): string {
  let out = ''
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '&') {
      out += input.charAt(i)
      continue
    }
    NUMERIC_ENTITY.lastIndex = i
    const numeric = NUMERIC_ENTITY.exec(input)
    if (numeric !== null) {
      const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2])
      out += String.fromCharCode(code & 0xff)
      i += numeric[0].length - 1
      continue
    }
    const named = /^&([a-zA-Z]{2,6});?/.exec(input.slice(i, i + 9))
    const value = named?.[1] === undefined ? undefined : NAMED_ENTITIES[named[1].toLowerCase()]
    if (named !== null && value !== undefined) {
      out += value
      i += named[0].length - 1
    } else out += '&'
  }
  return out
}

const C_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '?': '?', "'": "'", '"': '"' }

function referenceJsDecode(input: string): string {
  let out = ''
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '\\' || i + 1 >= input.length) {
      out += input.charAt(i)
      continue
    }
    const next = input[i + 1] ?? ''
    if ((next === 'u' || next === 'U') && [2, 3, 4, 5].every((k) => isHex(input.charCodeAt(i + k)))) {
      out += String.fromCharCode(unicodeToByte(parseInt(input.slice(i + 2, i + 6), 16)))
      i += 5
    } else if ((next === 'x' || next === 'X') && isHex(input.charCodeAt(i + 2)) && isHex(input.charCodeAt(i + 3))) {
      out += String.fromCharCode(parseInt(input.slice(i + 2, i + 4), 16))
      i += 3
    } else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(input.slice(i + 1, i + 4))?.[0] ?? next
      out += String.fromCharCode(parseInt(octal, 8) & 0xff)
      i += octal.length
    } else {
      out += C_ESCAPES[next] ?? next
      i++
    }
  }
  return out
}

function referenceCmdLine(input: string): string {
  let out = ''
  let space = false
  for (let i = 0; i < input.length; i++) {
    const c = input[i] ?? ''
    if (c === '\\' || c === '"' || c === "'" || c === '^') continue
    if (c === ' ' || c === ',' || c === ';' || c === '\t' || c === '\r' || c === '\n') {
      space = true
      continue
    }
    if (space) {
      if (c !== '/' && c !== '(' && out !== '') out += ' '
      space = false
    }
    out += c.toLowerCase()
  }
  return out
}

const transform = (name: string) => TRANSFORMATIONS.get(name) as (input: string) => string

test('the slice-copying decoders agree with the character-by-character ones on escape-dense random input', () => {
  const random = seededRandom(2026)
  const pieces = ['%', '+', '%4', '%41', '%u', '%uFF21', '%u00e9', '%zz', '&', '&#', '&#x', '&#x3C', '&#60;', '&#0000065', '&lt;', '&LT', '&amp', '&nbsp;', '&bogus;', '&#;', '\\', '\\u0041', '\\x4', '\\x41', '\\101', '\\7', '\\8', '\\n', '\\q', '"', "'", '^', ' ', ',', ';', '\t', '\r\n', '/', '(', 'A', 'b', 'Z', 'é', 'À', 'Σ', 'İ', 'ß', '\u212a', 'x', '0', '9', 'f']
  const cases = [
    ['urlDecode', transform('urldecode'), (s: string) => referenceUrlDecode(s, false)],
    ['urlDecodeUni', transform('urldecodeuni'), (s: string) => referenceUrlDecode(s, true)],
    ['decodeArgument', decodeArgument, (s: string) => referenceUrlDecode(s, false)],
    ['htmlEntityDecode', transform('htmlentitydecode'), referenceHtmlEntityDecode],
    ['jsDecode', transform('jsdecode'), referenceJsDecode],
    ['cmdLine', transform('cmdline'), referenceCmdLine],
  ] as const
  for (let round = 0; round < 3000; round++) {
    const input = Array.from({ length: random(14) }, () => pieces[random(pieces.length)]).join('')
    for (const [name, actual, expected] of cases) assert.equal(actual(input), expected(input), `${name}(${JSON.stringify(input)})`)
  }
  // Ordinary runs around the length at which cmdLine hands the rest of a run to a regex search.
  const runs = ['Ab/('.repeat(8), 'q'.repeat(31), 'Q'.repeat(32), 'w'.repeat(33), 'e'.repeat(64), ' ', ';', '"', '^', '\\', '/', '(', 'é']
  for (let round = 0; round < 2000; round++) {
    const input = Array.from({ length: random(8) }, () => runs[random(runs.length)]).join('')
    assert.equal(transform('cmdline')(input), referenceCmdLine(input), `cmdLine(${JSON.stringify(input)})`)
  }
  // Long runs without escapes and runs of escapes only.
  for (const input of ['a'.repeat(10_000) + '!', '&#'.repeat(5_000), '%3C'.repeat(5_000), '${'.repeat(5_000), '\\'.repeat(9_999), 'A B'.repeat(3_000)]) {
    for (const [name, actual, expected] of cases) assert.equal(actual(input), expected(input), `${name} of a ${input.length}-character run`)
  }
})

test('@validateByteRange by a compiled character class agrees with a byte-by-byte check', () => {
  const random = seededRandom(920270)
  const reference = (ranges: readonly [number, number][], value: string): boolean => {
    for (let i = 0; i < value.length; i++) {
      const byte = value.charCodeAt(i) & 0xff
      if (!ranges.some(([from, to]) => byte >= from && byte <= to)) return true
    }
    return false
  }
  // Long values are first checked against the characters they hold (one pass shared by every rule).
  const context = { characters: charactersIn } as MatchContext
  const characters = [0, 1, 9, 10, 13, 32, 36, 38, 45, 65, 97, 98, 66, 92, 93, 94, 126, 127, 128, 200, 255, 0x141, 0x2d, 0x100, 0x15d, 0x20ac]
  for (let round = 0; round < 400; round++) {
    const ranges = Array.from({ length: random(4) }, (): [number, number] => {
      const from = characters[random(characters.length)] as number
      return [from & 0xff, Math.min(255, (from & 0xff) + random(3) * random(60))]
    })
    const argument = ranges.map(([from, to]) => (from === to ? String(from) : `${from}-${to}`)).join(',')
    if (argument === '') continue
    const operator = compileOperator({ name: 'validatebyterange', negated: false, argument }, '.')
    for (let k = 0; k < 5; k++) {
      const value = String.fromCharCode(...Array.from({ length: random(12) }, () => characters[random(characters.length)] as number))
      assert.equal(operator.match(value, context, false) !== null, reference(ranges, value), `@validateByteRange ${argument} on ${JSON.stringify(value)}`)
      const long = value === '' ? '' : value.repeat(Math.ceil(4096 / value.length))
      assert.equal(operator.match(long, context, false) !== null, reference(ranges, long), `@validateByteRange ${argument} on ${JSON.stringify(value)} repeated to ${long.length}`)
    }
  }
})

test('utf8toUnicode then urlDecodeUni leaves text in other scripts as its bytes, not ASCII punctuation', () => {
  const chain = (value: string) => transform('urldecodeuni')(transform('utf8tounicode')(Buffer.from(value, 'utf8').toString('latin1')))
  for (const text of ['ढकाल', 'ทุกคนมีสิทธิ', 'Вони наділені розумом', 'هر زن و مرد']) assert.equal(chain(text), Buffer.from(text, 'utf8').toString('latin1'), text)
  // Full-width ASCII is still read as ASCII (an evasion), and escapes below 256 are their byte.
  assert.equal(transform('urldecodeuni')('%uff07%u0027%u003c'), "''<")
})
