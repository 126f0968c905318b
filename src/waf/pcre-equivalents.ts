/**
 * Patterns RE2 cannot compile as written — lookarounds, a backreference, possessive quantifiers —
 * that released rule sets use (CRS 3.3: five rules; CRS v4 has none), each with a linear-time
 * equivalent that matches the same values: an RE2 pattern, the complement of one, or a scanner.
 * Looked up by the exact pattern text, and only when RE2 refuses a pattern: a changed pattern
 * is refused at load like any other RE2 cannot compile, never run approximately. Each
 * equivalent is argued below; test/waf/pcre-equivalents.test.ts holds them to PCRE's answers.
 */
export type PcreEquivalent =
  /** An RE2 pattern with the same matches (possessive quantifiers written out). */
  | { readonly kind: 'pattern'; readonly pattern: string }
  /** Matches exactly the values this RE2 pattern does not match. */
  | { readonly kind: 'complement'; readonly pattern: string }
  /** A scanner returning PCRE's captures (`[0]` the matched text), or null. */
  | { readonly kind: 'scanner'; scan(value: string): string[] | null }

/** CRS 3.3 920120 (multipart file names): a quote or `=`, or a `;` that does not end one of these HTML entities. */
const CRS3_920120 = String.raw`(?<!&(?:[aAoOuUyY]uml)|&(?:[aAeEiIoOuU]circ)|&(?:[eEiIoOuUyY]acute)|&(?:[aAeEiIoOuU]grave)|&(?:[cC]cedil)|&(?:[aAnNoO]tilde)|&(?:amp)|&(?:apos));|['"=]`
/**
 * Its complement: the value splits into those entities and characters other than `'";=`. That
 * holds exactly when it has no quote or `=` and each `;` ends an entity (entities hold no `;`
 * but their last, so they never overlap). A match's capture is the whole value, not the `;` or
 * quote PCRE would capture: 920120 captures nothing.
 */
const CRS3_920120_COMPLEMENT = String.raw`^(?:&(?:[aAoOuUyY]uml|[aAeEiIoOuU]circ|[eEiIoOuUyY]acute|[aAeEiIoOuU]grave|[cC]cedil|[aAnNoO]tilde|amp|apos);|[^'";=])*$`

/** CRS 3.3 920600 (Accept header syntax), with possessive `\s*+`. */
const CRS3_920600 = String.raw`^(?:(?:\*|[^"(),\/:;<=>?![\x5c\]{}]+)\/(?:\*|[^"(),\/:;<=>?![\x5c\]{}]+))(?:\s*+;\s*+(?:(?:charset\s*+=\s*+(?:"?(?:iso-8859-15?|windows-1252|utf-8)\b"?))|(?:(?:c(?:h(?:a(?:r(?:s(?:e[^t"(),\/:;<=>?![\x5c\]{}]|[^e"(),/:;<=>?![\x5c\]{}])|[^s"(),/:;<=>?![\x5c\]{}])|[^r"(),/:;<=>?![\x5c\]{}])|[^a"(),/:;<=>?![\x5c\]{}])|[^h"(),/:;<=>?![\x5c\]{}])|[^c"(),/:;<=>?![\x5c\]{}])[^"(),/:;<=>?![\x5c\]{}]*(?:)\s*+=\s*+[^(),/:;<=>?![\x5c\]{}]+)|;?))*(?:\s*+,\s*+(?:(?:\*|[^"(),\/:;<=>?![\x5c\]{}]+)\/(?:\*|[^"(),\/:;<=>?![\x5c\]{}]+))(?:\s*+;\s*+(?:(?:charset\s*+=\s*+(?:"?(?:iso-8859-15?|windows-1252|utf-8)\b"?))|(?:(?:c(?:h(?:a(?:r(?:s(?:e[^t"(),\/:;<=>?![\x5c\]{}]|[^e"(),/:;<=>?![\x5c\]{}])|[^s"(),/:;<=>?![\x5c\]{}])|[^r"(),/:;<=>?![\x5c\]{}])|[^a"(),/:;<=>?![\x5c\]{}])|[^h"(),/:;<=>?![\x5c\]{}])|[^c"(),/:;<=>?![\x5c\]{}])[^"(),/:;<=>?![\x5c\]{}]*(?:)\s*+=\s*+[^(),/:;<=>?![\x5c\]{}]+)|;?))*)*$`
/**
 * `\s*+` keeps every space it can, so what follows starts at a non-space. Where what follows
 * cannot start with a space anyway (`;`, `,`, `=`, `c`, a quote, the end) that is plain `\s*`;
 * where it can — a parameter name's first character, a value after `=`, a media type after `,`
 * — its first character class loses `\s`: `\s*[^\sX][^X]*` takes the same spans as `\s*+[^X]+`.
 */
const CRS3_920600_WRITTEN_OUT = CRS3_920600.replaceAll(String.raw`|[^c"(),/:;<=>?![\x5c\]{}])[^"`, String.raw`|[^\sc"(),/:;<=>?![\x5c\]{}])[^"`)
  .replaceAll(String.raw`=\s*+[^(),/:;<=>?![\x5c\]{}]+)`, String.raw`=\s*[^\s(),/:;<=>?![\x5c\]{}][^(),/:;<=>?![\x5c\]{}]*)`)
  .replaceAll(String.raw`,\s*+(?:(?:\*|[^"(),\/:;<=>?![\x5c\]{}]+)\/`, String.raw`,\s*(?:(?:\*|[^\s"(),\/:;<=>?![\x5c\]{}][^"(),\/:;<=>?![\x5c\]{}]*)\/`)
  .replaceAll(String.raw`\s*+`, String.raw`\s*`)

/** CRS 3.3 942130 (SQL tautology: `1=1`, `a<>b`, `x like x`), with a backreference to the first word. */
const CRS3_942130 = "(?i:[\\s'\"`()]*?\\b([\\d\\w]+)\\b[\\s'\"`()]*?(?:<(?:=(?:[\\s'\"`()]*?(?!\\b\\1\\b)[\\d\\w]+|>[\\s'\"`()]*?(?:\\b\\1\\b))|>?[\\s'\"`()]*?(?!\\b\\1\\b)[\\d\\w]+)|(?:not\\s+(?:regexp|like)|is\\s+not|>=?|!=|\\^)[\\s'\"`()]*?(?!\\b\\1\\b)[\\d\\w]+|(?:(?:sounds\\s+)?like|r(?:egexp|like)|=)[\\s'\"`()]*?(?:\\b\\1\\b)))"

/** CRS 3.3 942260 (SQL authentication bypass), with one possessive `[…]++`. */
const CRS3_942260 = "(?i:[\"'`]\\s*?(?:(?:n(?:and|ot)|(?:x?x)?or|between|\\|\\||and|div|&&)\\s+[\\s\\w]+=\\s*?\\w+\\s*?having\\s+|like(?:\\s+[\\s\\w]+=\\s*?\\w+\\s*?having\\s+|\\W*?[\"'`\\d])|[^?\\w\\s=.,;)(]++\\s*?[(@\"'`]*?\\s*?\\w+\\W+\\w|\\*\\s*?\\w+\\W+[\"'`])|(?:union\\s*?(?:distinct|[(!@]*?|all)?\\s*?[([]*?\\s*?select|select\\s+?[\\[\\]()\\s\\w\\.,\"'`-]+from)\\s+|\\w\\s+like\\s+[\"'`]|find_in_set\\s*?\\(|like\\s*?[\"'`]%)"
/**
 * `[^?\w\s=.,;)(]++` may give characters back only to `[(@"'`]*?` after it (spaces and word
 * characters, which come next otherwise, are outside the class), and whatever could follow those
 * can follow the whole run too: greedy `+` matches the same values.
 */
const CRS3_942260_WRITTEN_OUT = CRS3_942260.replace('[^?\\w\\s=.,;)(]++', '[^?\\w\\s=.,;)(]+')

/** CRS 3.3 953120 (PHP source in a response): `<?` not followed by `xml`. */
const CRS3_953120 = String.raw`<\?(?!xml)`

/** The patterns known, by the rule that has each (docs/waf.md lists them). */
export const PCRE_EQUIVALENTS: readonly { readonly rule: string; readonly pattern: string; readonly equivalent: PcreEquivalent }[] = [
  { rule: 'CRS 3.3 920120', pattern: CRS3_920120, equivalent: { kind: 'complement', pattern: CRS3_920120_COMPLEMENT } },
  { rule: 'CRS 3.3 920600', pattern: CRS3_920600, equivalent: { kind: 'pattern', pattern: CRS3_920600_WRITTEN_OUT } },
  { rule: 'CRS 3.3 942130', pattern: CRS3_942130, equivalent: { kind: 'scanner', scan: scanTautology } },
  { rule: 'CRS 3.3 942260', pattern: CRS3_942260, equivalent: { kind: 'pattern', pattern: CRS3_942260_WRITTEN_OUT } },
  { rule: 'CRS 3.3 953120', pattern: CRS3_953120, equivalent: { kind: 'scanner', scan: scanPhpOpening } },
]

const BY_PATTERN: ReadonlyMap<string, PcreEquivalent> = new Map(PCRE_EQUIVALENTS.map(({ pattern, equivalent }) => [pattern, equivalent]))

/** The linear-time equivalent of a pattern RE2 refused, if it is one of the known ones. */
export function pcreEquivalent(pattern: string): PcreEquivalent | undefined {
  return BY_PATTERN.get(pattern)
}

/** 953120: the match is always `<?` itself. */
function scanPhpOpening(value: string): string[] | null {
  for (let at = value.indexOf('<?'); at !== -1; at = value.indexOf('<?', at + 1)) {
    if (!value.startsWith('xml', at + 2)) return ['<?']
  }
  return null
}

/** PCRE's `\w` without Unicode properties: ASCII letters, digits and `_` (false past the end: NaN). */
function isWordByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f
}

/** PCRE's `\s` (space, tab, LF, VT, FF, CR), and the separators 942130 allows around words and operators. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d)
}

function isSeparator(c: number): boolean {
  return isSpace(c) || c === 0x27 || c === 0x22 || c === 0x60 || c === 0x28 || c === 0x29
}

/**
 * The operators of 942130 in PCRE's order of trial, each followed by a word that differs from the
 * first (`differs`) or is the same one. `[\t-\r ]` is PCRE's `\s` (JavaScript's has the no-break
 * space too).
 */
const TAUTOLOGY_OPERATORS: readonly { readonly text: RegExp; readonly differs: boolean }[] = [
  { text: /<=/y, differs: true },
  { text: /<=>/y, differs: false },
  { text: /<>/y, differs: true },
  { text: /</y, differs: true },
  { text: /not[\t-\r ]+regexp/iy, differs: true },
  { text: /not[\t-\r ]+like/iy, differs: true },
  { text: /is[\t-\r ]+not/iy, differs: true },
  { text: />=/y, differs: true },
  { text: />/y, differs: true },
  { text: /!=/y, differs: true },
  { text: /\^/y, differs: true },
  { text: /sounds[\t-\r ]+like/iy, differs: false },
  { text: /like/iy, differs: false },
  { text: /regexp/iy, differs: false },
  { text: /rlike/iy, differs: false },
  { text: /=/y, differs: false },
]

/**
 * 942130 without its backreference. `\b([\d\w]+)\b` takes a whole word; the separators
 * `[\s'"`()]*?` around the operator cannot hold an operator's first character, so the operator
 * starts where they end, and the second word where the separators after it end. For the first
 * word whose operator and second word fit — a different word (or one glued to a spelled-out
 * operator, which `\b` then cannot see) for `<`, `<>`, `>`, `!=`, `is not`…, the same word
 * (case-insensitive) for `=`, `like`, `<=>`… — PCRE's match starts at the separators before it.
 * Each word is a first word once and its operator is tried at one place: linear in the value.
 */
function scanTautology(value: string): string[] | null {
  const length = value.length
  let at = 0
  while (at < length) {
    if (!isWordByte(value.charCodeAt(at))) {
      at++
      continue
    }
    const start = at
    while (at < length && isWordByte(value.charCodeAt(at))) at++
    const end = tautologyAfter(value, start, at)
    if (end !== -1) {
      let from = start
      while (from > 0 && isSeparator(value.charCodeAt(from - 1))) from--
      return [value.slice(from, end), value.slice(start, at)]
    }
  }
  return null
}

/** Where a tautology on the word `value[start, end)` ends, or -1. */
function tautologyAfter(value: string, start: number, end: number): number {
  const word = value.slice(start, end).toLowerCase()
  let operatorAt = end
  while (operatorAt < value.length && isSeparator(value.charCodeAt(operatorAt))) operatorAt++
  for (const operator of TAUTOLOGY_OPERATORS) {
    operator.text.lastIndex = operatorAt
    if (!operator.text.test(value)) continue
    let second = operator.text.lastIndex
    while (second < value.length && isSeparator(value.charCodeAt(second))) second++
    if (second >= value.length || !isWordByte(value.charCodeAt(second))) continue
    const boundary = !isWordByte(value.charCodeAt(second - 1))
    const same = boundary && value.slice(second, second + word.length).toLowerCase() === word && !isWordByte(value.charCodeAt(second + word.length))
    if (operator.differs && !same) {
      let wordEnd = second
      while (wordEnd < value.length && isWordByte(value.charCodeAt(wordEnd))) wordEnd++
      return wordEnd
    }
    if (!operator.differs && same) return second + word.length
  }
  return -1
}

/**
 * `pattern` with PCRE's whitespace classes, for rule sets written for PCRE (CRS 3.3): PCRE's `\s`
 * holds the vertical tab and RE2's does not (`\s` becomes `[\s\x0b]`), and PCRE's `\v` is vertical
 * whitespace where RE2's is the vertical tab alone (`[\n-\r\x85]`); `\S` and `\V` likewise, in
 * classes too. CRS v4 writes `[\s\x0b]` itself where it matters and is read as written. Throws
 * for a negated class holding `\S` or `\V`, which RE2 cannot say (no CRS pattern has one).
 */
export function withPcreWhitespace(pattern: string): string {
  if (!/\\[sSvV]/.test(pattern)) return pattern
  let out = ''
  for (let at = 0; at < pattern.length; ) {
    const c = pattern[at] ?? ''
    if (c === '\\') {
      const escape = pattern.slice(at, at + 2)
      out += OUTSIDE_CLASS[escape] ?? escape
      at += 2
    } else if (c === '[') {
      const end = classEnd(pattern, at)
      out += pcreClass(pattern.slice(at, end))
      at = end
    } else {
      out += c
      at++
    }
  }
  return out
}

const OUTSIDE_CLASS: Readonly<Record<string, string>> = { '\\s': '[\\s\\x0b]', '\\S': '[^\\s\\x0b]', '\\v': '[\\n-\\r\\x85]', '\\V': '[^\\n-\\r\\x85]' }

/** Where the class opening at `start` ends (past its `]`): a `]` first is a literal, as are escaped ones and those of `[:alpha:]`. */
function classEnd(pattern: string, start: number): number {
  let at = start + 1
  if (pattern[at] === '^') at++
  if (pattern[at] === ']') at++
  while (at < pattern.length && pattern[at] !== ']') {
    if (pattern[at] === '\\') at += 2
    else if (pattern.startsWith('[:', at)) at = pattern.indexOf(':]', at + 2) === -1 ? at + 1 : pattern.indexOf(':]', at + 2) + 2
    else at++
  }
  return at + 1
}

function pcreClass(text: string): string {
  const negated = text.startsWith('[^')
  const body = text.slice(negated ? 2 : 1, -1)
  const items: string[] = []
  const complements = new Set<string>()
  let spaces = false
  for (let at = 0; at < body.length; ) {
    const item = body[at] === '\\' ? body.slice(at, at + 2) : (body[at] ?? '')
    at += item.length
    if (item === '\\S' || item === '\\V') complements.add(item)
    else items.push(item === '\\s' ? '\\s\\x0b' : item === '\\v' ? '\\n-\\r\\x85' : item)
    if (item === '\\s') spaces = true
  }
  const rest = `[${negated ? '^' : ''}${items.join('')}]`
  if (complements.size === 0) return rest
  // `[\s\S]` is everything either way; `[\S…]` is PCRE's non-space or one of the rest.
  if (complements.size === 1 && complements.has('\\S') && spaces && !negated) return text
  if (negated || complements.size > 1) throw new Error(`the class ${text} has no RE2 equivalent with PCRE's whitespace`)
  const complement = complements.has('\\S') ? '[^\\s\\x0b]' : '[^\\n-\\r\\x85]'
  return items.length === 0 ? complement : `(?:${complement}|${rest})`
}
