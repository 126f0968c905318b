/**
 * A strict look at JSON text before it is parsed: duplicate keys (JSON.parse silently keeps the
 * last, a backend may keep the first), nesting depth, keys per object, array lengths, string
 * lengths and integers beyond 2^53 (which parse to a different number than was sent). One pass
 * over the text; the value itself is then parsed by JSON.parse.
 */
export interface JsonLimits {
  readonly depth: number
  readonly keys: number
  readonly arrayLength: number
  readonly stringLength: number
}

export interface JsonViolation {
  /** Where, as `body.a.b[2]`. */
  readonly location: string
  readonly message: string
}

interface Frame {
  readonly kind: 'object' | 'array'
  readonly keys: Set<string> | null
  count: number
  /** The key or index being read, for locations. */
  at: string
}

/** Violations found (at most `max`); empty when the text respects the limits. Syntax errors are left to JSON.parse. */
export function checkJsonText(text: string, limits: JsonLimits, max = 20): JsonViolation[] {
  const violations: JsonViolation[] = []
  const stack: Frame[] = []
  const location = () => `body${stack.map((f) => f.at).join('')}`
  // Each distinct violation once: a repeated one would only use up the `max` places.
  const report = (message: string, where = location()) => {
    if (violations.length < max && !violations.some((v) => v.location === where && v.message === message)) violations.push({ location: where, message })
  }
  let expectKey = false
  for (let i = 0; i < text.length && violations.length < max; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22 /* " */) {
      const start = i
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 0x5c /* \ */) i++
        else if (d === 0x22) break
      }
      const top = stack.at(-1)
      if (expectKey && top?.kind === 'object') {
        let key: string
        try {
          key = JSON.parse(text.slice(start, i + 1)) as string
        } catch {
          return violations
        }
        top.at = `.${key}`
        if (top.keys?.has(key) === true) report('duplicate key')
        top.keys?.add(key)
        top.count++
        if (top.count === limits.keys + 1) report(`more than ${limits.keys} keys`, location().slice(0, -(key.length + 1)) || 'body')
        expectKey = false
      } else if (i - start - 1 > limits.stringLength && decodedLength(text.slice(start, i + 1)) > limits.stringLength) {
        report(`string longer than ${limits.stringLength} characters`)
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const top = stack.at(-1)
      if (top?.kind === 'array') top.at = `[${top.count++}]`
      stack.push({ kind: c === 0x7b ? 'object' : 'array', keys: c === 0x7b ? new Set() : null, count: 0, at: '' })
      if (stack.length > limits.depth) {
        report(`nested deeper than ${limits.depth} levels`)
        return violations
      }
      expectKey = c === 0x7b
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      const frame = stack.pop()
      if (frame?.kind === 'array' && frame.count > limits.arrayLength) {
        stack.push(frame)
        frame.at = ''
        report(`array longer than ${limits.arrayLength} items`)
        stack.pop()
      }
    } else if (c === 0x2c /* , */) {
      expectKey = stack.at(-1)?.kind === 'object'
    } else if ((c >= 0x30 && c <= 0x39) || c === 0x2d /* - */) {
      const start = i
      while (i + 1 < text.length && /[0-9eE.+-]/.test(text[i + 1] as string)) i++
      const literal = text.slice(start, i + 1)
      const top = stack.at(-1)
      if (top?.kind === 'array') top.at = `[${top.count++}]`
      if (/^-?\d+$/.test(literal)) {
        if (!Number.isSafeInteger(Number(literal))) report('integer outside the safe range (±2^53); send it as a string')
      } else if (!Number.isFinite(Number(literal))) report('number outside the range of a double')
    } else if (c === 0x74 || c === 0x66 || c === 0x6e /* t f n */) {
      const top = stack.at(-1)
      if (top?.kind === 'array') top.at = `[${top.count++}]`
    }
    // A string value inside an array counts as an item too.
    if (c === 0x22 && !expectKey) {
      const top = stack.at(-1)
      if (top?.kind === 'array') top.at = `[${top.count++}]`
    }
  }
  return violations
}

/** Characters of a JSON string literal once its escapes are decoded (its raw length if it does not parse). */
function decodedLength(literal: string): number {
  try {
    return (JSON.parse(literal) as string).length
  } catch {
    return literal.length
  }
}
