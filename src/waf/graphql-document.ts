/**
 * A GraphQL document read as the WAF should read it: its syntax is the client's program, written
 * by the API's own front end (`mutation Update($id: ID!) { … }`), and reads as shell or SQL to
 * signature rules; the data it carries is in its string literals (and in `variables`, which are
 * JSON). `graphqlStrings` lexes a value by the GraphQL grammar's lexical rules (spec §2.1) and
 * returns its string values when the value is a GraphQL executable document, else null, so that
 * anything else — an injection in a field that happens to be called `query` — is read as it is.
 */

// `&` and `|` belong to type definitions, never to an executable document.
const PUNCTUATORS = '!$()[]{}:=@'
const MAX_DEPTH = 64
/** A document longer than this is read as it is: the lexer's work stays bounded. */
export const MAX_GRAPHQL_LENGTH = 65536

function isNameStart(code: number): boolean {
  return code === 95 || (code >= 65 && code <= 90) || (code >= 97 && code <= 122)
}

function isNameContinue(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57)
}

/** More strings and comments than this: read as it stands (each would be an argument of its own). */
export const MAX_GRAPHQL_STRINGS = 256
const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription'])

/**
 * Whether the names before a top-level selection set make a definition's header: nothing (a bare
 * selection set), an operation type and its name, or `fragment Name on Type` (directives aside).
 */
function isDefinitionHeader(names: readonly string[]): boolean {
  if (names.length === 0) return true
  if (OPERATION_TYPES.has(names[0] as string)) return names.length <= 2
  return names.length === 4 && names[0] === 'fragment' && names[2] === 'on'
}

/**
 * The string values (escapes decoded) and comments of `text` if it is a GraphQL executable
 * document, else null. Beyond the lexical grammar it holds the text to the shape of executable
 * definitions: at the top level only definition headers and their selection sets; in a selection
 * set only fields, aliases, fragments and directives; values (numbers, strings, variables,
 * lists) only inside arguments. `{a 1} UNION SELECT …` or `query {a} & curl …` are not documents.
 */
export function graphqlStrings(text: string): string[] | null {
  if (text.length === 0 || text.length > MAX_GRAPHQL_LENGTH) return null
  const strings: string[] = []
  const brackets: string[] = []
  let header: string[] = []
  let afterAt = false
  let definitions = 0
  let i = 0
  const inArguments = () => brackets.includes('(')
  while (i < text.length) {
    const code = text.charCodeAt(i)
    // Ignored tokens: whitespace, line terminators, commas, the BOM, comments.
    if (code === 32 || code === 9 || code === 10 || code === 13 || code === 44 || code === 0xfeff) {
      i++
      continue
    }
    if (code === 35 /* # */) {
      const start = i + 1
      while (i < text.length && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++
      // A server ignores comments; they are read anyway, as nothing legitimate hides there.
      strings.push(text.slice(start, i))
      if (strings.length > MAX_GRAPHQL_STRINGS) return null
      continue
    }
    if (isNameStart(code)) {
      const start = i
      while (i < text.length && isNameContinue(text.charCodeAt(i))) i++
      if (brackets.length === 0 && !afterAt) header.push(text.slice(start, i))
      afterAt = false
      continue
    }
    afterAt = false
    if (code === 45 /* - */ || (code >= 48 && code <= 57)) {
      if (!inArguments()) return null
      const start = i
      i++
      while (i < text.length && /[0-9.eE+-]/.test(text[i] as string)) i++
      if (!/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(text.slice(start, i))) return null
      // A number is not followed by a name start or a dot (`1abc`, `1.`).
      if (i < text.length && (isNameStart(text.charCodeAt(i)) || text[i] === '.')) return null
      continue
    }
    if (code === 34 /* " */) {
      if (!inArguments()) return null
      const read = text.startsWith('"""', i) ? readBlockString(text, i) : readString(text, i)
      if (read === null) return null
      strings.push(read.value)
      if (strings.length > MAX_GRAPHQL_STRINGS) return null
      i = read.end
      continue
    }
    if (text.startsWith('...', i)) {
      if (brackets.length === 0) return null
      i += 3
      continue
    }
    const char = text[i] as string
    if (!PUNCTUATORS.includes(char)) return null
    if ('$!=[]'.includes(char) && !inArguments()) return null
    if (char === ':' && brackets.length === 0) return null
    if (char === '@') afterAt = true
    if (char === '{' || char === '(' || char === '[') {
      if (char === '{' && brackets.length === 0) {
        if (!isDefinitionHeader(header)) return null
        header = []
        definitions++
      }
      brackets.push(char)
      if (brackets.length > MAX_DEPTH) return null
    } else if (char === '}' || char === ')' || char === ']') {
      const open = brackets.pop()
      if (open !== { '}': '{', ')': '(', ']': '[' }[char]) return null
    }
    i++
  }
  if (brackets.length > 0 || header.length > 0 || definitions === 0) return null
  return strings
}

function readString(text: string, start: number): { value: string; end: number } | null {
  let value = ''
  let i = start + 1
  while (i < text.length) {
    const char = text[i] as string
    if (char === '"') return { value, end: i + 1 }
    if (char === '\n' || char === '\r') return null
    if (char === '\\') {
      const next = text[i + 1]
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
      if (next !== undefined && next in simple) {
        value += simple[next] as string
        i += 2
        continue
      }
      if (next === 'u') {
        const hex = /^[0-9a-fA-F]{4}/.exec(text.slice(i + 2, i + 6))
        if (hex === null) return null
        value += String.fromCharCode(parseInt(hex[0], 16))
        i += 6
        continue
      }
      return null
    }
    value += char
    i++
  }
  return null
}

function readBlockString(text: string, start: number): { value: string; end: number } | null {
  let i = start + 3
  let value = ''
  while (i < text.length) {
    if (text.startsWith('"""', i)) return { value, end: i + 3 }
    if (text.startsWith('\\"""', i)) {
      value += '"""'
      i += 4
      continue
    }
    value += text[i] as string
    i++
  }
  return null
}
