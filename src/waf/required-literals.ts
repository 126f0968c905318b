/**
 * The literals an RE2 pattern cannot match without: a set of strings of which every match
 * contains at least one (lower-cased, ASCII), or null when a match may contain none of any use.
 * The engine scans a value once for the literals of all its `@rx` rules and skips RE2 for the
 * rules none of whose literals occur (RE2's FilteredRE2 and Hyperscan prefilter the same way).
 * Anything this parser does not understand makes the pattern unfiltered, never wrongly skipped.
 */
import { charactersIn } from './character-set.js'

/**
 * What a sub-pattern matches: a small exact set of strings, or only that it contains one of
 * `atoms` (null: nothing known); and `need`, ASCII characters of which every match holds one
 * (null: none known), as `charactersIn` reads a value (256 bits, letters folded to lower case).
 */
type Info = ({ readonly exact: ReadonlySet<string> } | { readonly atoms: readonly string[] | null }) & { readonly need: Int32Array | null }

const MAX_EXACT = 16
const MAX_CLASS = 8
const ANYTHING: Info = { atoms: null, need: null }
const EMPTY: Info = { exact: new Set(['']), need: null }

class Unsupported extends Error {}

/** Null when the pattern is unfiltered (or not understood). */
export function requiredLiterals(pattern: string): string[] | null {
  const info = analysed(pattern)
  if (info === null) return null
  const atoms = atomsOf(info)
  return atoms === null ? null : minimal(atoms)
}

/**
 * ASCII characters of which every match of the pattern holds one, as 256 bits with letters folded
 * to lower case (`charactersIn`'s reading of a value): a value holding none of them cannot match.
 * Null when no such set is known. Checked on long values, whose characters are read once for
 * every rule; patterns with no required literal (`requiredLiterals`) often have one.
 */
export function requiredCharacters(pattern: string): Int32Array | null {
  return analysed(pattern)?.need ?? null
}

function analysed(pattern: string): Info | null {
  try {
    const parser = new Parser(pattern)
    const info = parser.alternation()
    return parser.at < pattern.length ? null : info
  } catch (error) {
    if (error instanceof Unsupported) return null
    throw error
  }
}

/**
 * The set of `codes` as `charactersIn` reads a value (letters folded the same way: the check
 * compares the two); null when one is past ASCII or there is none.
 */
function characterSet(codes: readonly number[]): Int32Array | null {
  if (codes.length === 0 || codes.some((code) => code > 0x7f)) return null
  return charactersIn(String.fromCharCode(...codes))
}

function union(a: Int32Array, b: Int32Array): Int32Array {
  return a.map((word, i) => word | (b[i] as number))
}

function size(set: Int32Array): number {
  let count = 0
  for (let word of set) {
    for (; word !== 0; word &= word - 1) count++
  }
  return count
}

/** Of several needs that must all hold, the most selective one (fewest characters). */
function narrowest(needs: readonly (Int32Array | null)[]): Int32Array | null {
  let chosen: Int32Array | null = null
  for (const need of needs) if (need !== null && (chosen === null || size(need) < size(chosen))) chosen = need
  return chosen
}

function atomsOf(info: { readonly exact: ReadonlySet<string> } | { readonly atoms: readonly string[] | null }): readonly string[] | null {
  if ('atoms' in info) return info.atoms
  if (info.exact.has('')) return null
  return [...info.exact]
}

/** Drops the atoms that contain another one: whenever they occur, so does the shorter. */
function minimal(atoms: readonly string[]): string[] {
  const unique = [...new Set(atoms)].sort((a, b) => a.length - b.length)
  const kept: string[] = []
  for (const atom of unique) if (!kept.some((k) => atom.includes(k))) kept.push(atom)
  return kept
}

/** Of several requirements that must all hold, the most selective one: longest shortest atom, then fewest atoms. */
function best(candidates: readonly (readonly string[])[]): readonly string[] | null {
  let chosen: readonly string[] | null = null
  let chosenScore = -1
  for (const atoms of candidates) {
    const shortest = Math.min(...atoms.map((a) => a.length))
    const score = Math.min(shortest, 8) * 1000 - atoms.length
    if (score > chosenScore) {
      chosen = atoms
      chosenScore = score
    }
  }
  return chosen
}

function product(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> | null {
  if (a.size * b.size > MAX_EXACT) return null
  const out = new Set<string>()
  for (const x of a) for (const y of b) out.add(x + y)
  return out
}

function concatenation(parts: readonly Info[]): Info {
  const requirements: (readonly string[])[] = []
  let allExact = true
  let run: ReadonlySet<string> | null = null
  const closeRun = () => {
    if (run === null) return
    const atoms = atomsOf({ exact: run })
    if (atoms !== null) requirements.push(atoms)
    run = null
  }
  for (const part of parts) {
    if ('exact' in part) {
      if (run === null) run = part.exact
      else {
        const joined = product(run, part.exact)
        if (joined === null) {
          closeRun()
          run = part.exact
        } else run = joined
      }
      continue
    }
    allExact = false
    closeRun()
    if (part.atoms !== null) requirements.push(part.atoms)
  }
  const need = narrowest(parts.map((part) => part.need))
  // Every part was exact and the whole stayed small: the concatenation is exact.
  if (allExact && requirements.length === 0 && run !== null) return { exact: run, need }
  closeRun()
  const chosen = best(requirements)
  return { atoms: chosen, need }
}

function alternatives(branches: readonly Info[]): Info {
  let need: Int32Array | null = null
  for (const branch of branches) {
    if (branch.need === null) {
      need = null
      break
    }
    need = need === null ? branch.need : union(need, branch.need)
  }
  if (branches.every((b) => 'exact' in b)) {
    const strings = new Set<string>()
    for (const b of branches) for (const s of (b as { exact: ReadonlySet<string> }).exact) strings.add(s)
    if (strings.size <= MAX_EXACT) return { exact: strings, need }
  }
  const atoms: string[] = []
  for (const branch of branches) {
    const own = atomsOf(branch)
    if (own === null) return { atoms: null, need }
    atoms.push(...own)
  }
  return { atoms, need }
}

function repetition(child: Info, min: number, max: number): Info {
  if (max === 0) return EMPTY
  const need = min === 0 ? null : child.need
  if ('exact' in child && max !== Infinity) {
    let exact: Set<string> | null = new Set([''])
    const all = new Set<string>(min === 0 ? [''] : [])
    for (let n = 1; n <= max && exact !== null; n++) {
      exact = product(exact, child.exact)
      if (exact !== null && n >= min) for (const s of exact) all.add(s)
    }
    if (exact !== null && all.size <= MAX_EXACT) return { exact: all, need }
  }
  if (min === 0) return ANYTHING
  return { atoms: atomsOf(child), need }
}

/** One character, or a class: exact when it has few; ASCII only (other characters fold in ways the scan does not model). */
function characters(codes: readonly number[]): Info {
  const need = characterSet(codes)
  const set = new Set<string>()
  for (const code of codes) {
    if (code > 0x7e) return ANYTHING
    set.add(String.fromCharCode(code).toLowerCase())
    if (set.size > MAX_CLASS) return { atoms: null, need }
  }
  return set.size === 0 ? ANYTHING : { exact: set, need }
}

/** What `\d`, `\w` and `\s` match in RE2 (ASCII without the `u` flag's Unicode classes: RE2's `\s` leaves out `\v`). */
const ESCAPE_CLASSES: Readonly<Record<string, readonly number[]>> = {
  d: range(0x30, 0x39),
  w: [...range(0x30, 0x39), ...range(0x41, 0x5a), ...range(0x61, 0x7a), 0x5f],
  s: [0x09, 0x0a, 0x0c, 0x0d, 0x20],
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'p', 'P', 'C'])
const ZERO_WIDTH_ESCAPES = new Set(['b', 'B', 'A', 'z', 'G'])
const CONTROL_ESCAPES: Readonly<Record<string, number>> = { t: 9, n: 10, v: 11, f: 12, r: 13, a: 7, e: 27 }

class Parser {
  at = 0
  readonly source: string

  constructor(source: string) {
    this.source = source
  }

  #peek(): string | undefined {
    return this.source[this.at]
  }

  alternation(): Info {
    const branches = [this.#sequence()]
    while (this.#peek() === '|') {
      this.at++
      branches.push(this.#sequence())
    }
    return branches.length === 1 ? (branches[0] as Info) : alternatives(branches)
  }

  #sequence(): Info {
    const parts: Info[] = []
    for (let c = this.#peek(); c !== undefined && c !== '|' && c !== ')'; c = this.#peek()) {
      const atom = this.#atom()
      if (atom === null) continue
      parts.push(this.#quantified(atom))
    }
    return parts.length === 0 ? EMPTY : parts.length === 1 ? (parts[0] as Info) : concatenation(parts)
  }

  #quantified(atom: Info): Info {
    let info = atom
    for (;;) {
      const c = this.#peek()
      let min: number
      let max: number
      if (c === '*') [min, max] = [0, Infinity]
      else if (c === '+') [min, max] = [1, Infinity]
      else if (c === '?') [min, max] = [0, 1]
      else if (c === '{') {
        const bounds = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.at))
        // RE2 reads a `{` that starts no valid repetition as a literal.
        if (bounds === null) return info
        min = Number(bounds[1])
        max = bounds[2] === undefined ? min : bounds[3] === '' ? Infinity : Number(bounds[3])
        this.at += bounds[0].length - 1
      } else return info
      this.at++
      if (this.#peek() === '?' || this.#peek() === '+') this.at++
      info = repetition(info, min, max)
    }
  }

  /** Null for what matches nothing by itself (a flag group such as `(?i)`). */
  #atom(): Info | null {
    const c = this.source[this.at++]
    switch (c) {
      case '(':
        return this.#group()
      case '[':
        return this.#class()
      case '.':
        return ANYTHING
      case '^':
      case '$':
        return EMPTY
      case '\\':
        return this.#escape()
      case '*':
      case '+':
      case '?':
        throw new Unsupported('quantifier without operand')
      default:
        return characters([(c as string).charCodeAt(0)])
    }
  }

  #group(): Info | null {
    if (this.#peek() === '?') {
      const flags = /^\?(?:P?<[A-Za-z_][A-Za-z0-9_]*>|[imsU-]*(:|\)))/.exec(this.source.slice(this.at))
      if (flags === null) throw new Unsupported('group syntax')
      this.at += flags[0].length
      if (flags[1] === ')') return null
    }
    const inner = this.alternation()
    if (this.source[this.at++] !== ')') throw new Unsupported('unclosed group')
    return inner
  }

  #escape(): Info {
    const c = this.source[this.at++]
    if (c === undefined) throw new Unsupported('trailing backslash')
    if (CLASS_ESCAPES.has(c)) {
      if ((c === 'p' || c === 'P') && this.#peek() === '{') this.at = this.source.indexOf('}', this.at) + 1
      else if (c === 'p' || c === 'P') this.at++
      const codes = ESCAPE_CLASSES[c]
      return codes === undefined ? ANYTHING : { atoms: null, need: characterSet(codes) }
    }
    if (ZERO_WIDTH_ESCAPES.has(c)) return EMPTY
    if (c === 'Q') {
      const end = this.source.indexOf('\\E', this.at)
      const text = this.source.slice(this.at, end === -1 ? undefined : end)
      this.at = end === -1 ? this.source.length : end + 2
      return concatenation(Array.from({ length: text.length }, (_, i) => characters([text.charCodeAt(i)])))
    }
    return characters([this.#escapedCode(c)])
  }

  /** The character code of an escape that stands for one character (after the backslash and `c`). */
  #escapedCode(c: string): number {
    if (c === 'x') {
      const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(this.source.slice(this.at))
      if (braced !== null) {
        this.at += braced[0].length
        return parseInt(braced[1] as string, 16)
      }
      const two = /^[0-9a-fA-F]{2}/.exec(this.source.slice(this.at))
      if (two === null) throw new Unsupported('\\x escape')
      this.at += 2
      return parseInt(two[0], 16)
    }
    if (/[0-7]/.test(c)) {
      const octal = /^[0-7]{0,2}/.exec(this.source.slice(this.at))?.[0] ?? ''
      this.at += octal.length
      return parseInt(c + octal, 8)
    }
    const control = CONTROL_ESCAPES[c]
    if (control !== undefined) return control
    if (/[A-Za-z0-9]/.test(c)) throw new Unsupported(`escape \\${c}`)
    return c.charCodeAt(0)
  }

  #class(): Info {
    const codes: number[] = []
    // Every character it may match is in `codes`, but it is too large for literals (`wide`), or not
    // even that is known (`unknown`: negated, named classes, other class escapes).
    let unknown = false
    let wide = false
    if (this.#peek() === '^') {
      unknown = true
      this.at++
    }
    let first = true
    for (;;) {
      const c = this.source[this.at++]
      if (c === undefined) throw new Unsupported('unclosed class')
      if (c === ']' && !first) break
      first = false
      if (c === '[' && this.#peek() === ':') {
        const end = this.source.indexOf(':]', this.at)
        if (end === -1) throw new Unsupported('POSIX class')
        this.at = end + 2
        unknown = true // a named class is large: treat the whole class as unknown
        continue
      }
      let code: number
      if (c === '\\') {
        const e = this.source[this.at++]
        if (e === undefined) throw new Unsupported('trailing backslash')
        if (CLASS_ESCAPES.has(e)) {
          if ((e === 'p' || e === 'P') && this.#peek() === '{') this.at = this.source.indexOf('}', this.at) + 1
          else if (e === 'p' || e === 'P') this.at++
          const escaped = ESCAPE_CLASSES[e]
          if (escaped === undefined) unknown = true
          else codes.push(...escaped)
          wide = true
          continue
        }
        code = this.#escapedCode(e)
      } else code = c.charCodeAt(0)
      if (this.#peek() === '-' && this.source[this.at + 1] !== ']' && this.source[this.at + 1] !== undefined) {
        this.at++
        let to = this.source[this.at++] as string
        let toCode = to.charCodeAt(0)
        if (to === '\\') {
          to = this.source[this.at++] ?? ''
          toCode = this.#escapedCode(to)
        }
        if (toCode - code > MAX_CLASS * 2) wide = true
        // Past ASCII the need is unknown anyway (characterSet): no need to list a wide range's characters.
        if (toCode > 0x7f) unknown = true
        else for (let k = code; k <= toCode; k++) codes.push(k)
        continue
      }
      codes.push(code)
    }
    if (unknown) return ANYTHING
    return wide ? { atoms: null, need: characterSet(codes) } : characters(codes)
  }
}
