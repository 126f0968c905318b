/**
 * `@detectXSS`: would this value run script if a page echoed it — as text between tags, inside
 * an attribute value, or as a URL? It looks for what a browser executes, not for words: tags
 * that load or run code (`<script`, `<iframe`, `<svg`…), any tag carrying an event handler
 * attribute, URL attributes with a `javascript:`/`vbscript:`/`data:text/html` scheme, CSS
 * `expression(`, and a value that breaks out of a quoted attribute into a handler. Inputs are
 * read after removing NULs and the whitespace browsers skip inside tags.
 */
const CODE_TAGS = new Set([
  'script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'svg', 'math', 'style', 'link', 'meta', 'base', 'form', 'isindex',
  'xml', 'import', 'vmlframe', 'xss', 'template', 'portal', 'animate', 'set', 'handler', 'listener',
])

const TAG = /<\s*\/?\s*([a-z][a-z0-9:_-]*)([^>]*)/gi
const EVENT_HANDLER = /(?:^|[\s"'`/;])on[a-z]{3,}\s*=/i
// `\s*(?:["'`]\s*)?`, not `\s*["'`]?\s*`: the same texts, but a run of spaces without a quote is
// not split between the two `\s*` in every way (quadratic: 64 KB of spaces took 2 s).
const SCRIPT_URL = /(?:href|src|action|formaction|data|xlink:href|background|lowsrc|dynsrc|poster|srcdoc|codebase|to|values|from)\s*=\s*(?:["'`]\s*)?(?:javascript|vbscript|livescript|data\s*:\s*(?:text\/html|image\/svg|application\/(?:x-)?javascript))/i
const CSS_EXPRESSION = /expression\s*\(|url\s*\(\s*(?:["']\s*)?javascript:|-moz-binding|behavior\s*:/i
const URL_SCHEME = /^\s*(?:javascript|vbscript|livescript)\s*:/i

export function detectXss(value: string): boolean {
  if (value.length < 3) return false
  const input = value.replace(/[\0\t\n\r]/g, '')
  if (URL_SCHEME.test(input)) return true
  // Out of a quoted attribute value: a quote, then an event handler before any tag.
  const quote = input.search(/["'`]/)
  if (quote !== -1) {
    const rest = input.slice(quote)
    if (EVENT_HANDLER.test(rest) && !rest.slice(0, rest.search(EVENT_HANDLER)).includes('<')) return true
  }
  TAG.lastIndex = 0
  for (let match = TAG.exec(input), count = 0; match !== null && count < 1000; match = TAG.exec(input), count++) {
    // `<x:script xmlns:x=…>` is a script element in XHTML: judge the local name.
    const name = (match[1] ?? '').toLowerCase().replace(/^[^:]*:/, '')
    const attributes = match[2] ?? ''
    if (CODE_TAGS.has(name) && !match[0].startsWith('</') && !/^<\s*\//.test(match[0])) return true
    if (EVENT_HANDLER.test(attributes) || SCRIPT_URL.test(attributes) || (/style\s*=/i.test(attributes) && CSS_EXPRESSION.test(attributes))) return true
  }
  return false
}
