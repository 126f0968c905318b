/**
 * The SecLang transformations (`t:`) CRS uses, on byte strings: every value the WAF sees is a
 * latin1 string, one character per byte, as the reference engines match bytes. Each follows
 * ModSecurity's documented behaviour, including what it leaves alone (invalid escapes stay as
 * they were), since a rule's regular expression was written against that output.
 */
import { createHash } from 'node:crypto'

export type Transformation = (input: string) => string

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
const hexValue = (c: number) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57)
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d)

/** `%uFF01`–`%uFF5E` are full-width ASCII: map them to ASCII, as ModSecurity does; else keep the low byte. */
function unicodeToByte(code: number): number {
  return code >= 0xff01 && code <= 0xff5e ? code - 0xfee0 : code & 0xff
}

function urlDecode(input: string, unicode: boolean): string {
  if (!input.includes('%') && !input.includes('+')) return input
  let out = ''
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i)
    if (c === 0x2b /* + */) out += ' '
    else if (c === 0x25 /* % */) {
      if (unicode && (input[i + 1] === 'u' || input[i + 1] === 'U') && [2, 3, 4, 5].every((k) => isHex(input.charCodeAt(i + k)))) {
        out += String.fromCharCode(unicodeToByte(parseInt(input.slice(i + 2, i + 6), 16)))
        i += 5
      } else if (isHex(input.charCodeAt(i + 1)) && isHex(input.charCodeAt(i + 2))) {
        out += String.fromCharCode(hexValue(input.charCodeAt(i + 1)) * 16 + hexValue(input.charCodeAt(i + 2)))
        i += 2
      } else out += '%'
    } else out += input.charAt(i)
  }
  return out
}

/** `&#x3c;`, `&#60;`, any number of leading zeros (an evasion), the `;` optional. Sticky: tried at one position. */
const NUMERIC_ENTITY = /&#(?:[xX]0*([0-9a-fA-F]{1,8})|0*([0-9]{1,10}));?/y
const NAMED_ENTITIES: Readonly<Record<string, string>> = { quot: '"', amp: '&', lt: '<', gt: '>', nbsp: '\u00a0', apos: "'" }

function htmlEntityDecode(input: string): string {
  if (!input.includes('&')) return input
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

function jsDecode(input: string): string {
  if (!input.includes('\\')) return input
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

function cmdLine(input: string): string {
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
  ['trim', (s) => s.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, '')],
  ['trimleft', (s) => s.replace(/^[\t\n\v\f\r ]+/, '')],
  ['trimright', (s) => s.replace(/[\t\n\v\f\r ]+$/, '')],
])
