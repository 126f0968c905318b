/**
 * The SecLang transformations (`t:`) CRS uses, on byte strings: every value the WAF sees is a
 * latin1 string, one character per byte, as the reference engines match bytes. Each follows
 * ModSecurity's documented behaviour, including what it leaves alone (invalid escapes stay as
 * they were), since a rule's regular expression was written against that output.
 */
import { createHash } from 'node:crypto'

export type Transformation = (input: string) => string

export const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
const hexValue = (c: number) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57)
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d)

/** `%uFF01`–`%uFF5E` are full-width ASCII: map them to ASCII, as ModSecurity does; else keep the low byte. */
function unicodeToByte(code: number): number {
  return code >= 0xff01 && code <= 0xff5e ? code - 0xfee0 : code & 0xff
}

const isOctal = (c: number) => c >= 0x30 && c <= 0x37

/**
 * A `%uHHHH` escape as bytes. ModSecurity keeps the low byte of a code point it has no mapping
 * for, so `utf8toUnicode` then `urlDecodeUni` turn text in other scripts into ASCII punctuation
 * (Devanagari ढ U+0922 into `"`, Thai and Cyrillic letters into quotes, brackets and `;`), which
 * CRS's SQL and command rules then read as syntax. We keep such a code point as its UTF-8 bytes,
 * as every decoder an upstream runs does; full-width ASCII still maps to ASCII (the evasion), and
 * code points below 256 are their byte.
 */
function unicodeEscapeToBytes(code: number): string {
  if (code < 0x100) return String.fromCharCode(code)
  if (code >= 0xff01 && code <= 0xff5e) return String.fromCharCode(code - 0xfee0)
  return Buffer.from(String.fromCharCode(code), 'utf8').toString('latin1')
}

// The decoders below copy the text between escapes as whole slices: appending one character at a
// time made a string per character, which on adversarial inputs (10,000 escapes, 100 KB values)
// was most of the engine's time and garbage.

/** `+` as a space, `%hh` as a byte (and with `unicode`, `%uhhhh` as `unicodeEscapeToBytes` says); an invalid `%` stays. */
export function urlDecode(input: string, unicode: boolean): string {
  // The next `%` and the next `+`, each searched again only once passed (searching both from
  // every escape would rescan to the end for the one that is absent: quadratic).
  let percent = input.indexOf('%')
  let plus = input.indexOf('+')
  if (percent === -1 && plus === -1) return input
  let out = ''
  let run = 0
  for (;;) {
    if (percent !== -1 && percent < run) percent = input.indexOf('%', run)
    if (plus !== -1 && plus < run) plus = input.indexOf('+', run)
    const i = percent === -1 ? plus : plus === -1 ? percent : Math.min(percent, plus)
    if (i === -1) break
    if (i === plus) {
      out += `${input.slice(run, i)} `
      run = i + 1
      continue
    }
    const next = input.charCodeAt(i + 1)
    if (unicode && (next === 0x75 || next === 0x55) /* u U */ && isHex(input.charCodeAt(i + 2)) && isHex(input.charCodeAt(i + 3)) && isHex(input.charCodeAt(i + 4)) && isHex(input.charCodeAt(i + 5))) {
      const code = ((hexValue(input.charCodeAt(i + 2)) * 16 + hexValue(input.charCodeAt(i + 3))) * 16 + hexValue(input.charCodeAt(i + 4))) * 16 + hexValue(input.charCodeAt(i + 5))
      out += input.slice(run, i) + unicodeEscapeToBytes(code)
      run = i + 6
    } else if (isHex(next) && isHex(input.charCodeAt(i + 2))) {
      out += input.slice(run, i) + String.fromCharCode(hexValue(next) * 16 + hexValue(input.charCodeAt(i + 2)))
      run = i + 3
    } else {
      // An invalid `%` stays as it is: look for the next one after it.
      percent = input.indexOf('%', i + 1)
    }
  }
  return out + input.slice(run)
}

/** `&#x3c;`, `&#60;`, any number of leading zeros (an evasion), the `;` optional. Sticky: tried at one position. */
const NUMERIC_ENTITY = /&#(?:[xX]0*([0-9a-fA-F]{1,8})|0*([0-9]{1,10}));?/y
const NAMED_ENTITY = /&([a-zA-Z]{2,6});?/y
const NAMED_ENTITIES: Readonly<Record<string, string>> = { quot: '"', amp: '&', lt: '<', gt: '>', nbsp: '\u00a0', apos: "'" }

const isAsciiLetter = (c: number) => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a
const isDigit = (c: number) => c >= 0x30 && c <= 0x39

function htmlEntityDecode(input: string): string {
  let i = input.indexOf('&')
  if (i === -1) return input
  let out = ''
  let run = 0
  for (; i !== -1; i = input.indexOf('&', i + 1)) {
    const next = input.charCodeAt(i + 1)
    if (next === 0x23 /* # */) {
      // Only `&#` then a digit or x can be numeric: the regex is not tried on anything else.
      const third = input.charCodeAt(i + 2)
      if (!isDigit(third) && (third | 0x20) !== 0x78) continue
      NUMERIC_ENTITY.lastIndex = i
      const numeric = NUMERIC_ENTITY.exec(input)
      if (numeric === null) continue
      const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2])
      out += input.slice(run, i) + String.fromCharCode(code & 0xff)
      run = i + numeric[0].length
      i = run - 1
    } else if (isAsciiLetter(next)) {
      NAMED_ENTITY.lastIndex = i
      const named = NAMED_ENTITY.exec(input)
      const value = named?.[1] === undefined ? undefined : NAMED_ENTITIES[named[1].toLowerCase()]
      if (named === null || value === undefined) continue
      out += input.slice(run, i) + value
      run = i + named[0].length
      i = run - 1
    }
  }
  return out + input.slice(run)
}

const C_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '?': '?', "'": "'", '"': '"' }

function jsDecode(input: string): string {
  let i = input.indexOf('\\')
  if (i === -1) return input
  let out = ''
  let run = 0
  // A backslash that ends the input stays as it is.
  for (; i !== -1 && i + 1 < input.length; i = input.indexOf('\\', run)) {
    const next = input.charCodeAt(i + 1)
    let decoded: string
    let length: number
    if ((next === 0x75 || next === 0x55) /* u U */ && isHex(input.charCodeAt(i + 2)) && isHex(input.charCodeAt(i + 3)) && isHex(input.charCodeAt(i + 4)) && isHex(input.charCodeAt(i + 5))) {
      const code = ((hexValue(input.charCodeAt(i + 2)) * 16 + hexValue(input.charCodeAt(i + 3))) * 16 + hexValue(input.charCodeAt(i + 4))) * 16 + hexValue(input.charCodeAt(i + 5))
      decoded = String.fromCharCode(unicodeToByte(code))
      length = 6
    } else if ((next === 0x78 || next === 0x58) /* x X */ && isHex(input.charCodeAt(i + 2)) && isHex(input.charCodeAt(i + 3))) {
      decoded = String.fromCharCode(hexValue(input.charCodeAt(i + 2)) * 16 + hexValue(input.charCodeAt(i + 3)))
      length = 4
    } else if (isOctal(next)) {
      let value = next - 0x30
      let digits = 1
      for (; digits < 3 && isOctal(input.charCodeAt(i + 1 + digits)); digits++) value = value * 8 + input.charCodeAt(i + 1 + digits) - 0x30
      decoded = String.fromCharCode(value & 0xff)
      length = 1 + digits
    } else {
      const escaped = input.charAt(i + 1)
      decoded = C_ESCAPES[escaped] ?? escaped
      length = 2
    }
    out += input.slice(run, i) + decoded
    run = i + length
  }
  return out + input.slice(run)
}

function escapeSeqDecode(input: string): string {
  if (!input.includes('\\')) return input
  let out = ''
  for (let i = 0; i < input.length; i++) {
    const next = input[i + 1]
    if (input[i] !== '\\' || next === undefined) {
      out += input.charAt(i)
      continue
    }
    if ((next === 'x' || next === 'X') && isHex(input.charCodeAt(i + 2)) && isHex(input.charCodeAt(i + 3))) {
      out += String.fromCharCode(parseInt(input.slice(i + 2, i + 4), 16))
      i += 3
    } else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(input.slice(i + 1, i + 4))?.[0] ?? next
      out += String.fromCharCode(parseInt(octal, 8) & 0xff)
      i += octal.length
    } else if (C_ESCAPES[next] !== undefined) {
      out += C_ESCAPES[next]
      i++
    } else out += input.charAt(i)
  }
  return out
}

function cssDecode(input: string): string {
  if (!input.includes('\\')) return input
  let out = ''
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '\\') {
      out += input.charAt(i)
      continue
    }
    if (i + 1 >= input.length) break
    let j = i + 1
    while (j < input.length && j - i - 1 < 6 && isHex(input.charCodeAt(j))) j++
    if (j > i + 1) {
      const code = parseInt(input.slice(i + 1, j), 16)
      // Full-width ASCII maps to ASCII, anything else keeps its low byte (as ModSecurity).
      out += String.fromCharCode(j - i - 1 === 4 || j - i - 1 > 4 ? unicodeToByte(code) : code & 0xff)
      if (j < input.length && isSpace(input.charCodeAt(j))) j++
      i = j - 1
    } else if (input[i + 1] === '\n') i++
    else {
      out += input.charAt(i + 1)
      i++
    }
  }
  return out
}

/** Characters cmdLine deletes (`\ " ' ^`) and those it reads as one space (space `, ; \t \r \n`). */
const CMD_DELETED = 1
const CMD_SPACE = 2
const CMD_CLASS = new Uint8Array(128)
for (const c of '\\"\'^') CMD_CLASS[c.charCodeAt(0)] = CMD_DELETED
for (const c of ' ,;\t\r\n') CMD_CLASS[c.charCodeAt(0)] = CMD_SPACE
/** The same characters as one regex class: it finds the end of a long ordinary run faster than a loop. */
const CMD_SPECIAL = new RegExp(`[${[...CMD_CLASS.keys()].filter((c) => CMD_CLASS[c] !== 0).map((c) => `\\x${c.toString(16).padStart(2, '0')}`).join('')}]`, 'g')
/** After this many ordinary characters in a row, cmdLine lets the regex find where the run ends. */
const CMD_RUN_SKIP = 32
const BEYOND_LATIN1 = /[\u0100-\uffff]/

function cmdLine(input: string): string {
  // Lower-casing the whole string is lower-casing each character when all are latin1 (no
  // context rules apply there); beyond it, each character on its own, as the reference does.
  if (BEYOND_LATIN1.test(input)) return cmdLineByCharacter(input)
  const lower = input.toLowerCase()
  let out = ''
  let run = -1
  let space = false
  let ordinary = 0
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i)
    const kind = c < 128 ? (CMD_CLASS[c] as number) : 0
    if (kind !== 0) {
      if (run !== -1) {
        out += lower.slice(run, i)
        run = -1
      }
      if (kind === CMD_SPACE) space = true
      ordinary = 0
      continue
    }
    if (space) {
      if (c !== 0x2f /* / */ && c !== 0x28 /* ( */ && out !== '') out += ' '
      space = false
    }
    if (run === -1) run = i
    if (++ordinary === CMD_RUN_SKIP) {
      // Dense input stays in this loop; a long plain run (a 100 KB argument) is crossed at once.
      CMD_SPECIAL.lastIndex = i + 1
      const next = CMD_SPECIAL.exec(lower)
      i = (next === null ? lower.length : next.index) - 1
      ordinary = 0
    }
  }
  return run === -1 ? out : out + lower.slice(run)
}

function cmdLineByCharacter(input: string): string {
  let out = ''
  let space = false
  for (let i = 0; i < input.length; i++) {
    const c = input[i] ?? ''
    const code = c.charCodeAt(0)
    const kind = code < 128 ? (CMD_CLASS[code] as number) : 0
    if (kind === CMD_DELETED) continue
    if (kind === CMD_SPACE) {
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

function compressWhitespace(input: string): string {
  return input.replace(/[\t\n\v\f\r \u00a0]+/g, ' ')
}

function replaceComments(input: string): string {
  if (!input.includes('/*')) return input
  return input.replace(/\/\*[\s\S]*?(?:\*\/|$)/g, ' ')
}

function removeComments(input: string): string {
  return input.replace(/\/\*[\s\S]*?(?:\*\/|$)|(?:--|#)[^\n]*/g, '')
}

function normalizePath(input: string, windows: boolean): string {
  let path = windows ? input.replaceAll('\\', '/') : input
  if (!path.includes('/')) return path
  const absolute = path.startsWith('/')
  const trailing = path.endsWith('/') || path.endsWith('/.') || path.endsWith('/..')
  const segments: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      if (segments.length > 0 && segments.at(-1) !== '..') segments.pop()
      else if (!absolute) segments.push('..')
    } else segments.push(segment)
  }
  path = (absolute ? '/' : '') + segments.join('/')
  return trailing && !path.endsWith('/') ? `${path}/` : path
}

function base64Decode(input: string): string {
  // Lenient, like ModSecurity: decoding stops at the first character outside the alphabet.
  const valid = /^[A-Za-z0-9+/]*={0,2}/.exec(input)?.[0] ?? ''
  return Buffer.from(valid, 'base64').toString('latin1')
}

function hexDecode(input: string): string {
  let out = ''
  for (let i = 0; i + 1 < input.length; i += 2) {
    if (!isHex(input.charCodeAt(i)) || !isHex(input.charCodeAt(i + 1))) break
    out += String.fromCharCode(parseInt(input.slice(i, i + 2), 16))
  }
  return out
}

/** UTF-8 sequences in the bytes become `%uHHHH` (as ModSecurity's `utf8toUnicode`). */
function utf8ToUnicode(input: string): string {
  if (!/[\x80-\xff]/.test(input)) return input
  let out = ''
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i)
    let length = 0
    if (c >= 0xc2 && c <= 0xdf) length = 2
    else if (c >= 0xe0 && c <= 0xef) length = 3
    else if (c >= 0xf0 && c <= 0xf4) length = 4
    const continuation = length > 0 && [...Array(length - 1).keys()].every((k) => (input.charCodeAt(i + 1 + k) & 0xc0) === 0x80)
    if (!continuation) {
      out += input.charAt(i)
      continue
    }
    const bytes = Buffer.from(input.slice(i, i + length), 'latin1')
    const code = bytes.toString('utf8').codePointAt(0) ?? 0
    out += `%u${(code > 0xffff ? code & 0xffff : code).toString(16).padStart(4, '0')}`
    i += length - 1
  }
  return out
}

const digest = (algorithm: string) => (input: string) => createHash(algorithm).update(Buffer.from(input, 'latin1')).digest().toString('latin1')

/** Transformations by lower-case name. */
export const TRANSFORMATIONS: ReadonlyMap<string, Transformation> = new Map<string, Transformation>([
  ['lowercase', (s) => s.toLowerCase()],
  ['uppercase', (s) => s.toUpperCase()],
  ['urldecode', (s) => urlDecode(s, false)],
  ['urldecodeuni', (s) => urlDecode(s, true)],
  ['urlencode', (s) => encodeURIComponent(s)],
  ['htmlentitydecode', htmlEntityDecode],
  ['jsdecode', jsDecode],
  ['cssdecode', cssDecode],
  ['escapeseqdecode', escapeSeqDecode],
  ['cmdline', cmdLine],
  ['compresswhitespace', compressWhitespace],
  ['removewhitespace', (s) => s.replace(/[\t\n\v\f\r \u00a0]/g, '')],
  ['removenulls', (s) => s.replaceAll('\0', '')],
  ['replacenulls', (s) => s.replaceAll('\0', ' ')],
  ['replacecomments', replaceComments],
  ['removecomments', removeComments],
  ['removecommentschar', (s) => s.replace(/\/\*|\*\/|--|#/g, '')],
  ['normalizepath', (s) => normalizePath(s, false)],
  ['normalisepath', (s) => normalizePath(s, false)],
  ['normalizepathwin', (s) => normalizePath(s, true)],
  ['normalisepathwin', (s) => normalizePath(s, true)],
  ['base64decode', base64Decode],
  ['base64decodeext', (s) => Buffer.from(s.replace(/[^A-Za-z0-9+/]/g, ''), 'base64').toString('latin1')],
  ['base64encode', (s) => Buffer.from(s, 'latin1').toString('base64')],
  ['hexdecode', hexDecode],
  ['hexencode', (s) => Buffer.from(s, 'latin1').toString('hex')],
  ['length', (s) => String(s.length)],
  ['sha1', digest('sha1')],
  ['md5', digest('md5')],
  ['utf8tounicode', utf8ToUnicode],
  // The trailing run is tried only where a run starts: tried at every space of a run that text
  // follows, `[…]+$` was quadratic (64 KB of spaces between two letters: 2 s).
  ['trim', (s) => s.replace(/^[\t\n\v\f\r ]+|(?<![\t\n\v\f\r ])[\t\n\v\f\r ]+$/g, '')],
  ['trimleft', (s) => s.replace(/^[\t\n\v\f\r ]+/, '')],
  ['trimright', (s) => s.replace(/(?<![\t\n\v\f\r ])[\t\n\v\f\r ]+$/, '')],
])
