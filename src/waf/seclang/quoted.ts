/**
 * A quoted SecLang string starting at `start` (on its opening quote): `\` before the quote
 * character stands for the quote, every other backslash is kept for the parser that reads the
 * value next (regular expressions need theirs). Null when the quote is never closed.
 */
export function readQuoted(text: string, start: number, quote: '"' | "'"): { value: string; end: number } | null {
  let value = ''
  for (let at = start + 1; at < text.length; at++) {
    const c = text.charAt(at)
    if (c === '\\' && text[at + 1] === quote) {
      value += quote
      at++
    } else if (c === quote) return { value, end: at + 1 }
    else value += c
  }
  return null
}
