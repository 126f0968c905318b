/**
 * HTML building blocks of the portal's pages: escaping (every text from a document or a config
 * goes through `esc`) and the page layout, whose head carries the CSP and links only files of
 * the site itself, by paths relative to the page (the site works under any prefix).
 */
import { metaContentSecurityPolicyOf } from './site-policy.js'

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text for an element's content or a quoted attribute value. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

/** Joins the parts that are not false/null/undefined. */
export function html(parts: readonly (string | false | null | undefined)[]): string {
  return parts.filter((p): p is string => typeof p === 'string').join('')
}

/** The relative prefix from a page at `path` (`a/b/c.html`) to the site's root (`../../`). */
export function rootOf(path: string): string {
  return '../'.repeat(path.split('/').length - 1)
}

export interface PageOptions {
  /** The page's path in the site. */
  readonly path: string
  readonly title: string
  readonly siteTitle: string
  readonly body: string
  /** Extra scripts of the site (paths from its root), after the portal's own. */
  readonly scripts?: readonly string[]
  /** The reference page leaves the portal's search out: the renderer has its own. */
  readonly search?: boolean
  /** The renderer's page: full width, and only the header's styles (the portal's would reach into the renderer's markup). */
  readonly wide?: boolean
}

export function renderPage(options: PageOptions): string {
  const root = rootOf(options.path)
  const search = options.search !== false
  const scripts = [...(search ? ['assets/search-index.js', 'assets/portal.js'] : []), ...(options.scripts ?? [])]
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(metaContentSecurityPolicyOf(options.path))}">
<meta name="referrer" content="no-referrer">
<title>${esc(options.title)} · ${esc(options.siteTitle)}</title>
<link rel="icon" href="${root}assets/favicon.svg">
<link rel="stylesheet" href="${root}assets/${options.wide === true ? 'reference.css' : 'portal.css'}">
</head><body>
<header class="top"><a class="home" href="${root}index.html">${esc(options.siteTitle)}</a>${
    search
      ? `<div class="search"><input type="search" id="search" placeholder="Search operations" aria-label="Search operations" autocomplete="off" data-root="${esc(root)}"><ul id="search-results" class="results" hidden></ul></div>`
      : ''
  }</header>
<main${options.wide === true ? ' class="wide"' : ''}>
${options.body}
</main>
${scripts.map((src) => `<script src="${root}${src}"></script>`).join('\n')}
</body></html>
`
}

/** A table from rows of cell HTML (already escaped). */
export function table(head: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  if (rows.length === 0) return ''
  return `<table${className === '' ? '' : ` class="${className}"`}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`
}

export function code(text: string): string {
  return `<code>${esc(text)}</code>`
}

/** Document text (CommonMark in OpenAPI) shown as plain paragraphs: nothing in it is interpreted. */
export function paragraphs(text: string | null): string {
  if (text === null) return ''
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => `<p>${esc(p)}</p>`)
    .join('\n')
}

export function bytes(n: number): string {
  if (n >= 1048576 && n % 1048576 === 0) return `${n / 1048576} MiB (${n} bytes)`
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB (${n} bytes)`
  return `${n} bytes`
}
