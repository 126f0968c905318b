/** The portal's pages other than operations: the index, each version's overview and reference, changelogs, the error list. */
import type { GatewayConfig } from '../config/schema.js'
import { ERROR_CODES, type ErrorCode } from '../errors.js'
import type { ChangelogSource, ChangeEntry } from './changelog.js'
import type { DocumentView } from './document-view.js'
import { CORE_ERROR_CODES, POLICY_ERROR_CODES } from './gateway-errors.js'
import { code, esc, html, paragraphs, table } from './html.js'
import type { OperationFacts } from './operation-facts.js'
import { methodBadge } from './render-operation.js'
import { renderSelection } from './version-lifecycle.js'

export interface OperationLink {
  readonly method: string
  readonly path: string
  readonly title: string
  /** Relative to the version's folder. */
  readonly href: string
  readonly deprecated: boolean
  readonly sunset: string | null
}

export interface VersionEntry {
  readonly label: string
  readonly href: string
  readonly title: string
  readonly operations: number
  readonly deprecated: number
  /** The version's state as a badge (deprecated, retired, draft), '' when published. */
  readonly badge: string
}

export interface FamilyEntry {
  readonly name: string
  readonly versions: readonly VersionEntry[]
  readonly changelogHref: string | null
}

export function renderIndexPage(title: string, families: readonly FamilyEntry[]): string {
  const sections = families.map((family) =>
    html([
      `<section class="api" data-api="${esc(family.name)}"><h2>${esc(family.name)}</h2>`,
      table(
        ['Version', 'Title', 'State', 'Operations', 'Deprecated operations'],
        family.versions.map((v) => [`<a href="${v.href}">${esc(v.label)}</a>`, esc(v.title), v.badge === '' ? 'published' : v.badge, String(v.operations), String(v.deprecated)]),
      ),
      family.changelogHref !== null && `<p><a href="${family.changelogHref}">Changelog between versions</a></p>`,
      '</section>',
    ]),
  )
  return html([
    `<h1>${esc(title)}</h1>`,
    '<p>Each operation’s page says how to authenticate, which headers to send, the rate limits of each plan, the data formats and limits, and the errors the gateway may answer with — as the gateway enforces them. Search with the box above.</p>',
    ...sections,
    '<p><a href="errors.html">Error codes</a></p>',
  ])
}

export interface VersionPageInput {
  readonly api: GatewayConfig['apis'][number]
  readonly label: string
  readonly view: DocumentView | null
  readonly operations: readonly OperationLink[]
  /** The API-wide policies' facts (routes may override them). */
  readonly facts: OperationFacts
  readonly hasReference: boolean
  readonly catchAll: boolean
  /** The version's lifecycle banner ('' when it has nothing to say). */
  readonly banner: string
}

export function renderVersionPage(input: VersionPageInput): string {
  const { api, view, facts } = input
  const credentials = facts.auth.credentials.map((c) => (c.method === 'apiKey' ? `API key in ${code(c.header)}` : c.method === 'mtls' ? 'client certificate' : `${esc(c.scheme)} token in ${code('Authorization')}`))
  const plans = facts.rateLimits?.plans.map((p) => `${code(p.plan)}: ${p.limits.map((l) => esc(l.text)).join('; ')}`) ?? []
  return html([
    `<h1>${esc(view?.title ?? api.name)} <span class="muted">${esc(input.label)}</span></h1>`,
    input.banner,
    `<p>Base path ${code(api.basePath)}${api.hosts.length > 0 ? ` on ${api.hosts.map(code).join(', ')}` : ''}.</p>`,
    renderSelection(facts.lifecycle.selection),
    paragraphs(view?.description ?? null),
    '<nav class="links">',
    input.hasReference && '<a href="reference.html">Full reference</a><a href="openapi.json">OpenAPI document (JSON)</a>',
    '</nav>',
    '<h2>Access</h2>',
    `<p>${credentials.length === 0 ? 'No authentication by the gateway for the API as a whole (routes may differ).' : `Credentials accepted: ${credentials.join(', ')}.`}</p>`,
    plans.length > 0 && `<p>Plans:</p><ul>${plans.map((p) => `<li>${p}</li>`).join('')}</ul>`,
    '<h2>Operations</h2>',
    input.catchAll && '<p>This API has no OpenAPI document: the gateway forwards every path under its base path.</p>',
    table(
      ['Method', 'Path', 'Summary', ''],
      input.operations.map((op) => [methodBadge(op.method), `<a href="${op.href}">${code(op.path)}</a>`, esc(op.title), op.deprecated ? `<span class="tag">deprecated${op.sunset === null ? '' : `, sunset ${esc(op.sunset)}`}</span>` : '']),
      'operations',
    ),
  ])
}

export function renderReferencePage(title: string): string {
  return `<div id="app" data-url="openapi.json" aria-label="${esc(title)} reference"></div>`
}

export function renderChangelogPage(family: string, versions: readonly { label: string; document: string | null }[], source: ChangelogSource | null): string {
  const parts = [`<h1>${esc(family)}: changelog</h1>`]
  for (let i = versions.length - 1; i > 0; i--) {
    const older = versions[i - 1] as (typeof versions)[number]
    const newer = versions[i] as (typeof versions)[number]
    parts.push(`<section class="changes" data-from="${esc(older.label)}" data-to="${esc(newer.label)}"><h2>${esc(older.label)} → ${esc(newer.label)}</h2>`)
    if (source === null || older.document === null || newer.document === null) parts.push('<p class="no-changelog">No changelog: the documents were not compared in this build.</p>')
    else {
      let entries: readonly ChangeEntry[] | null = null
      try {
        entries = source(older.document, newer.document)
      } catch (error) {
        parts.push(`<p class="no-changelog">No changelog: the documents could not be compared (${esc((error as Error).message)}).</p>`)
      }
      if (entries !== null) {
        parts.push(
          entries.length === 0
            ? '<p>No change.</p>'
            : table(
                ['Level', 'Operation', 'Change'],
                entries.map((e) => [`<span class="level-${e.level}">${e.level === 'error' ? 'breaking' : e.level === 'warning' ? 'possibly breaking' : 'compatible'}</span>`, e.operation === undefined ? '' : code(e.operation), esc(e.message)]),
              ),
        )
      }
    }
    parts.push('</section>')
  }
  return parts.join('\n')
}

export function renderErrorsPage(): string {
  const sources = (c: ErrorCode) => [...(CORE_ERROR_CODES.includes(c) ? ['gateway'] : []), ...Object.entries(POLICY_ERROR_CODES).filter(([, codes]) => codes.includes(c)).map(([p]) => p)]
  const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => !c.startsWith('GW_ERR_ADMIN_')).sort((a, b) => ERROR_CODES[a].status - ERROR_CODES[b].status || a.localeCompare(b))
  return html([
    '<h1>Errors</h1>',
    `<p>Every error the gateway answers itself is a problem document (${code('application/problem+json')}, RFC 9457) with a stable ${code('code')}, the ${code('status')}, a ${code('title')} and the ${code('requestId')} to quote when asking for help. Switch on ${code('code')}, not on the title.</p>`,
    `<pre><code>{"type":"urn:portcullis:error:GW_ERR_RATE_LIMITED","title":"Too many requests","status":429,"code":"GW_ERR_RATE_LIMITED","requestId":"…","detail":"retry after 3 s"}</code></pre>`,
    `<table class="all-errors"><thead><tr><th>Status</th><th>Code</th><th>Meaning</th><th>Sent by</th></tr></thead><tbody>${codes
      .map((c) => `<tr id="${c}"><td>${ERROR_CODES[c].status}</td><td>${code(c)}</td><td>${esc(ERROR_CODES[c].title)}</td><td>${esc(sources(c).join(', '))}</td></tr>`)
      .join('')}</tbody></table>`,
  ])
}
