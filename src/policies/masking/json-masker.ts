/**
 * Masks a parsed JSON value: fields chosen by path or name take their rule's strategy (`drop`
 * removes them), every other string runs through the detectors. The value is rebuilt, never
 * patched as text, so the result is always valid JSON.
 */
import { DETECTORS, maskDetected, type Detector, type DetectorName } from '../../sensitive/detectors.js'
import { maskText, REDACTED, type Strategy } from '../../sensitive/strategies.js'

export interface FieldRule {
  readonly matches: (path: string, name: string) => boolean
  readonly strategy: Strategy
  /** Matches by field name alone (not by path). */
  readonly byName: boolean
}

export interface DetectorRule {
  readonly detector: Detector
  readonly strategy: Strategy
}

const MAX_DEPTH = 256

/** `$.a[*].b`, `$..b` → a matcher of paths written as `.a[3].b`. */
export function pathMatcher(path: string): (path: string) => boolean {
  // Each `..` starts a piece after a gap of any characters.
  const pieces: string[] = []
  let piece = ''
  for (const token of path.slice(1).match(/\.\.[^.[\]]+|\.[^.[\]]+|\[\*\]|\[\d+\]/g) ?? []) {
    if (token.startsWith('..')) {
      pieces.push(piece)
      piece = `\\.${escape(token.slice(2))}`
    } else if (token === '[*]') piece += '\\[\\d+\\]'
    else if (token.startsWith('[')) piece += escape(token)
    else piece += `\\.${escape(token.slice(1))}`
  }
  pieces.push(piece)
  return gapsMatcher(pieces, '')
}

/** `*token*` → a case-insensitive matcher of field names. */
export function nameMatcher(pattern: string): (name: string) => boolean {
  return gapsMatcher(pattern.split('*').map(escape), 'i')
}

const LINE_TERMINATOR = /[\n\r\u2028\u2029]/

/**
 * What `^piece0.*piece1.*…pieceN$` matches (`.` any character but a line terminator), found
 * without backtracking: each piece at its leftmost place after the one before (a later place
 * would end no earlier: pieces start with `.` or are literals), the last one ending the text. The
 * regex retried every place of every piece: `*api*key*` on a 64 KB name of `api` took 0.8 s,
 * `$..a..b` on a path of 64 KB of `.a` 1.6 s.
 */
function gapsMatcher(pieces: readonly string[], flags: string): (text: string) => boolean {
  if (pieces.length === 1 || pieces.some((piece) => LINE_TERMINATOR.test(piece))) {
    const regex = new RegExp(`^${pieces.join('.*')}$`, flags)
    return (text) => regex.test(text)
  }
  const head = new RegExp(pieces[0] as string, `y${flags}`)
  const rest = pieces.slice(1).map((piece, i) => new RegExp(i === pieces.length - 2 ? `(?:${piece})$` : piece, `g${flags}`))
  return (text) => {
    head.lastIndex = 0
    if (!head.test(text)) return false
    let at = head.lastIndex
    for (const piece of rest) {
      // The gap before the piece holds no line terminator.
      const terminator = text.slice(at).search(LINE_TERMINATOR)
      piece.lastIndex = at
      const found = piece.exec(text)
      if (found === null || (terminator !== -1 && found.index > at + terminator)) return false
      at = piece.lastIndex
    }
    return true
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export function detectorRule(name: DetectorName, strategy: Strategy): DetectorRule {
  return { detector: DETECTORS[name], strategy }
}

export class JsonMasker {
  readonly #fields: readonly FieldRule[]
  readonly #detectors: readonly DetectorRule[]
  readonly #hashKey: string | null
  readonly #byDetector: ReadonlyMap<Detector, Strategy>
  readonly #detectorList: readonly Detector[]
  /** With name rules only, the rule for each field name met so far (null: none). */
  readonly #ruleByName: Map<string, FieldRule | null> | null
  /** Values masked in the last call. */
  masked = 0
  /** What masked them in the last call: detector names, and `field` for field rules. */
  readonly maskedBy = new Set<string>()

  constructor(fields: readonly FieldRule[], detectors: readonly DetectorRule[], hashKey: string | null) {
    this.#fields = fields
    this.#detectors = detectors
    this.#hashKey = hashKey
    this.#byDetector = new Map(detectors.map((rule) => [rule.detector, rule.strategy]))
    this.#detectorList = detectors.map((rule) => rule.detector)
    this.#ruleByName = fields.every((f) => f.byName) ? new Map() : null
  }

  mask(value: unknown): unknown {
    this.masked = 0
    this.maskedBy.clear()
    return this.#walk(value, '', 0)
  }

  maskString(text: string): string {
    if (this.#detectors.length === 0) return text
    return maskDetected(text, this.#detectorList, (detector, match) => {
      this.masked++
      this.maskedBy.add(detector.name)
      return maskText(match, this.#byDetector.get(detector) ?? 'redact', detector, this.#hashKey)
    })
  }

  #ruleFor(path: string, name: string): FieldRule | undefined {
    const cache = this.#ruleByName
    if (cache === null) return this.#fields.find((f) => f.matches(path, name))
    let rule = cache.get(name)
    if (rule === undefined) {
      rule = this.#fields.find((f) => f.matches(path, name)) ?? null
      if (cache.size < 10_000) cache.set(name, rule)
    }
    return rule ?? undefined
  }

  #walk(value: unknown, path: string, depth: number): unknown {
    if (typeof value === 'string') return this.maskString(value)
    if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value
    if (Array.isArray(value)) return value.map((item: unknown, i) => this.#walk(item, `${path}[${i}]`, depth + 1))
    const out: Record<string, unknown> = {}
    for (const [name, child] of Object.entries(value)) {
      // Paths are built only when a rule needs them; name rules are looked up once per name.
      const childPath = this.#ruleByName === null ? `${path}.${name}` : ''
      const rule = this.#ruleFor(childPath, name)
      if (rule === undefined) {
        out[name] = this.#walk(child, childPath, depth + 1)
        continue
      }
      if (rule.strategy === 'none') {
        out[name] = child
        continue
      }
      this.masked++
      this.maskedBy.add('field')
      if (rule.strategy === 'drop') continue
      out[name] = typeof child === 'string' || typeof child === 'number' ? maskText(String(child), rule.strategy, null, this.#hashKey) : REDACTED
    }
    return out
  }
}
